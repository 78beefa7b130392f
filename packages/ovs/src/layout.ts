/**
 * The records of bpf/ovs_upcall.h, declared member by member in C order. Offsets follow from C's
 * rules; layout.test.ts checks every member against the built object's BTF.
 */
import { array, bytes, chars, flowFromRaw, nstFlow, nstHist, struct, type Flow } from '@netstrata/bpf-common';

const NAME_LEN = 16;

export const ovsRowKey = struct('ovs_row_key', { id: 'u32', netns: 'u32', flow: nstFlow });
export const ovsRow = struct('ovs_row', {
  name: chars(NAME_LEN),
  upcalls: 'u64',
  executed: 'u64',
  failed: 'u64',
  untimed: 'u64',
  action_upcalls: 'u64',
  latency_ns: nstHist,
});
export const ovsPending = struct('ovs_pending', { ts: array('u64', 4), head: 'u32', n: 'u32', key: ovsRowKey });

/** Every struct the tool decodes, for the layout test. */
export const LAYOUTS = [nstFlow, nstHist, ovsRowKey, ovsRow, ovsPending];

/** bpf/ovs_upcall.h OVS_BY_*: what a row is. */
export const BY = { port: 0, flow: 1, handler: 2 } as const;
export type By = keyof typeof BY;

export interface RowVal {
  name: string;
  upcalls: number;
  executed: number;
  failed: number;
  untimed: number;
  actionUpcalls: number;
  latency: bigint[];
}

export interface RowEntry {
  /** port: ifindex and namespace; handler: tid; flow: the 5-tuple. */
  key: { id: number; netns: number; flow: Flow | undefined };
  val: RowVal;
}

export function decodeRow(k: Uint8Array, v: Uint8Array): RowEntry {
  const key = ovsRowKey.decode(k);
  const val = ovsRow.decode(v);
  return {
    key: { id: key.id, netns: key.netns, flow: flowFromRaw(key.flow) },
    val: {
      name: val.name,
      upcalls: Number(val.upcalls),
      executed: Number(val.executed),
      failed: Number(val.failed),
      untimed: Number(val.untimed),
      actionUpcalls: Number(val.action_upcalls),
      latency: val.latency_ns.slots,
    },
  };
}

/** A waiting entry: how many upcalls of one frame wait, the oldest's time (ns, CLOCK_MONOTONIC). */
export function decodePending(v: Uint8Array): { waiting: number; oldestNs: bigint; key: RowEntry['key'] } {
  const p = ovsPending.decode(v);
  const key = { id: p.key.id, netns: p.key.netns, flow: flowFromRaw(p.key.flow) };
  return { waiting: p.n, oldestNs: p.n ? BigInt(p.ts[p.head % 4]!) : 0n, key };
}

export const ovsKeyFields = struct('ovs_key_fields', {
  eth_src: bytes(6),
  eth_dst: bytes(6),
  eth_type: 'u16',
  vlan_tci: 'u16',
  recirc_id: 'u32',
  in_port: 'u16',
  ip_proto: 'u8',
  ip_tos: 'u8',
  ip_ttl: 'u8',
  ip_frag: 'u8',
  ct_state: 'u8',
  _pad: 'u8',
  ct_zone: 'u16',
  tp_src: 'u16',
  tp_dst: 'u16',
  tcp_flags: 'u16',
  src: bytes(16),
  dst: bytes(16),
});
export const ovsFlowEvent = struct('ovs_flow_event', {
  kind: 'u32',
  tid: 'u32',
  ts_ns: 'u64',
  pid: 'u32',
  comm: chars(NAME_LEN),
  ufid_len: 'u32',
  ufid: array('u32', 4),
  mask_start: 'u16',
  mask_end: 'u16',
  key: ovsKeyFields,
  mask: ovsKeyFields,
  actions_len: 'u32',
  actions_copied: 'u32',
  actions: bytes(256),
});
export const ovsUpcallEvent = struct('ovs_upcall_event', { kind: 'u32', _pad: 'u32', ts_ns: 'u64', key: ovsKeyFields });

/** Every struct ovs_megaflow_details decodes, for the layout test. */
export const MEGAFLOW_LAYOUTS = [ovsKeyFields, ovsFlowEvent, ovsUpcallEvent];

/** bpf/ovs_upcall.h OVS_EV_*. */
export const EV_FLOW = 1;
export const EV_UPCALL = 2;

export type KeyFields = ReturnType<typeof ovsKeyFields.decode>;
export type FlowEvent = ReturnType<typeof ovsFlowEvent.decode>;
export type UpcallEvent = ReturnType<typeof ovsUpcallEvent.decode>;

/**
 * The records of bpf/conntrack.h, declared member by member in C order. Offsets follow from C's
 * rules; layout.test.ts checks every member against the built objects' BTF.
 */
import { bytes, chars, flowFromRaw, nstFlow, struct, type Flow } from '@netstrata/bpf-common';
import { nstIdent } from '../layout.ts';

/** enum ct_state, by index: the names of the output. */
export const CT_STATES = ['none', 'new', 'established', 'related', 'untracked'] as const;
export type CtState = (typeof CT_STATES)[number];

/** CT_* flags. */
export const CT_HAS_ENTRY = 0x01;
export const CT_HAS_ZONE = 0x02;
export const CT_REPLY = 0x04;
export const CT_TEMPLATE = 0x08;
export const CT_HAS_MARK = 0x10;

export const ctStateKey = struct('ct_state_key', { location: 'u64', netns: 'u32', zone: 'u16', state: 'u8', flags: 'u8' });
export const ctFlowKey = struct('ct_flow_key', { flow: nstFlow, netns: 'u32', zone: 'u16', state: 'u8', flags: 'u8' });
export const ctEvent = struct('ct_event', {
  ts_ns: 'u64',
  location: 'u64',
  status: 'u64',
  reason: 'u32',
  cpu: 'u32',
  pid: 'u32',
  netns: 'u32',
  ifindex: 'u32',
  len: 'u32',
  mark: 'u32',
  zone: 'u16',
  state: 'u8',
  ctinfo: 'u8',
  flags: 'u8',
  _pad: bytes(7),
  flow: nstFlow,
  ident: nstIdent,
  comm: chars(16),
  dev: chars(16),
});

/** Every struct the tools decode, for the layout test. */
export const CT_LAYOUTS = [ctStateKey, ctFlowKey, ctEvent];

export const stateName = (s: number): CtState => CT_STATES[s] ?? 'none';

/** The zone of a row or event: its entry's (or its template's) where the kernel has zones, else
 * null (no entry: the zone the packet would have had is not known). */
export const zoneOf = (zone: number, flags: number): number | null => (flags & (CT_HAS_ENTRY | CT_TEMPLATE) && flags & CT_HAS_ZONE ? zone : null);

export interface StateEntry {
  key: { location: bigint; netns: number; zone: number | null; state: CtState };
  count: number;
}

export interface FlowEntry {
  key: { flow: Flow | undefined; netns: number; zone: number | null; state: CtState };
  count: number;
}

const u64 = (v: Uint8Array) => Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true));

export function decodeState(k: Uint8Array, v: Uint8Array): StateEntry {
  const key = ctStateKey.decode(k);
  return { key: { location: key.location, netns: key.netns, zone: zoneOf(key.zone, key.flags), state: stateName(key.state) }, count: u64(v) };
}

export function decodeFlow(k: Uint8Array, v: Uint8Array): FlowEntry {
  const key = ctFlowKey.decode(k);
  return { key: { flow: flowFromRaw(key.flow), netns: key.netns, zone: zoneOf(key.zone, key.flags), state: stateName(key.state) }, count: u64(v) };
}

export type CtEvent = ReturnType<typeof ctEvent.decode>;

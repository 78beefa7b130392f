/**
 * The records of bpf/tcp_health.h, declared member by member in C order. Offsets follow from C's
 * rules; layout.test.ts checks every member against the built object's BTF.
 */
import { array, flowFromRaw, nstFlow, nstHist, struct, type Flow } from '@netstrata/bpf-common';

/** enum tcp_retrans_kind, by index. */
export const RETRANS_KINDS = ['syn', 'synack', 'timeout', 'fast', 'probe'] as const;
export type RetransKind = (typeof RETRANS_KINDS)[number];

/** TCP_REASON_* */
export const REASON_DROP = 1;
export const REASON_RESET = 2;

export const tcpFlowKey = struct('tcp_flow_key', { flow: nstFlow, netns: 'u32', _pad: 'u32' });
export const tcpCounts = struct('tcp_counts', {
  active_opens: 'u64',
  passive_opens: 'u64',
  connect_failed: 'u64',
  retrans: array('u64', RETRANS_KINDS.length),
  retrans_failed: 'u64',
  resets_sent: 'u64',
  resets_received: 'u64',
  rtt_sum_us: 'u64',
});
export const tcpFlowStats = struct('tcp_flow_stats', {
  c: tcpCounts,
  last_sample_ns: 'u64',
  handshake_us: 'u32',
  srtt_us: 'u32',
  cwnd: 'u32',
  in_flight: 'u32',
  cwnd_max: 'u32',
  in_flight_max: 'u32',
  rtt_us: nstHist,
});
export const tcpHostStats = struct('tcp_host_stats', {
  c: tcpCounts,
  drops: 'u64',
  rtt_us: nstHist,
  handshake_active_us: nstHist,
  handshake_passive_us: nstHist,
  cwnd: nstHist,
  in_flight: nstHist,
});
export const tcpDropKey = struct('tcp_drop_key', { flow: tcpFlowKey, reason: 'u32', _pad: 'u32' });
export const tcpReasonKey = struct('tcp_reason_key', { kind: 'u32', reason: 'u32' });

/** Every struct the tool decodes, for the layout test. */
export const LAYOUTS = [tcpFlowKey, tcpCounts, tcpFlowStats, tcpHostStats, tcpDropKey, tcpReasonKey];

/** struct tcp_counts, as numbers. */
export interface Counts {
  activeOpens: number;
  passiveOpens: number;
  connectFailed: number;
  retrans: Record<RetransKind, number>;
  retransFailed: number;
  resetsSent: number;
  resetsReceived: number;
  rttSumUs: number;
}

export interface FlowId {
  netns: number;
  /** Local end in src/sport, remote end in dst/dport. */
  flow: Flow | undefined;
}

export interface FlowVal {
  c: Counts;
  handshakeUs: number;
  srttUs: number;
  cwnd: number;
  inFlight: number;
  cwndMax: number;
  inFlightMax: number;
  rtt: bigint[];
}

export interface FlowEntry {
  key: FlowId;
  val: FlowVal;
}

export interface HostVal {
  c: Counts;
  drops: number;
  rtt: bigint[];
  handshakeActive: bigint[];
  handshakePassive: bigint[];
  cwnd: bigint[];
  inFlight: bigint[];
}

export interface DropEntry {
  key: FlowId & { reason: number };
  count: number;
}

export interface ReasonEntry {
  key: { kind: number; reason: number };
  count: number;
}

function counts(c: ReturnType<typeof tcpCounts.decode>): Counts {
  return {
    activeOpens: Number(c.active_opens),
    passiveOpens: Number(c.passive_opens),
    connectFailed: Number(c.connect_failed),
    retrans: Object.fromEntries(RETRANS_KINDS.map((k, i) => [k, Number(c.retrans[i] ?? 0n)])) as Record<RetransKind, number>,
    retransFailed: Number(c.retrans_failed),
    resetsSent: Number(c.resets_sent),
    resetsReceived: Number(c.resets_received),
    rttSumUs: Number(c.rtt_sum_us),
  };
}

const flowId = (k: ReturnType<typeof tcpFlowKey.decode>): FlowId => ({ netns: k.netns, flow: flowFromRaw(k.flow) });

const u64 = (v: Uint8Array) => Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true));

export function decodeFlow(k: Uint8Array, v: Uint8Array): FlowEntry {
  const s = tcpFlowStats.decode(v);
  return {
    key: flowId(tcpFlowKey.decode(k)),
    val: { c: counts(s.c), handshakeUs: s.handshake_us, srttUs: s.srtt_us, cwnd: s.cwnd, inFlight: s.in_flight, cwndMax: s.cwnd_max, inFlightMax: s.in_flight_max, rtt: s.rtt_us.slots },
  };
}

export function decodeDrop(k: Uint8Array, v: Uint8Array): DropEntry {
  const key = tcpDropKey.decode(k);
  return { key: { ...flowId(key.flow), reason: key.reason }, count: u64(v) };
}

export function decodeReason(k: Uint8Array, v: Uint8Array): ReasonEntry {
  const key = tcpReasonKey.decode(k);
  return { key: { kind: key.kind, reason: key.reason }, count: u64(v) };
}

const addSlots = (a: bigint[], b: readonly bigint[]) => {
  for (let i = 0; i < a.length; i++) if (b[i]) a[i]! += b[i]!;
};

/** The host row's per-CPU copies, summed. */
export function decodeHost(perCpu: readonly Uint8Array[]): HostVal {
  const out = emptyHost();
  for (const b of perCpu) {
    const s = tcpHostStats.decode(b);
    const c = counts(s.c);
    out.c = addCounts(out.c, c);
    out.drops += Number(s.drops);
    addSlots(out.rtt, s.rtt_us.slots);
    addSlots(out.handshakeActive, s.handshake_active_us.slots);
    addSlots(out.handshakePassive, s.handshake_passive_us.slots);
    addSlots(out.cwnd, s.cwnd.slots);
    addSlots(out.inFlight, s.in_flight.slots);
  }
  return out;
}

const SLOTS = nstHist.size / 8;
const zeroSlots = () => new Array<bigint>(SLOTS).fill(0n);

export const zeroCounts = (): Counts => ({
  activeOpens: 0,
  passiveOpens: 0,
  connectFailed: 0,
  retrans: { syn: 0, synack: 0, timeout: 0, fast: 0, probe: 0 },
  retransFailed: 0,
  resetsSent: 0,
  resetsReceived: 0,
  rttSumUs: 0,
});

export const emptyHost = (): HostVal => ({ c: zeroCounts(), drops: 0, rtt: zeroSlots(), handshakeActive: zeroSlots(), handshakePassive: zeroSlots(), cwnd: zeroSlots(), inFlight: zeroSlots() });

/** a + b (sign -1: a - b), counter by counter. */
export function addCounts(a: Counts, b: Counts, sign: 1 | -1 = 1): Counts {
  const f = (x: number, y: number) => x + sign * y;
  return {
    activeOpens: f(a.activeOpens, b.activeOpens),
    passiveOpens: f(a.passiveOpens, b.passiveOpens),
    connectFailed: f(a.connectFailed, b.connectFailed),
    retrans: Object.fromEntries(RETRANS_KINDS.map((k) => [k, f(a.retrans[k], b.retrans[k])])) as Record<RetransKind, number>,
    retransFailed: f(a.retransFailed, b.retransFailed),
    resetsSent: f(a.resetsSent, b.resetsSent),
    resetsReceived: f(a.resetsReceived, b.resetsReceived),
    rttSumUs: f(a.rttSumUs, b.rttSumUs),
  };
}

export const countsEmpty = (c: Counts): boolean =>
  !c.activeOpens && !c.passiveOpens && !c.connectFailed && !c.retransFailed && !c.resetsSent && !c.resetsReceived && !c.rttSumUs && RETRANS_KINDS.every((k) => !c.retrans[k]);

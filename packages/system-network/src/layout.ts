/**
 * The records of bpf/system_network.h and bpf/system_network_latency.h, declared member by member
 * in C order. Offsets follow from C's rules; layout.test.ts checks every member against the built
 * objects' BTF.
 */
import { array, bytes, chars, decodeStack, nstHist, flowFromRaw, nstFlow, struct, type Flow, type StructValue } from '@netstrata/bpf-common';

const DEV_NAME_LEN = 16;

/** bpf-common's histogram (netstrata/hist_types.h), embedded in the structs below. */
export { nstHist };

export const devKey = struct('dev_key', { ifindex: 'u32', netns: 'u32' });

export const qdiscNapiStats = struct('qdisc_napi_stats', {
  qdisc_dequeued: 'u64',
  qdisc_unmatched: 'u64',
  napi_polls: 'u64',
  napi_packets: 'u64',
  napi_exhausted: 'u64',
  name: chars(DEV_NAME_LEN),
});

export const dropDevKey = struct('drop_dev_key', { ifindex: 'u32', netns: 'u32', reason: 'u32', name: chars(DEV_NAME_LEN) });

/** start_ns is the kernel's scratch (the running softirq's entry), never reported. */
export const softirqStats = struct('softirq_stats', { count: 'u64', time_ns: 'u64', start_ns: 'u64' });

export type DevKey = StructValue<typeof devKey.fields>;
export type DropDevKey = StructValue<typeof dropDevKey.fields>;

export const QUEUE_COUNTERS = ['qdisc_dequeued', 'qdisc_unmatched', 'napi_polls', 'napi_packets', 'napi_exhausted'] as const;
export type QueueStats = { name: string } & Record<(typeof QUEUE_COUNTERS)[number], number>;

/** The per-CPU copies of a struct of u64 counters and a device name, summed; the name comes from
 * whichever CPU set it. */
function sumNamed<K extends string>(decode: (b: Uint8Array) => { name: string } & Record<K, bigint>, counters: readonly K[], perCpu: readonly Uint8Array[]) {
  const out = { name: '', ...Object.fromEntries(counters.map((c) => [c, 0])) } as { name: string } & Record<K, number>;
  for (const b of perCpu) {
    const s = decode(b);
    for (const c of counters) (out as Record<K, number>)[c] += Number(s[c]);
    if (!out.name) out.name = s.name;
  }
  return out;
}

export const sumQueueStats = (perCpu: readonly Uint8Array[]): QueueStats => sumNamed((b) => qdiscNapiStats.decode(b), QUEUE_COUNTERS, perCpu);

/** struct softirq_stats of one CPU. */
export function decodeSoftirqStats(b: Uint8Array): { count: number; time_ns: number } {
  const s = softirqStats.decode(b);
  return { count: Number(s.count), time_ns: Number(s.time_ns) };
}

// ---- system_network_latency.h ----

export const LAT_STAGES = 8;
export const LAT_E2E = LAT_STAGES - 1;
export const LAT_COUNTERS = 8;
export const LAT_FIFO_DEPTH = 64;
export const LAT_STACK_DEPTH = 32;
const LAT_COMM_LEN = 16;

export const DIRECTIONS = ['rx', 'tx'] as const;
export type Dir = (typeof DIRECTIONS)[number];

/** struct nst_ident (netstrata/filter_types.h): what tells one packet of a flow from the next. */
export const nstIdent = struct('nst_ident', {
  tcp_seq: 'u32',
  ip_id: 'u16',
  icmp_id: 'u16',
  icmp_seq: 'u16',
  l4_payload: 'u16',
  tcp_flags: 'u8',
  _pad: bytes(3),
});

export const latKey = struct('lat_key', { skb: 'u64', dir: 'u32', _pad: 'u32' });

export const latSession = struct('lat_session', {
  ts: array('u64', LAT_STAGES),
  flow: nstFlow,
  ident: nstIdent,
  ifindex: 'u32',
  netns: 'u32',
  dev: chars(DEV_NAME_LEN),
  first_cpu: 'u32',
  first_pid: 'u32',
  last_cpu: 'u32',
  last_pid: 'u32',
  first_comm: chars(LAT_COMM_LEN),
  last_comm: chars(LAT_COMM_LEN),
  len: 'u32',
  dir: 'u8',
  tracked: 'u8',
  gso: 'u8',
  _pad: 'u8',
  skb: 'u64',
  worst_ns: 'u64',
});

/** A TCP GSO packet's copy in `gso`, by its flow and end sequence. */
export const latGsoKey = struct('lat_gso_key', { addrs: 'u64', ports: 'u32', end_seq: 'u32' });

/** A row of `drops`: followed packets dropped, by direction and the kernel's reason. */
export const latDropKey = struct('lat_drop_key', { dir: 'u32', reason: 'u32' });

/** The session a CPU carries (latency_stages.h); skb 0 when it carries none. */
export const latCarry = struct('lat_carry', { skb: 'u64', s: latSession });

/** A UDP socket's followed datagrams: a ring of sessions (e[], whole sessions in C). */
export const latFifo = struct('lat_fifo', {
  head: 'u32',
  tail: 'u32',
  skip: 'u32',
  _pad: 'u32',
  e: bytes(LAT_FIFO_DEPTH * latSession.size),
});

export const latEvent = struct('lat_event', {
  s: latSession,
  skb: 'u64',
  stack_len: 's32',
  stack_stage: 'u32',
  stack: bytes(8 * LAT_STACK_DEPTH),
});

export interface LatSession {
  ts: bigint[]; // per slot, 0n = not passed
  flow: Flow | null;
  tcpSeq: number;
  ipId: number;
  icmpId: number;
  icmpSeq: number;
  l4Payload: number;
  tcpFlags: number;
  ifindex: number;
  netns: number;
  dev: string;
  first: { cpu: number; pid: number; comm: string };
  last: { cpu: number; pid: number; comm: string };
  len: number;
  dir: Dir;
}

export interface LatEvent {
  session: LatSession;
  skb: bigint;
  stack: bigint[];
  stackError: number;
  /** Slot of the stage the stack was taken at: where the packet's slowest step ended. */
  stackStage: number;
}

function toSession(s: StructValue<typeof latSession.fields>): LatSession {
  return {
    ts: s.ts,
    flow: flowFromRaw(s.flow) ?? null,
    tcpSeq: s.ident.tcp_seq,
    ipId: s.ident.ip_id,
    icmpId: s.ident.icmp_id,
    icmpSeq: s.ident.icmp_seq,
    l4Payload: s.ident.l4_payload,
    tcpFlags: s.ident.tcp_flags,
    ifindex: s.ifindex,
    netns: s.netns,
    dev: s.dev,
    first: { cpu: s.first_cpu, pid: s.first_pid, comm: s.first_comm },
    last: { cpu: s.last_cpu, pid: s.last_pid, comm: s.last_comm },
    len: s.len,
    dir: s.dir === 1 ? 'tx' : 'rx',
  };
}

export function decodeSession(b: Uint8Array): LatSession {
  return toSession(latSession.decode(b));
}

/** A ring record: exactly sizeof(struct lat_event), or the object and decoder disagree. */
export function decodeEvent(v: DataView): LatEvent {
  const e = latEvent.decode(v);
  return {
    session: toSession(e.s),
    skb: e.skb,
    stack: e.stack_len > 0 ? decodeStack(e.stack.subarray(0, Math.min(e.stack_len, 8 * LAT_STACK_DEPTH))) : [],
    stackError: e.stack_len < 0 ? e.stack_len : 0,
    stackStage: e.stack_stage,
  };
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** The direction of a `sessions` key, read alone (the map can hold 64k of them). */
export function keyDir(k: Uint8Array): Dir {
  return DIRECTIONS[view(k).getUint32(latKey.offsetOf('dir'), true)] ?? 'rx';
}

/** Whether a CPU's struct lat_carry holds a session. */
export function carrying(b: Uint8Array): boolean {
  return view(b).getBigUint64(latCarry.offsetOf('skb'), true) !== 0n;
}

/** A FIFO value's followed (tracked) entries still waiting to be read. */
export function fifoPending(b: Uint8Array): number {
  const v = view(b);
  const head = v.getUint32(latFifo.offsetOf('head'), true);
  const tail = v.getUint32(latFifo.offsetOf('tail'), true);
  const tracked = latFifo.offsetOf('e') + latSession.offsetOf('tracked');
  let n = 0;
  for (let i = head; i !== tail && n < LAT_FIFO_DEPTH; i = (i + 1) >>> 0) {
    if (b[tracked + (i % LAT_FIFO_DEPTH) * latSession.size]) n++;
  }
  return n;
}

/** A u32 map key (array indices) or a u64 value (counters), as the kernel stores them. */
export const u32 = (b: Uint8Array): number => view(b).getUint32(0, true);
export const u64 = (b: Uint8Array): number => Number(view(b).getBigUint64(0, true));
export const u32Key = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);

/** Every struct the tools decode, for the layout test. */
export const LAYOUTS = [nstHist, devKey, qdiscNapiStats, dropDevKey, softirqStats, nstIdent, latKey, latSession, latCarry, latFifo, latEvent, latGsoKey, latDropKey];

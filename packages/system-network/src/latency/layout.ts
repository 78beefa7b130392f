/** Decoders mirroring bpf/system_network_latency.h (sizes checked by _Static_assert there). */
import { formatAddress } from '@netstrata/bpf-common';

export const LAT_STAGES = 6;
export const LAT_E2E = LAT_STAGES - 1;
export const LAT_HISTS = 2 * LAT_STAGES * LAT_STAGES;
export const LAT_COUNTERS = 4;
export const LAT_KEY_SIZE = 16;
export const LAT_SESSION_SIZE = 184;
export const LAT_EVENT_SIZE = 184 + 16 + 8 * 32;
export const LAT_FIFO_DEPTH = 64;
export const LAT_FIFO_SIZE = 16 + LAT_SESSION_SIZE * LAT_FIFO_DEPTH;

export const DIRECTIONS = ['rx', 'tx'] as const;
export type Dir = (typeof DIRECTIONS)[number];

/** Stage names by slot, per direction, and the hook that stamps each. */
export const STAGES: Record<Dir, { name: string; hook: string }[]> = {
  rx: [
    { name: 'device', hook: 'net:netif_receive_skb' },
    { name: 'socket_queue', hook: 'sock:sk_data_ready' },
    { name: 'read', hook: 'skb:skb_copy_datagram_iovec (TCP), sock:sock_recv_length (UDP)' },
  ],
  tx: [
    { name: 'dev_queue', hook: 'net:net_dev_queue' },
    { name: 'qdisc_enqueue', hook: 'qdisc:qdisc_enqueue' },
    { name: 'qdisc_dequeue', hook: 'qdisc:qdisc_dequeue' },
    { name: 'start_xmit', hook: 'net:net_dev_start_xmit' },
    { name: 'xmit', hook: 'net:net_dev_xmit' },
  ],
};

export const COUNTER_NAMES = ['started', 'completed', 'incomplete', 'untracked'] as const;

export function stageName(dir: Dir, slot: number): string {
  return STAGES[dir][slot]?.name ?? `stage${slot}`;
}

/** Histogram map index → (direction, from, to); from = to = LAT_E2E is end to end. */
export function histIndex(i: number): { dir: Dir; from: number; to: number } {
  const dir = DIRECTIONS[Math.floor(i / (LAT_STAGES * LAT_STAGES))]!;
  const rest = i % (LAT_STAGES * LAT_STAGES);
  return { dir, from: Math.floor(rest / LAT_STAGES), to: rest % LAT_STAGES };
}

export interface LatFlow {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  protocol: string;
}

export interface LatSession {
  ts: bigint[]; // per slot, 0n = not passed
  flow: LatFlow | null;
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
}

const utf8 = new TextDecoder();
function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return utf8.decode(end < 0 ? b : b.subarray(0, end));
}

const PROTO: Record<number, string> = { 6: 'TCP', 17: 'UDP', 1: 'ICMP', 58: 'ICMPv6' };

/** struct nst_flow at off; null when the packet was not parsed as IP. */
function decodeFlow(b: Uint8Array, off: number): LatFlow | null {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const family = b[off + 36];
  if (family !== 2 && family !== 10) return null;
  const fam = family === 2 ? 4 : 6;
  const proto = b[off + 37]!;
  const icmp = proto === 1 || proto === 58;
  return {
    src: formatAddress(b.slice(off, off + 16), fam),
    dst: formatAddress(b.slice(off + 16, off + 32), fam),
    sport: icmp ? 0 : v.getUint16(off + 32, true),
    dport: icmp ? 0 : v.getUint16(off + 34, true),
    protocol: PROTO[proto] ?? String(proto),
  };
}

export function decodeSession(b: Uint8Array, off = 0): LatSession {
  const v = new DataView(b.buffer, b.byteOffset + off, LAT_SESSION_SIZE);
  const s = b.subarray(off, off + LAT_SESSION_SIZE);
  const ts: bigint[] = [];
  for (let i = 0; i < LAT_STAGES; i++) ts.push(v.getBigUint64(i * 8, true));
  return {
    ts,
    flow: decodeFlow(s, 48),
    tcpSeq: v.getUint32(88, true),
    ipId: v.getUint16(92, true),
    icmpId: v.getUint16(94, true),
    icmpSeq: v.getUint16(96, true),
    l4Payload: v.getUint16(98, true),
    tcpFlags: s[100]!,
    ifindex: v.getUint32(104, true),
    netns: v.getUint32(108, true),
    dev: cString(s.subarray(112, 128)),
    first: { cpu: v.getUint32(128, true), pid: v.getUint32(132, true), comm: cString(s.subarray(144, 160)) },
    last: { cpu: v.getUint32(136, true), pid: v.getUint32(140, true), comm: cString(s.subarray(160, 176)) },
    len: v.getUint32(176, true),
    dir: s[180] === 1 ? 'tx' : 'rx',
  };
}

export function decodeEvent(v: DataView): LatEvent {
  if (v.byteLength !== LAT_EVENT_SIZE) throw new Error(`latency event is ${v.byteLength} bytes, expected ${LAT_EVENT_SIZE}`);
  const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const stackLen = v.getInt32(192, true);
  const stack: bigint[] = [];
  for (let i = 0; stackLen > 0 && i < Math.min(stackLen / 8, 32); i++) {
    const ip = v.getBigUint64(200 + i * 8, true);
    if (ip === 0n) break;
    stack.push(ip);
  }
  return { session: decodeSession(b), skb: v.getBigUint64(184, true), stack, stackError: stackLen < 0 ? stackLen : 0 };
}

/** A FIFO value's followed (tracked) entries still waiting to be read. */
export function fifoPending(b: Uint8Array): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const head = v.getUint32(0, true);
  const tail = v.getUint32(4, true);
  let n = 0;
  for (let i = head; i !== tail && n < LAT_FIFO_DEPTH; i = (i + 1) >>> 0) {
    const off = 16 + (i % LAT_FIFO_DEPTH) * LAT_SESSION_SIZE;
    if (b[off + 181]) n++;
  }
  return n;
}

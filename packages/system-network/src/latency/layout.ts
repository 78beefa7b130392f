/** Decoders mirroring bpf/system_network_latency.h (sizes checked by _Static_assert there). */
import { cString, formatAddress } from '@netstrata/bpf-common';

export const LAT_STAGES = 8;
export const LAT_E2E = LAT_STAGES - 1;
export const LAT_HISTS = 2 * LAT_STAGES * LAT_STAGES;
export const LAT_COUNTERS = 4;
export const LAT_KEY_SIZE = 16;
/** struct lat_session: the stage times first, then the fields below at TS_END + their offset, then
 * the session's skb and its slowest step so far. */
export const LAT_SESSION_SIZE = LAT_STAGES * 8 + 136 + 16;
const TS_END = LAT_STAGES * 8;
export const LAT_EVENT_SIZE = LAT_SESSION_SIZE + 16 + 8 * 32;
export const LAT_FIFO_DEPTH = 64;
export const LAT_FIFO_SIZE = 16 + LAT_SESSION_SIZE * LAT_FIFO_DEPTH;

export const DIRECTIONS = ['rx', 'tx'] as const;
export type Dir = (typeof DIRECTIONS)[number];

export interface StageInfo {
  name: string;
  /** Hook names (as in hooks.ts) that stamp the stage; any one of them is enough. */
  hooks: string[];
  /** What the stage means, for --help and the stage list. */
  what: string;
}

/** Stage names by slot, per direction (bpf/system_network_latency.h), and the hooks that stamp each. */
export const STAGES: Record<Dir, StageInfo[]> = {
  rx: [
    { name: 'device', hooks: ['net:netif_receive_skb'], what: 'the device hands the packet to the stack' },
    { name: 'ip_rcv', hooks: ['ip_rcv', 'ipv6_rcv'], what: 'IP receive (function hook)' },
    { name: 'ip_local_deliver', hooks: ['ip_local_deliver', 'ip6_input'], what: 'routed to this host (function hook)' },
    { name: 'l4_rcv', hooks: ['tcp_v4_rcv', 'udp_rcv', 'tcp_v6_rcv', 'udpv6_rcv'], what: 'TCP/UDP receive (function hook)' },
    { name: 'socket_queue', hooks: ['sock:sk_data_ready'], what: 'queued to the socket' },
    { name: 'read', hooks: ['skb:skb_copy_datagram_iovec', 'sock:sock_recv_length'], what: 'read by the application (TCP: the copy; UDP: the recv call)' },
  ],
  tx: [
    { name: 'socket_send', hooks: ['tcp:tcp_sendmsg_locked', 'syscalls:sys_enter_send*'], what: 'the application sends (TCP: the data enters the socket; UDP: sendto/sendmsg/sendmmsg begins)' },
    { name: 'ip_xmit', hooks: ['__ip_queue_xmit', 'ip6_xmit', 'ip_send_skb', 'ip6_send_skb'], what: 'IP transmit (function hook)' },
    { name: 'ip_output', hooks: ['ip_output', 'ip6_output'], what: 'IP output, after netfilter LOCAL_OUT (function hook)' },
    { name: 'dev_queue', hooks: ['net:net_dev_queue'], what: 'dev_queue_xmit: handed to the device layer' },
    { name: 'qdisc_enqueue', hooks: ['qdisc:qdisc_enqueue'], what: 'queued in the root qdisc' },
    { name: 'qdisc_dequeue', hooks: ['qdisc:qdisc_dequeue'], what: 'taken off the qdisc' },
    { name: 'start_xmit', hooks: ['net:net_dev_start_xmit'], what: 'the driver starts sending' },
    { name: 'xmit', hooks: ['net:net_dev_xmit'], what: 'the driver accepted it' },
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
  /** Slot of the stage the stack was taken at: where the packet's slowest step ended. */
  stackStage: number;
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
  const o = TS_END;
  return {
    ts,
    flow: decodeFlow(s, o),
    tcpSeq: v.getUint32(o + 40, true),
    ipId: v.getUint16(o + 44, true),
    icmpId: v.getUint16(o + 46, true),
    icmpSeq: v.getUint16(o + 48, true),
    l4Payload: v.getUint16(o + 50, true),
    tcpFlags: s[o + 52]!,
    ifindex: v.getUint32(o + 56, true),
    netns: v.getUint32(o + 60, true),
    dev: cString(s.subarray(o + 64, o + 80)),
    first: { cpu: v.getUint32(o + 80, true), pid: v.getUint32(o + 84, true), comm: cString(s.subarray(o + 96, o + 112)) },
    last: { cpu: v.getUint32(o + 88, true), pid: v.getUint32(o + 92, true), comm: cString(s.subarray(o + 112, o + 128)) },
    len: v.getUint32(o + 128, true),
    dir: s[o + 132] === 1 ? 'tx' : 'rx',
  };
}

/** Offset of `tracked` in struct lat_session. */
const TRACKED = TS_END + 133;

export function decodeEvent(v: DataView): LatEvent {
  if (v.byteLength !== LAT_EVENT_SIZE) throw new Error(`latency event is ${v.byteLength} bytes, expected ${LAT_EVENT_SIZE}`);
  const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const stackLen = v.getInt32(LAT_SESSION_SIZE + 8, true);
  const stack: bigint[] = [];
  for (let i = 0; stackLen > 0 && i < Math.min(stackLen / 8, 32); i++) {
    const ip = v.getBigUint64(LAT_SESSION_SIZE + 16 + i * 8, true);
    if (ip === 0n) break;
    stack.push(ip);
  }
  return { session: decodeSession(b), skb: v.getBigUint64(LAT_SESSION_SIZE, true), stack, stackError: stackLen < 0 ? stackLen : 0, stackStage: v.getUint32(LAT_SESSION_SIZE + 12, true) };
}

/** A FIFO value's followed (tracked) entries still waiting to be read. */
export function fifoPending(b: Uint8Array): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const head = v.getUint32(0, true);
  const tail = v.getUint32(4, true);
  let n = 0;
  for (let i = head; i !== tail && n < LAT_FIFO_DEPTH; i = (i + 1) >>> 0) {
    const off = 16 + (i % LAT_FIFO_DEPTH) * LAT_SESSION_SIZE;
    if (b[off + TRACKED]) n++;
  }
  return n;
}

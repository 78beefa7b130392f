/**
 * The records of bpf/icmp_rtt.h, declared member by member in C order. Offsets follow from C's
 * rules; layout.test.ts checks every member against the built object's BTF.
 */
import { array, bytes, chars, formatAddress, struct } from '@netstrata/bpf-common';

/** Stage slots of each leg (bpf/icmp_rtt.h IR_SEND … IR_SOCKET), in path order. */
export const STAGE_NAMES = ['send', 'receive', 'ip_rcv', 'forward', 'ovs_upcall', 'ovs', 'icmp_rcv', 'dev_queue', 'start_xmit', 'xmit', 'socket'] as const;
export type StageName = (typeof STAGE_NAMES)[number];
export const IR_STAGES = STAGE_NAMES.length;
export const IR_SEND = 0;
export const IR_RECEIVE = 1;
export const IR_XMIT = 9;
export const IR_SOCKET = 10;
const COMM_LEN = 16;
/** The two legs (IR_REQUEST, IR_REPLY). */
export const LEGS = ['request', 'reply'] as const;
export type Leg = (typeof LEGS)[number];

/** Per-CPU counters (IR_STARTED …). */
export const COUNTERS = ['started', 'completed', 'late', 'replaced'] as const;
export type Counter = (typeof COUNTERS)[number];

const AF_INET = 2;

export const irKey = struct('ir_key', { requester: bytes(16), target: bytes(16), id: 'u16', seq: 'u16', family: 'u8', _pad: bytes(3) });
export const irArrival = struct('ir_arrival', { ts: array('u64', IR_STAGES), len: 'u32', _pad: 'u32' });
/** ts is `__u64 ts[2][IR_STAGES]` in C: the request's stages, then the reply's. */
export const irSession = struct('ir_session', { ts: bytes(2 * IR_STAGES * 8), len: 'u32', pid: 'u32', comm: chars(COMM_LEN), late: 'u32', _pad: 'u32' });
export const irEvent = struct('ir_event', { key: irKey, s: irSession, cpu: 'u32', _pad: 'u32' });
export const irXmit = struct('ir_xmit', { skb: 'u64', key: irKey, dir: 'u32', _pad: 'u32' });
export const irSend = struct('ir_send', { ts: 'u64', tid: 'u32', _pad: 'u32' });

/** Every struct the tool decodes, for the layout test. */
export const LAYOUTS = [irKey, irArrival, irSession, irEvent, irXmit, irSend];

/** A ping's identity, as the request has it. */
export interface PingId {
  family: 4 | 6;
  /** The request's source (the pinger) and destination (the target). */
  requester: string;
  target: string;
  id: number;
  seq: number;
}

export interface PingSession {
  /** Kernel times (ns) of each leg's stages, by slot; 0n: not passed. */
  request: bigint[];
  reply: bigint[];
  len: number;
  pid: number;
  comm: string;
  late: boolean;
}

export interface PingEvent {
  ping: PingId;
  session: PingSession;
  cpu: number;
}

export function decodeKey(k: Uint8Array | DataView): PingId {
  const d = irKey.decode(k);
  const family = d.family === AF_INET ? 4 : 6;
  return { family, requester: formatAddress(d.requester, family), target: formatAddress(d.target, family), id: d.id, seq: d.seq };
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function stamps(ts: Uint8Array, leg: number): bigint[] {
  const v = view(ts);
  return Array.from({ length: IR_STAGES }, (_, i) => v.getBigUint64((leg * IR_STAGES + i) * 8, true));
}

export function decodeSession(b: Uint8Array | DataView): PingSession {
  const s = irSession.decode(b);
  return toSession(s);
}

function toSession(s: ReturnType<typeof irSession.decode>): PingSession {
  return { request: stamps(s.ts, 0), reply: stamps(s.ts, 1), len: s.len, pid: s.pid, comm: s.comm, late: s.late !== 0 };
}

/** A ring record: exactly sizeof(struct ir_event), or the object and decoder disagree. */
export function decodeEvent(v: DataView): PingEvent {
  const e = irEvent.decode(v);
  const family = e.key.family === AF_INET ? 4 : 6;
  return {
    ping: { family, requester: formatAddress(e.key.requester, family), target: formatAddress(e.key.target, family), id: e.key.id, seq: e.key.seq },
    session: toSession(e.s),
    cpu: e.cpu,
  };
}

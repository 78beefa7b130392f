/**
 * The records of bpf/tun_ring.h, declared member by member in C order. Offsets follow from C's
 * rules; layout.test.ts checks every member against the built object's BTF.
 */
import { bytes, chars, flowFromRaw, nstFlow, nstHist, struct, type Flow } from '@netstrata/bpf-common';

const DEV_NAME_LEN = 16;
const COMM_LEN = 16;

export const tunKey = struct('tun_key', { ifindex: 'u32', netns: 'u32', queue: 'u32', _pad: 'u32' });
export const tunQueueStats = struct('tun_queue_stats', {
  dev: chars(DEV_NAME_LEN),
  ring_size: 'u32',
  reader_pid: 'u32',
  reader_comm: chars(COMM_LEN),
  xmits: 'u64',
  full: 'u64',
  no_queue: 'u64',
  reads: 'u64',
  occupancy: nstHist,
  dwell_ns: nstHist,
});
export const tunDropKey = struct('tun_drop_key', { ifindex: 'u32', netns: 'u32', queue: 'u32', reason: 'u32', dev: chars(DEV_NAME_LEN) });

export const tunReader = struct('tun_reader', { ts_ns: 'u64', pid: 'u32', tid: 'u32', comm: chars(COMM_LEN) });
export const tunEvent = struct('tun_event', {
  ts_ns: 'u64',
  location: 'u64',
  reader_ts_ns: 'u64',
  flow: nstFlow,
  kind: 'u32',
  reason: 'u32',
  ifindex: 'u32',
  netns: 'u32',
  queue: 'u32',
  numqueues: 'u32',
  ring_size: 'u32',
  producer: 'u32',
  consumer_head: 'u32',
  consumer_tail: 'u32',
  count: 'u32',
  len: 'u32',
  pid: 'u32',
  tid: 'u32',
  cpu: 'u32',
  reader_pid: 'u32',
  reader_tid: 'u32',
  full: 'u8',
  _pad: bytes(3),
  dev: chars(DEV_NAME_LEN),
  comm: chars(COMM_LEN),
  reader_comm: chars(COMM_LEN),
});

/** Every struct the tools decode, for the layout test. */
export const LAYOUTS = [nstHist, tunKey, tunQueueStats, tunDropKey, tunReader, tunEvent];

export interface QueueKey {
  ifindex: number;
  netns: number;
  queue: number;
}

export interface QueueVal {
  dev: string;
  ringSize: number;
  readerPid: number;
  readerComm: string;
  xmits: number;
  full: number;
  noQueue: number;
  reads: number;
  occupancy: bigint[];
  dwell: bigint[];
}

export interface QueueEntry {
  key: QueueKey;
  val: QueueVal;
}

export function decodeQueue(k: Uint8Array, v: Uint8Array): QueueEntry {
  const key = tunKey.decode(k);
  const val = tunQueueStats.decode(v);
  return {
    key: { ifindex: key.ifindex, netns: key.netns, queue: key.queue },
    val: {
      dev: val.dev,
      ringSize: val.ring_size,
      readerPid: val.reader_pid,
      readerComm: val.reader_comm,
      xmits: Number(val.xmits),
      full: Number(val.full),
      noQueue: Number(val.no_queue),
      reads: Number(val.reads),
      occupancy: val.occupancy.slots,
      dwell: val.dwell_ns.slots,
    },
  };
}

export interface DropEntry {
  key: QueueKey & { reason: number; dev: string };
  count: number;
}

export function decodeDrop(k: Uint8Array, v: Uint8Array): DropEntry {
  const key = tunDropKey.decode(k);
  return { key: { ifindex: key.ifindex, netns: key.netns, queue: key.queue, reason: key.reason, dev: key.dev }, count: Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true)) };
}

/** bpf/tun_ring.h TUN_EV_*. */
const EVENT_KINDS: Record<number, 'drop' | 'xmit'> = { 1: 'drop', 2: 'xmit' };

export interface TunEvent {
  tsNs: bigint;
  kind: 'drop' | 'xmit' | 'unknown';
  location: bigint;
  reason: number;
  dev: string;
  ifindex: number;
  netns: number;
  queue: number;
  numqueues: number;
  ring: { size: number; producer: number; consumerHead: number; consumerTail: number; count: number; full: boolean };
  flow: Flow | undefined;
  len: number;
  sender: { pid: number; tid: number; comm: string; cpu: number };
  /** The queue's last read; undefined when none was seen since the tool started. */
  reader: { pid: number; tid: number; comm: string; tsNs: bigint } | undefined;
}

export function decodeEvent(data: Uint8Array): TunEvent {
  const e = tunEvent.decode(data);
  return {
    tsNs: e.ts_ns,
    kind: EVENT_KINDS[e.kind] ?? 'unknown',
    location: e.location,
    reason: e.reason,
    dev: e.dev,
    ifindex: e.ifindex,
    netns: e.netns,
    queue: e.queue,
    numqueues: e.numqueues,
    ring: { size: e.ring_size, producer: e.producer, consumerHead: e.consumer_head, consumerTail: e.consumer_tail, count: e.count, full: e.full !== 0 },
    flow: flowFromRaw(e.flow),
    len: e.len,
    sender: { pid: e.pid, tid: e.tid, comm: e.comm, cpu: e.cpu },
    reader: e.reader_ts_ns ? { pid: e.reader_pid, tid: e.reader_tid, comm: e.reader_comm, tsNs: e.reader_ts_ns } : undefined,
  };
}

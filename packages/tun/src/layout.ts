/**
 * The records of bpf/tun_ring.h, declared member by member in C order. Offsets follow from C's
 * rules; layout.test.ts checks every member against the built object's BTF.
 */
import { chars, nstHist, struct } from '@netstrata/bpf-common';

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

/** Every struct the tools decode, for the layout test. */
export const LAYOUTS = [nstHist, tunKey, tunQueueStats, tunDropKey];

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

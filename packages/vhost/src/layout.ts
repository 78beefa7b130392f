/**
 * The records of bpf/vhost_signal.h, declared member by member in C order. Offsets follow from C's
 * rules; layout.test.ts checks every member against the built object's BTF.
 */
import { chars, nstHist, struct } from '@netstrata/bpf-common';

const COMM_LEN = 16;

export const vhostKey = struct('vhost_key', { dev: 'u64', vq: 'u32', _pad: 'u32' });
export const vhostVqStats = struct('vhost_vq_stats', {
  worker_tid: 'u32',
  worker_pid: 'u32',
  worker_comm: chars(COMM_LEN),
  ring_size: 'u32',
  _pad: 'u32',
  kicks: 'u64',
  runs: 'u64',
  used: 'u64',
  checks: 'u64',
  signals: 'u64',
  empty: 'u64',
  used_per_run: nstHist,
});
export const vhostWorkerStats = struct('vhost_worker_stats', { comm: chars(COMM_LEN), pid: 'u32', _pad: 'u32', waits: 'u64', wait_ns: nstHist });

/** Every struct the tools decode, for the layout test. */
export const LAYOUTS = [nstHist, vhostKey, vhostVqStats, vhostWorkerStats];

export interface VqVal {
  workerTid: number;
  workerPid: number;
  workerComm: string;
  ringSize: number;
  kicks: number;
  runs: number;
  used: number;
  checks: number;
  signals: number;
  empty: number;
  usedPerRun: bigint[];
}

export interface VqEntry {
  /** The device's identity (a kernel address: compared, never shown) and the queue's index. */
  key: { dev: bigint; vq: number };
  val: VqVal;
}

export function decodeVq(k: Uint8Array, v: Uint8Array): VqEntry {
  const key = vhostKey.decode(k);
  const val = vhostVqStats.decode(v);
  return {
    key: { dev: key.dev, vq: key.vq },
    val: {
      workerTid: val.worker_tid,
      workerPid: val.worker_pid,
      workerComm: val.worker_comm,
      ringSize: val.ring_size,
      kicks: Number(val.kicks),
      runs: Number(val.runs),
      used: Number(val.used),
      checks: Number(val.checks),
      signals: Number(val.signals),
      empty: Number(val.empty),
      usedPerRun: val.used_per_run.slots,
    },
  };
}

export interface WorkerEntry {
  key: { tid: number };
  val: { comm: string; pid: number; waits: number; wait: bigint[] };
}

export function decodeWorker(k: Uint8Array, v: Uint8Array): WorkerEntry {
  const val = vhostWorkerStats.decode(v);
  return { key: { tid: new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true) }, val: { comm: val.comm, pid: val.pid, waits: Number(val.waits), wait: val.wait_ns.slots } };
}

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

export const vhostEvent = struct('vhost_event', {
  ts_ns: 'u64',
  dev: 'u64',
  vq: 'u32',
  kind: 'u32',
  tid: 'u32',
  pid: 'u32',
  comm: chars(COMM_LEN),
  num: 'u32',
  last_avail_idx: 'u16',
  avail_idx: 'u16',
  last_used_idx: 'u16',
  signalled_used: 'u16',
  used_flags: 'u16',
  _pad: 'u16',
  since_signal_ns: 'u64',
  suppressed: 'u64',
});

/** Every struct the tools decode, for the layout test. */
export const LAYOUTS = [nstHist, vhostKey, vhostVqStats, vhostWorkerStats, vhostEvent];

/** bpf/vhost_signal.h VHOST_EV_*. */
export const EVENT_KINDS: Record<number, 'rx_empty' | 'suppressed' | 'tx_full'> = { 1: 'rx_empty', 2: 'suppressed', 3: 'tx_full' };

export interface VhostEvent {
  tsNs: bigint;
  dev: bigint;
  vq: number;
  kind: 'rx_empty' | 'suppressed' | 'tx_full' | 'unknown';
  tid: number;
  pid: number;
  comm: string;
  num: number;
  lastAvailIdx: number;
  availIdx: number;
  lastUsedIdx: number;
  signalledUsed: number;
  usedFlags: number;
  sinceSignalNs: number;
  suppressed: number;
}

export function decodeEvent(data: Uint8Array): VhostEvent {
  const e = vhostEvent.decode(data);
  return {
    tsNs: e.ts_ns,
    dev: e.dev,
    vq: e.vq,
    kind: EVENT_KINDS[e.kind] ?? 'unknown',
    tid: e.tid,
    pid: e.pid,
    comm: e.comm,
    num: e.num,
    lastAvailIdx: e.last_avail_idx,
    availIdx: e.avail_idx,
    lastUsedIdx: e.last_used_idx,
    signalledUsed: e.signalled_used,
    usedFlags: e.used_flags,
    sinceSignalNs: Number(e.since_signal_ns),
    suppressed: Number(e.suppressed),
  };
}

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

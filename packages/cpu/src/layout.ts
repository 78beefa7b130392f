/**
 * The records of bpf/cpu.h, declared member by member in C order. Offsets follow from C's rules;
 * layout.test.ts checks every member against the built objects' BTF.
 */
import { chars, nstHist, struct } from '@netstrata/bpf-common';

/** --cpu bitmap words (CPU_MASK_WORDS): CPUs up to CPU_MAX can be chosen. */
export const CPU_MASK_WORDS = 16;
export const CPU_MAX = CPU_MASK_WORDS * 64;
/** softirq_latency_summary's histogram index: vec * SQ_KINDS + kind. */
export const SQ_VECS = 16;
export const SQ_KINDS = 2;
export const SQ_LATENCY = 0;
export const SQ_RUNTIME = 1;
const COMM_LEN = 16;

/** STATE_* of bpf/cpu.h, as /proc shows them. */
export const STATE_LETTERS = ['R', 'S', 'D', 'I', 'T', 'P', '?'] as const;
/** LOCK_* of bpf/cpu.h. */
export const LOCK_KINDS = ['mutex', 'rwlock_wr', 'rwlock_rd', 'futex'] as const;

/** bpf-common's histogram (netstrata/hist_types.h), embedded in the structs below. */
export { nstHist };

export const schedKey = struct('sched_key', { pid: 'u32', tid: 'u32', cpu: 'u32', _pad: 'u32' });
export const schedVal = struct('sched_val', { comm: chars(COMM_LEN), wakeups: 'u64', preempted: 'u64', hist: nstHist });

export const offcpuKey = struct('offcpu_key', {
  pid: 'u32',
  tid: 'u32',
  kstack: 's32',
  ustack: 's32',
  state: 'u32',
  _pad: 'u32',
  comm: chars(COMM_LEN),
});
export const offcpuVal = struct('offcpu_val', { total_ns: 'u64', count: 'u64' });
export const offcpuStart = struct('offcpu_start', { ts: 'u64', kstack: 's32', ustack: 's32', state: 'u32', tgid: 'u32', comm: chars(COMM_LEN) });

export const lockKey = struct('lock_key', { pid: 'u32', tid: 'u32', lock: 'u64', kind: 'u32', ustack: 's32', caller: 'u64' });
export const lockVal = struct('lock_val', { count: 'u64', total_ns: 'u64', max_ns: 'u64', uncontended: 'u64', hist: nstHist });

/** Every struct the tools decode, for the layout test. */
export const LAYOUTS = [nstHist, schedKey, schedVal, offcpuKey, offcpuVal, offcpuStart, lockKey, lockVal];

/** --cpu as the rodata bitmap (targ_cpus). */
export function cpuMask(cpus: readonly number[]): bigint[] {
  const words = new Array<bigint>(CPU_MASK_WORDS).fill(0n);
  for (const c of cpus) words[Math.floor(c / 64)]! |= 1n << BigInt(c % 64);
  return words;
}

/** The bitmap's bytes: rodata is in the kernel's (the host's) byte order. */
export const encodeCpuMask = (cpus: readonly number[]): Uint8Array => new Uint8Array(new BigUint64Array(cpuMask(cpus)).buffer);

export interface SchedKey {
  pid: number;
  tid: number;
  cpu: number;
}

export interface SchedVal {
  comm: string;
  wakeups: number;
  preempted: number;
  slots: bigint[];
}

export interface SchedEntry {
  key: SchedKey;
  val: SchedVal;
}

export function decodeSched(k: Uint8Array, v: Uint8Array): SchedEntry {
  const key = schedKey.decode(k);
  const val = schedVal.decode(v);
  return {
    key: { pid: key.pid, tid: key.tid, cpu: key.cpu },
    val: { comm: val.comm, wakeups: Number(val.wakeups), preempted: Number(val.preempted), slots: val.hist.slots },
  };
}

export interface OffcpuKey {
  pid: number;
  tid: number;
  kstack: number;
  ustack: number;
  state: string;
  comm: string;
}

export interface OffcpuEntry {
  key: OffcpuKey;
  totalNs: number;
  count: number;
}

export function decodeOffcpu(k: Uint8Array, v: Uint8Array): OffcpuEntry {
  const key = offcpuKey.decode(k);
  const val = offcpuVal.decode(v);
  return {
    key: { pid: key.pid, tid: key.tid, kstack: key.kstack, ustack: key.ustack, state: STATE_LETTERS[key.state] ?? '?', comm: key.comm },
    totalNs: Number(val.total_ns),
    count: Number(val.count),
  };
}

export interface LockKey {
  pid: number;
  tid: number;
  lock: bigint;
  kind: (typeof LOCK_KINDS)[number] | 'unknown';
  ustack: number;
  caller: bigint;
}

/** A row of the `waits` map: `count`, `totalNs`, `maxNs` and `slots` are of the waits; `uncontended`
 * counts the pthread calls that took the lock without blocking. */
export interface LockEntry {
  key: LockKey;
  count: number;
  totalNs: number;
  maxNs: number;
  uncontended: number;
  slots: bigint[];
}

export function decodeLockVal(v: Uint8Array): Omit<LockEntry, 'key'> {
  const d = lockVal.decode(v);
  return { count: Number(d.count), totalNs: Number(d.total_ns), maxNs: Number(d.max_ns), uncontended: Number(d.uncontended), slots: d.hist.slots };
}

export function decodeLock(k: Uint8Array, v: Uint8Array): LockEntry {
  const key = lockKey.decode(k);
  return {
    key: { pid: key.pid, tid: key.tid, lock: key.lock, kind: LOCK_KINDS[key.kind] ?? 'unknown', ustack: key.ustack, caller: key.caller },
    ...decodeLockVal(v),
  };
}

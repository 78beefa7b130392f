/** Decoders mirroring bpf/cpu.h (sizes checked by _Static_assert there and by the program tests). */
import { cString, decodeSlots } from '@netstrata/bpf-common';

export const CPU_MASK_WORDS = 16;
export const CPU_MAX = CPU_MASK_WORDS * 64;
export const SQ_VECS = 16;
export const SQ_KINDS = 2;
export const SQ_LATENCY = 0;
export const SQ_RUNTIME = 1;

export const SCHED_KEY_SIZE = 16;
export const SCHED_VAL_SIZE = 32 + 65 * 8;

/** --cpu as the rodata bitmap (targ_cpus). */
export function cpuMask(cpus: readonly number[]): bigint[] {
  const words = new Array<bigint>(CPU_MASK_WORDS).fill(0n);
  for (const c of cpus) words[Math.floor(c / 64)]! |= 1n << BigInt(c % 64);
  return words;
}

export function encodeCpuMask(cpus: readonly number[]): Uint8Array {
  const b = new Uint8Array(CPU_MASK_WORDS * 8);
  const v = new DataView(b.buffer);
  cpuMask(cpus).forEach((w, i) => v.setBigUint64(i * 8, w, true));
  return b;
}

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


export function decodeSchedKey(b: Uint8Array): SchedKey {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { pid: v.getUint32(0, true), tid: v.getUint32(4, true), cpu: v.getUint32(8, true) };
}

export function decodeSchedVal(b: Uint8Array): SchedVal {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const name = b.subarray(0, 16);
  return {
    comm: cString(name),
    wakeups: Number(v.getBigUint64(16, true)),
    preempted: Number(v.getBigUint64(24, true)),
    slots: decodeSlots([b.subarray(32)]),
  };
}

export const OFFCPU_KEY_SIZE = 40;
export const OFFCPU_VAL_SIZE = 16;
export const OFFCPU_STACK_DEPTH = 64;
/** STATE_* of bpf/cpu.h, as /proc shows them. */
export const STATE_LETTERS = ['R', 'S', 'D', 'I', 'T', 'P', '?'] as const;

export interface OffcpuKey {
  pid: number;
  tid: number;
  kstack: number;
  ustack: number;
  state: string;
  comm: string;
}

export function decodeOffcpuKey(b: Uint8Array): OffcpuKey {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const name = b.subarray(24, 40);
  return {
    pid: v.getUint32(0, true),
    tid: v.getUint32(4, true),
    kstack: v.getInt32(8, true),
    ustack: v.getInt32(12, true),
    state: STATE_LETTERS[v.getUint32(16, true)] ?? '?',
    comm: cString(name),
  };
}

export function decodeOffcpuVal(b: Uint8Array): { totalNs: number; count: number } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { totalNs: Number(v.getBigUint64(0, true)), count: Number(v.getBigUint64(8, true)) };
}

/** A stack map value: addresses until the first 0. */
export function decodeStack(b: Uint8Array): bigint[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: bigint[] = [];
  for (let i = 0; i + 8 <= b.byteLength; i += 8) {
    const ip = v.getBigUint64(i, true);
    if (ip === 0n) break;
    out.push(ip);
  }
  return out;
}

export const LOCK_KEY_SIZE = 32;
export const LOCK_VAL_SIZE = 32 + 65 * 8;
/** LOCK_* of bpf/cpu.h. */
export const LOCK_KINDS = ['mutex', 'rwlock_wr', 'rwlock_rd', 'futex'] as const;

export interface LockKey {
  pid: number;
  tid: number;
  lock: bigint;
  kind: (typeof LOCK_KINDS)[number] | 'unknown';
  ustack: number;
  caller: bigint;
}

export function decodeLockKey(b: Uint8Array): LockKey {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { pid: v.getUint32(0, true), tid: v.getUint32(4, true), lock: v.getBigUint64(8, true), kind: LOCK_KINDS[v.getUint32(16, true)] ?? 'unknown', ustack: v.getInt32(20, true), caller: v.getBigUint64(24, true) };
}

/** struct lock_val: `count`, `totalNs`, `maxNs` and `slots` are of the waits; `uncontended` counts the
 * pthread calls that took the lock without blocking. */
export function decodeLockVal(b: Uint8Array): { count: number; totalNs: number; maxNs: number; uncontended: number; slots: bigint[] } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { count: Number(v.getBigUint64(0, true)), totalNs: Number(v.getBigUint64(8, true)), maxNs: Number(v.getBigUint64(16, true)), uncontended: Number(v.getBigUint64(24, true)), slots: decodeSlots([b.subarray(32)]) };
}

/**
 * Softirq vectors by number and name, from the running kernel's BTF (the anonymous enum that ends
 * with NR_SOFTIRQS): HI, TIMER, NET_TX, NET_RX, ... Never a table in our code.
 */
import type { Btf } from '@netstrata/libbpf-ts';

export interface SoftirqVector {
  vec: number;
  /** Without the _SOFTIRQ suffix: NET_RX, TIMER, ... */
  name: string;
}

export function softirqVectors(btf: Btf): SoftirqVector[] {
  const members = btf.enumContaining('NR_SOFTIRQS');
  if (!members) throw new Error("this kernel's BTF has no NR_SOFTIRQS: cannot name the softirq vectors");
  return members.filter((m) => m.name !== 'NR_SOFTIRQS').map((m) => ({ vec: m.value, name: m.name.replace(/_SOFTIRQ$/, '') }));
}

/** Vectors by name (case-insensitive, with or without _SOFTIRQ); unknown names are returned apart. */
export function pickVectors(all: readonly SoftirqVector[], names: readonly string[]): { picked: SoftirqVector[]; unknown: string[] } {
  const picked: SoftirqVector[] = [];
  const unknown: string[] = [];
  for (const raw of names) {
    const n = raw.trim().toUpperCase().replace(/_SOFTIRQ$/, '');
    const v = all.find((x) => x.name === n);
    if (v) picked.push(v);
    else unknown.push(raw);
  }
  return { picked, unknown };
}

export function vectorMask(vectors: readonly SoftirqVector[]): number {
  return vectors.reduce((m, v) => (m | (1 << v.vec)) >>> 0, 0);
}

/** hist.h on the running kernel against its TypeScript mirror: the same slot for every value. */
import { readlinkSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '@netstrata/libbpf-ts';
import histCheck from '../../build/bpf/hist_check.bpf.o';
import { array, struct } from '../layout/struct.ts';
import { layoutMismatches } from '../layout/check.ts';
import { requireRoot } from '../testing/root.ts';
import { nstHist } from './layout.ts';
import { slotBounds, slotOf, SLOTS } from './loglinear.ts';

const VALUES = 128;
const check = struct('hist_check', { tid: 'u32', n: 'u32', values: array('u64', VALUES), slots: array('u32', VALUES), hist: nstHist });

/** This thread's id: the program takes the values at its next system call. */
const tid = () => Number(readlinkSync('/proc/thread-self').split('/').at(-1));

/** Slots and histogram the kernel computes for `values`, VALUES at a time. */
function kernelSlots(obj: BpfObject, all: bigint[]): { slots: number[]; hist: bigint[] } {
  const slots: number[] = [];
  const hist = new Array<bigint>(SLOTS).fill(0n);
  for (let i = 0; i < all.length; i += VALUES) {
    const got = kernelChunk(obj, all.slice(i, i + VALUES));
    slots.push(...got.slots);
    got.hist.forEach((c, k) => (hist[k]! += c));
  }
  return { slots, hist };
}

function kernelChunk(obj: BpfObject, values: bigint[]): { slots: number[]; hist: bigint[] } {
  const map = obj.map('check');
  const key = new Uint8Array(4);
  const padded = [...values, ...new Array<bigint>(VALUES - values.length).fill(0n)];
  map.update(key, check.encode({ tid: tid(), n: values.length, values: padded, slots: new Array<number>(VALUES).fill(0), hist: { slots: new Array<bigint>(SLOTS).fill(0n) } }));
  statSync('/');
  const out = check.decode(map.lookup(key)!);
  expect(out.n, 'the program took the values').toBe(0);
  return { slots: out.slots.slice(0, values.length).map(Number), hist: out.hist.slots };
}

describe.runIf(requireRoot('histogram kernel test'))('hist.h in the kernel', () => {
  it('declares struct hist_check as the object has it', () => {
    using obj = BpfObject.open(histCheck, 'hist_check');
    expect(layoutMismatches(check, obj.btf())).toEqual([]);
  });

  it('computes the slot TypeScript computes, at both edges of every bucket and between', () => {
    using obj = BpfObject.open(histCheck, 'hist_check');
    obj.load();
    using _link = obj.program('hist_check_run').attach();
    const edges: bigint[] = [];
    for (let k = 0; k < SLOTS; k++) {
      const { low, high } = slotBounds(k);
      edges.push(BigInt(low), BigInt(high) - 1n);
    }
    // Between the edges: values with every bit pattern under the leading one.
    let x = 0x9e3779b97f4a7c15n;
    const mixed: bigint[] = [];
    for (let i = 0; i < 1024; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
      mixed.push(x >> BigInt(i % 64));
    }
    for (const values of [edges, mixed]) {
      const got = kernelSlots(obj, values);
      expect(got.slots).toEqual(values.map((v) => slotOf(v)));
      const want = new Array<bigint>(SLOTS).fill(0n);
      for (const v of values) want[slotOf(v)]! += 1n;
      expect(got.hist).toEqual(want);
    }
    expect(kernelSlots(obj, edges).slots).toEqual(Array.from({ length: 2 * SLOTS }, (_, i) => i >> 1));
  });
});

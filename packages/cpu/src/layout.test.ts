/** The structs the cpu decoders declare, member by member against the built objects. */
import { describe, expect, it } from 'vitest';
import { SLOTS } from '@netstrata/bpf-common';
import { describeLayouts } from '@netstrata/bpf-common/testing';
import softirq from '../build/bpf/softirq_latency_summary.bpf.o';
import sched from '../build/bpf/sched_latency_summary.bpf.o';
import offcpu from '../build/bpf/offcpu_summary.bpf.o';
import lock from '../build/bpf/lock_wait_summary.bpf.o';
import { LAYOUTS, cpuMask, decodeLockVal, lockVal } from './layout.ts';

describeLayouts('cpu', { softirq_latency_summary: softirq, sched_latency_summary: sched, offcpu_summary: offcpu, lock_wait_summary: lock }, LAYOUTS);

describe('decoders', () => {
  it('a CPU mask of 64-bit words', () => {
    const m = cpuMask([0, 63, 64, 130]);
    expect(m[0]).toBe((1n << 63n) | 1n);
    expect(m[1]).toBe(1n);
    expect(m[2]).toBe(4n);
  });

  it('struct lock_val: the waits, then the uncontended count, then the histogram', () => {
    const slots = new Array<bigint>(SLOTS).fill(0n);
    slots[25] = 50n;
    const b = lockVal.encode({ count: 50n, total_ns: 1_000_000_000n, max_ns: 21_000_000n, uncontended: 7n, hist: { slots } });
    const d = decodeLockVal(b);
    expect([d.count, d.totalNs, d.maxNs, d.uncontended]).toEqual([50, 1e9, 21e6, 7]);
    expect(d.slots).toHaveLength(SLOTS);
    expect(d.slots[25]).toBe(50n);
  });
});

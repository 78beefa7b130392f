import { describe, expect, it } from 'vitest';
import { SLOTS, slotOf } from '@netstrata/bpf-common';
import { histDeltas, renderSoftirqText, vectorRows, type HistCell } from './report.ts';

/** Slot counts from {value in ns: samples}. */
const slots = (at: Record<number, number>) => {
  const s = new Array<bigint>(SLOTS).fill(0n);
  for (const [v, n] of Object.entries(at)) s[slotOf(Number(v))]! += BigInt(n);
  return s;
};
const byIndex = (m: Map<number, bigint[][]>) => [...m].map(([index, cpus]): [string, HistCell] => [String(index), { index, cpus }]);
const NO_LOSSES = { lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0 };

describe('softirq report', () => {
  const vectors = [{ vec: 1, name: 'TIMER' }, { vec: 3, name: 'NET_RX' }];

  it('per vector and CPU, busiest first; an interval is the difference from the previous read', () => {
    // index vec * 2 + kind (0 wait, 1 run), one slot array per CPU
    const first = new Map([
      [3 * 2 + 0, [slots({ 600: 2 }), slots({ 3000: 1 })]],
      [3 * 2 + 1, [slots({ 3000: 2 }), slots({ 5000: 1 })]],
      [1 * 2 + 1, [slots({ 1500: 1 }), slots({})]],
    ]);
    const deltas = histDeltas();
    const rows = vectorRows(deltas.update(byIndex(first)).interval, vectors);
    expect(rows.map((r) => r.vector)).toEqual(['NET_RX', 'TIMER']);
    expect(rows[0]!.runtime.count).toBe(3);
    expect(rows[0]!.cpus).toEqual([
      { cpu: 0, latency: { count: 2, p50: { low: 576, high: 640 }, p99: { low: 576, high: 640 } }, runtime: { count: 2, p50: { low: 2816, high: 3072 }, p99: { low: 2816, high: 3072 } } },
      { cpu: 1, latency: { count: 1, p50: { low: 2816, high: 3072 }, p99: { low: 2816, high: 3072 } }, runtime: { count: 1, p50: { low: 4608, high: 5120 }, p99: { low: 4608, high: 5120 } } },
    ]);
    const second = new Map([...first, [3 * 2 + 1, [slots({ 3000: 5 }), slots({ 5000: 1 })]]]);
    const interval = vectorRows(deltas.update(byIndex(second)).interval, vectors);
    expect(interval.map((r) => [r.vector, r.runtime.count])).toEqual([['NET_RX', 3]]);
    const text = renderSoftirqText({ type: 'interval', tool: 'softirq_latency_summary', time: new Date(0).toISOString(), interval_s: 1, vectors: rows, ...NO_LOSSES }, 10);
    expect(text).toMatch(/NET_RX\s+all\s+3\s+\[576 ns, 640 ns\)/);
    expect(text).toMatch(/512 ns -> 1024 ns\s+:\s+2 \|/); // rows are powers of two
    expect(text).toMatch(/NET_RX: raised -> running \(wait\)/);
  });
});

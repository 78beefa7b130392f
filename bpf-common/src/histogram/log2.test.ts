import { describe, expect, it } from 'vitest';
import { decodeSlots, diffSlots, formatValue, renderHistogram, slotBounds, slotOf, SLOTS, toHistogram } from './log2.ts';

function slots(entries: Record<number, number>): bigint[] {
  const s = new Array<bigint>(SLOTS).fill(0n);
  for (const [k, v] of Object.entries(entries)) s[Number(k)] = BigInt(v);
  return s;
}

describe('log2 histogram', () => {
  it('puts each value in the slot whose [start, end) holds it, over the full u64 range', () => {
    for (const v of [0n, 1n, 2n, 3n, 4n, 1023n, 1024n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n]) {
      const k = slotOf(v);
      const b = slotBounds(k);
      expect(BigInt(b.low) <= v).toBe(true);
      expect(v < BigInt(b.high)).toBe(true);
    }
    expect(slotOf(0)).toBe(0);
    expect(slotOf(1)).toBe(1);
    expect(slotOf((1n << 64n) - 1n)).toBe(64);
  });

  it('decodes and sums per-CPU copies', () => {
    const cpu = (k: number, n: number) => {
      const b = new Uint8Array(SLOTS * 8);
      new DataView(b.buffer).setBigUint64(k * 8, BigInt(n), true);
      return b;
    };
    const s = decodeSlots([cpu(3, 2), cpu(3, 5), cpu(64, 1)]);
    expect(s[3]).toBe(7n);
    expect(s[64]).toBe(1n);
  });

  it('gives percentiles as the bounds of the bucket their rank falls in', () => {
    // 90 samples in [64,128), 9 in [1024,2048), 1 in [65536,131072)
    const h = toHistogram(slots({ 7: 90, 11: 9, 17: 1 }), 'us');
    expect(h.count).toBe(100);
    expect(h.percentiles!.p50).toEqual({ low: 64, high: 128 });
    expect(h.percentiles!.p90).toEqual({ low: 64, high: 128 });
    expect(h.percentiles!.p99).toEqual({ low: 1024, high: 2048 });
    expect(h.percentiles!.p999).toEqual({ low: 65536, high: 131072 });
    expect(h.buckets[0]).toEqual({ start: 64, end: 128, count: 90 });
    expect(h.buckets.at(-1)).toEqual({ start: 65536, end: 131072, count: 1 });
    expect(h.buckets).toHaveLength(11);
  });

  it('handles empty histograms and the top slot', () => {
    expect(toHistogram(slots({}), 'ns')).toEqual({ unit: 'ns', count: 0, buckets: [], percentiles: null });
    const top = toHistogram(slots({ 64: 1 }), 'ns');
    expect(top.buckets).toEqual([{ start: 2 ** 63, end: 2 ** 64, count: 1 }]);
  });

  it('diffs cumulative snapshots into intervals', () => {
    expect(diffSlots(slots({ 2: 5, 3: 1 }), slots({ 2: 3 })).slice(0, 4)).toEqual([0n, 0n, 2n, 1n]);
  });

  it('renders labels that match the data', () => {
    const text = renderHistogram(toHistogram(slots({ 0: 1, 1: 2, 11: 4 }), 'us'), { width: 8 });
    expect(text).toContain('0 us -> 1 us');
    expect(text).toContain('1 us -> 2 us');
    expect(text).toMatch(/1024 us -> 2048 us\s+:\s+4 /);
    expect(text).toMatch(/\|\*{8}\|/);
    expect(text).toContain('p50 [1024 us, 2048 us)');
    expect(formatValue(2 ** 20, 'us')).toBe('1049 ms');
    expect(formatValue(512, 'us')).toBe('512 us');
    expect(formatValue(1_000_000, 'ns')).toBe('1000 us');
    expect(formatValue(10_000_000, 'ns')).toBe('10 ms');
  });
});

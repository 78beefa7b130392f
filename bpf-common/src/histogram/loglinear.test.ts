import { describe, expect, it } from 'vitest';
import { decodeSlots, diffSlots, formatValue, mergeSlots, octaveOf, octaves, RELATIVE_ERROR, renderHistogram, slotBounds, slotOf, SLOTS, toHistogram } from './loglinear.ts';

function slots(entries: Record<number, number>): bigint[] {
  const s = new Array<bigint>(SLOTS).fill(0n);
  for (const [k, v] of Object.entries(entries)) s[Number(k)] = BigInt(v);
  return s;
}

/** Deterministic samples (xorshift), so a failure is reproducible. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('log-linear histogram slots', () => {
  it('has 496 slots, 8 per power of two, the values 0..15 one each, the last ending at 2^64', () => {
    expect(SLOTS).toBe(496);
    expect(RELATIVE_ERROR).toBe(0.125);
    for (let v = 0; v < 16; v++) {
      expect(slotOf(v)).toBe(v);
      expect(slotBounds(v)).toEqual({ low: v, high: v + 1 });
    }
    expect(slotBounds(16)).toEqual({ low: 16, high: 18 });
    expect(slotBounds(23)).toEqual({ low: 30, high: 32 });
    expect(slotBounds(24)).toEqual({ low: 32, high: 36 });
    expect(slotBounds(SLOTS - 1)).toEqual({ low: 15 * 2 ** 60, high: 2 ** 64 });
    expect(slotOf((1n << 64n) - 1n)).toBe(SLOTS - 1);
  });

  it('puts both edges of every bucket in that bucket and the next value in the next one; buckets tile [0, 2^64)', () => {
    for (let k = 0; k < SLOTS; k++) {
      const { low, high } = slotBounds(k);
      const lo = BigInt(low);
      const hi = BigInt(high);
      expect(slotOf(lo), `start of slot ${k}`).toBe(k);
      expect(slotOf(hi - 1n), `last value of slot ${k}`).toBe(k);
      if (k + 1 < SLOTS) {
        expect(slotBounds(k + 1).low).toBe(high);
        expect(slotOf(hi), `end of slot ${k}`).toBe(k + 1);
      } else expect(hi).toBe(1n << 64n);
      // Never wider than 1/8 of its start, unless it holds a single integer.
      if (hi - lo > 1n) expect(hi * 8n <= lo * 9n, `width of slot ${k}`).toBe(true);
    }
  });

  it('takes numbers as the kernel takes integers: floored, clamped to u64', () => {
    expect(slotOf(17.9)).toBe(slotOf(17));
    expect(slotOf(-3)).toBe(0);
    expect(slotOf(2 ** 70)).toBe(SLOTS - 1);
    expect([octaveOf(0), octaveOf(1), octaveOf(3), octaveOf(1024), octaveOf((1n << 64n) - 1n)]).toEqual([0, 1, 2, 11, 64]);
  });

  it('decodes and sums per-CPU copies', () => {
    const cpu = (k: number, n: number) => {
      const b = new Uint8Array(SLOTS * 8);
      new DataView(b.buffer).setBigUint64(k * 8, BigInt(n), true);
      return b;
    };
    const s = decodeSlots([cpu(3, 2), cpu(3, 5), cpu(SLOTS - 1, 1)]);
    expect(s).toHaveLength(SLOTS);
    expect(s[3]).toBe(7n);
    expect(s[SLOTS - 1]).toBe(1n);
    expect(() => decodeSlots([new Uint8Array(65 * 8)])).toThrow(/520 bytes, expected 3968/);
  });

  it('diffs cumulative snapshots into intervals and merges them', () => {
    expect(diffSlots(slots({ 2: 5, 3: 1 }), slots({ 2: 3 })).slice(0, 4)).toEqual([0n, 0n, 2n, 1n]);
    expect(mergeSlots(slots({ 2: 5 }), slots({ 2: 1, 300: 2 })).filter((c) => c > 0n)).toEqual([6n, 2n]);
  });
});

describe('percentiles', () => {
  it('are the bounds of the bucket their rank falls in', () => {
    // 90 samples at 100 (slot [96, 104)), 9 at 1500 ([1408, 1536)), 1 at 100000 ([98304, 106496))
    const s = slots({ [slotOf(100)]: 90, [slotOf(1500)]: 9, [slotOf(100_000)]: 1 });
    const h = toHistogram(s, 'us');
    expect(h.count).toBe(100);
    expect(h.relative_error).toBe(0.125);
    expect(h.percentiles!.p50).toEqual({ low: 96, high: 104 });
    expect(h.percentiles!.p90).toEqual({ low: 96, high: 104 });
    expect(h.percentiles!.p99).toEqual({ low: 1408, high: 1536 });
    expect(h.percentiles!.p999).toEqual({ low: 98304, high: 106496 });
    expect(h.buckets).toEqual([
      { start: 96, end: 104, count: 90 },
      { start: 1408, end: 1536, count: 9 },
      { start: 98304, end: 106496, count: 1 },
    ]);
  });

  it('hold the true percentile within 12.5 % on synthetic distributions', () => {
    const r = rng(42);
    const dists: Record<string, () => number> = {
      uniform: () => Math.floor(r() * 1_000_000),
      exponential: () => Math.floor(-Math.log(1 - r()) * 5000),
      lognormal: () => Math.floor(Math.exp(8 + 2 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()))),
      bimodal: () => (r() < 0.9 ? 20 + Math.floor(r() * 5) : 20_000_000 + Math.floor(r() * 1_000_000)),
      small: () => Math.floor(r() * 12),
    };
    for (const [name, draw] of Object.entries(dists)) {
      const samples = Array.from({ length: 20_000 }, draw).sort((a, b) => a - b);
      const s = new Array<bigint>(SLOTS).fill(0n);
      for (const v of samples) s[slotOf(v)]! += 1n;
      const h = toHistogram(s, 'ns');
      for (const [q, key] of [[0.5, 'p50'], [0.9, 'p90'], [0.99, 'p99'], [0.999, 'p999']] as const) {
        const truth = samples[Math.ceil(q * samples.length) - 1]!;
        const { low, high } = h.percentiles![key];
        expect(truth >= low && truth < high, `${name} ${key}: ${truth} in [${low}, ${high})`).toBe(true);
        // Any value in the bounds is within 12.5 % of the truth (exact below 16).
        if (truth < 16) expect([low, high]).toEqual([truth, truth + 1]);
        else {
          expect(Math.abs(low - truth) / truth).toBeLessThanOrEqual(RELATIVE_ERROR);
          expect(Math.abs(high - truth) / truth).toBeLessThanOrEqual(RELATIVE_ERROR);
        }
      }
    }
  });

  it('are null for an empty histogram; the top slot ends at 2^64', () => {
    expect(toHistogram(slots({}), 'ns')).toEqual({ unit: 'ns', count: 0, relative_error: 0.125, buckets: [], percentiles: null });
    const top = toHistogram(slots({ [SLOTS - 1]: 1 }), 'ns');
    expect(top.buckets).toEqual([{ start: 15 * 2 ** 60, end: 2 ** 64, count: 1 }]);
    expect(top.percentiles!.p50).toEqual({ low: 15 * 2 ** 60, high: 2 ** 64 });
  });
});

describe('rendering', () => {
  it('merges buckets into powers of two, gaps included, with exact labels', () => {
    const h = toHistogram(slots({ 0: 1, 1: 2, [slotOf(1100)]: 3, [slotOf(1900)]: 1 }), 'us');
    expect(octaves(h.buckets).map((b) => [b.start, b.end, b.count])).toEqual([
      [0, 1, 1],
      [1, 2, 2],
      ...[2, 4, 8, 16, 32, 64, 128, 256, 512].map((s) => [s, 2 * s, 0]),
      [1024, 2048, 4],
    ]);
    const text = renderHistogram(h, { width: 8 });
    expect(text).toContain('0 us -> 1 us');
    expect(text).toContain('1 us -> 2 us');
    expect(text).toMatch(/512 us -> 1024 us\s+:\s+0 \|\s{8}\|/);
    expect(text).toMatch(/1024 us -> 2048 us\s+:\s+4 \|\*{8}\|/);
    // The percentiles keep the buckets' own bounds: 1100 is in [1024, 1152).
    expect(text).toContain('count 7  p50 [1024 us, 1152 us)');
    expect(text).toContain('p99.9 [1792 us, 1920 us)');
  });

  it('shows the non-empty buckets themselves on request', () => {
    const h = toHistogram(slots({ [slotOf(20_000_000)]: 50, [slotOf(21_500_000)]: 2 }), 'ns');
    const text = renderHistogram(h, { width: 10, rows: 'buckets', title: 'waits' });
    const lines = text.split('\n');
    expect(lines[0]).toBe('waits');
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatch(/18\.87 ms -> 20\.97 ms :\s+50 \|\*{10}\|/);
    expect(lines[3]).toMatch(/20\.97 ms -> 23\.07 ms :\s+2 \|\*{0}\s{10}\|/);
    expect(renderHistogram(toHistogram(slots({}), 'ns'), { title: 'none' })).toBe('none\n  (no samples)');
  });

  it('formats bounds in a readable unit', () => {
    expect(formatValue(2 ** 20, 'us')).toBe('1049 ms');
    expect(formatValue(512, 'us')).toBe('512 us');
    expect(formatValue(1_000_000, 'ns')).toBe('1000 us');
    expect(formatValue(10_000_000, 'ns')).toBe('10 ms');
  });
});

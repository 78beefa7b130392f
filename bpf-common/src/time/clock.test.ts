import { describe, expect, it } from 'vitest';
import { WallClock } from './clock.ts';

describe('WallClock', () => {
  it('converts kernel monotonic time to the time of day', () => {
    const c = new WallClock();
    const now = process.hrtime.bigint();
    expect(Math.abs(c.toDate(now).getTime() - Date.now())).toBeLessThan(50);
  });

  it('prints ISO 8601 with microseconds', () => {
    const c = new WallClock(1_700_000_000_000_000_000n);
    expect(c.toIso(123_456_789n)).toBe('2023-11-14T22:13:20.123456Z');
    expect(c.micros(123_456_789n)).toBe(123456);
    // Within the same second, and across the next one and back
    expect(c.toIso(999_999_999n)).toBe('2023-11-14T22:13:20.999999Z');
    expect(c.toIso(1_000_000_000n)).toBe('2023-11-14T22:13:21.000000Z');
    expect(c.toIso(5_000n)).toBe('2023-11-14T22:13:20.000005Z');
  });

  it('gives the same text from the two halves of the kernel time, across high words and beyond 2^53 ns', () => {
    const c = new WallClock(1_764_000_000_123_456_789n);
    const ref = (k: bigint) => {
      const us = (k + c.offsetNs) / 1000n;
      return `${new Date(Number(us / 1_000_000n) * 1000).toISOString().slice(0, 19)}.${String(us % 1_000_000n).padStart(6, '0')}Z`;
    };
    const times = [0n, 999n, (1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 876_543_211n, 9_007_199_254_740_993n, 400n * 86_400n * 1_000_000_000n + 999_999_999n, (1n << 63n) - 1n];
    for (const k of times) {
      expect(c.isoAt(Number(k & 0xffffffffn), Number(k >> 32n))).toBe(ref(k));
      expect(c.toIso(k)).toBe(ref(k));
    }
  });
});

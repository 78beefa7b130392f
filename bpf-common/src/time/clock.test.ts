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
});

import { describe, expect, it } from 'vitest';
import { tbfWaitsUs } from './truth.ts';

describe('tbfWaitsUs', () => {
  const o = { n: 5, frame: 1000, burst: 2000, rateBps: 100_000 };
  it('back to back: packet i leaves ((i + 1) × frame − burst) / rate after the first', () => {
    expect(tbfWaitsUs(o)).toEqual([0, 0, 10_000, 20_000, 30_000]);
    expect(tbfWaitsUs({ ...o, arrivalsUs: [5, 5, 5, 5, 5] })).toEqual([0, 0, 10_000, 20_000, 30_000]);
  });
  it('a sender that stalls lets the queue drain and the bucket refill, up to the burst', () => {
    // The third packet arrives 15 ms late: the bucket holds 1500 bytes again, so it leaves at once.
    expect(tbfWaitsUs({ ...o, arrivalsUs: [0, 0, 15_000, 15_000, 15_000] })).toEqual([0, 0, 0, 5_000, 15_000]);
    // A long stall refills no more than the burst.
    expect(tbfWaitsUs({ ...o, arrivalsUs: [0, 0, 1e6, 1e6, 1e6] })).toEqual([0, 0, 0, 0, 10_000]);
  });
});

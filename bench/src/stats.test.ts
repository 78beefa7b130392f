import { describe, expect, it } from 'vitest';
import { alternatingRatios, costPct, median, spread } from './stats.ts';

describe('median and spread', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('gives min..max and ignores runs that measured nothing', () => {
    expect(spread([5, NaN, 1, 3])).toEqual({ n: 3, median: 3, min: 1, max: 5 });
    expect(spread([NaN]).n).toBe(0);
  });
});

describe('alternatingRatios', () => {
  const A = (value: number) => ({ baseline: true, value, id: 'none' });
  const B = (value: number, id: string) => ({ baseline: false, value, id });

  it('divides each run by the mean of the baselines around it', () => {
    const r = alternatingRatios([A(100), B(90, 'x'), A(80), B(72, 'y'), A(80)]);
    expect(r.map((x) => [x.run.id, x.ratio])).toEqual([
      ['x', 1],
      ['y', 0.9],
    ]);
  });

  it('uses the only neighbour there is at either end', () => {
    const r = alternatingRatios([B(50, 'first'), A(100), B(99, 'last')]);
    expect(r.map((x) => x.ratio)).toEqual([0.5, 0.99]);
  });

  it('gives NaN without a usable baseline', () => {
    expect(alternatingRatios([B(1, 'x')])[0]!.ratio).toBeNaN();
    expect(alternatingRatios([A(0), B(1, 'x')])[0]!.ratio).toBeNaN();
  });

  it('states cost in percent', () => {
    expect(costPct(0.99)).toBeCloseTo(1);
    expect(costPct(1.02)).toBeCloseTo(-2);
  });
});

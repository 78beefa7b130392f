import { describe, expect, it } from 'vitest';
import { DropAggregator } from './aggregate.ts';
import { dropKey } from '../layout.ts';

const key = (reason: number, location: bigint): Uint8Array => dropKey.encode({ location, reason, stack_id: -1 });

function count(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

describe('DropAggregator', () => {
  it('reports differences per interval and cumulative totals', () => {
    const agg = new DropAggregator();
    const first = agg.update([
      [key(3, 0xffffffff81000000n), count(10)],
      [key(12, 0xffffffff82000000n), count(4)],
    ]);
    expect(first.intervalDrops).toBe(14);
    expect(first.totalDrops).toBe(14);
    expect(first.interval.map((r) => [r.key.reason, r.count])).toEqual([
      [3, 10],
      [12, 4],
    ]);

    const second = agg.update([
      [key(3, 0xffffffff81000000n), count(10)],
      [key(12, 0xffffffff82000000n), count(9)],
      [key(16, 0xffffffff83000000n), count(1)],
    ]);
    expect(second.intervalDrops).toBe(6);
    expect(second.interval.map((r) => [r.key.reason, r.count])).toEqual([
      [12, 5],
      [16, 1],
    ]);
    expect(second.totalDrops).toBe(20);
    expect(second.total[0]!.key.location).toBe(0xffffffff81000000n);
  });
});

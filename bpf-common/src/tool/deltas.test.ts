import { describe, expect, it } from 'vitest';
import { Deltas } from './deltas.ts';

describe('Deltas', () => {
  it('gives the rows since start and what changed since the last update', () => {
    const d = new Deltas<{ id: string; n: number }>((now, before) => ({ id: now.id, n: now.n - before.n }), (x) => x.n === 0);
    const first = d.update([['a', { id: 'a', n: 3 }], ['b', { id: 'b', n: 1 }]]);
    expect(first.interval).toEqual([{ id: 'a', n: 3 }, { id: 'b', n: 1 }]);
    const second = d.update([['a', { id: 'a', n: 3 }], ['b', { id: 'b', n: 4 }], ['c', { id: 'c', n: 2 }]]);
    expect(second.interval).toEqual([{ id: 'b', n: 3 }, { id: 'c', n: 2 }]);
    expect(second.total.map((r) => r.n)).toEqual([3, 4, 2]);
  });
});

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

describe('Deltas with a retirement', () => {
  type R = { id: string; n: number };
  const make = (keep = 10) =>
    new Deltas<R>((now, before) => ({ id: now.id, n: now.n - before.n }), (x) => x.n === 0, { add: (a, b) => ({ id: a.id, n: a.n + b.n }), keep });

  it('keeps a removed row in the total and puts what it gained before removal in the next interval', () => {
    const d = make();
    d.update([['a', { id: 'a', n: 3 }], ['b', { id: 'b', n: 1 }]]);
    d.retire('a', { id: 'a', n: 5 });
    const second = d.update([['b', { id: 'b', n: 1 }]]);
    expect(second.interval).toEqual([{ id: 'a', n: 2 }]);
    expect(second.total).toEqual([{ id: 'b', n: 1 }, { id: 'a', n: 5 }]);
    // The key comes back: a new row from zero, added to what the old one counted.
    const third = d.update([['a', { id: 'a', n: 4 }], ['b', { id: 'b', n: 1 }]]);
    expect(third.interval).toEqual([{ id: 'a', n: 4 }]);
    expect(third.total).toEqual([{ id: 'a', n: 9 }, { id: 'b', n: 1 }]);
  });

  it('a row removed and created again before the next update counts both', () => {
    const d = make();
    d.update([['a', { id: 'a', n: 3 }]]);
    d.retire('a', { id: 'a', n: 4 });
    const next = d.update([['a', { id: 'a', n: 2 }]]);
    expect(next.interval).toEqual([{ id: 'a', n: 3 }]);
    expect(next.total).toEqual([{ id: 'a', n: 6 }]);
  });

  it('keeps an evicted row with its last read value, and forgets the oldest beyond keep', () => {
    const d = make(1);
    d.update([['a', { id: 'a', n: 3 }], ['b', { id: 'b', n: 2 }]]);
    const next = d.update([]);
    expect(next.interval).toEqual([]);
    expect(next.total).toEqual([{ id: 'b', n: 2 }]);
    expect(next.forgotten).toBe(1);
    expect(next.forgottenSum).toEqual({ id: 'a', n: 3 });
  });
});

import { describe, expect, it } from 'vitest';
import { takeExpired, type ExpiringMap } from './expire.ts';

/** A table of one-byte keys and values; `moveOn` changes a value between the read and the removal,
 * as the kernel may. */
function table(values: number[], moveOn: (k: number, v: number) => number | undefined = (_, v) => v): ExpiringMap & { left: () => number[] } {
  const m = new Map(values.map((v, i) => [i, v]));
  return {
    *entries() {
      for (const [k, v] of m) yield [new Uint8Array([k]), new Uint8Array([v])];
    },
    lookupAndDelete: (key) => {
      const k = key[0]!;
      if (!m.has(k)) return undefined;
      const v = moveOn(k, m.get(k)!);
      m.delete(k);
      return v === undefined ? undefined : new Uint8Array([v]);
    },
    left: () => [...m.keys()],
  };
}

describe('takeExpired', () => {
  it('takes the entries picked, with their values, and counts the others', () => {
    const t = table([5, 50, 7, 70]);
    const { taken, kept } = takeExpired(t, (v) => v[0]! < 10);
    expect(taken.map(([k, v]) => [k[0], v[0]])).toEqual([[0, 5], [2, 7]]);
    expect(kept).toBe(2);
    expect(t.left()).toEqual([1, 3]);
  });

  it('an entry the kernel removed first is not taken; one it moved on comes with its latest value', () => {
    // key 0 finished by the kernel meanwhile (gone); key 1 moved on (5 -> 6)
    const t = table([5, 5], (k, v) => (k === 0 ? undefined : v + 1));
    expect(takeExpired(t, () => true).taken.map(([k, v]) => [k[0], v[0]])).toEqual([[1, 6]]);
  });
});

import { describe, expect, it } from 'vitest';
import type { BpfMap, BpfObject } from '@netstrata/libbpf-ts';
import { KernelRows } from './rows.ts';

/** A hash map of u32 keys and u64 counters, as the kernel would hold it, with a `lost` map whose
 * rows-created counter the test sets. */
function fakeTable(maxEntries: number) {
  const rows = new Map<number, bigint>();
  let created = 0;
  const bytes = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
  const value = (v: bigint) => new Uint8Array(new BigUint64Array([v]).buffer);
  const map = {
    maxEntries,
    *entries() {
      yield* [...rows].map(([k, v]) => [bytes(k), value(v)] as [Uint8Array, Uint8Array]);
    },
    lookupAndDelete(key: Uint8Array) {
      const k = new DataView(key.buffer, key.byteOffset).getUint32(0, true);
      const v = rows.get(k);
      if (v === undefined) return undefined;
      rows.delete(k);
      return value(v);
    },
  } as unknown as BpfMap;
  const lost = { name: 'lost', lookupPerCpu: () => [new Uint8Array(new BigUint64Array([BigInt(created)]).buffer)] } as unknown as BpfMap;
  const obj = { maps: () => [lost] } as unknown as BpfObject;
  return {
    map,
    obj,
    /** The kernel adds n to key k, creating its row (and counting it) when new. */
    add(k: number, n: number) {
      if (!rows.has(k)) created++;
      rows.set(k, (rows.get(k) ?? 0n) + BigInt(n));
    },
    /** The kernel evicts key k. */
    evict(k: number) {
      rows.delete(k);
    },
    has: (k: number) => rows.has(k),
  };
}

type Row = { k: number; n: number };
const opts = {
  decode: (k: Uint8Array, v: Uint8Array): Row => ({ k: new DataView(k.buffer, k.byteOffset).getUint32(0, true), n: Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)) }),
  sub: (a: Row, b: Row) => ({ k: a.k, n: a.n - b.n }),
  add: (a: Row, b: Row) => ({ k: a.k, n: a.n + b.n }),
  isEmpty: (d: Row) => d.n === 0,
};
const sum = (rs: Row[]) => rs.reduce((s, r) => s + r.n, 0);

describe('KernelRows', () => {
  it('removes a row idle since it was last seen, and counts what reached it before it went in the next interval', () => {
    const t = fakeTable(100);
    const rows = new KernelRows(t.map, t.obj, opts);
    t.add(1, 5);
    t.add(2, 1);
    expect(sum(rows.read().interval)).toBe(6);
    // Row 1 keeps counting; row 2 is idle and goes at the next read.
    t.add(1, 2);
    const second = rows.read();
    expect(second.interval).toEqual([{ k: 1, n: 2 }]);
    expect(t.has(2)).toBe(false);
    expect(rows.removed).toBe(1);
    // Between reads: row 1 idle since that read goes at the first sweep, row 3 is new and stays.
    t.add(3, 4);
    expect(rows.sweep()).toBe(1);
    expect(t.has(1)).toBe(false);
    // The key comes back: a new row, added to the old one in the totals.
    t.add(1, 1);
    const third = rows.read();
    expect(sum(third.interval)).toBe(5);
    expect(third.total.find((r) => r.k === 1)).toEqual({ k: 1, n: 8 });
    expect(sum(third.total)).toBe(13);
    expect(rows.evicted).toBe(0);
  });

  it('a row removed unread between reads is counted in the next interval', () => {
    const t = fakeTable(100);
    const rows = new KernelRows(t.map, t.obj, opts);
    rows.read();
    t.add(7, 3);
    expect(rows.sweep()).toBe(0);
    expect(rows.sweep()).toBe(1);
    expect(rows.read().interval).toEqual([{ k: 7, n: 3 }]);
  });

  it('evicted = rows created − rows removed − rows present', () => {
    const t = fakeTable(100);
    const rows = new KernelRows(t.map, t.obj, opts);
    for (let k = 0; k < 10; k++) t.add(k, 1);
    rows.read();
    t.evict(3);
    t.evict(4);
    rows.read();
    expect(rows.evicted).toBe(2);
    // The evicted rows stay in the totals with what was read of them.
    t.add(20, 1);
    const d = rows.read();
    expect(rows.evicted).toBe(2);
    expect(sum(d.total)).toBe(11);
  });
});

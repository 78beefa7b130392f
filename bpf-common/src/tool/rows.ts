/**
 * A kernel table of cumulative rows that a summary tool can leave running for days on a host whose
 * threads, flows and stacks come and go.
 *
 * - Rows that did not change since the previous read were reported already: the read removes them
 *   (`lookupAndDelete`, so a count that raced in between is carried into the next interval), and a
 *   key that comes back starts a new row. The table holds what was active in the last two intervals.
 * - The table is an LRU hash: keys coming faster than that make room by evicting the least recently
 *   used rows instead of being refused (no map_full). An evicted row takes what it counted since the
 *   last read with it; every one is counted as `evicted`: the kernel counts the rows it creates
 *   (NST_ROWS_CREATED in loss.h), and evicted = created - removed here - present. The created count
 *   is read before the walk, so a row created during the walk can only make the figure low for one
 *   read, never high; it is kept monotonic.
 * - The since-start total keeps rows gone from the kernel (Deltas with a retirement).
 */
import type { BpfMap, BpfObject } from '@netstrata/libbpf-ts';
import { Deltas, keyId, type Delta } from './deltas.ts';

/** Index of the rows-created counter in the `lost` map (enum nst_loss NST_ROWS_CREATED). */
export const ROWS_CREATED_INDEX = 4;
export const ROWS_CREATED_ENUMERATOR = 'NST_ROWS_CREATED';

export interface RowsOptions<V> {
  decode: (key: Uint8Array, value: Uint8Array) => V;
  /** As Deltas: the difference of two reads of a row, and whether a difference is nothing. */
  sub: (now: V, before: V) => V;
  isEmpty: (delta: V) => boolean;
  /** Two values of one key put together: a row's earlier incarnations and the current one. */
  add: (a: V, b: V) => V;
  /** Rows gone from the kernel kept in the since-start total; default the table's size. */
  keep?: number;
  /** A row's identity across reads when the key's bytes are not enough (a stack id the kernel may
   * give to another stack once the first is deleted); default the key's bytes. */
  id?: (key: Uint8Array, v: V) => string;
}

/** The sum over CPUs of one counter of a per-CPU `lost` map. */
export function readCounter(lost: BpfMap, index: number): number {
  const key = new Uint8Array(new Uint32Array([index]).buffer);
  return lost.lookupPerCpu(key).reduce((s, b) => s + Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true)), 0);
}

export class KernelRows<V> {
  private readonly deltas: Deltas<V>;
  private readonly lost: BpfMap | undefined;
  /** Each row's value at the previous read. */
  private last = new Map<string, V>();
  private removedRows = 0;
  private evictedRows = 0;

  constructor(
    private readonly map: BpfMap,
    obj: BpfObject,
    private readonly opts: RowsOptions<V>,
  ) {
    this.lost = obj.maps().find((m) => m.name === 'lost');
    this.deltas = new Deltas(opts.sub, opts.isEmpty, { add: opts.add, keep: opts.keep ?? map.maxEntries });
  }

  /** This interval and the total since start; then rows idle since the previous read are removed. */
  read(): Delta<V> {
    const created = this.lost ? readCounter(this.lost, ROWS_CREATED_INDEX) : 0;
    const removedBefore = this.removedRows;
    const rows: [string, V, Uint8Array][] = [];
    for (const [k, v] of this.map.entries()) {
      const d = this.opts.decode(k, v);
      rows.push([this.idOf(k, d), d, k]);
    }
    const d = this.deltas.update(rows.map(([id, v]) => [id, v] as const));
    if (this.lost) this.evictedRows = Math.max(this.evictedRows, created - removedBefore - rows.length);
    const before = this.last;
    this.last = new Map();
    for (const [id, v, k] of rows) {
      const b = before.get(id);
      // Idle: there at the previous read and unchanged since.
      if (b !== undefined && this.opts.isEmpty(this.opts.sub(v, b)) && this.removeKey(id, k)) continue;
      this.last.set(id, v);
    }
    return d;
  }

  /** Remove one row now (a thread that exited, say), keeping what it counted for the next read. */
  remove(key: Uint8Array): boolean {
    const last = this.map.lookupAndDelete(key);
    if (!last) return false;
    const v = this.opts.decode(key, last);
    const id = this.idOf(key, v);
    this.last.delete(id);
    this.retire(id, v);
    return true;
  }

  /** Remove the rows whose key `gone` says will not count again (a thread that exited), keeping what
   * they counted for the next read. Cheaper than a read: keys only, values of the removed rows. */
  removeWhere(gone: (key: Uint8Array) => boolean): number {
    let n = 0;
    for (const key of [...this.map.keys()]) if (gone(key) && this.remove(key)) n++;
    return n;
  }

  /** Rows the kernel evicted to make room, since start. */
  get evicted(): number {
    return this.evictedRows;
  }

  /** Rows removed after they were reported, since start. */
  get removed(): number {
    return this.removedRows;
  }

  private removeKey(id: string, key: Uint8Array): boolean {
    const last = this.map.lookupAndDelete(key);
    if (!last) return false;
    this.retire(id, this.opts.decode(key, last));
    return true;
  }

  private retire(id: string, v: V): void {
    this.removedRows++;
    this.deltas.retire(id, v);
  }

  private idOf(key: Uint8Array, v: V): string {
    return this.opts.id ? this.opts.id(key, v) : keyId(key);
  }
}

/** Histogram slots (or any counts) of two rows added. */
export const addCounts = (a: readonly bigint[], b: readonly bigint[]): bigint[] => a.map((c, i) => c + (b[i] ?? 0n));

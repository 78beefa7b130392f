/**
 * A kernel table of cumulative rows that a summary tool can leave running for days on a host whose
 * threads, flows and stacks come and go.
 *
 * - Rows that did not change since they were last seen (by a read, or by a sweep every SWEEP_MS
 *   between reads) are removed with `lookupAndDelete`: the value they held as they went is counted
 *   in the next read's interval, so nothing is lost, and a key that comes back starts a new row.
 *   The table holds what was active in the last few seconds (and since the last read).
 * - The table is an LRU hash: keys coming faster than that make room by evicting the least recently
 *   used rows instead of being refused (no map_full). An evicted row takes what it counted since the
 *   last read with it; every one is counted as `evicted`: the kernel counts the rows it creates
 *   (NST_ROWS_CREATED in loss.h), and evicted = created - removed here - present. The created count
 *   is read before the walk, so a row created during the walk can only make the figure low for one
 *   read, never high; it is kept monotonic.
 * - The since-start total keeps rows gone from the kernel (Deltas with a retirement).
 */
import { createHash } from 'node:crypto';
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
  /** Rows gone from the kernel kept in the since-start total; default the table's size, at most KEEP_ROWS. */
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

/** How often the rows are swept between reads: rows unchanged since the previous sweep are removed. */
export const SWEEP_MS = 5000;

/** Rows gone from the kernel kept in the since-start total unless a tool says otherwise. */
export const KEEP_ROWS = 1024;

export class KernelRows<V> {
  private readonly deltas: Deltas<V>;
  private readonly lost: BpfMap | undefined;
  /** A digest of each row's value bytes when last seen (a read or a sweep), by the key's bytes:
   * rows hold histograms of kilobytes, and a copy of every row would be the tool's largest memory. */
  private seen = new Map<string, string>();
  private removedRows = 0;
  private evictedRows = 0;

  constructor(
    private readonly map: BpfMap,
    obj: BpfObject,
    private readonly opts: RowsOptions<V>,
  ) {
    this.lost = obj.maps().find((m) => m.name === 'lost');
    this.deltas = new Deltas(opts.sub, opts.isEmpty, { add: opts.add, keep: opts.keep ?? Math.min(map.maxEntries, KEEP_ROWS) });
  }

  /** This interval and the total since start; then rows unchanged since they were last seen are
   * removed (reported already; what arrives as they go is in the next interval). */
  read(): Delta<V> {
    const created = this.lost ? readCounter(this.lost, ROWS_CREATED_INDEX) : 0;
    const removedBefore = this.removedRows;
    const raw = [...this.map.entries()];
    const rows = raw.map(([k, v]) => {
      const d = this.opts.decode(k, v);
      return [this.idOf(k, d), d] as const;
    });
    const d = this.deltas.update(rows);
    if (this.lost) this.evictedRows = Math.max(this.evictedRows, created - removedBefore - rows.length);
    this.removeIdle(raw);
    return d;
  }

  /** Between reads: remove the rows unchanged since they were last seen. Nothing is lost: each is
   * read as it is removed and counted in the next read's interval. Returns the rows removed. */
  sweep(): number {
    return this.removeIdle(this.map.entries());
  }

  /** Sweep every SWEEP_MS until `signal` aborts, then call `after` (more clean-up of the tool's). */
  sweepEvery(signal: AbortSignal, after?: () => void, ms = SWEEP_MS): void {
    const timer = setInterval(() => {
      this.sweep();
      after?.();
    }, ms);
    timer.unref();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  /** Remove one row now, keeping what it counted for the next read. */
  remove(key: Uint8Array): boolean {
    const last = this.map.lookupAndDelete(key);
    if (!last) return false;
    this.seen.delete(keyId(key));
    const v = this.opts.decode(key, last);
    this.removedRows++;
    this.deltas.retire(this.idOf(key, v), v);
    return true;
  }

  private removeIdle(entries: Iterable<[Uint8Array, Uint8Array]>): number {
    const before = this.seen;
    this.seen = new Map();
    let n = 0;
    for (const [k, v] of entries) {
      const kid = keyId(k);
      const digest = createHash('sha1').update(v).digest('base64');
      if (before.get(kid) === digest && this.remove(k)) {
        n++;
        continue;
      }
      this.seen.set(kid, digest);
    }
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

  private idOf(key: Uint8Array, v: V): string {
    return this.opts.id ? this.opts.id(key, v) : keyId(key);
  }
}

/** Histogram slots (or any counts) of two rows added. */
export const addCounts = (a: readonly bigint[], b: readonly bigint[]): bigint[] => a.map((c, i) => (b[i] ? c + b[i]! : c));

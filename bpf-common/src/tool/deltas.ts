/**
 * Kernel maps are cumulative and never cleared (clearing races with CPUs adding to them): a
 * report's interval is the difference of two snapshots, its total the snapshot itself.
 *
 * Tables that run for days also lose rows: the user side removes rows it has reported (`retire`,
 * with their value at removal) and an LRU table evicts rows by itself (they vanish between two
 * reads). With `add`, such rows stay in the since-start total with what was known of them, up to
 * `keep` rows (the oldest go first; `forgotten` counts them and `forgottenSum` sums them).
 */
export interface Delta<V> {
  /** Every row, since start. */
  total: V[];
  /** Rows that changed in this interval, by how much. */
  interval: V[];
  /** Rows since start left out of `total` (more than `keep` rows gone from the kernel). */
  forgotten: number;
  /** Their sum, when there are any. */
  forgottenSum?: V;
}

export interface Retirement<V> {
  /** Two values of one row put together (counts added, histogram slots added). */
  add: (a: V, b: V) => V;
  /** Rows gone from the kernel kept in the since-start total. */
  keep: number;
}

export class Deltas<V> {
  private previous = new Map<string, V>();
  /** Since-start values of rows gone from the kernel, oldest first. */
  private readonly gone = new Map<string, V>();
  /** What rows removed since the last update added in their last interval. */
  private readonly pending = new Map<string, V>();
  private forgotten = 0;
  private forgottenSum: V | undefined;

  constructor(
    /** What happened between `before` and `now` (counts subtracted, histogram slots diffed). */
    private readonly sub: (now: V, before: V) => V,
    /** Whether a difference is nothing at all (left out of the interval's rows). */
    private readonly isEmpty: (delta: V) => boolean,
    /** Keep rows gone from the kernel in the totals (without it, a row that vanishes is dropped). */
    private readonly retirement?: Retirement<V>,
  ) {}

  /** Rows by a stable id (the key's bytes, say). */
  update(rows: Iterable<readonly [string, V]>): Delta<V> {
    const current = new Map<string, V>();
    const interval: V[] = [];
    for (const [id, v] of rows) {
      current.set(id, v);
      const before = this.previous.get(id);
      let d = before === undefined ? v : this.sub(v, before);
      const p = this.pending.get(id);
      if (p !== undefined && this.retirement) {
        d = this.retirement.add(p, d);
        this.pending.delete(id);
      }
      if (!this.isEmpty(d)) interval.push(d);
    }
    for (const d of this.pending.values()) if (!this.isEmpty(d)) interval.push(d);
    this.pending.clear();
    // Gone without being retired: evicted by the kernel, with what it held at the last read.
    for (const [id, v] of this.previous) if (!current.has(id)) this.bank(id, v);
    this.previous = current;
    const total: V[] = [];
    for (const [id, v] of current) {
      const g = this.gone.get(id);
      total.push(g !== undefined && this.retirement ? this.retirement.add(g, v) : v);
    }
    for (const [id, g] of this.gone) if (!current.has(id)) total.push(g);
    return { total, interval, forgotten: this.forgotten, ...(this.forgottenSum !== undefined ? { forgottenSum: this.forgottenSum } : {}) };
  }

  /** The row `id` was removed from the kernel holding `last`: what it gained since the previous
   * update goes into the next interval, and it stays in the total. */
  retire(id: string, last: V): void {
    if (!this.retirement) throw new Error('Deltas.retire needs a retirement (add, keep)');
    const before = this.previous.get(id);
    const d = before === undefined ? last : this.sub(last, before);
    const p = this.pending.get(id);
    this.pending.set(id, p === undefined ? d : this.retirement.add(p, d));
    this.previous.delete(id);
    this.bank(id, last);
  }

  private bank(id: string, v: V): void {
    if (!this.retirement) return;
    const { add, keep } = this.retirement;
    const g = this.gone.get(id);
    this.gone.delete(id);
    this.gone.set(id, g === undefined ? v : add(g, v));
    while (this.gone.size > keep) {
      const [oldId, old] = this.gone.entries().next().value as [string, V];
      this.gone.delete(oldId);
      this.forgotten++;
      this.forgottenSum = this.forgottenSum === undefined ? old : add(this.forgottenSum, old);
    }
  }
}

/** A map key's bytes as a row id. */
export const keyId = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');

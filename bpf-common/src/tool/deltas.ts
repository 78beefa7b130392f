/**
 * Kernel maps are cumulative and never cleared (clearing races with CPUs adding to them): a
 * report's interval is the difference of two snapshots, its total the snapshot itself.
 */
export interface Delta<V> {
  /** Every row, since start. */
  total: V[];
  /** Rows that changed in this interval, by how much. */
  interval: V[];
}

export class Deltas<V> {
  private previous = new Map<string, V>();

  constructor(
    /** What happened between `before` and `now` (counts subtracted, histogram slots diffed). */
    private readonly sub: (now: V, before: V) => V,
    /** Whether a difference is nothing at all (left out of the interval's rows). */
    private readonly isEmpty: (delta: V) => boolean,
  ) {}

  /** Rows by a stable id (the key's bytes, say). */
  update(rows: Iterable<readonly [string, V]>): Delta<V> {
    const current = new Map<string, V>();
    const total: V[] = [];
    const interval: V[] = [];
    for (const [id, v] of rows) {
      current.set(id, v);
      total.push(v);
      const before = this.previous.get(id);
      const d = before === undefined ? v : this.sub(v, before);
      if (!this.isEmpty(d)) interval.push(d);
    }
    this.previous = current;
    return { total, interval };
  }
}

/** A map key's bytes as a row id. */
export const keyId = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');

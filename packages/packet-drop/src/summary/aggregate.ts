/**
 * Turns the kernel's cumulative drop counters into per-interval and since-start rows. The kernel
 * map is never cleared (clearing races with CPUs adding to it); intervals are differences of
 * snapshots.
 */
import { decodeDropKey, type DropKey } from '../layout.ts';

export interface DropCount {
  key: DropKey;
  count: number;
}

export interface DropSnapshot {
  interval: DropCount[];
  total: DropCount[];
  intervalDrops: number;
  totalDrops: number;
}

export class DropAggregator {
  private previous = new Map<string, number>();

  update(entries: Iterable<[Uint8Array, Uint8Array]>): DropSnapshot {
    const current = new Map<string, number>();
    const total: DropCount[] = [];
    const interval: DropCount[] = [];
    let totalDrops = 0;
    let intervalDrops = 0;
    for (const [keyBytes, valueBytes] of entries) {
      const id = Buffer.from(keyBytes).toString('hex');
      const count = Number(new DataView(valueBytes.buffer, valueBytes.byteOffset, 8).getBigUint64(0, true));
      current.set(id, count);
      const key = decodeDropKey(keyBytes);
      total.push({ key, count });
      totalDrops += count;
      const delta = count - (this.previous.get(id) ?? 0);
      if (delta > 0) {
        interval.push({ key, count: delta });
        intervalDrops += delta;
      }
    }
    this.previous = current;
    const byCount = (a: DropCount, b: DropCount) => b.count - a.count;
    return { interval: interval.sort(byCount), total: total.sort(byCount), intervalDrops, totalDrops };
  }
}

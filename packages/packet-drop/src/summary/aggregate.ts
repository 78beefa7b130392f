/** The kernel's cumulative drop counters as per-interval and since-start rows. */
import { Deltas, keyId, type Delta, type RowsOptions } from '@netstrata/bpf-common';
import { dropKey, type DropKey } from '../layout.ts';

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

export const decodeDrop = (k: Uint8Array, v: Uint8Array): DropCount => ({ key: dropKey.decode(k), count: Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true)) });

/** How drop counters subtract, add (a group's earlier rows in the kernel) and when a difference is nothing. */
export const dropRowOps: Pick<RowsOptions<DropCount>, 'sub' | 'add' | 'isEmpty'> = {
  sub: (now, before) => ({ key: now.key, count: now.count - before.count }),
  add: (a, b) => ({ key: b.key, count: a.count + b.count }),
  isEmpty: (d) => d.count <= 0,
};

/** Rows sorted, and the drops summed; groups left out of the since-start rows still count in its sum. */
export function dropSnapshot({ interval, total, forgottenSum }: Delta<DropCount>): DropSnapshot {
  const byCount = (a: DropCount, b: DropCount) => b.count - a.count;
  const sum = (rs: DropCount[]) => rs.reduce((s, r) => s + r.count, 0);
  return { interval: interval.sort(byCount), total: total.sort(byCount), intervalDrops: sum(interval), totalDrops: sum(total) + (forgottenSum?.count ?? 0) };
}

export class DropAggregator {
  private readonly deltas = new Deltas<DropCount>(dropRowOps.sub, dropRowOps.isEmpty);

  update(entries: Iterable<[Uint8Array, Uint8Array]>): DropSnapshot {
    const rows: [string, DropCount][] = [];
    for (const [k, v] of entries) rows.push([keyId(k), decodeDrop(k, v)]);
    return dropSnapshot(this.deltas.update(rows));
  }
}

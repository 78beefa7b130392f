/** The kernel's cumulative drop counters as per-interval and since-start rows. */
import { Deltas, keyId } from '@netstrata/bpf-common';
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

export class DropAggregator {
  private readonly deltas = new Deltas<DropCount>((now, before) => ({ key: now.key, count: now.count - before.count }), (d) => d.count <= 0);

  update(entries: Iterable<[Uint8Array, Uint8Array]>): DropSnapshot {
    const rows: [string, DropCount][] = [];
    for (const [k, v] of entries) {
      rows.push([keyId(k), { key: dropKey.decode(k), count: Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true)) }]);
    }
    const { interval, total } = this.deltas.update(rows);
    const byCount = (a: DropCount, b: DropCount) => b.count - a.count;
    const sum = (rs: DropCount[]) => rs.reduce((s, r) => s + r.count, 0);
    return { interval: interval.sort(byCount), total: total.sort(byCount), intervalDrops: sum(interval), totalDrops: sum(total) };
  }
}

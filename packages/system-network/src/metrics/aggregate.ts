/** Per-device counters since start and per interval, from the kernel's cumulative per-CPU map. */
import { COUNTERS, decodeDevKey, sumDevStats, type DevStats } from '../layout.ts';

export interface DeviceRow extends DevStats {
  ifindex: number;
  netns: number;
}

export interface DeviceSnapshot {
  interval: DeviceRow[];
  total: DeviceRow[];
}

export class DeviceAggregator {
  private previous = new Map<string, DeviceRow>();

  /** entries: [key bytes, per-CPU value copies]. */
  update(entries: Iterable<[Uint8Array, Uint8Array[]]>): DeviceSnapshot {
    const total: DeviceRow[] = [];
    const interval: DeviceRow[] = [];
    const current = new Map<string, DeviceRow>();
    for (const [k, perCpu] of entries) {
      const key = decodeDevKey(k);
      const row: DeviceRow = { ...key, ...sumDevStats(perCpu) };
      const id = `${key.netns}/${key.ifindex}`;
      current.set(id, row);
      total.push(row);
      const prev = this.previous.get(id);
      const delta: DeviceRow = { ...row };
      for (const c of COUNTERS) delta[c] = row[c] - (prev?.[c] ?? 0);
      if (COUNTERS.some((c) => delta[c] > 0)) interval.push(delta);
    }
    this.previous = current;
    const busiest = (a: DeviceRow, b: DeviceRow) => b.rx_packets + b.tx_packets - (a.rx_packets + a.tx_packets);
    return { interval: interval.sort(busiest), total: total.sort(busiest) };
  }
}

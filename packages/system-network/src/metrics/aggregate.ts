/** Per-device counters since start and per interval, from the kernel's cumulative per-CPU map. */
import { Deltas, keyId } from '@netstrata/bpf-common';
import { COUNTERS, devKey, sumDevStats, type DevStats } from '../layout.ts';

export interface DeviceRow extends DevStats {
  ifindex: number;
  netns: number;
}

export interface DeviceSnapshot {
  interval: DeviceRow[];
  total: DeviceRow[];
}

export class DeviceAggregator {
  private readonly deltas = new Deltas<DeviceRow>(
    (now, before) => {
      const d = { ...now };
      for (const c of COUNTERS) d[c] = now[c] - before[c];
      return d;
    },
    (d) => !COUNTERS.some((c) => d[c] > 0),
  );

  /** entries: [key bytes, per-CPU value copies]. */
  update(entries: Iterable<[Uint8Array, Uint8Array[]]>): DeviceSnapshot {
    const rows: [string, DeviceRow][] = [];
    for (const [k, perCpu] of entries) rows.push([keyId(k), { ...devKey.decode(k), ...sumDevStats(perCpu) }]);
    const { interval, total } = this.deltas.update(rows);
    const busiest = (a: DeviceRow, b: DeviceRow) => b.rx_packets + b.tx_packets - (a.rx_packets + a.tx_packets);
    return { interval: interval.sort(busiest), total: total.sort(busiest) };
  }
}

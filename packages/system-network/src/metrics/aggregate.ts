/** Per-device counters since start and per interval, from the devices' own cumulative counters. */
import { Deltas } from '@netstrata/bpf-common';
import { COUNTERS, type DeviceRow } from './devices.ts';

export type { DeviceRow };

export interface DeviceSnapshot {
  interval: DeviceRow[];
  total: DeviceRow[];
}

const id = (r: DeviceRow) => `${r.netns}/${r.ifindex}/${r.name}`;

export class DeviceAggregator {
  private readonly deltas = new Deltas<DeviceRow>(
    (now, before) => {
      const d = { ...now };
      for (const c of COUNTERS) d[c] = now[c] - before[c];
      return d;
    },
    (d) => !COUNTERS.some((c) => d[c] > 0),
  );
  private readonly baseline: Map<string, DeviceRow>;

  /** `baseline`: the counters when the tool started, so "since start" means since then. A device
   * created later counts from its creation. */
  constructor(baseline: readonly DeviceRow[] = []) {
    this.baseline = new Map(baseline.map((r) => [id(r), r]));
  }

  update(rows: readonly DeviceRow[]): DeviceSnapshot {
    const sinceStart: [string, DeviceRow][] = rows.map((r) => {
      const b = this.baseline.get(id(r));
      const d = { ...r };
      if (b) for (const c of COUNTERS) d[c] = Math.max(0, r[c] - b[c]);
      return [id(r), d];
    });
    const { interval, total } = this.deltas.update(sinceStart);
    const busiest = (a: DeviceRow, b: DeviceRow) => b.rx_packets + b.tx_packets - (a.rx_packets + a.tx_packets);
    // Devices that moved nothing since start are not rows of the totals either.
    return { interval: interval.sort(busiest), total: total.filter((r) => COUNTERS.some((c) => r[c] > 0)).sort(busiest) };
  }
}

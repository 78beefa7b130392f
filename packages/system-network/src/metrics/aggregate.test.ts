import { describe, expect, it } from 'vitest';
import { DeviceAggregator } from './aggregate.ts';
import { parseLinks, type DeviceRow } from './devices.ts';
import { metricsFields, renderMetricsText } from './render.ts';

const NO_LOSS = { lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0 };
const COST = { bpf_stats: false, bpf_runs: null, bpf_ns: null, bpf_ns_per_run: null, cpu_s: 0, cpu_pct: 0, rss_mb: 0 };

const row = (name: string, ifindex: number, c: number[]): DeviceRow => ({
  name,
  ifindex,
  netns: 7,
  rx_packets: c[0]!,
  rx_bytes: c[1]!,
  tx_packets: c[2]!,
  tx_bytes: c[3]!,
  tx_errors: c[4]!,
});

describe('device counters', () => {
  it('count from the baseline at start, report intervals as differences and totals since start', () => {
    const agg = new DeviceAggregator([row('eth0', 2, [100, 10_000, 50, 5000, 0])]);
    const first = agg.update([row('eth0', 2, [111, 11_100, 55, 5500, 1])]);
    expect(first.total[0]).toMatchObject({ name: 'eth0', ifindex: 2, netns: 7, rx_packets: 11, rx_bytes: 1100, tx_packets: 5, tx_errors: 1 });
    const second = agg.update([row('eth0', 2, [116, 11_600, 55, 5500, 1]), row('eth1', 3, [0, 0, 0, 0, 0])]);
    expect(second.interval).toHaveLength(1);
    expect(second.interval[0]).toMatchObject({ rx_packets: 5, rx_bytes: 500, tx_packets: 0 });
    // A device created after start counts from its creation; one that moved nothing is no row.
    expect(second.total.map((r) => r.name)).toEqual(['eth0']);
    const rec = { type: 'interval' as const, tool: 'system_network_metrics_summary', time: new Date(0).toISOString(), interval_s: 1, ...metricsFields(second.interval, { top: 10 }), ...NO_LOSS, cost: COST };
    expect(rec.devices[0]).toMatchObject({ device: 'eth0', rx_packets: 5 });
    expect(rec.devices[0]).not.toHaveProperty('name');
    expect(renderMetricsText(rec)).toMatch(/eth0\s+7\s+5\s+500\s+0\s+0\s+0/);
  });

  it("reads the devices' own statistics as ip -s -j link prints them", () => {
    const json = JSON.stringify([
      { ifindex: 1, ifname: 'lo', stats64: { rx: { bytes: 10, packets: 1 }, tx: { bytes: 10, packets: 1, errors: 0, dropped: 0 } } },
      { ifindex: 2, ifname: 'eth0', stats64: { rx: { bytes: 6400, packets: 100 }, tx: { bytes: 320, packets: 5, errors: 1, dropped: 2 } } },
      { ifindex: 3, ifname: 'noStats' },
    ]);
    expect(parseLinks(json, 9)).toEqual([
      { name: 'lo', ifindex: 1, netns: 9, rx_packets: 1, rx_bytes: 10, tx_packets: 1, tx_bytes: 10, tx_errors: 0 },
      { name: 'eth0', ifindex: 2, netns: 9, rx_packets: 100, rx_bytes: 6400, tx_packets: 5, tx_bytes: 320, tx_errors: 3 },
    ]);
  });
});

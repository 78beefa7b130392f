import { describe, expect, it } from 'vitest';
import { DeviceAggregator, KernelAggregator } from './aggregate.ts';
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

describe("the kernel's own counters since start", () => {
  it('counts from the reading at start; shows conntrack only where it is in use, and the backlog as it is', () => {
    const zero = { found: 0, invalid: 0, insert: 0, insert_failed: 0, drop: 0, early_drop: 0, icmp_error: 0, clash_resolve: 0, chain_too_long: 0, search_restart: 0, searched: null };
    const q = (packets: number, drops: number, backlog: number) => ({ device: 'eth0', ifindex: 2, netns: 9, kind: 'tbf', handle: '8001:', parent: 'root', packets, bytes: packets * 100, drops, requeues: 0, overlimits: 0, backlog_bytes: backlog * 100, backlog_packets: backlog });
    const cpu = (processed: number) => ({ cpu: 0, softirq_us: 0, processed, dropped: 0, time_squeeze: 0, received_rps: 0, flow_limit: 0 });
    const start = {
      devices: [],
      qdiscs: [q(100, 1, 0)],
      // 9 tracks; 10 never tracked anything; 11 tracked before start, is empty and idle now.
      conntrack: [{ netns: 9, entries: 0, max: 10, ...zero, found: 50 }, { netns: 10, entries: 0, max: 10, ...zero }, { netns: 11, entries: 0, max: 10, ...zero, found: 5 }],
      cpus: [cpu(1000)],
      softirqs: [{ cpu: 0, vector: 'NET_RX', count: 70 }],
    };
    const agg = new KernelAggregator(start);
    const one = agg.update({ ...start, qdiscs: [q(110, 3, 4)], conntrack: [{ netns: 9, entries: 8, max: 10, ...zero, found: 60, drop: 2 }, start.conntrack[1]!, start.conntrack[2]!], cpus: [cpu(1010)], softirqs: [{ cpu: 0, vector: 'NET_RX', count: 75 }] });
    expect(one.total.qdiscs).toMatchObject([{ packets: 10, drops: 2, backlog_packets: 4 }]);
    expect(one.total.conntrack).toEqual([
      { netns: 9, entries: 8, max: 10, ...zero, found: 10, drop: 2 },
      { netns: 11, entries: 0, max: 10, ...zero },
    ]);
    expect(one.total.cpus).toMatchObject([{ cpu: 0, processed: 10 }]);
    expect(one.total.softirqs).toEqual([{ cpu: 0, vector: 'NET_RX', count: 5 }]);
    const two = agg.update({ ...start, qdiscs: [q(110, 3, 4)], conntrack: [{ netns: 9, entries: 8, max: 10, ...zero, found: 60, drop: 2 }, start.conntrack[1]!, start.conntrack[2]!], cpus: [cpu(1010)], softirqs: [{ cpu: 0, vector: 'NET_RX', count: 75 }] });
    // Nothing moved: the queue still holds packets, and conntrack still holds entries.
    expect(two.interval.qdiscs).toMatchObject([{ packets: 0, drops: 0, backlog_packets: 4 }]);
    expect(two.interval.conntrack).toMatchObject([
      { netns: 9, entries: 8, found: 0, drop: 0 },
      { netns: 11, entries: 0, found: 0 },
    ]);
    expect(two.interval.cpus).toEqual([]);
    const rec = { type: 'final' as const, tool: 'system_network_metrics_summary', time: new Date(0).toISOString(), interval_s: 1, ...metricsFields([], { top: 10, counts: two.total }), lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0, cost: { bpf_stats: false, bpf_runs: null, bpf_ns: null, bpf_ns_per_run: null, cpu_s: 0, cpu_pct: 0, rss_mb: 0 } };
    const text = renderMetricsText(rec);
    expect(text).toMatch(/eth0\s+9\s+tbf 8001:\s+root\s+10\s+1000\s+2\s+0\s+0\s+4p 400b/);
    // Conntrack columns this kernel lacks (searched) are not printed.
    expect(text).toMatch(/NETNS\s+ENTRIES\s+MAX\s+FOUND\s+INVALID/);
    expect(text).toMatch(/^\s+9\s+8\s+10\s+10\s+0\s+0\s+0\s+2/m);
    expect(text).toMatch(/0\s+NET_RX\s+5$/m);
    expect(text).not.toMatch(/TIME_US/);
  });
});

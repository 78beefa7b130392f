import { describe, expect, it } from 'vitest';
import { SLOTS, slotOf, toHistogram } from '@netstrata/bpf-common';
import { cumulativeBuckets, families } from './prometheus.ts';
import { metricsFields } from './render.ts';
import { parseListen } from './options.ts';

describe('Prometheus exposition', () => {
  it('turns the buckets into cumulative le buckets at each power of two', () => {
    const slots = new Array<bigint>(SLOTS).fill(0n);
    slots[slotOf(0)] = 1n; // [0, 1)
    slots[slotOf(5)] = 4n; // [5, 6)
    slots[slotOf(16)] = 3n; // [16, 18)
    slots[slotOf(31)] = 2n; // [30, 32)
    slots[slotOf(2 ** 40)] = 2n; // beyond the exported bounds: only in +Inf
    const b = cumulativeBuckets(toHistogram(slots, 'us').buckets);
    expect(b).toHaveLength(33);
    expect(b.find((x) => x.le === '1')!.count).toBe(1);
    expect(b.find((x) => x.le === '4')!.count).toBe(1);
    expect(b.find((x) => x.le === '8')!.count).toBe(5);
    expect(b.find((x) => x.le === '16')!.count).toBe(5);
    expect(b.find((x) => x.le === '32')!.count).toBe(10);
    expect(b.find((x) => x.le === String(2 ** 31))!.count).toBe(10);
    expect(b.at(-1)).toEqual({ le: '+Inf', count: 12 });
    for (let i = 1; i < b.length; i++) expect(b[i]!.count).toBeGreaterThanOrEqual(b[i - 1]!.count);
  });

  it('names series from the field list, with device, netns and ifindex labels', () => {
    const fields = metricsFields([{ name: 'eth0', ifindex: 2, netns: 7, rx_packets: 5, rx_bytes: 500, tx_packets: 0, tx_bytes: 0, tx_errors: 0 }], {
      top: 10,
      vitals: { queues: [], drops: [{ device: 'eth0', ifindex: 2, netns: 7, reason: 'NO_SOCKET', reason_code: 3, count: 4 }], softirqs: [{ cpu: 1, vector: 'NET_RX', count: 2, time_us: 1500 }] },
      counts: {
        qdiscs: [{ device: 'eth0', ifindex: 2, netns: 7, kind: 'tbf', handle: '8001:', parent: 'root', packets: 9, bytes: 900, drops: 1, requeues: 0, overlimits: 3, backlog_bytes: 200, backlog_packets: 2 }],
        conntrack: [{ netns: 7, entries: 5, max: 100, searched: null, found: 1, invalid: 2, insert: 0, insert_failed: 0, drop: 3, early_drop: 4, icmp_error: 0, clash_resolve: 0, chain_too_long: 0, search_restart: 0 }],
        cpus: [{ cpu: 1, softirq_us: 20_000, processed: 8, dropped: 0, time_squeeze: 1, received_rps: 0, flow_limit: 0 }],
        softirqs: [{ cpu: 1, vector: 'NET_RX', count: 3 }],
      },
      softirqTime: true,
    });
    const rec = { type: 'final' as const, tool: 'system_network_metrics_summary', time: new Date(0).toISOString(), interval_s: 1, ...fields, lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0 };
    const f = families(rec);
    expect(f.find((x) => x.name === 'netstrata_device_rx_packets_total')!.values).toEqual([{ labels: { device: 'eth0', netns: 7, ifindex: 2 }, value: 5 }]);
    expect(f.find((x) => x.name === 'netstrata_drops_total')!.values[0]).toEqual({ labels: { device: 'eth0', netns: 7, ifindex: 2, reason: 'NO_SOCKET' }, value: 4 });
    expect(f.find((x) => x.name === 'netstrata_softirq_seconds_total')!.values[0]!.value).toBe(0.0015);
    // Runs are the kernel's count (/proc/softirqs); the time is the one measured with --softirq-time.
    expect(f.find((x) => x.name === 'netstrata_softirq_total')!.values).toEqual([{ labels: { cpu: 1, vector: 'NET_RX' }, value: 3 }]);
    const qdisc = { device: 'eth0', netns: 7, ifindex: 2, qdisc: 'tbf', handle: '8001:', parent: 'root' };
    expect(f.find((x) => x.name === 'netstrata_qdisc_drops_total')!.values).toEqual([{ labels: qdisc, value: 1 }]);
    expect(f.find((x) => x.name === 'netstrata_qdisc_backlog_packets')!.values).toEqual([{ labels: qdisc, value: 2 }]);
    expect(f.find((x) => x.name === 'netstrata_conntrack_entries')!.values).toEqual([{ labels: { netns: 7 }, value: 5 }]);
    expect(f.find((x) => x.name === 'netstrata_conntrack_early_drop_total')!.values).toEqual([{ labels: { netns: 7 }, value: 4 }]);
    // A counter this kernel does not have is no series, not a zero.
    expect(f.find((x) => x.name === 'netstrata_conntrack_searched_total')!.values).toEqual([]);
    expect(f.find((x) => x.name === 'netstrata_cpu_softirq_seconds_total')!.values).toEqual([{ labels: { cpu: 1 }, value: 0.02 }]);
    expect(f.find((x) => x.name === 'netstrata_softnet_time_squeeze_total')!.values).toEqual([{ labels: { cpu: 1 }, value: 1 }]);
    // Without --softirq-time no time is exported rather than a made-up zero.
    const untimed = families({ ...rec, ...metricsFields([], { top: 10, counts: { qdiscs: [], conntrack: [], cpus: [], softirqs: [{ cpu: 0, vector: 'NET_RX', count: 3 }] } }) });
    expect(untimed.find((x) => x.name === 'netstrata_softirq_seconds_total')!.values).toEqual([]);
    expect(untimed.find((x) => x.name === 'netstrata_softirq_total')!.values).toHaveLength(1);
    expect(f.find((x) => x.name === 'netstrata_lost_total')!.values.map((v) => v.labels.kind)).toEqual(['lost', 'map_full', 'stack_failed', 'evicted', 'missed']);
  });

  it("exports the tool's own cost; program runs only while the kernel counts them", () => {
    const base = { type: 'final' as const, tool: 'system_network_metrics_summary', time: new Date(0).toISOString(), interval_s: 1, devices: [], more_devices: 0, qdiscs: [], conntrack: [], cpus: [], queues: [], drops: [], softirqs: [], lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0 };
    const cost = { bpf_stats: true, bpf_runs: 2000, bpf_ns: 500_000_000, bpf_ns_per_run: 250_000, cpu_s: 1.5, cpu_pct: 2, rss_mb: 80 };
    const value = (f: ReturnType<typeof families>, name: string) => f.find((x) => x.name === name)!.values.map((v) => v.value);
    const on = families({ ...base, cost } as never);
    expect(value(on, 'netstrata_tool_bpf_runs_total')).toEqual([2000]);
    expect(value(on, 'netstrata_tool_bpf_seconds_total')).toEqual([0.5]);
    expect(value(on, 'netstrata_tool_cpu_seconds_total')).toEqual([1.5]);
    expect(value(on, 'netstrata_tool_resident_memory_bytes')).toEqual([80 * 2 ** 20]);
    const off = families({ ...base, cost: { ...cost, bpf_stats: false, bpf_runs: null, bpf_ns: null, bpf_ns_per_run: null } } as never);
    expect(value(off, 'netstrata_tool_bpf_runs_total')).toEqual([]);
    expect(value(off, 'netstrata_tool_cpu_seconds_total')).toEqual([1.5]);
  });
});

describe('--prometheus [ADDR:]PORT', () => {
  it('defaults to loopback and checks address and port', () => {
    expect(parseListen('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseListen('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseListen('70000')).toMatch(/out of range/);
    expect(parseListen('10.0.0.300:80')).toMatch(/not an IPv4 or IPv6/);
    expect(parseListen('localhost')).toMatch(/not \[ADDR:\]PORT/);
  });
});

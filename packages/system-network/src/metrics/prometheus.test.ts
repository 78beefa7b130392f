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
    });
    const rec = { type: 'final' as const, tool: 'system_network_metrics_summary', time: new Date(0).toISOString(), interval_s: 1, ...fields, lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0 };
    const f = families(rec);
    expect(f.find((x) => x.name === 'netstrata_device_rx_packets_total')!.values).toEqual([{ labels: { device: 'eth0', netns: 7, ifindex: 2 }, value: 5 }]);
    expect(f.find((x) => x.name === 'netstrata_drops_total')!.values[0]).toEqual({ labels: { device: 'eth0', netns: 7, ifindex: 2, reason: 'NO_SOCKET' }, value: 4 });
    expect(f.find((x) => x.name === 'netstrata_softirq_seconds_total')!.values[0]!.value).toBe(0.0015);
    expect(f.find((x) => x.name === 'netstrata_lost_total')!.values.map((v) => v.labels.kind)).toEqual(['lost', 'map_full', 'stack_failed', 'evicted', 'missed']);
  });

  it("exports the tool's own cost; program runs only while the kernel counts them", () => {
    const base = { type: 'final' as const, tool: 'system_network_metrics_summary', time: new Date(0).toISOString(), interval_s: 1, devices: [], more_devices: 0, queues: [], drops: [], softirqs: [], lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0 };
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

import { describe, expect, it } from 'vitest';
import { SLOTS, toHistogram } from '@netstrata/bpf-common';
import { metricsFields, renderMetricsText } from './render.ts';

const ENVELOPE = { type: 'final' as const, tool: 'system_network_metrics_summary', time: new Date(0).toISOString(), interval_s: 1, lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0 };
const COST = { bpf_stats: false, bpf_runs: null, bpf_ns: null, bpf_ns_per_run: null, cpu_s: 0, cpu_pct: 0, rss_mb: 0 };
const empty = toHistogram(new Array<bigint>(SLOTS).fill(0n), 'us');

describe('text of the opt-in probes', () => {
  it('shows only the columns of the probes that ran: NAPI zeros are not printed as measured', () => {
    const queue = { device: 'eth0', ifindex: 2, netns: 7, qdisc_dequeued: 0, qdisc_unmatched: 0, napi_polls: 3, napi_packets: 9, napi_exhausted: 0, qdisc_sojourn_us: empty };
    const napiOnly = renderMetricsText({ ...ENVELOPE, ...metricsFields([], { top: 10, vitals: { queues: [queue], drops: [], softirqs: [] } }), cost: COST });
    expect(napiOnly).toMatch(/^ {2}NAPI:$/m);
    expect(napiOnly).toMatch(/DEVICE\s+NETNS\s+NAPI_POLLS\s+NAPI_PKTS\s+BUDGET_OUT$/m);
    expect(napiOnly).not.toMatch(/QDISC_DEQ|SOJOURN/);
    const timed = renderMetricsText({
      ...ENVELOPE,
      ...metricsFields([], { top: 10, counts: { qdiscs: [], conntrack: [], cpus: [], softirqs: [{ cpu: 0, vector: 'NET_RX', count: 4 }] }, vitals: { queues: [], drops: [], softirqs: [{ cpu: 0, vector: 'NET_RX', count: 4, time_us: 10 }] }, softirqTime: true }),
      cost: COST,
    });
    expect(timed).toMatch(/0\s+NET_RX\s+4\s+10\s+2\.5$/m);
  });
});

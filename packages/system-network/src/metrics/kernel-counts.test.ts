import { describe, expect, it } from 'vitest';
import { KernelAggregator } from './aggregate.ts';
import { parseConntrack } from './conntrack.ts';
import { parseSoftirqs, parseSoftnet, parseStatSoftirq } from './cpus.ts';
import { parseNamespace } from './devices.ts';
import { parseQdiscs } from './qdiscs.ts';
import { metricsFields, renderMetricsText } from './render.ts';

// As this kernel (6.18) prints them.
const CT_HEADER = 'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart';
const ctLine = (v: number[]) => v.map((x) => x.toString(16).padStart(8, '0')).join(' ');
const ct = (a: number[], b: number[]) => `${CT_HEADER}\n${ctLine(a)}\n${ctLine(b)}\n`;

const SOFTIRQS = `                    CPU0       CPU1
          HI:          0          0
       TIMER:     383792     316800
      NET_TX:       8269       6610
      NET_RX:   53506487     402132
       BLOCK:          0     438620
`;
const STAT = `cpu  899783 0 184275 647589 3624 0 15032 2392 0 0
cpu0 433381 0 95191 334793 364 0 12501 1201 0 0
cpu1 466402 0 89083 312795 3259 0 2531 1191 0 0
intr 1 2 3
`;
const SOFTNET = `032f6f6b 00000002 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
0006a863 00000000 00000003 00000000 00000000 00000000 00000000 00000000 00000000 00000005 00000000 00000000 00000001 00000000 00000000
`;

describe("the kernel's own counters", () => {
  it('sums conntrack statistics over CPUs, by the names in the header', () => {
    //            entries clash found new invalid ignore delete chain insert ifail drop early icmp
    const r = parseConntrack(ct([3, 0, 10, 0, 2, 0, 0, 0, 0, 1, 4, 5, 0, 0, 0, 0, 0], [3, 1, 20, 0, 0, 0, 0, 0, 0, 0, 2, 1, 7, 0, 0, 0, 9]), '3\n', '262144\n', 42)!;
    expect(r).toEqual({
      netns: 42, entries: 3, max: 262144, searched: null, found: 30, invalid: 2, insert: 0, insert_failed: 1, drop: 6, early_drop: 6, icmp_error: 7, clash_resolve: 1, chain_too_long: 0, search_restart: 9,
    });
    // No conntrack in the kernel: nothing to read, no row.
    expect(parseConntrack('', '', '', 42)).toBeUndefined();
    // The count from the statistics when the sysctls are not readable.
    expect(parseConntrack(ct([5, ...new Array(16).fill(0)], [5, ...new Array(16).fill(0)]), '', '', 1)).toMatchObject({ entries: 5, max: null });
  });

  it('reads tc qdisc statistics, numbering devices from their links and leaving noqueue out', () => {
    const json = JSON.stringify([
      { kind: 'noqueue', handle: '0:', dev: 'lo', root: true, bytes: 0, packets: 0, drops: 0, overlimits: 0, requeues: 0, backlog: 0, qlen: 0 },
      { kind: 'tbf', handle: '8001:', dev: 'eth0', root: true, bytes: 1000, packets: 10, drops: 2, overlimits: 5, requeues: 1, backlog: 300, qlen: 3 },
      { kind: 'fq_codel', handle: '0:', dev: 'eth1', parent: '8002:1', bytes: 7, packets: 1, drops: 0, overlimits: 0, requeues: 0, backlog: 0, qlen: 0 },
    ]);
    const rows = parseQdiscs(json, 9, (d) => ({ eth0: 2, eth1: 3, lo: 1 })[d]);
    expect(rows).toEqual([
      { device: 'eth0', ifindex: 2, netns: 9, kind: 'tbf', handle: '8001:', parent: 'root', packets: 10, bytes: 1000, drops: 2, requeues: 1, overlimits: 5, backlog_bytes: 300, backlog_packets: 3 },
      { device: 'eth1', ifindex: 3, netns: 9, kind: 'fq_codel', handle: '0:', parent: '8002:1', packets: 1, bytes: 7, drops: 0, requeues: 0, overlimits: 0, backlog_bytes: 0, backlog_packets: 0 },
    ]);
  });

  it('reads NET_RX/NET_TX runs, softirq time and softnet_stat per CPU', () => {
    expect(parseSoftirqs(SOFTIRQS, ['NET_RX', 'NET_TX'])).toEqual([
      { cpu: 0, vector: 'NET_TX', count: 8269 },
      { cpu: 1, vector: 'NET_TX', count: 6610 },
      { cpu: 0, vector: 'NET_RX', count: 53506487 },
      { cpu: 1, vector: 'NET_RX', count: 402132 },
    ]);
    const us = parseStatSoftirq(STAT);
    expect([...us]).toEqual([
      [0, 125_010_000],
      [1, 25_310_000],
    ]);
    expect(parseSoftnet(SOFTNET, us)).toEqual([
      { cpu: 0, softirq_us: 125_010_000, processed: 0x032f6f6b, dropped: 2, time_squeeze: 1, received_rps: 0, flow_limit: 0 },
      { cpu: 1, softirq_us: 25_310_000, processed: 0x0006a863, dropped: 0, time_squeeze: 3, received_rps: 5, flow_limit: 0 },
    ]);
  });

  it('splits one namespace reading into links, qdiscs and conntrack', () => {
    const links = JSON.stringify([{ ifindex: 2, ifname: 'eth0', stats64: { rx: { bytes: 10, packets: 1 }, tx: { bytes: 10, packets: 1, errors: 0, dropped: 0 } } }]);
    const qdiscs = JSON.stringify([{ kind: 'tbf', handle: '8001:', dev: 'eth0', root: true, bytes: 0, packets: 0, drops: 0, overlimits: 0, requeues: 0, backlog: 0, qlen: 0 }]);
    const sep = '@@netstrata@@\n';
    const r = parseNamespace(`${links}\n${sep}${qdiscs}\n${sep}${ct(new Array(17).fill(0), new Array(17).fill(0))}${sep}0\n${sep}65536\n`, 5);
    expect(r.devices.map((d) => d.name)).toEqual(['eth0']);
    expect(r.qdiscs.map((q) => [q.device, q.ifindex, q.kind])).toEqual([['eth0', 2, 'tbf']]);
    expect(r.conntrack).toMatchObject([{ netns: 5, entries: 0, max: 65536 }]);
    // No conntrack and no tc: devices only.
    expect(parseNamespace(`${links}\n${sep}${sep}${sep}${sep}`, 5)).toMatchObject({ qdiscs: [], conntrack: [] });
  });

  it('counts from the reading at start; shows conntrack only where it is in use, and the backlog as it is', () => {
    const zero = { found: 0, invalid: 0, insert: 0, insert_failed: 0, drop: 0, early_drop: 0, icmp_error: 0, clash_resolve: 0, chain_too_long: 0, search_restart: 0, searched: null };
    const q = (packets: number, drops: number, backlog: number) => ({ device: 'eth0', ifindex: 2, netns: 9, kind: 'tbf', handle: '8001:', parent: 'root', packets, bytes: packets * 100, drops, requeues: 0, overlimits: 0, backlog_bytes: backlog * 100, backlog_packets: backlog });
    const cpu = (processed: number) => ({ cpu: 0, softirq_us: 0, processed, dropped: 0, time_squeeze: 0, received_rps: 0, flow_limit: 0 });
    const start = {
      devices: [],
      qdiscs: [q(100, 1, 0)],
      conntrack: [{ netns: 9, entries: 0, max: 10, ...zero, found: 50 }, { netns: 10, entries: 0, max: 10, ...zero }],
      cpus: [cpu(1000)],
      softirqs: [{ cpu: 0, vector: 'NET_RX', count: 70 }],
    };
    const agg = new KernelAggregator(start);
    const one = agg.update({ ...start, qdiscs: [q(110, 3, 4)], conntrack: [{ netns: 9, entries: 8, max: 10, ...zero, found: 60, drop: 2 }, start.conntrack[1]!], cpus: [cpu(1010)], softirqs: [{ cpu: 0, vector: 'NET_RX', count: 75 }] });
    expect(one.total.qdiscs).toMatchObject([{ packets: 10, drops: 2, backlog_packets: 4 }]);
    expect(one.total.conntrack).toEqual([{ netns: 9, entries: 8, max: 10, ...zero, found: 10, drop: 2 }]);
    expect(one.total.cpus).toMatchObject([{ cpu: 0, processed: 10 }]);
    expect(one.total.softirqs).toEqual([{ cpu: 0, vector: 'NET_RX', count: 5 }]);
    const two = agg.update({ ...start, qdiscs: [q(110, 3, 4)], conntrack: [{ netns: 9, entries: 8, max: 10, ...zero, found: 60, drop: 2 }, start.conntrack[1]!], cpus: [cpu(1010)], softirqs: [{ cpu: 0, vector: 'NET_RX', count: 75 }] });
    // Nothing moved: the queue still holds packets, and conntrack still holds entries.
    expect(two.interval.qdiscs).toMatchObject([{ packets: 0, drops: 0, backlog_packets: 4 }]);
    expect(two.interval.conntrack).toMatchObject([{ netns: 9, entries: 8, found: 0, drop: 0 }]);
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

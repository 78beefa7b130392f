/**
 * system_network_metrics_summary against known traffic: per-device packet and byte counts equal
 * what the lab sent, and equal the devices' own statistics.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DropReasons } from '@netstrata/bpf-common';
import { AgentContextWitness, bucketOf, Lab, rank, shapeTbf, requireRoot, sendUdp, startTool, toolPath, twoHosts, type Netns } from './index.ts';

const run = requireRoot('system_network_metrics_summary end-to-end tests');

interface Dev {
  device: string;
  netns: number;
  rx_packets: number;
  rx_bytes: number;
  tx_packets: number;
  tx_bytes: number;
  tx_errors: number;
}

interface Hist {
  count: number;
  percentiles: { p50: { low: number; high: number }; p99: { low: number; high: number } } | null;
}
interface Queue {
  device: string;
  ifindex: number;
  netns: number;
  qdisc_dequeued: number;
  qdisc_unmatched: number;
  napi_polls: number;
  napi_packets: number;
  napi_exhausted: number;
  qdisc_sojourn_us: Hist;
}
interface Drop {
  device: string;
  netns: number;
  reason: string;
  count: number;
}
interface Softirq {
  cpu: number;
  vector: string;
  count: number;
  time_us?: number;
}
interface Qdisc {
  device: string;
  netns: number;
  kind: string;
  parent: string;
  packets: number;
  bytes: number;
  drops: number;
  backlog_packets: number;
}
interface Cpu {
  cpu: number;
  processed: number;
}
interface Conntrack {
  netns: number;
  entries: number;
  max: number | null;
  found: number;
  invalid: number;
  insert_failed: number;
  drop: number;
  early_drop: number;
}

/** The namespace's conntrack statistics as the kernel prints them, summed over CPUs. */
function conntrackStat(ns: Netns): Record<string, number> & { entries: number } {
  const [header, ...cpus] = ns.exec('cat', ['/proc/net/stat/nf_conntrack']).trim().split('\n');
  const names = header!.trim().split(/\s+/);
  const out: Record<string, number> & { entries: number } = { entries: 0 };
  for (const l of cpus) l.trim().split(/\s+/).forEach((v, i) => (out[names[i]!] = (out[names[i]!] ?? 0) + parseInt(v, 16)));
  out.entries = Number(ns.exec('cat', ['/proc/sys/net/netfilter/nf_conntrack_count']).trim());
  return out;
}

/** tc's own statistics of the device's root qdisc. */
function qdiscStats(ns: Netns, dev: string): { packets: number; drops: number } {
  const q = (JSON.parse(ns.tc('-s', '-j', 'qdisc', 'show', 'dev', dev)) as { root?: boolean; packets: number; drops: number }[]).find((x) => x.root)!;
  return { packets: q.packets, drops: q.drops };
}

const CONNTRACK_MAX = '/proc/sys/net/netfilter/nf_conntrack_max';

function kernelStats(ns: Netns, dev: string): { rx_packets: number; rx_bytes: number; tx_packets: number; tx_bytes: number } {
  const s = JSON.parse(ns.ip('-j', '-s', 'link', 'show', 'dev', dev))[0].stats64;
  return { rx_packets: s.rx.packets, rx_bytes: s.rx.bytes, tx_packets: s.tx.packets, tx_bytes: s.tx.bytes };
}

/** The namespace's UDP NoPorts counter (/proc/net/snmp): datagrams refused for want of a socket. */
function udpNoPorts(ns: Netns): number {
  const lines = ns.exec('cat', ['/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  return Number(lines[1]!.split(/\s+/)[names.indexOf('NoPorts')]);
}

describe.runIf(run)('system_network_metrics_summary', () => {
  for (const family of [4, 6] as const) {
    it(`counts exactly the packets and bytes sent over a veth (IPv${family})`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      await using onA = await startTool(toolPath('systemNetworkMetricsSummary'), ['--netns', a.ns.name, '--interval', '3600']);
      await using onB = await startTool(toolPath('systemNetworkMetricsSummary'), ['--netns', b.ns.name, '--interface', b.dev, '--interval', '3600']);
      // The devices' own counters over the same window as the tools (both attached, not yet stopped).
      const beforeA = kernelStats(a.ns, a.dev);
      const beforeB = kernelStats(b.ns, b.dev);
      const N = 100;
      const size = 100;
      sendUdp(a.ns, { dst: family === 4 ? b.v4 : b.v6, dport: 40000, count: N, size });
      const afterA = kernelStats(a.ns, a.dev);
      const afterB = kernelStats(b.ns, b.dev);
      const resA = await onA.stop();
      const resB = await onB.stop();
      const frame = size + 8 + (family === 4 ? 20 : 40) + 14;
      const devA = (resA.records.find((r) => r.type === 'final')!.devices as Dev[]).find((d) => d.device === a.dev)!;
      const devsB = resB.records.find((r) => r.type === 'final')!.devices as Dev[];
      expect(devsB.map((d) => d.device)).toEqual([b.dev]); // --interface keeps one device
      const devB = devsB[0]!;
      // What the lab sent: N frames of a known size, out of a and into b.
      expect(devA.tx_packets).toBe(N);
      expect(devA.tx_bytes).toBe(N * frame);
      expect(devB.rx_packets).toBe(N);
      expect(devB.rx_bytes).toBe(N * frame);
      expect(devB.netns).toBe(b.ns.inode);
      // And what the devices themselves counted over the same time.
      expect(devA.tx_packets).toBe(afterA.tx_packets - beforeA.tx_packets);
      expect(devA.tx_bytes).toBe(afterA.tx_bytes - beforeA.tx_bytes);
      expect(devB.rx_packets).toBe(afterB.rx_packets - beforeB.rx_packets);
      expect(devB.rx_bytes).toBe(afterB.rx_bytes - beforeB.rx_bytes);
    });
  }

  it('measures qdisc sojourn behind a tbf, drops by reason, NAPI polls and NET_RX softirq time (the opt-in probes)', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    // tbf at a known rate with a burst of about one frame: back-to-back packets queue, and each
    // leaves when the bucket has refilled for it.
    const rateBps = 125_000;
    const tbf = shapeTbf(a, { rateBps, burst: 2000 });
    const probes = ['--qdisc-sojourn', '--napi', '--softirq-time'];
    await using onA = await startTool(toolPath('systemNetworkMetricsSummary'), ['--netns', a.ns.name, '--interval', '3600', ...probes]);
    await using onB = await startTool(toolPath('systemNetworkMetricsSummary'), ['--netns', b.ns.name, '--interval', '3600', ...probes]);
    await using host = await startTool(toolPath('systemNetworkMetricsSummary'), ['--interval', '3600', ...probes]);
    const N = 50;
    const size = 1000;
    const frame = size + 8 + 20 + 14;
    // tbf sends from its watchdog timer, and what follows (b's receive and drop) runs in the same
    // softirq: in whatever thread was interrupted, the VM agent's included, where this kernel runs
    // no BPF program. The witnesses count those dequeues and drops.
    const ifindexA = Number(a.ns.exec('cat', [`/sys/class/net/${a.dev}/ifindex`]));
    const tbfHandle = parseInt((JSON.parse(a.ns.tc('-j', 'qdisc', 'show', 'dev', a.dev)) as { kind: string; handle: string }[]).find((q) => q.kind === 'tbf')!.handle, 16) * 0x10000;
    using dequeues = new AgentContextWitness('qdisc:qdisc_dequeue', `ifindex == ${ifindexA} && handle == ${tbfHandle} && packets > 0`);
    using noSocket = new AgentContextWitness('skb:kfree_skb', `reason == ${DropReasons.fromKernel().code('NO_SOCKET')} && protocol == 2048`);
    // Nothing listens on b's port 40001: every packet that reaches b is a NO_SOCKET drop there.
    const noPortsBefore = udpNoPorts(b.ns);
    const sent = sendUdp(a.ns, { dst: b.v4, dport: 40001, count: N, size });
    expect(sent.sent).toBe(N);
    // The queue drains at the tbf rate, (N × frame) / rate if the softirqs run on time; on a loaded
    // machine they run later, so wait until b's UDP has refused every packet (counted just before
    // the NO_SOCKET drop), then a moment for that last drop to be traced.
    const drain = ((N * frame) / rateBps) * 1000;
    const deadline = Date.now() + drain + 15_000;
    while (udpNoPorts(b.ns) - noPortsBefore < N && Date.now() < deadline) await sleep(50);
    expect(udpNoPorts(b.ns) - noPortsBefore).toBe(N);
    await sleep(50);
    const final = async (t: typeof onA) => (await t.stop()).records.find((r) => r.type === 'final')!;
    const recA = await final(onA);
    const recB = await final(onB);
    const recH = await final(host);
    const unseen = { dequeues: dequeues.counts().withheld, drops: noSocket.counts().withheld };
    if (unseen.dequeues || unseen.drops) console.log(`tbf test: ${unseen.dequeues} dequeues and ${unseen.drops} drops where the kernel runs no BPF program`);

    const qa = (recA.queues as Queue[]).find((q) => q.device === a.dev)!;
    expect(qa.qdisc_dequeued).toBeGreaterThanOrEqual(N - unseen.dequeues);
    const predicted = tbf.waitsUs(N, frame);
    const h = qa.qdisc_sojourn_us;
    expect(h.count).toBeGreaterThanOrEqual(N - unseen.dequeues);
    expect(Math.abs(bucketOf(h.percentiles!.p50.low) - bucketOf(rank(predicted, 0.5)))).toBeLessThanOrEqual(1);
    expect(Math.abs(bucketOf(h.percentiles!.p99.low) - bucketOf(rank(predicted, 0.99)))).toBeLessThanOrEqual(1);
    console.log(`tbf sojourn: count ${h.count}, p50 [${h.percentiles!.p50.low}, ${h.percentiles!.p50.high}) µs (predicted ${Math.round(rank(predicted, 0.5))}), p99 [${h.percentiles!.p99.low}, ${h.percentiles!.p99.high}) µs (predicted ${Math.round(rank(predicted, 0.99))})`);

    // Drops by reason, named from BTF: exactly the N packets to the closed port, on b's device.
    const dropsB = recB.drops as Drop[];
    expect(dropsB.find((d) => d.device === b.dev && d.reason === 'NO_SOCKET')?.count).toBe(N - unseen.drops);
    expect((recA.drops as Drop[]).filter((d) => d.reason === 'QDISC_DROP')).toEqual([]);

    // veth hands packets to the receiving CPU's backlog, a NAPI instance with no device: its polls
    // carried at least the N packets b received (and whatever else the host received meanwhile).
    const backlog = (recH.queues as Queue[]).find((q) => q.ifindex === 0)!;
    expect(backlog.napi_polls).toBeGreaterThan(0);
    expect(backlog.napi_packets).toBeGreaterThanOrEqual(N - unseen.drops);
    expect(backlog.napi_polls).toBeLessThanOrEqual(backlog.napi_packets + backlog.napi_polls);
    // A filtered tool counts only its own devices: b has no NAPI of its own, so no device-less rows.
    expect((recB.queues as Queue[]).filter((q) => q.ifindex === 0)).toEqual([]);
    const devB = (recB.devices as Dev[]).find((d) => d.device === b.dev)!;
    expect(devB.rx_packets).toBe(N);
    console.log(`napi backlog: polls ${backlog.napi_polls}, packets ${backlog.napi_packets}, budget exhausted ${backlog.napi_exhausted}`);

    // Receiving ran in NET_RX softirqs, and they took time on some CPU.
    const netRx = (recB.softirqs as Softirq[]).filter((s) => s.vector === 'NET_RX');
    expect(netRx.reduce((t, s) => t + s.time_us!, 0)).toBeGreaterThan(0);
    expect(netRx.reduce((t, s) => t + s.count, 0)).toBeGreaterThan(0);
    console.log(`softirq NET_RX: ${netRx.map((s) => `cpu${s.cpu} ${s.count} runs ${s.time_us} µs`).join(', ')}`);
  });

  it("by default reads what the kernel counts: tc's qdisc statistics, /proc/softirqs and softnet_stat, with no per-packet probe", async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    shapeTbf(a, { rateBps: 1_250_000, burst: 2000 });
    await using onA = await startTool(toolPath('systemNetworkMetricsSummary'), ['--netns', a.ns.name, '--interval', '3600', '--verbose']);
    await using host = await startTool(toolPath('systemNetworkMetricsSummary'), ['--interval', '3600']);
    const before = qdiscStats(a.ns, a.dev);
    const N = 40;
    const size = 500;
    const noPortsBefore = udpNoPorts(b.ns);
    expect(sendUdp(a.ns, { dst: b.v4, dport: 40004, count: N, size }).sent).toBe(N);
    // The tbf releases the packets at its rate: wait until b has refused them all.
    const deadline = Date.now() + 15_000;
    while (udpNoPorts(b.ns) - noPortsBefore < N && Date.now() < deadline) await sleep(50);
    expect(udpNoPorts(b.ns) - noPortsBefore).toBe(N);
    const after = qdiscStats(a.ns, a.dev);
    const resA = await onA.stop();
    const recA = resA.records.find((r) => r.type === 'final')!;
    const recH = (await host.stop()).records.find((r) => r.type === 'final')!;
    // The one default probe is the drop counter: the per-packet ones are not even loaded.
    const said = resA.records.filter((r) => r.type === 'info').map((r) => String(r.message)).join('\n');
    expect(said).toMatch(/hook skb:kfree_skb: using/);
    expect(said).not.toMatch(/hook (napi:napi_poll|irq:softirq_entry|irq:softirq_exit|qdisc:qdisc_enqueue|qdisc:qdisc_dequeue)/);
    const q = (recA.qdiscs as Qdisc[]).filter((x) => x.device === a.dev && x.parent === 'root');
    expect(q).toHaveLength(1);
    expect(q[0]!.kind).toBe('tbf');
    // Exactly what tc counted over the same time, and the N packets the lab sent through it.
    expect(q[0]!.packets).toBe(after.packets - before.packets);
    expect(q[0]!.packets).toBe(N);
    expect(q[0]!.bytes).toBe(N * (size + 8 + 20 + 14));
    expect(q[0]!.drops).toBe(0);
    expect(q[0]!.backlog_packets).toBe(0);
    expect(recA.queues).toEqual([]);
    // Softirq runs from /proc/softirqs, with no time (that needs --softirq-time); b's CPUs processed
    // the N packets (softnet_stat counts every packet received on the host, so at least N).
    const netRx = (recH.softirqs as Softirq[]).filter((s) => s.vector === 'NET_RX');
    expect(netRx.reduce((t, s) => t + s.count, 0)).toBeGreaterThan(0);
    expect(netRx.every((s) => s.time_us === undefined)).toBe(true);
    expect((recH.cpus as Cpu[]).reduce((t, c) => t + c.processed, 0)).toBeGreaterThanOrEqual(N);
  });

  it('reports conntrack per namespace from the kernel: N flows are N entries, each new flow over a full table a drop, K untrackable segments K invalid', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    // a tracks what it sends (IPv4 only, so nothing else of a's is tracked); b drops it silently
    // (no ICMP errors back) and tracks nothing.
    a.ns.nft('table ip track {\n chain out {\n  type filter hook output priority 0\n  ct state new counter\n }\n}\n');
    b.ns.nft('table ip sink {\n chain in {\n  type filter hook input priority 0\n  udp dport 41000-41999 drop\n  tcp dport 41000 drop\n }\n}\n');
    await using onA = await startTool(toolPath('systemNetworkMetricsSummary'), ['--netns', a.ns.name, '--interval', '3600']);
    await using onB = await startTool(toolPath('systemNetworkMetricsSummary'), ['--netns', b.ns.name, '--interval', '3600']);
    const before = conntrackStat(a.ns);
    // N distinct UDP flows (one packet to each of N ports): N unreplied entries for 30 s.
    const N = 20;
    expect(sendUdp(a.ns, { dst: b.v4, dport: 41000, dportCount: N, count: N }).sent).toBe(N);
    expect(conntrackStat(a.ns).entries - before.entries).toBe(N);
    // The table's limit is the host's (a namespace cannot set its own): held at what a has now for
    // the M flows that follow, then put back. Each new flow then finds the table full: the kernel
    // evicts an unconfirmed entry (early_drop) or drops the packet (drop, EPERM to the sender).
    const M = 10;
    const max = readFileSync(CONNTRACK_MAX, 'utf8').trim();
    try {
      writeFileSync(CONNTRACK_MAX, String(before.entries + N));
      sendUdp(a.ns, { dst: b.v4, dport: 41000 + N, dportCount: M, count: M, allowEperm: true });
    } finally {
      writeFileSync(CONNTRACK_MAX, max);
    }
    // K TCP segments with SYN and FIN both set: a flag combination conntrack refuses to track, so
    // each is one invalid packet (and no entry).
    const K = 7;
    a.ns.exec('python3', [
      '-c',
      `import socket, struct\ns = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)\nh = struct.pack('!HHIIBBHHH', 40000, 41000, 1, 0, 5 << 4, 0x03, 1024, 0, 0)\nfor _ in range(${K}): s.sendto(h, ('${b.v4}', 0))\n`,
    ]);
    const after = conntrackStat(a.ns);
    const recA = (await onA.stop()).records.find((r) => r.type === 'final')!;
    const recB = (await onB.stop()).records.find((r) => r.type === 'final')!;
    const ct = recA.conntrack as Conntrack[];
    expect(ct.map((c) => c.netns)).toEqual([a.ns.inode]);
    const c = ct[0]!;
    expect(c.entries).toBe(before.entries + N);
    expect(c.entries).toBe(after.entries);
    expect(c.max).toBe(Number(max));
    // Every flow over the limit is one of the two, exactly, and each figure is the kernel's own.
    expect(c.drop + c.early_drop).toBe(M);
    expect(c.drop).toBe(after.drop! - before.drop!);
    expect(c.early_drop).toBe(after.early_drop! - before.early_drop!);
    expect(c.insert_failed).toBe(after.insert_failed! - before.insert_failed!);
    expect(c.invalid).toBe(K);
    expect(c.invalid).toBe(after.invalid! - before.invalid!);
    expect(c.found).toBe(after.found! - before.found!);
    // b tracks nothing: no conntrack row there.
    expect(recB.conntrack).toEqual([]);
    console.log(`conntrack: entries ${c.entries}, drop ${c.drop}, early_drop ${c.early_drop}, invalid ${c.invalid}, insert_failed ${c.insert_failed}`);
  });

  it('drops over the tbf burst are QDISC_DROP on the sending device, exactly', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    // Every frame is larger than the burst: tbf drops each one at enqueue.
    a.ns.tc('qdisc', 'add', 'dev', a.dev, 'root', 'tbf', 'rate', '10mbit', 'burst', '1000', 'limit', '100000');
    await using onA = await startTool(toolPath('systemNetworkMetricsSummary'), ['--netns', a.ns.name, '--interval', '3600']);
    const N = 40;
    sendUdp(a.ns, { dst: b.v4, dport: 40002, count: N, size: 1200, allowEperm: true });
    const rec = (await onA.stop()).records.find((r) => r.type === 'final')!;
    const drops = rec.drops as Drop[];
    expect(drops.find((d) => d.device === a.dev && d.reason === 'QDISC_DROP')?.count).toBe(N);
    // And the qdisc's own statistics say the same.
    expect((rec.qdiscs as Qdisc[]).find((q) => q.device === a.dev && q.kind === 'tbf')?.drops).toBe(N);
  });
});

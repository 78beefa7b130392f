/**
 * system_network_metrics_summary against known traffic: per-device packet and byte counts equal
 * what the lab sent, and equal the devices' own statistics.
 */
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { bucketOf, Lab, rank, shapeTbf, requireRoot, sendUdp, startTool, toolPath, twoHosts, type Netns } from './index.ts';

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
  time_us: number;
}

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

  it('measures qdisc sojourn behind a tbf, drops by reason, NAPI polls and NET_RX softirq time', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    // tbf at a known rate with a burst of about one frame: back-to-back packets queue, and each
    // leaves when the bucket has refilled for it.
    const rateBps = 125_000;
    const tbf = shapeTbf(a, { rateBps, burst: 2000 });
    await using onA = await startTool(toolPath('systemNetworkMetricsSummary'), ['--netns', a.ns.name, '--interval', '3600']);
    await using onB = await startTool(toolPath('systemNetworkMetricsSummary'), ['--netns', b.ns.name, '--interval', '3600']);
    await using host = await startTool(toolPath('systemNetworkMetricsSummary'), ['--interval', '3600']);
    const N = 50;
    const size = 1000;
    const frame = size + 8 + 20 + 14;
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

    const qa = (recA.queues as Queue[]).find((q) => q.device === a.dev)!;
    expect(qa.qdisc_dequeued).toBeGreaterThanOrEqual(N);
    const predicted = tbf.waitsUs(N, frame);
    const h = qa.qdisc_sojourn_us;
    expect(h.count).toBeGreaterThanOrEqual(N);
    expect(Math.abs(bucketOf(h.percentiles!.p50.low) - bucketOf(rank(predicted, 0.5)))).toBeLessThanOrEqual(1);
    expect(Math.abs(bucketOf(h.percentiles!.p99.low) - bucketOf(rank(predicted, 0.99)))).toBeLessThanOrEqual(1);
    console.log(`tbf sojourn: count ${h.count}, p50 [${h.percentiles!.p50.low}, ${h.percentiles!.p50.high}) µs (predicted ${Math.round(rank(predicted, 0.5))}), p99 [${h.percentiles!.p99.low}, ${h.percentiles!.p99.high}) µs (predicted ${Math.round(rank(predicted, 0.99))})`);

    // Drops by reason, named from BTF: exactly the N packets to the closed port, on b's device.
    const dropsB = recB.drops as Drop[];
    expect(dropsB.find((d) => d.device === b.dev && d.reason === 'NO_SOCKET')?.count).toBe(N);
    expect((recA.drops as Drop[]).filter((d) => d.reason === 'QDISC_DROP')).toEqual([]);

    // veth hands packets to the receiving CPU's backlog, a NAPI instance with no device: its polls
    // carried at least the N packets b received (and whatever else the host received meanwhile).
    const backlog = (recH.queues as Queue[]).find((q) => q.ifindex === 0)!;
    expect(backlog.napi_polls).toBeGreaterThan(0);
    expect(backlog.napi_packets).toBeGreaterThanOrEqual(N);
    expect(backlog.napi_polls).toBeLessThanOrEqual(backlog.napi_packets + backlog.napi_polls);
    // A filtered tool counts only its own devices: b has no NAPI of its own, so no device-less rows.
    expect((recB.queues as Queue[]).filter((q) => q.ifindex === 0)).toEqual([]);
    const devB = (recB.devices as Dev[]).find((d) => d.device === b.dev)!;
    expect(devB.rx_packets).toBe(N);
    console.log(`napi backlog: polls ${backlog.napi_polls}, packets ${backlog.napi_packets}, budget exhausted ${backlog.napi_exhausted}`);

    // Receiving ran in NET_RX softirqs, and they took time on some CPU.
    const netRx = (recB.softirqs as Softirq[]).filter((s) => s.vector === 'NET_RX');
    expect(netRx.reduce((t, s) => t + s.time_us, 0)).toBeGreaterThan(0);
    expect(netRx.reduce((t, s) => t + s.count, 0)).toBeGreaterThan(0);
    console.log(`softirq NET_RX: ${netRx.map((s) => `cpu${s.cpu} ${s.count} runs ${s.time_us} µs`).join(', ')}`);
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
  });
});

/**
 * system_network_metrics_summary against known traffic: per-device packet and byte counts equal
 * what the lab sent, and equal the devices' own statistics.
 */
import { describe, expect, it } from 'vitest';
import { Lab, requireRoot, sendUdp, startTool, tools, twoHosts, type Netns } from './index.ts';

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

function kernelStats(ns: Netns, dev: string): { rx_packets: number; rx_bytes: number; tx_packets: number; tx_bytes: number } {
  const s = JSON.parse(ns.ip('-j', '-s', 'link', 'show', 'dev', dev))[0].stats64;
  return { rx_packets: s.rx.packets, rx_bytes: s.rx.bytes, tx_packets: s.tx.packets, tx_bytes: s.tx.bytes };
}

describe.runIf(run)('system_network_metrics_summary', () => {
  for (const family of [4, 6] as const) {
    it(`counts exactly the packets and bytes sent over a veth (IPv${family})`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      const onA = await startTool(tools.systemNetworkMetrics, ['--netns', a.ns.name, '--interval', '3600']);
      const onB = await startTool(tools.systemNetworkMetrics, ['--netns', b.ns.name, '--interface', b.dev, '--interval', '3600']);
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
});

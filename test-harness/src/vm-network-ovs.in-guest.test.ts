/**
 * vm_network_latency_summary and _details on a VM switched by Open vSwitch's kernel datapath (the
 * bridged VM of tap-vm.ts with an OVS bridge in place of the Linux one, ovs.ts). A packet the
 * datapath has no flow for goes up to ovs-vswitchd and comes back down as a new skb: the tools
 * follow it across, and time the upcall as its own stage. Truth: the packets sent, the peer's and
 * the relay's counts, the datapath's own lookup counters (missed = upcalls), and an upcall held
 * for as long as the test keeps ovs-vswitchd stopped.
 *
 * This host's kernel has no openvswitch module, so the file runs in the guest tier only; the host's
 * test run leaves it out (vitest.config.ts).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Histogram } from '@netstrata/bpf-common';
import type { PathEventRecord, PathRow } from '@netstrata/vm-network';
import { Lab, OvsSwitch, TapRelay, bridgedVm, ovsAvailable, requireRoot, sendUdp, startTool, until, type Netns, type ToolRecord } from './index.ts';

const SUMMARY = fileURLToPath(new URL('../../packages/vm-network/dist/vm_network_latency_summary.js', import.meta.url));
const DETAILS = fileURLToPath(new URL('../../packages/vm-network/dist/vm_network_latency_details.js', import.meta.url));

const available = ovsAvailable();
if (available !== true && process.env.CI) throw new Error(`OVS tests: ${available}`);
const run = requireRoot('vm-network OVS end-to-end tests') && available === true;

const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as { paths: PathRow[]; lost: number; map_full: number };
const path = (rows: PathRow[], dir: 'tx' | 'rx') => rows.find((r) => r.vm_interface === 'tap0' && r.direction === dir)!;
const rxPackets = (ns: Netns, dev: string): number => ns.linkStats(dev).rx.packets;
const highest = (h: Histogram) => Math.max(...h.buckets.map((b) => b.end));
const ARGS = (host: Netns) => ['--netns', host.name, '--vm-interface', 'tap0', '--phy-interface', 'phy0'];


/** The bridged VM with tap0 and phy0 on an OVS bridge whose two flows send each port's packets to the other. */
function ovsVm(lab: Lab) {
  const vm = bridgedVm(lab, 256, { bridge: false });
  const ovs = OvsSwitch.start(vm.host);
  ovs.bridge('nstbr0', ['tap0', 'phy0'], [['tap0', 'phy0'], ['phy0', 'tap0']]);
  return { ...vm, ovs };
}

describe.runIf(run)('vm_network_latency_summary through Open vSwitch', () => {
  for (const family of ['v4', 'v6'] as const) {
    it(`every packet both ways, followed across its upcall: as many upcalls timed as the datapath missed (IP${family})`, async () => {
      using lab = Lab.create();
      const N = 20;
      const { host, guest, peer, addrs, ovs } = ovsVm(lab);
      using _ovs = ovs;
      await using relay = await TapRelay.start(host, guest);
      await using tool = await startTool(SUMMARY, [...ARGS(host), '--interval', '3600']);
      // Each packet to a port of its own: distinct frames, so no two are taken for one another.
      const l0 = ovs.lookups();
      const peerBefore = rxPackets(peer, 'peth0');
      expect(sendUdp(guest, { dst: addrs.peer[family], dport: 9000, dportCount: N, count: N }).sent).toBe(N);
      await until(() => rxPackets(peer, 'peth0') - peerBefore >= N, 'the peer to receive');
      const l1 = ovs.lookups();
      expect(sendUdp(peer, { dst: addrs.guest[family], dport: 9000, dportCount: N, count: N }).sent).toBe(N);
      await until(async () => (await relay.command('stats')).to_guest >= N, 'the VM to read');
      const l2 = ovs.lookups();
      const rec = final((await tool.stop()).records);
      expect(rxPackets(peer, 'peth0') - peerBefore).toBe(N);
      const missed = { tx: l1.missed - l0.missed, rx: l2.missed - l1.missed };
      expect([l2.lost - l0.lost, l2.hit - l0.hit + l2.missed - l0.missed]).toEqual([0, 2 * N]);
      for (const dir of ['tx', 'rx'] as const) {
        const p = path(rec.paths, dir);
        expect(p).toMatchObject({ started: N, completed: N, dropped: 0, lost: 0 });
        // The first packet of each direction at least went up (the datapath starts with no flows).
        expect(missed[dir]).toBeGreaterThan(0);
        expect([dir, p.stages.upcall.count]).toEqual([dir, missed[dir]]);
        expect([dir, p.stages.forward.count, p.stages.qdisc.count, p.stages.out.count, p.total.count]).toEqual([dir, N, N, N, N]);
      }
      expect([rec.lost, rec.map_full]).toEqual([0, 0]);
    });
  }
});

describe.runIf(run)('vm_network_latency_details through Open vSwitch', () => {
  it('an upcall held 200 ms (ovs-vswitchd stopped): the one slow packet, its time in the upcall stage', async () => {
    using lab = Lab.create();
    const HOLD_MS = 200;
    const { host, guest, peer, addrs, ovs } = ovsVm(lab);
    using _ovs = ovs;
    await using relay = await TapRelay.start(host, guest);
    await using summary = await startTool(SUMMARY, [...ARGS(host), '--interval', '3600']);
    await using details = await startTool(DETAILS, [...ARGS(host), '--latency-threshold-us', String((HOLD_MS / 2) * 1000)]);
    const before = ovs.lookups();
    const peerBefore = rxPackets(peer, 'peth0');
    ovs.pause();
    try {
      expect(sendUdp(guest, { dst: addrs.peer.v4, dport: 9100, count: 1 }).sent).toBe(1);
      // The packet is up (the datapath missed) before the hold is timed.
      await until(() => ovs.lookups().missed > before.missed, 'the upcall');
      await new Promise((r) => setTimeout(r, HOLD_MS));
    } finally {
      ovs.resume();
    }
    await until(() => rxPackets(peer, 'peth0') - peerBefore >= 1, 'the peer to receive');
    await details.records('event', 1);
    const events = (await details.stop()).records.filter((r) => r.type === 'event') as unknown as PathEventRecord[];
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e).toMatchObject({ vm_interface: 'tap0', direction: 'tx', flow: { src: addrs.guest.v4, dst: addrs.peer.v4, dport: 9100, protocol: 'UDP' } });
    expect(e.stages.map((s) => s.stage)).toEqual(['forward', 'upcall', 'qdisc', 'out']);
    expect(e.stages.find((s) => s.stage === 'upcall')!.us).toBeGreaterThanOrEqual(HOLD_MS * 1000);
    expect(e.total_us).toBeCloseTo(e.stages.reduce((s, x) => s + x.us, 0), 2);
    const tx = path(final((await summary.stop()).records).paths, 'tx');
    expect(tx).toMatchObject({ started: 1, completed: 1 });
    expect(tx.stages.upcall.count).toBe(1);
    expect(highest(tx.stages.upcall)).toBeGreaterThan(HOLD_MS * 1e6);
  });
});

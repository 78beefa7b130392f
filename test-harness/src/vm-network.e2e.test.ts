/**
 * vm_network_latency_summary against a VM on a bridge with no hypervisor (tap-vm.ts bridgedVm): the
 * VM's TAP and a veth standing for the uplink in one bridge, a relay as the VM's reader. Truth: the
 * packets sent each way, the peer's and the relay's own counts, and faults put in on purpose (a
 * slow reader, a shaped uplink, a bridge filter that drops, a reader that stops).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Histogram } from '@netstrata/bpf-common';
import type { PathEventRecord, PathRow } from '@netstrata/vm-network';
import { Lab, TapRelay, bridgedVm, requireRoot, sendPaced, sendUdp, startTool, until, type Netns, type ToolRecord } from './index.ts';

const run = requireRoot('vm_network_latency_summary end-to-end tests');
const TOOL = fileURLToPath(new URL('../../packages/vm-network/dist/vm_network_latency_summary.js', import.meta.url));

const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as { paths: PathRow[]; lost: number; map_full: number };
const path = (rows: PathRow[], dir: 'tx' | 'rx') => rows.find((r) => r.vm_interface === 'tap0' && r.direction === dir)!;
const rxPackets = (ns: Netns, dev: string): number => ns.linkStats(dev).rx.packets;
const lowest = (h: Histogram) => Math.min(...h.buckets.map((b) => b.start));
const highest = (h: Histogram) => Math.max(...h.buckets.map((b) => b.end));


const ARGS = (host: Netns) => ['--netns', host.name, '--vm-interface', 'tap0', '--phy-interface', 'phy0', '--interval', '3600'];

describe.runIf(run)('vm_network_latency_summary', () => {
  for (const family of ['v4', 'v6'] as const) {
    it(`every packet both ways through the bridge, each stage timed once per packet (IP${family})`, async () => {
      using lab = Lab.create();
      const N = 20;
      const { host, guest, peer, addrs } = bridgedVm(lab, 256);
      await using relay = await TapRelay.start(host, guest);
      await using tool = await startTool(TOOL, ARGS(host));
      const before = rxPackets(peer, 'peth0');
      expect(sendUdp(guest, { dst: addrs.peer[family], dport: 9, count: N }).sent).toBe(N);
      await until(() => rxPackets(peer, 'peth0') - before >= N, 'the peer to receive');
      expect(sendUdp(peer, { dst: addrs.guest[family], dport: 9, count: N }).sent).toBe(N);
      await until(async () => (await relay.command('stats')).to_guest >= N, 'the VM to read');
      const rec = final((await tool.stop()).records);
      expect(rxPackets(peer, 'peth0') - before).toBe(N);
      for (const dir of ['tx', 'rx'] as const) {
        const p = path(rec.paths, dir);
        expect(p).toMatchObject({ started: N, completed: N, dropped: 0, lost: 0 });
        // The peer's packets come in through its veth, which queues them to a CPU's backlog (netif_rx);
        // the TAP hands what its reader writes straight to the stack. Every other stage, every packet.
        const backlog = dir === 'rx' ? N : 0;
        for (const s of ['backlog', 'forward', 'qdisc', 'out'] as const) expect([dir, s, p.stages[s].count]).toEqual([dir, s, s === 'backlog' ? backlog : N]);
        // A Linux bridge has no upcalls (OVS's, vm-network-ovs.in-guest.test.ts).
        expect(p.stages.upcall.count).toBe(0);
        expect(p.total.count).toBe(N);
      }
      expect([rec.lost, rec.map_full]).toEqual([0, 0]);
    });
  }

  it('a VM that reads 5 ms late: every packet to it waits at least that in the TAP ring stage of rx', async () => {
    using lab = Lab.create();
    const N = 12;
    const { host, guest, peer, addrs } = bridgedVm(lab, 256);
    await using relay = await TapRelay.start(host, guest, { sleepMs: 5 });
    await using tool = await startTool(TOOL, ARGS(host));
    // 30 ms apart: each packet finds the ring empty and waits only for its own read.
    expect(sendPaced(peer, { protocol: 'udp', dst: addrs.guest.v4, dport: 9, count: N, gapMs: 30 }).sent).toBe(N);
    await until(async () => (await relay.command('stats')).to_guest >= N, 'the VM to read');
    const rx = path(final((await tool.stop()).records).paths, 'rx');
    expect(rx).toMatchObject({ started: N, completed: N });
    expect(rx.stages.out.count).toBe(N);
    expect(lowest(rx.stages.out)).toBeGreaterThanOrEqual(4e6 * 0.95);
    expect(lowest(rx.total)).toBeGreaterThanOrEqual(lowest(rx.stages.out));
  });

  it('an uplink shaped to 800 kbit/s: packets sent back to back wait their turn in its qdisc on tx', async () => {
    using lab = Lab.create();
    const N = 10;
    const SIZE = 1000; // ~10.4 ms per frame at 800 kbit/s: the last waits ~90 ms
    const { host, guest, peer, addrs } = bridgedVm(lab, 256);
    host.exec('tc', ['qdisc', 'replace', 'dev', 'phy0', 'root', 'tbf', 'rate', '800kbit', 'burst', '1600', 'latency', '2s']);
    await using _relay = await TapRelay.start(host, guest);
    await using tool = await startTool(TOOL, ARGS(host));
    const before = rxPackets(peer, 'peth0');
    expect(sendUdp(guest, { dst: addrs.peer.v4, dport: 9, count: N, size: SIZE }).sent).toBe(N);
    await until(() => rxPackets(peer, 'peth0') - before >= N, 'the peer to receive');
    const tx = path(final((await tool.stop()).records).paths, 'tx');
    expect(tx).toMatchObject({ started: N, completed: N, dropped: 0 });
    expect(tx.stages.qdisc.count).toBe(N);
    expect(highest(tx.stages.qdisc)).toBeGreaterThan(50e6);
    expect(highest(tx.total)).toBeGreaterThanOrEqual(highest(tx.stages.qdisc));
  });

  it('drops on the way are counted against the VM and direction: a bridge filter on tx, the full TAP ring on rx', async () => {
    using lab = Lab.create();
    const N = 12;
    const K = 5;
    const R = 8;
    const S = 20;
    const { host, guest, peer, addrs } = bridgedVm(lab, R);
    host.nft(`table bridge nstvmdrop { chain f { type filter hook forward priority 0; udp dport 7 drop; }; }`);
    await using relay = await TapRelay.start(host, guest);
    await using tool = await startTool(TOOL, ARGS(host));
    const before = rxPackets(peer, 'peth0');
    expect(sendUdp(guest, { dst: addrs.peer.v4, dport: 9, count: N - K }).sent).toBe(N - K);
    expect(sendUdp(guest, { dst: addrs.peer.v4, dport: 7, count: K }).sent).toBe(K);
    await until(() => rxPackets(peer, 'peth0') - before >= N - K, 'the peer to receive');
    await relay.command('pause');
    expect(sendUdp(peer, { dst: addrs.guest.v4, dport: 9, count: S }).sent).toBe(S);
    await relay.command('resume');
    await until(async () => (await relay.command('stats')).to_guest >= R, 'the VM to read');
    const rec = final((await tool.stop()).records);
    expect(path(rec.paths, 'tx')).toMatchObject({ started: N, completed: N - K, dropped: K, lost: 0 });
    expect(path(rec.paths, 'rx')).toMatchObject({ started: S, completed: R, dropped: S - R, lost: 0 });
  });
});

const DETAILS = fileURLToPath(new URL('../../packages/vm-network/dist/vm_network_latency_details.js', import.meta.url));

const eventsOf = (records: ToolRecord[]) => records.filter((r) => r.type === 'event') as unknown as PathEventRecord[];
const DETAIL_ARGS = (host: Netns) => ['--netns', host.name, '--vm-interface', 'tap0', '--phy-interface', 'phy0'];

describe.runIf(run)('vm_network_latency_details', () => {
  it('threshold 0: one event per packet each way, with its flow and every stage of its path', async () => {
    using lab = Lab.create();
    const N = 10;
    const { host, guest, peer, addrs } = bridgedVm(lab, 256);
    await using relay = await TapRelay.start(host, guest);
    await using tool = await startTool(DETAILS, [...DETAIL_ARGS(host), '--latency-threshold-us', '0']);
    const before = rxPackets(peer, 'peth0');
    const out = sendUdp(guest, { dst: addrs.peer.v6, dport: 9, count: N });
    await until(() => rxPackets(peer, 'peth0') - before >= N, 'the peer to receive');
    const back = sendUdp(peer, { dst: addrs.guest.v6, dport: 9, count: N });
    await until(async () => (await relay.command('stats')).to_guest >= N, 'the VM to read');
    await tool.records('event', 2 * N);
    const events = eventsOf((await tool.stop()).records);
    const tx = events.filter((e) => e.direction === 'tx');
    const rx = events.filter((e) => e.direction === 'rx');
    expect([tx.length, rx.length]).toEqual([N, N]);
    for (const e of tx) {
      expect(e).toMatchObject({ vm_interface: 'tap0', flow: { src: addrs.guest.v6, dst: addrs.peer.v6, sport: out.flow.sport, dport: 9, protocol: 'UDP' } });
      expect(e.stages.map((s) => s.stage)).toEqual(['forward', 'qdisc', 'out']);
    }
    for (const e of rx) {
      expect(e).toMatchObject({ vm_interface: 'tap0', flow: { src: addrs.peer.v6, dst: addrs.guest.v6, sport: back.flow.sport, dport: 9, protocol: 'UDP' }, end: { pid: relay.child.pid, comm: 'python3' } });
      expect(e.stages.map((s) => s.stage)).toEqual(['backlog', 'forward', 'qdisc', 'out']);
    }
    for (const e of events) expect(e.total_us).toBeCloseTo(e.stages.reduce((s, x) => s + x.us, 0), 2);
  });

  it('a VM that reads 5 ms late, threshold 3 ms: each packet to it is one event, its time in the TAP ring stage', async () => {
    using lab = Lab.create();
    const N = 8;
    const { host, guest, peer, addrs } = bridgedVm(lab, 256);
    await using relay = await TapRelay.start(host, guest, { sleepMs: 5 });
    await using tool = await startTool(DETAILS, [...DETAIL_ARGS(host), '--latency-threshold-us', '3000']);
    expect(sendPaced(peer, { protocol: 'udp', dst: addrs.guest.v4, dport: 9, count: N, gapMs: 30 }).sent).toBe(N);
    await until(async () => (await relay.command('stats')).to_guest >= N, 'the VM to read');
    await tool.records('event', N);
    const events = eventsOf((await tool.stop()).records);
    expect(events).toHaveLength(N);
    for (const e of events) {
      expect(e).toMatchObject({ direction: 'rx', flow: { dst: addrs.guest.v4, dport: 9 } });
      expect(e.stages.find((s) => s.stage === 'out')!.us).toBeGreaterThanOrEqual(4000);
      expect(e.total_us).toBeGreaterThanOrEqual(3000);
    }
  });
});

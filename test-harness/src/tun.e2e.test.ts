/**
 * tun_ring_summary against a VM with no hypervisor: a TAP in the "host" namespace whose reader is a
 * relay (agents/taprelay.py) that copies frames to a second TAP, the guest's NIC, in the "guest"
 * namespace. The relay can stop reading (the TAP's ring fills and drops) or read slowly (packets
 * dwell in the ring). Truth: the packets sent, the ring size set, and the TAP's own counters.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Histogram } from '@netstrata/bpf-common';
import type { QueueRow, TunEventRecord } from '@netstrata/tun';
import { Lab, TapRelay, requireRoot, sendPaced, sendUdp, startTool, tapStats, tapVm, type ToolRecord } from './index.ts';

const run = requireRoot('tun_ring_summary end-to-end tests');
const TOOL = fileURLToPath(new URL('../../packages/tun/dist/tun_ring_summary.js', import.meta.url));

type Bucket = Histogram['buckets'][number];

const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as { queues: QueueRow[]; lost: number; map_full: number };
const tap0 = (rows: QueueRow[]) => rows.filter((q) => q.device === 'tap0');
const count = (h: Histogram, start: number) => h.buckets.find((b) => b.start === start)?.count ?? 0;

describe.runIf(run)('tun_ring_summary', () => {
  for (const family of ['v4', 'v6'] as const) {
    it(`a reader that stops: a ring of R takes R packets, the other S - R are dropped FULL_RING on that queue, each transmit's occupancy seen (IP${family})`, async () => {
      using lab = Lab.create();
      const R = 16;
      const S = 40;
      const { host, guest, addrs } = tapVm(lab, R);
      await using relay = await TapRelay.start(host, guest, { paused: true });
      const before = tapStats(host);
      await using tool = await startTool(TOOL, ['--netns', host.name, '--interface', 'tap0', '--interval', '3600']);
      expect(sendUdp(host, { dst: addrs.guest[family], dport: 9, count: S }).sent).toBe(S);
      const rec = final((await tool.stop()).records);
      const after = tapStats(host);
      // The kernel's own count: nothing read, S - R dropped.
      expect(after.packets - before.packets).toBe(0);
      expect(after.dropped - before.dropped).toBe(S - R);
      const [q, ...others] = tap0(rec.queues);
      expect(others).toEqual([]);
      expect(q).toMatchObject({ queue: 0, ring_size: R, xmits: S, full: S - R, no_queue: 0, drops: [{ reason: 'FULL_RING', count: S - R }] });
      // Occupancy 0, 1, ..., R - 1 once each as the ring filled, then R for every packet dropped.
      expect(q!.occupancy.count).toBe(S);
      for (let k = 0; k < R; k++) expect(count(q!.occupancy, k)).toBe(1);
      expect(count(q!.occupancy, R)).toBe(S - R);
      expect([rec.lost, rec.map_full]).toEqual([0, 0]);
      // The ring drains once the reader comes back.
      await relay.command('resume');
      for (let i = 0; i < 100 && tapStats(host).packets - before.packets < R; i++) await new Promise((r) => setTimeout(r, 20));
      expect(tapStats(host).packets - before.packets).toBe(R);
    });
  }

  it('a multi-queue TAP: one row per queue, each with its own ring, and every packet and drop on the queue its flow was steered to', async () => {
    using lab = Lab.create();
    const R = 8;
    const FLOWS = 16;
    const PER_FLOW = 3;
    const { host, guest, addrs } = tapVm(lab, R, { multiQueue: true });
    await using relay = await TapRelay.start(host, guest, { paused: true, queues: 2 });
    const before = tapStats(host);
    await using tool = await startTool(TOOL, ['--netns', host.name, '--interface', 'tap0', '--interval', '3600']);
    // 16 flows: the TAP spreads them over its two queues by flow hash.
    expect(sendUdp(host, { dst: addrs.guest.v4, dport: 9000, dportCount: FLOWS, count: FLOWS * PER_FLOW }).sent).toBe(FLOWS * PER_FLOW);
    const rec = final((await tool.stop()).records);
    const dropped = tapStats(host).dropped - before.dropped;
    const queues = tap0(rec.queues).sort((a, b) => a.queue - b.queue);
    expect(queues.map((q) => q.queue)).toEqual([0, 1]);
    expect(queues.reduce((s, q) => s + q.xmits, 0)).toBe(FLOWS * PER_FLOW);
    for (const q of queues) {
      // Each queue's ring took R of the packets steered to it and dropped the rest.
      const full = Math.max(0, q.xmits - R);
      expect(q).toMatchObject({ ring_size: R, full, no_queue: 0, drops: full ? [{ reason: 'FULL_RING', count: full }] : [] });
      expect(q.occupancy.count).toBe(q.xmits);
      expect(count(q.occupancy, R)).toBe(full);
    }
    expect(queues.reduce((s, q) => s + q.full, 0)).toBe(dropped);
  });

  it('no reader attached: the TAP has no carrier and sends nothing; every packet for it is dropped there, with the kernel reason', async () => {
    using lab = Lab.create();
    const S = 12;
    const { host, addrs } = tapVm(lab, 16);
    await using tool = await startTool(TOOL, ['--netns', host.name, '--interface', 'tap0', '--interval', '3600']);
    expect(sendUdp(host, { dst: addrs.guest.v4, dport: 9, count: S }).sent).toBe(S);
    const rec = final((await tool.stop()).records);
    // The kernel's own tx_dropped counts these drops on some kernels only (6.18 does, 6.1 does not).
    const [q, ...others] = tap0(rec.queues);
    expect(others).toEqual([]);
    expect(q).toMatchObject({ xmits: 0, full: 0 });
    expect(q!.drops.reduce((s, d) => s + d.count, 0)).toBe(S);
    expect(q!.drops.map((d) => d.reason)).not.toContain('FULL_RING');
  });

  it('--dwell: a reader that waits 5 ms before each read: every packet in the bucket of its own wait, from its send to its read, and the reader named', async () => {
    using lab = Lab.create();
    const N = 20;
    const { host, guest, addrs } = tapVm(lab, 64);
    await using relay = await TapRelay.start(host, guest, { sleepMs: 5 });
    await using tool = await startTool(TOOL, ['--netns', host.name, '--interface', 'tap0', '--dwell', '--interval', '3600']);
    // 30 ms apart: each packet finds the ring empty and waits only for its own read.
    const sent = sendPaced(host, { protocol: 'udp', dst: addrs.guest.v4, dport: 9, count: N, gapMs: 30 });
    expect(sent.sent).toBe(N);
    let stats = await relay.command('stats');
    for (let i = 0; i < 100 && stats.to_guest < N; i++) {
      await new Promise((r) => setTimeout(r, 20));
      stats = await relay.command('stats');
    }
    const rec = final((await tool.stop()).records);
    const [q] = tap0(rec.queues);
    expect(q).toMatchObject({ xmits: N, full: 0, drops: [], reader: { pid: relay.child.pid, comm: 'python3' } });
    expect(count(q!.occupancy, 0)).toBe(N);
    // Truth, per packet: it went into the ring while its send call ran and came out while its read
    // call ran, so its wait is between (read started - send returned) and (read returned - send
    // started). The tool's samples and the packets, both in order of their waits, pair up: each
    // sample's bucket meets its packet's interval.
    const bounds = stats.reads_ns
      .map(([r0, r1], i) => ({ low: r0! - sent.afterUs![i]! * 1000, high: r1! - sent.timesUs![i]! * 1000 }))
      .sort((a, b) => a.low + a.high - (b.low + b.high));
    const samples = q!.dwell!.buckets.flatMap((b) => new Array<Bucket>(b.count).fill(b));
    expect(samples).toHaveLength(N);
    samples.forEach((b, i) => {
      // The lab did what it meant: each read returned at least 4 ms after its packet's send began.
      // (The low bound can be negative: a sender preempted right after its packet entered the ring
      // returns after the read, as in a guest under emulation.)
      expect(bounds[i]!.high).toBeGreaterThanOrEqual(4e6);
      expect(b.start).toBeLessThanOrEqual(bounds[i]!.high);
      expect(b.end).toBeGreaterThan(bounds[i]!.low);
    });
  });
});

const DETAILS = fileURLToPath(new URL('../../packages/tun/dist/tun_ring_details.js', import.meta.url));

const eventsOf = (records: ToolRecord[]) => records.filter((r) => r.type === 'event') as unknown as TunEventRecord[];

describe.runIf(run)('tun_ring_details', () => {
  for (const family of ['v4', 'v6'] as const) {
    it(`a reader that read K packets and stopped: one event per FULL_RING drop, with the ring full at the positions K left it, the flow, and the reader and its last read (IP${family})`, async () => {
      using lab = Lab.create();
      const R = 16;
      const K = 5;
      const S = 40;
      const { host, guest, addrs } = tapVm(lab, R);
      await using relay = await TapRelay.start(host, guest);
      const before = tapStats(host);
      await using tool = await startTool(DETAILS, ['--netns', host.name, '--interface', 'tap0']);
      expect(sendUdp(host, { dst: addrs.guest[family], dport: 9, count: K }).sent).toBe(K);
      for (let i = 0; i < 250 && (await relay.command('stats')).to_guest < K; i++) await new Promise((r) => setTimeout(r, 20));
      expect((await relay.command('pause')).to_guest).toBe(K);
      const sent = sendUdp(host, { dst: addrs.guest[family], dport: 9, count: S });
      expect(sent.sent).toBe(S);
      await tool.records('event', S - R);
      const events = eventsOf((await tool.stop()).records);
      expect(tapStats(host).dropped - before.dropped).toBe(S - R);
      expect(events).toHaveLength(S - R);
      for (const e of events) {
        expect(e).toMatchObject({ kind: 'drop', device: 'tap0', queue: 0, reason: 'FULL_RING', location: { symbol: 'tun_net_xmit' } });
        // K packets went through the ring and were taken out; R more filled it from there.
        expect(e.ring).toMatchObject({ size: R, producer: K % R, consumer_head: K % R, packets: R, full: true });
        expect(e.flow).toMatchObject({ dst: addrs.guest[family], sport: sent.flow.sport, dport: 9, protocol: 'UDP' });
        expect(e.reader).toMatchObject({ pid: relay.child.pid, comm: 'python3' });
        expect(e.reader!.last_read_us).toBeGreaterThan(0);
      }
      // The reader's last read recedes from drop to drop.
      const since = events.map((e) => e.reader!.last_read_us);
      expect(since).toEqual([...since].sort((a, b) => a - b));
    });
  }

  it('--all: every transmit into the ring with the packets before it, then the drops; a queue never read names no reader', async () => {
    using lab = Lab.create();
    const R = 8;
    const S = R + 3;
    const { host, guest, addrs } = tapVm(lab, R);
    await using _relay = await TapRelay.start(host, guest, { paused: true });
    await using tool = await startTool(DETAILS, ['--netns', host.name, '--interface', 'tap0', '--all']);
    expect(sendUdp(host, { dst: addrs.guest.v4, dport: 9, count: S }).sent).toBe(S);
    await tool.records('event', 2 * S - R);
    const events = eventsOf((await tool.stop()).records);
    const xmits = events.filter((e) => e.kind === 'xmit');
    const drops = events.filter((e) => e.kind === 'drop');
    expect(xmits.map((e) => [e.ring.packets, e.ring.full])).toEqual(Array.from({ length: S }, (_, i) => [Math.min(i, R), i >= R]));
    // The producer moves on with each packet the ring takes, and stays where the ring is full.
    expect(xmits.map((e) => e.ring.producer)).toEqual(Array.from({ length: S }, (_, i) => Math.min(i, R) % R));
    expect(drops).toHaveLength(S - R);
    for (const e of [...xmits, ...drops]) expect(e).toMatchObject({ reader: null, reason: e.kind === 'drop' ? 'FULL_RING' : null });
  });

  it('no reader attached: one event per packet the TAP drops, with the kernel reason and no ring', async () => {
    using lab = Lab.create();
    const S = 12;
    const { host, addrs } = tapVm(lab, 16);
    await using tool = await startTool(DETAILS, ['--netns', host.name, '--interface', 'tap0']);
    expect(sendUdp(host, { dst: addrs.guest.v4, dport: 9, count: S }).sent).toBe(S);
    await tool.records('event', S);
    const events = eventsOf((await tool.stop()).records);
    expect(events).toHaveLength(S);
    for (const e of events) {
      expect(e.kind).toBe('drop');
      expect(e.reason).not.toBe('FULL_RING');
      expect(e.ring).toMatchObject({ size: 0, packets: 0, full: false });
    }
  });
});

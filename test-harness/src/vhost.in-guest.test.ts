/**
 * vhost_signal_summary (and tun_ring_summary with vhost as the TAP's reader) against the real
 * vhost-net path, driven with no VM by agents/vhost-guest.c (src/vhost-driver.ts). Truth: the
 * driver's own counters: kicks it wrote, used entries it reaped, call signals it received.
 *
 * This host's kernel has no vhost_net module and no function hooks, so the file runs in the guest
 * tier only (its kernels have both); the host's test run leaves it out (vitest.config.ts).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { publish } from './examples.ts';
import { Lab, VhostDriver, requireRoot, sendPaced, sendUdp, startTool, tapStats, vhostNetAvailable, VHOST_NET, type ToolRecord } from './index.ts';

const SUMMARY = fileURLToPath(new URL('../../packages/vhost/dist/vhost_signal_summary.js', import.meta.url));
const DETAILS = fileURLToPath(new URL('../../packages/vhost/dist/vhost_queue_details.js', import.meta.url));
const TUN = fileURLToPath(new URL('../../packages/tun/dist/tun_ring_summary.js', import.meta.url));
const TUN_DETAILS = fileURLToPath(new URL('../../packages/tun/dist/tun_ring_details.js', import.meta.url));

const available = vhostNetAvailable();
if (available !== true && process.env.CI) throw new Error(`vhost tests: ${available}`);
const run = requireRoot('vhost end-to-end tests') && available === true;

interface Hist {
  count: number;
  buckets: { start: number; end: number; count: number }[];
}
interface VqRow {
  device: string;
  queue: number;
  role: 'rx' | 'tx';
  worker: { tid: number; pid: number; comm: string } | null;
  ring_size: number;
  kicks: number;
  runs: number;
  used: number;
  used_per_run: Hist;
  signal_checks: number;
  signals: number;
  suppressed: number;
  empty: number;
}
interface Final {
  queues: VqRow[];
  workers: { tid: number; comm: string; waits: number; wait: Hist }[];
  lost: number;
  map_full: number;
}

const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as Final;
/** The driver's device: the only one with this worker (other tests' devices are gone). */
const queuesOf = (rec: Final, pid: number) => {
  const rows = rec.queues.filter((q) => q.worker?.comm === `vhost-${pid}` || q.worker === null);
  return { rx: rows.find((q) => q.role === 'rx')!, tx: rows.find((q) => q.role === 'tx')! };
};
/** Values below 16 have a bucket each: the sum of the values a histogram holds, when all are. */
const exactSum = (h: Hist) => h.buckets.reduce((s, b) => s + (b.end - b.start === 1 ? b.start * b.count : Number.NaN), 0);

describe.runIf(run)('vhost_signal_summary', () => {
  it('counts every kick the driver wrote, every buffer vhost gave back and every signal the driver received, per queue', async () => {
    using lab = Lab.create();
    await using tool = await startTool(SUMMARY, ['--interval', '3600', '--worker-wait']);
    await using driver = await VhostDriver.start(lab);
    const N = 30;
    // RX: the namespace sends N datagrams to the "VM"; TX: the "VM" sends N frames, one kick each.
    expect(sendUdp(driver.ns, { dst: VHOST_NET.vm, dport: 9, count: N }).sent).toBe(N);
    await driver.rxUsed(N);
    await driver.send(N);
    await driver.until((s) => s.tx.used >= N);
    const truth = await driver.quit();
    const rec = final((await tool.stop()).records);
    const { rx, tx } = queuesOf(rec, driver.pid);
    // RX: the N datagrams, and the buffers the driver posted at start and after each reap.
    expect(truth.rx.used).toBe(N);
    expect(truth.tx.used).toBe(N);
    for (const [row, t] of [[rx, truth.rx], [tx, truth.tx]] as const) {
      expect(row, row?.role).toMatchObject({ kicks: t.kicks, used: t.used, signals: t.signals, suppressed: 0, ring_size: 256 });
      expect(row.worker!.comm).toBe(`vhost-${driver.pid}`);
      expect(row.signal_checks).toBe(row.signals);
      // Each run is in the histogram, and the runs gave back every buffer.
      expect(row.runs).toBeGreaterThan(0);
      expect(row.used_per_run.count).toBe(row.runs);
      const sum = exactSum(row.used_per_run);
      if (!Number.isNaN(sum)) expect(sum).toBe(row.used);
    }
    expect(tx.kicks).toBe(N);
    // The worker was woken for its work and waited for a CPU each time.
    const worker = rec.workers.find((w) => w.comm === `vhost-${driver.pid}`);
    expect(worker?.waits).toBeGreaterThan(0);
    expect(worker!.wait.count).toBe(worker!.waits);
    expect(rec.lost).toBe(0);
    expect(rec.map_full).toBe(0);
  });

  it('a guest that turned RX interrupts off (NO_INTERRUPT): every RX signal suppressed, TX still signalled', async () => {
    using lab = Lab.create();
    await using tool = await startTool(SUMMARY, ['--interval', '3600']);
    await using driver = await VhostDriver.start(lab, { noInterrupt: true });
    await using tunEvents = await startTool(TUN_DETAILS, ['--netns', driver.ns.name, '--interface', driver.tap, '--all']);
    const N = 20;
    expect(sendUdp(driver.ns, { dst: VHOST_NET.vm, dport: 9, count: N }).sent).toBe(N);
    await driver.rxUsed(N);
    // One more, sent once vhost has read the others: its transmit names vhost's worker as the TAP's reader.
    expect(sendUdp(driver.ns, { dst: VHOST_NET.vm, dport: 9, count: 1 }).sent).toBe(1);
    await driver.rxUsed(N + 1);
    const xmits = (await tunEvents.stop()).records.filter((r) => r.type === 'event') as unknown as { kind: string; reader: { comm: string; last_read_us: number } | null }[];
    expect(xmits.map((e) => e.kind)).toEqual(new Array<string>(N + 1).fill('xmit'));
    expect(xmits.at(-1)!.reader).toMatchObject({ comm: `vhost-${driver.pid}` });
    expect(xmits.at(-1)!.reader!.last_read_us).toBeGreaterThan(0);
    await driver.send(5);
    await driver.until((s) => s.tx.used >= 5);
    const truth = await driver.quit();
    const rec = final((await tool.stop()).records);
    const { rx, tx } = queuesOf(rec, driver.pid);
    expect(truth.rx.signals).toBe(0);
    expect(rec.workers).toEqual([]); // no --worker-wait: the scheduler is not hooked
    expect(rx).toMatchObject({ used: truth.rx.used, signals: 0 });
    expect(rx.signal_checks).toBeGreaterThan(0);
    expect(rx.suppressed).toBe(rx.signal_checks);
    expect(tx).toMatchObject({ used: 5, signals: truth.tx.signals, suppressed: 0 });
    expect(truth.tx.signals).toBeGreaterThan(0);
  });

  it('a guest that stops refilling RX buffers: vhost finds the ring empty, the TAP ring fills and drops FULL_RING, and every packet not dropped reaches the guest once it refills', async () => {
    using lab = Lab.create();
    const R = 8; // RX buffers the guest posts
    const Q = 16; // the TAP's ring
    const S = 200;
    await using driver = await VhostDriver.start(lab, { rxBuffers: R, ring: Q });
    await using vhost = await startTool(SUMMARY, ['--interval', '3600']);
    await using tun = await startTool(TUN, ['--netns', driver.ns.name, '--interface', driver.tap, '--interval', '3600', '--dwell']);
    await using tunEvents = await startTool(TUN_DETAILS, ['--netns', driver.ns.name, '--interface', driver.tap]);
    await driver.refill(false);
    const before = tapStats(driver.ns, driver.tap);
    expect(sendUdp(driver.ns, { dst: VHOST_NET.vm, dport: 9, count: S }).sent).toBe(S);
    const stalled = await driver.rxUsed(R);
    expect(stalled.rx.used).toBe(R);
    const tapDropped = () => tapStats(driver.ns, driver.tap).dropped - before.dropped;
    // vhost holds up to a batch of packets it took from the ring; the ring holds Q; the rest drop.
    expect(tapDropped()).toBeGreaterThan(0);
    await driver.refill(true);
    // The TAP's qdisc may leave a datagram to the softirq, which meets the full ring after the
    // stall was read: wait until each datagram is delivered or dropped, then count.
    const truth = await driver.until((s) => s.rx.used + tapDropped() >= S);
    const dropped = tapDropped();
    const [v, t, te] = await Promise.all([vhost.stop(), tun.stop(), tunEvents.stop()]);
    const rec = final(v.records);
    const { rx } = queuesOf(rec, driver.pid);
    // Every datagram not dropped reached the guest (and nothing else was sent to it meanwhile).
    expect(truth.rx.used).toBe(S - dropped);
    expect(rx.used).toBe(truth.rx.used);
    expect(rx.empty).toBeGreaterThan(0);
    // The TAP's drops, seen by the tun tool, with vhost's worker as the ring's reader.
    const q = (final(t.records) as unknown as { queues: { device: string; ring_size: number; xmits: number; full: number; reader: { comm: string } | null; drops: { reason: string; count: number }[] }[] }).queues.find((r) => r.device === driver.tap)!;
    expect(q).toMatchObject({ ring_size: Q, xmits: S, full: dropped, drops: [{ reason: 'FULL_RING', count: dropped }] });
    expect(q.reader?.comm).toBe(`vhost-${driver.pid}`);
    // One event per drop, each with the ring full and vhost's worker as the reader it waited for
    // (none yet for a drop before the worker's first read: the sender may fill the ring first).
    const drops = te.records.filter((r) => r.type === 'event') as unknown as { reason: string; ring: { size: number; full: boolean }; reader: { comm: string } | null }[];
    expect(drops).toHaveLength(dropped);
    for (const e of drops) expect(e).toMatchObject({ reason: 'FULL_RING', ring: { size: Q, full: true } });
    for (const e of drops) if (e.reader) expect(e.reader.comm).toBe(`vhost-${driver.pid}`);
  });

  it('the example for the documentation: a VM whose driver sends and receives, then stops refilling RX', async () => {
    using lab = Lab.create();
    await using driver = await VhostDriver.start(lab, { rxBuffers: 64, ring: 32 });
    await using tool = await startTool(SUMMARY, ['--interval', '60', '--worker-wait'], { json: false });
    await using details = await startTool(DETAILS, [], { json: false });
    expect(sendUdp(driver.ns, { dst: VHOST_NET.vm, dport: 9, count: 100 }).sent).toBe(100);
    await driver.rxUsed(100);
    await driver.send(50);
    await driver.until((s) => s.tx.used >= 50);
    await driver.refill(false);
    expect(sendUdp(driver.ns, { dst: VHOST_NET.vm, dport: 9, count: 150 }).sent).toBe(150);
    await driver.until((s) => s.rx.used >= 164);
    const res = await tool.stop();
    expect(res.stdout).toMatch(new RegExp(`vhost-${driver.pid}\\(\\d+\\)\\s+tx 1\\s+256\\s+50\\s`));
    publish('vhost_signal_summary', 'vhost_signal_summary --interval 60 --worker-wait', res.stdout);
    const events = await details.stop();
    expect(events.stdout).toMatch(/rx 0 0x[0-9a-f]+: RX ring empty with a packet waiting/);
    publish('vhost_queue_details', 'vhost_queue_details', events.stdout);
  });
});

interface QueueEvent {
  type: string;
  kind: 'rx_empty' | 'suppressed' | 'tx_full';
  queue: number;
  role: 'rx' | 'tx';
  worker: { tid: number; comm: string };
  ring: { size: number; last_avail_idx: number; avail_idx: number; last_used_idx: number; signalled_used: number; used_flags: number };
  since_signal_us: number | null;
  suppressed: number;
}

describe.runIf(run)('vhost_queue_details', () => {
  it('one event when vhost finds the RX ring empty with a packet waiting, with the indexes where the guest stopped refilling', async () => {
    using lab = Lab.create();
    const R = 8;
    await using driver = await VhostDriver.start(lab, { rxBuffers: R, ring: 64 });
    await using tool = await startTool(DETAILS, []);
    await driver.refill(false);
    expect(sendUdp(driver.ns, { dst: VHOST_NET.vm, dport: 9, count: 30 }).sent).toBe(30);
    expect((await driver.rxUsed(R)).rx.used).toBe(R);
    await tool.records('event', 1);
    const events = (await tool.stop()).records.filter((r) => r.type === 'event') as unknown as QueueEvent[];
    // The guest posted R buffers, vhost used all R, and found none for the next packet; with the
    // TAP no longer polled, it waits for a kick and finds the ring empty no more.
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'rx_empty', queue: 0, role: 'rx', worker: { comm: `vhost-${driver.pid}` }, ring: { size: 256, avail_idx: R, last_avail_idx: R } });
    // vhost-net writes the used entries of a run in batches, at its end: some may still be pending.
    expect(events[0]!.ring.last_used_idx).toBeLessThanOrEqual(R);
  });

  it("one event when a TX run finds the guest's whole ring posted and waiting, none when it is one short", async () => {
    using lab = Lab.create();
    const Q = 64;
    await using driver = await VhostDriver.start(lab, { queueSize: Q });
    await using tool = await startTool(DETAILS, []);
    // Q - 1 frames, then one kick: the run finds the ring one short of full.
    await driver.send(Q - 1, 9, { batch: true });
    await driver.until((s) => s.tx.used >= Q - 1);
    // Q frames, then one kick: the run finds every descriptor waiting.
    await driver.send(Q, 9, { batch: true });
    const truth = await driver.until((s) => s.tx.used >= 2 * Q - 1);
    expect(truth.tx).toMatchObject({ posted: 2 * Q - 1, used: 2 * Q - 1, kicks: 2 });
    await tool.records('event', 1);
    const events = ((await tool.stop()).records.filter((r) => r.type === 'event') as unknown as QueueEvent[]).filter((e) => e.kind === 'tx_full');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'tx_full', queue: 1, role: 'tx', worker: { comm: `vhost-${driver.pid}` }, ring: { size: Q, avail_idx: 2 * Q - 1, last_avail_idx: Q - 1 } });
  });

  it('one event per stretch without interrupts past the threshold, on the queue whose guest turned them off', async () => {
    using lab = Lab.create();
    await using driver = await VhostDriver.start(lab, { noInterrupt: true });
    await using tool = await startTool(DETAILS, ['--suppressed-threshold-us', '1000']);
    // One packet every 5 ms: the second is given back 5 ms after the first with no signal either.
    const N = 10;
    expect(sendPaced(driver.ns, { protocol: 'udp', dst: VHOST_NET.vm, dport: 9, count: N, size: 16, gapMs: 5 }).sent).toBe(N);
    await driver.rxUsed(N);
    await tool.records('event', 1);
    const truth = await driver.quit();
    const events = (await tool.stop()).records.filter((r) => r.type === 'event') as unknown as QueueEvent[];
    expect(truth.rx.signals).toBe(0);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'suppressed', queue: 0, role: 'rx', since_signal_us: null, worker: { comm: `vhost-${driver.pid}` } });
    expect(events[0]!.suppressed).toBeGreaterThanOrEqual(2);
    expect(events[0]!.ring.last_used_idx).toBeGreaterThanOrEqual(2);
  });
});

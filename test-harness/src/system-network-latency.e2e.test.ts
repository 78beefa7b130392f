/**
 * system_network_latency_summary and _details against known waits: a reader that leaves each
 * packet in its socket for a known time, and a tbf that holds each packet in the qdisc for a
 * predictable time. Counts are exact; latencies land in the bucket the lab predicts.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tracepointDefined, type Histogram } from '@netstrata/bpf-common';
import type { DirectionRow as Direction, PairRow as Pair } from '@netstrata/system-network';
import { bucketOf, Lab, XmitWitness, rank, routed, sendTcp, shapeTbf, requireRoot, sendPaced, sendPacedAsync, sendUdp, startSlowReader, startTool, ToolGroup, toolPath, twoHosts, type Host, type ToolRecord } from './index.ts';

const run = requireRoot('system_network_latency end-to-end tests');

/** Every started packet accounted for and none let go. */
const ALL_DONE = { segmented: 0, dropped: 0, consumed: 0, timed_out: 0, evicted: 0, in_flight: 0 };
interface LatencyEvent {
  direction: 'rx' | 'tx';
  flow: { src: string; dst: string; sport: number; dport: number; protocol: string };
  tcp?: { seq: number; flags: string; payload: number };
  stages: { from: string; to: string; delta_us: number }[];
  total_us: number;
  first: { stage: string; comm: string };
  last: { stage: string; comm: string };
}

const addr = (h: Host, family: 4 | 6) => (family === 4 ? h.v4 : h.v6);
const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final')!;
const direction = (rec: ToolRecord, d: 'rx' | 'tx') => (rec.directions as Direction[]).find((x) => x.direction === d)!;
const pair = (d: Direction, from: string, to: string) => d.pairs.find((p) => p.from === from && p.to === to);
/** The pairs from one stage to another through the stages measured between them. */
function chain(d: Direction, from: string, to: string): Pair[] {
  const out: Pair[] = [];
  for (let at = from; at !== to; ) {
    const next = d.pairs.find((p) => p.from === at);
    if (!next) return [];
    out.push(next);
    at = next.to;
  }
  return out;
}

/** The stages the tool says it measures in a direction, in order (its info record). */
function measuredStages(records: ToolRecord[], dir: 'rx' | 'tx'): string[] {
  const head = `${dir} stages: `;
  const line = records.map((r) => (r.type === 'info' ? String(r.message) : '')).find((m) => m.startsWith(head));
  return line ? line.slice(head.length).split(' -> ').map((s) => s.split(' ')[0]!) : [];
}

/** A kernel with kprobe events can hook functions: there the IP and TCP/UDP function stages must be measured. */
const FUNCTION_HOOKS = ['/sys/kernel/tracing/kprobe_events', '/sys/kernel/debug/tracing/kprobe_events'].some((f) => existsSync(f));
const FUNCTION_STAGES = { rx: ['ip_rcv', 'ip_local_deliver', 'l4_rcv'], tx: ['ip_xmit', 'ip_output'] };

/** The P50 and P99 of a histogram each within one log2 bucket of a latency the lab predicts. */
function expectNear(h: Histogram, p50us: number, p99us: number): void {
  expect(Math.abs(bucketOf(h.percentiles!.p50.low) - bucketOf(p50us))).toBeLessThanOrEqual(1);
  expect(Math.abs(bucketOf(h.percentiles!.p99.low) - bucketOf(p99us))).toBeLessThanOrEqual(1);
}

describe.runIf(run)('system_network_latency_summary', () => {
  for (const [protocol, family, mode] of [['udp', 4, []], ['udp', 6, []], ['tcp', 4, []], ['tcp', 6, []], ['udp', 4, ['--stages']], ['tcp', 6, ['--stages']]] as const) {
    {
      it(`a ${protocol.toUpperCase()} reader that waits 40 ms: the socket queue and end to end in its bucket, all complete (IPv${family}${mode.length ? ', --stages' : ''})`, async () => {
        using lab = Lab.create();
        const { a, b } = twoHosts(lab);
        const N = 20;
        const delayMs = 40;
        const port = 41000;
        const reader = await startSlowReader(b.ns, { protocol, bind: addr(b, family), port, count: N, delayMs, size: 200 });
        await using tool = await startTool(toolPath('systemNetworkLatencySummary'), ['--direction', 'rx', '--netns', b.ns.name, '--protocol', protocol, '--port', String(port), '--interval', '3600', ...mode]);
        // A gap longer than the wait: each packet is alone in the queue, and waits the reader's delay.
        const sent = sendPaced(a.ns, { protocol, dst: addr(b, family), dport: port, count: N, size: 200, gapMs: delayMs + 30 });
        expect(sent.sent).toBe(N);
        expect(await reader.done).toBe(N);
        const rec = final((await tool.stop()).records);
        const rx = direction(rec, 'rx');
        expect(rx.packets).toMatchObject({ started: N, completed: N, ...ALL_DONE, untracked: 0, unstamped: 0 });
        const queue = pair(rx, 'socket_queue', 'read')!;
        expect(queue.count).toBe(N);
        expectNear(queue.histogram, delayMs * 1000, delayMs * 1000);
        // Every stage between (with --stages, the IP and UDP/TCP functions where the kernel lets them
        // be hooked) saw every packet.
        const between = chain(rx, 'device', 'socket_queue');
        expect(between.length).toBeGreaterThan(0);
        expect(between.map((p) => `${p.from} -> ${p.to}: ${p.count}`)).toEqual(between.map((p) => `${p.from} -> ${p.to}: ${N}`));
        expect(rx.end_to_end!.count).toBe(N);
        expectNear(rx.end_to_end!.histogram, delayMs * 1000, delayMs * 1000);
        expect(rec.lost).toBe(0);
        expect(rec.map_full).toBe(0);
      });
    }
  }

  // Retried: on Debian 6.1 in the guest tier, about 1 run in 30 of TCP/IPv4 has one packet whose IP
  // transmit stage was not stamped (ip_xmit -> ip_output one short, every other step whole) with no
  // recursion miss counted; 14 runs in a loop with a details tool beside it
  // did not show it again, so its cause is not known.
  for (const [protocol, family] of [['udp', 4], ['udp', 6], ['tcp', 4], ['tcp', 6]] as const) {
    it(`--stages, both directions: each stage the kernel lets be hooked${FUNCTION_HOOKS ? ', the IP and TCP/UDP functions included,' : ''} sees every ${protocol.toUpperCase()} packet (IPv${family})`, { retry: 2 }, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      const N = 20;
      const port = 41600;
      const reader = await startSlowReader(b.ns, { protocol, bind: addr(b, family), port, count: N, delayMs: 0, size: 100 });
      await using group = new ToolGroup();
      const common = ['--protocol', protocol, '--port', String(port), '--interval', '3600', '--stages'];
      const tools_ = await Promise.all([
        group.start(toolPath('systemNetworkLatencySummary'), ['--direction', 'tx', '--netns', a.ns.name, ...common]),
        group.start(toolPath('systemNetworkLatencySummary'), ['--direction', 'rx', '--netns', b.ns.name, ...common]),
      ]);
      expect(sendPaced(a.ns, { protocol, dst: addr(b, family), dport: port, count: N, size: 100, gapMs: 5 }).sent).toBe(N);
      expect(await reader.done).toBe(N);
      const [txRes, rxRes] = await Promise.all(tools_.map((t) => t.stop()));
      for (const [res, dir] of [[txRes!, 'tx'], [rxRes!, 'rx']] as const) {
        const rec = final(res.records);
        const d = direction(rec, dir);
        const measured = measuredStages(res.records, dir);
        if (FUNCTION_HOOKS) expect(measured).toEqual(expect.arrayContaining(FUNCTION_STAGES[dir]));
        // The pairs run through every measured stage, in order, and each saw every packet (the lab's
        // veths have no qdisc, so the qdisc stages, hooked, see none).
        // TCP's send stage needs tcp:tcp_sendmsg_locked; without it the stage is on for UDP only.
        const tcpSend = tracepointDefined('tcp:tcp_sendmsg_locked', 'btf') === true;
        const passed = measured.filter((s) => !s.startsWith('qdisc_') && !(s === 'socket_send' && protocol === 'tcp' && !tcpSend));
        const steps = chain(d, passed[0]!, passed.at(-1)!);
        expect(steps.length ? [steps[0]!.from, ...steps.map((p) => p.to)] : []).toEqual(passed);
        // TCP's TX also carries the handshake, pure ACKs and the FIN; the receiver follows data.
        const n = protocol === 'tcp' && dir === 'tx' ? d.packets.completed : N;
        expect(n).toBeGreaterThanOrEqual(N);
        expect(d.packets).toMatchObject({ started: n, completed: n, ...ALL_DONE });
        // Only the data starts at a send call. A hook run the kernel skipped (a program already
        // running on that CPU, as when a softirq sends an ACK during a program run) misses its
        // stamp: counted in `missed`, and the only shortfall allowed.
        const missed = rec.missed as number;
        if (missed) console.log(`${dir} ${protocol} IPv${family}: missed by the kernel ${missed}; ${steps.map((p) => `${p.from} -> ${p.to}: ${p.count}`).join(', ')} of ${n}`);
        const want = (p: Pair) => (p.from === 'socket_send' ? N : n);
        if (!missed) expect(steps.map((p) => `${p.from} -> ${p.to}: ${p.count}`)).toEqual(steps.map((p) => `${p.from} -> ${p.to}: ${want(p)}`));
        for (const p of steps) expect(p.count, `${p.from} -> ${p.to}`).toBeGreaterThanOrEqual(want(p) - missed);
        expect(steps.reduce((t, p) => t + want(p) - p.count, 0)).toBeLessThanOrEqual(missed);
        expect(rec.lost).toBe(0);
        expect(rec.map_full).toBe(0);
      }
    });
  }

  // A packet the kernel sends without showing it to any BPF program (see the GSO test below) stays
  // in flight: the witness counts those, and the tool is held exact for every other packet.
  for (const stages of [true, false]) it(`a tbf at a known rate: the ${stages ? 'qdisc stage' : 'device queue -> xmit step'} moves to rate x queued bytes, every packet sent${stages ? ' (--stages)' : ''}`, async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    // 1 Mbit/s with a burst of about one frame: each packet waits its turn in the qdisc (the
    // sender is far faster than the shaper).
    const tbf = shapeTbf(a, { rateBps: 125_000, burst: 2000 });
    await using tool = await startTool(toolPath('systemNetworkLatencySummary'), ['--direction', 'tx', '--netns', a.ns.name, '--protocol', 'udp', '--interval', '3600', '--bpf-stats', ...(stages ? ['--stages'] : [])]);
    const witness = new XmitWitness(lab);
    const N = 50;
    const size = 1000;
    const frame = size + 8 + 20 + 14;
    const sink = await startSlowReader(b.ns, { protocol: 'udp', bind: b.v4, port: 41100, count: N, delayMs: 0 });
    const sent = sendPaced(a.ns, { protocol: 'udp', dst: b.v4, dport: 41100, count: N, size, gapMs: 0 });
    expect(sent.sent).toBe(N);
    expect(await sink.done).toBe(N); // the queue drained: every packet left a and reached b
    const withheld = witness.withheld();
    const rec = final((await tool.stop()).records);
    const tx = direction(rec, 'tx');
    const done = N - tx.packets.in_flight;
    expect(tx.packets.in_flight).toBeLessThanOrEqual(withheld);
    expect(tx.packets).toMatchObject({ started: N, completed: done, ...ALL_DONE, in_flight: tx.packets.in_flight });
    const predicted = tbf.waitsUs(N, frame, sent.timesUs);
    const qdisc = stages ? pair(tx, 'qdisc_enqueue', 'qdisc_dequeue')! : pair(tx, 'dev_queue', 'xmit')!;
    expect(qdisc.count).toBe(done);
    expectNear(qdisc.histogram, rank(predicted, 0.5), rank(predicted, 0.99));
    expectNear(tx.end_to_end!.histogram, rank(predicted, 0.5), rank(predicted, 0.99));
    if (stages) expect(pair(tx, 'start_xmit', 'xmit')!.count).toBe(done);
    console.log(`tbf tx ${stages ? 'qdisc' : 'dev_queue -> xmit'}: p50 [${qdisc.histogram.percentiles!.p50.low}, ${qdisc.histogram.percentiles!.p50.high}) µs (predicted ${Math.round(rank(predicted, 0.5))}), p99 [${qdisc.histogram.percentiles!.p99.low}, ${qdisc.histogram.percentiles!.p99.high}) µs (predicted ${Math.round(rank(predicted, 0.99))})`);
  });

  for (const family of [4, 6] as const) {
    it(`TX from the application's send: every UDP datagram and TCP data segment timed from its send call (IPv${family})`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      const N = 20;
      const udp = await startSlowReader(b.ns, { protocol: 'udp', bind: addr(b, family), port: 41500, count: N, delayMs: 0 });
      const tcp = await startSlowReader(b.ns, { protocol: 'tcp', bind: addr(b, family), port: 41501, count: N, delayMs: 0, size: 100 });
      await using group = new ToolGroup();
      const tools_ = await Promise.all(
        (['udp', 'tcp'] as const).map((p) => group.start(toolPath('systemNetworkLatencySummary'), ['--direction', 'tx', '--netns', a.ns.name, '--protocol', p, '--interval', '3600'])),
      );
      expect(sendPaced(a.ns, { protocol: 'udp', dst: addr(b, family), dport: 41500, count: N, size: 100, gapMs: 5 }).sent).toBe(N);
      // TCP_NODELAY and a gap: one segment per send call, each starting where its call's data starts.
      expect(sendPaced(a.ns, { protocol: 'tcp', dst: addr(b, family), dport: 41501, count: N, size: 100, gapMs: 5 }).sent).toBe(N);
      expect(await udp.done).toBe(N);
      expect(await tcp.done).toBe(N);
      const [u, t] = await Promise.all(tools_.map(async (x) => direction(final((await x.stop()).records), 'tx')));
      expect(u!.packets).toMatchObject({ started: N, completed: N, ...ALL_DONE });
      expect(pair(u!, 'socket_send', 'dev_queue')!.count).toBe(N);
      // TCP also sends the handshake, pure ACKs and the FIN, which no send call carries.
      expect(t!.packets.completed).toBeGreaterThanOrEqual(N);
      // TCP's send stage needs tcp:tcp_sendmsg_locked (not in 6.1 or 6.12): without it, not measured.
      if (tracepointDefined('tcp:tcp_sendmsg_locked', 'btf') === true) expect(pair(t!, 'socket_send', 'dev_queue')!.count).toBe(N);
      else expect(pair(t!, 'socket_send', 'dev_queue')).toBeUndefined();
    });
  }

  it('filters follow only the selected flow while another is sent at the same time', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    const N = 15;
    const other = 25;
    const wanted = await startSlowReader(b.ns, { protocol: 'udp', bind: '::', port: 41200, count: N, delayMs: 5 });
    const noise = await startSlowReader(b.ns, { protocol: 'udp', bind: '::', port: 41201, count: other * 2, delayMs: 5 });
    await using tool = await startTool(toolPath('systemNetworkLatencySummary'), ['--direction', 'rx', '--netns', b.ns.name, '--dst-ip', b.v6, '--dst-port', '41200', '--interval', '3600']);
    const sent = await Promise.all([
      sendPacedAsync(a.ns, { protocol: 'udp', dst: b.v6, dport: 41200, count: N, gapMs: 5 }),
      sendPacedAsync(a.ns, { protocol: 'udp', dst: b.v6, dport: 41201, count: other, gapMs: 5 }), // same address, other port
      sendPacedAsync(a.ns, { protocol: 'udp', dst: b.v4, dport: 41201, count: other, gapMs: 5 }), // other family
    ]);
    expect(sent.map((s) => s.sent)).toEqual([N, other, other]);
    expect(await wanted.done).toBe(N);
    expect(await noise.done).toBe(other * 2);
    const rx = direction(final((await tool.stop()).records), 'rx');
    expect(rx.packets).toMatchObject({ started: N, completed: N, ...ALL_DONE });
  });

  it('--sample 4: one in four of the packets that pass the filters followed, each to its end', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    const N = 41;
    const sink = await startSlowReader(b.ns, { protocol: 'udp', bind: b.v4, port: 41700, count: N, delayMs: 0 });
    await using tool = await startTool(toolPath('systemNetworkLatencySummary'), ['--netns', a.ns.name, '--direction', 'tx', '--dst-port', '41700', '--sample', '4', '--interval', '3600']);
    // One sender on one CPU: its packets are counted by one CPU's counter (the 1st, 5th, ... are followed).
    expect(sendUdp(a.ns, { dst: b.v4, dport: 41700, count: N, cpu: 0 }).sent).toBe(N);
    expect(await sink.done).toBe(N);
    const tx = direction(final((await tool.stop()).records), 'tx');
    expect(tx.packets).toMatchObject({ started: Math.ceil(N / 4), completed: Math.ceil(N / 4), ...ALL_DONE });
    expect(pair(tx, 'dev_queue', 'xmit')!.count).toBe(Math.ceil(N / 4));
  });

  // On this machine the kernel runs no BPF program for a packet sent by a softirq served in the
  // context of the VM agent's threads, and counts no miss (docs/kernel-support.md, "Packets no BPF
  // program sees on this machine"). At this rate about half the attempts here lose a transmission
  // or more that way; a last segment lost leaves its GSO packet in flight. The witness counts the
  // transmissions withheld: none, and the tool is held exact; some, and it is held to account for
  // every packet with no more in flight than transmissions withheld.
  it('TCP through a tbf on a router: every GSO packet the qdisc splits is followed to its last segment, none unexplained', async () => {
    using lab = Lab.create();
    const { a, r, b, rB } = routed(lab);
    // 50 Mbit/s with a burst of about one frame: tbf splits every GSO packet it queues
    // (tbf_segment), and a queue long enough to drop nothing.
    r.tc('qdisc', 'add', 'dev', rB.dev, 'root', 'tbf', 'rate', '50mbit', 'burst', '2000', 'limit', '100000000');
    const CHUNKS = 200;
    const SIZE = 16384;
    const sink = await startSlowReader(b.ns, { protocol: 'tcp', bind: b.v4, port: 41800, count: CHUNKS, size: SIZE, delayMs: 0 });
    const stats = () => (JSON.parse(r.exec('tc', ['-s', '-j', 'qdisc', 'show', 'dev', rB.dev])) as { kind: string; packets: number; drops: number }[]).find((q) => q.kind === 'tbf')!;
    const before = stats();
    // Every packet the device sends is followed (no protocol filter): the qdisc's count is the truth.
    await using tool = await startTool(toolPath('systemNetworkLatencySummary'), ['--netns', r.name, '--interface', rB.dev, '--direction', 'tx', '--interval', '3600', '--bpf-stats']);
    const witness = new XmitWitness(lab);
    expect(sendTcp(a.ns, { dst: b.v4, dport: 41800, count: CHUNKS, size: SIZE }).bytes).toBe(CHUNKS * SIZE);
    expect(await sink.done).toBe(CHUNKS);
    const withheld = witness.withheld();
    const rec = final((await tool.stop()).records);
    const tx = direction(rec, 'tx');
    const after = stats();
    const sent = after.packets - before.packets;
    console.log(`gso: qdisc sent ${sent}; tool ${JSON.stringify(tx.packets)}, lost ${rec.lost}, map_full ${rec.map_full}, missed ${rec.missed}; transmissions withheld from BPF ${withheld}`);
    expect(after.drops - before.drops).toBe(0);
    // Every packet that started ended (sent whole, or split and followed to its last segment), or
    // is in flight for a transmission the kernel withheld.
    expect(tx.packets).toMatchObject({ started: tx.packets.completed + tx.packets.segmented + tx.packets.in_flight, dropped: 0, consumed: 0, timed_out: 0, evicted: 0 });
    expect(tx.packets.in_flight).toBeLessThanOrEqual(withheld);
    expect(tx.packets.segmented).toBeGreaterThan(0);
    // What the qdisc sent is what the tool saw leave: whole packets plus the segments of split ones
    // (less those of packets whose last segment was withheld).
    if (withheld === 0) expect(tx.packets.completed + tx.packets.segments).toBe(sent);
    else expect(tx.packets.completed + tx.packets.segments).toBeLessThanOrEqual(sent);
    expect(tx.end_to_end!.count).toBe(tx.packets.completed + tx.packets.segmented);
  });
});

describe.runIf(run)('system_network_latency_details', () => {
  for (const [protocol, family] of [['udp', 4], ['tcp', 6], ['udp', 6], ['tcp', 4]] as const) {
    it(`exactly the k of 100 ${protocol.toUpperCase()} packets delayed past the threshold are reported, with their flow (IPv${family})`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      const N = 100;
      const k = 7;
      const port = 41300;
      // The first k packets wait 25 ms in the socket, the rest are read at once; the threshold is 10 ms.
      const reader = await startSlowReader(b.ns, { protocol, bind: addr(b, family), port, count: N, delayMs: 25, slow: k, size: 300 });
      await using tool = await startTool(toolPath('systemNetworkLatencyDetails'), ['--direction', 'rx', '--netns', b.ns.name, '--port', String(port), '--latency-threshold-us', '10000']);
      const sent = sendPaced(a.ns, { protocol, dst: addr(b, family), dport: port, count: N, size: 300, gapMs: 35 });
      expect(await reader.done).toBe(N);
      const { records } = await tool.stop();
      const events = records.filter((r) => r.type === 'event') as unknown as LatencyEvent[];
      expect(events).toHaveLength(k);
      for (const e of events) {
        expect(e.direction).toBe('rx');
        expect(e.flow).toMatchObject({ src: addr(a, family), dst: addr(b, family), sport: sent.flow.sport, dport: port, protocol: protocol.toUpperCase() });
        expect(e.total_us).toBeGreaterThanOrEqual(10_000);
        expect(e.first.stage).toBe('device');
        expect(e.last.stage).toBe('read');
        expect(e.last.comm).toBe('python3');
        const queue = e.stages.find((s) => s.from === 'socket_queue' && s.to === 'read')!;
        expect(queue.delta_us).toBeGreaterThanOrEqual(25_000);
        expect(e.stages.reduce((t, s) => t + s.delta_us, 0)).toBeCloseTo(e.total_us, 0);
        if (protocol === 'tcp') expect(e.tcp!.payload).toBe(300);
      }
      // The slow ones are the first k sent: for TCP their sequence numbers are the first k segments'.
      if (protocol === 'tcp') {
        const seqs = events.map((e) => e.tcp!.seq).sort((x, y) => x - y);
        for (let i = 1; i < k; i++) expect((seqs[i]! - seqs[i - 1]! + 2 ** 32) % 2 ** 32).toBe(300);
      }
      expect(final(records)).toMatchObject({ events: k, lost: 0, threshold_us: 10000 });
    });
  }

  it('--stack: the kernel stack where the slowest step ended (the read for a slow reader, the dequeue behind a tbf)', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    const reader = await startSlowReader(b.ns, { protocol: 'udp', bind: b.v4, port: 41600, count: 3, delayMs: 15 });
    await using rx = await startTool(toolPath('systemNetworkLatencyDetails'), ['--direction', 'rx', '--netns', b.ns.name, '--dst-port', '41600', '--latency-threshold-us', '10000', '--stack', '--stages']);
    sendPaced(a.ns, { protocol: 'udp', dst: b.v4, dport: 41600, count: 3, gapMs: 30 });
    expect(await reader.done).toBe(3);
    const rxEvents = (await rx.stop()).records.filter((r) => r.type === 'event') as unknown as (LatencyEvent & { stack: string[]; stack_stage: string })[];
    expect(rxEvents).toHaveLength(3);
    for (const e of rxEvents) {
      expect(e.stack_stage).toBe('read');
      // The read system call, all the way down from the entry.
      expect(e.stack.some((f) => /^(udp_recvmsg|inet_recvmsg|sock_recvmsg|__sys_recvfrom|____sys_recvmsg)\b/.test(f))).toBe(true);
    }

    // 320 kbit/s: 26 ms per 1042-byte frame, so even a slow sender (an emulated guest's) fills the queue.
    const tbf = shapeTbf(a, { rateBps: 40_000, burst: 2084 });
    const sink = await startSlowReader(b.ns, { protocol: 'udp', bind: b.v4, port: 41601, count: 16, delayMs: 0 });
    await using tx = await startTool(toolPath('systemNetworkLatencyDetails'), ['--direction', 'tx', '--netns', a.ns.name, '--dst-port', '41601', '--latency-threshold-us', '20000', '--stack', '--stages', '--bpf-stats']);
    const witness = new XmitWitness(lab);
    const sent = sendPaced(a.ns, { protocol: 'udp', dst: b.v4, dport: 41601, count: 16, size: 1000, gapMs: 0 });
    expect(await sink.done).toBe(16);
    const withheld = witness.withheld();
    const txEvents = (await tx.stop()).records.filter((r) => r.type === 'event') as unknown as (LatencyEvent & { stack: string[]; stack_stage: string })[];
    // The packets that waited over the threshold, from when each was really sent (16, so that a
    // sender stalled between sends still leaves some).
    const waits = tbf.waitsUs(16, 1042, sent.timesUs);
    const over = waits.filter((w) => w >= 20_000 * 1.1).length;
    expect(over).toBeGreaterThan(0);
    // (How many is system_network_latency_details' exact test above; here, where each stack ends.
    // A transmission the kernel showed no BPF program ends no event: see the GSO test.)
    expect(txEvents.length).toBeGreaterThanOrEqual(over - withheld);
    for (const e of txEvents) {
      expect(e.stack_stage).toBe('qdisc_dequeue');
      // Dequeued by the qdisc run, not at the driver (the last stage).
      expect(e.stack.some((f) => /^__qdisc_run\b/.test(f))).toBe(true);
      expect(e.stack.some((f) => /^dev_hard_start_xmit\b/.test(f))).toBe(false);
    }
  });

  // A packet the tbf releases from a softirq the kernel runs no BPF program in ends no event (see the
  // GSO test): the witness counts those transmissions.
  it('a TX threshold over a tbf reports the packets that waited in the qdisc, each with its stages', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    // 320 kbit/s and 1042-byte frames: 26 ms per frame after the burst, so with 2 frames of burst
    // back-to-back packet i waits about (i − 1) × 26 ms. Which packets wait over 20 ms follows
    // from when each was really sent: a sender preempted between two sends lets the queue drain
    // (the slower the rate, the slower a sender that still fills the queue, as in an emulated guest).
    const tbf = shapeTbf(a, { rateBps: 40_000, burst: 2084 });
    const N = 12;
    const size = 1000;
    const frame = size + 8 + 20 + 14;
    const sink = await startSlowReader(b.ns, { protocol: 'udp', bind: b.v4, port: 41400, count: N, delayMs: 0 });
    await using tool = await startTool(toolPath('systemNetworkLatencyDetails'), ['--direction', 'tx', '--netns', a.ns.name, '--protocol', 'udp', '--latency-threshold-us', '20000', '--stages', '--bpf-stats']);
    const witness = new XmitWitness(lab);
    const sent = sendPaced(a.ns, { protocol: 'udp', dst: b.v4, dport: 41400, count: N, size, gapMs: 0 });
    expect(sent.sent).toBe(N);
    expect(await sink.done).toBe(N);
    const withheld = witness.withheld();
    const waits = tbf.waitsUs(N, frame, sent.timesUs);
    const k = waits.filter((w) => w >= 20_000 * 1.1).length;
    const near = waits.filter((w) => w >= 20_000 * 0.9 && w < 20_000 * 1.1).length;
    expect(k).toBeGreaterThan(0);
    const { records } = await tool.stop();
    const events = records.filter((r) => r.type === 'event') as unknown as LatencyEvent[];
    // Every packet clearly over the threshold (less those whose transmission the kernel withheld);
    // one within 10 % of it may go either way.
    expect(events.length).toBeGreaterThanOrEqual(k - withheld);
    expect(events.length).toBeLessThanOrEqual(k + near);
    for (const e of events) {
      expect(e.direction).toBe('tx');
      expect(e.flow).toMatchObject({ src: a.v4, dst: b.v4, dport: 41400, protocol: 'UDP' });
      expect(e.stages.map((s) => s.to)).toEqual(expect.arrayContaining(['qdisc_enqueue', 'qdisc_dequeue', 'start_xmit', 'xmit']));
      const q = e.stages.find((s) => s.to === 'qdisc_dequeue')!;
      expect(q.delta_us).toBeGreaterThan(e.total_us * 0.9); // the wait is the qdisc's
    }
  });
});

/**
 * tcp_health_summary against TCP connections with known faults, between namespaces of its own, each
 * tool filtered to one of them. Truth comes from both ends and from the kernel's own counters:
 * - loss: an nftables rule at the receiver drops every Nth data segment (numgen inc): the rule's
 *   counter is the dropped segments, and each drop costs exactly one retransmission; a retransmission
 *   that was not needed reaches the receiver twice, which counts it (its namespace's DelayedACKLost).
 *   So the sender's retransmissions = drops + duplicates, and equal its own RetransSegs (its
 *   namespace's /proc/net/snmp);
 * - delay: a TAP relay that holds every frame towards the "guest" for a known time: every RTT sample
 *   is at least that, and in its power of two;
 * - closed port: every SYN is answered by one reset (the client's connect() says refused);
 * - handshakes: every connect() that succeeded.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Histogram } from '@netstrata/bpf-common';
import type { TcpHealthRecord } from '@netstrata/system-network';
import { publish } from './examples.ts';
import { Lab, TapRelay, netCounters, requireRoot, runToolOnce, sendTcp, startSink, startSlowReader, startTool, tapVm, tcpSynToClosedPort, twoHosts, until, type Host, type Netns, type ToolRecord } from './index.ts';
import { expectUsageErrors } from './usage-errors.ts';

const run = requireRoot('tcp_health_summary end-to-end tests');
const TOOL = fileURLToPath(new URL('../../packages/system-network/dist/tcp_health_summary.js', import.meta.url));

/** The final record: the tool's fields and the loss block. */
type Health = TcpHealthRecord;

const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as Health;
const addr = (h: Host, family: 4 | 6) => (family === 4 ? h.v4 : h.v6);
const PORT = 5201;

/** Packets an nftables rule's counter saw (the first counter of the table). */
const nftCount = (ns: Netns, table: string) => Number(/counter packets (\d+)/.exec(ns.exec('nft', ['list', 'table', 'inet', table]))?.[1] ?? NaN);

/** Connections of `ns` to or from PORT still exchanging data or closing: none once every segment
 * was acknowledged and both ends closed (TIME_WAIT and FIN_WAIT2 need nothing more). */
const busy = (ns: Netns) => ns.exec('ss', ['-Htn', 'state', 'established', 'state', 'fin-wait-1', 'state', 'closing', 'state', 'last-ack', 'state', 'close-wait', 'state', 'syn-sent', 'state', 'syn-recv', `( sport = :${PORT} or dport = :${PORT} )`]).trim();

/** No delayed ACKs from `ns` (the route's quickack): RTT samples are the path's, not the peer's
 * ACK timer's; and no spurious tail loss probes waiting for a delayed ACK. */
function quickAck(ns: Netns, dev: string, v4: string, v6: string): void {
  ns.ip('route', 'replace', v4, 'dev', dev, 'quickack', '1');
  // The kernel's own route for the link has metric 256: replaced only at the same metric.
  ns.ip('-6', 'route', 'replace', v6, 'dev', dev, 'metric', '256', 'quickack', '1');
}

/** One connection sending `count` segments of `size` bytes (TCP_NODELAY), each only once the one
 * before was acknowledged (TIOCOUTQ: bytes sent and not yet acknowledged back to 0), `gapMs` apart;
 * the socket is closed once the last was acknowledged too: every ACK reaches an established socket. */
const ACKED_SENDER = `
import fcntl, json, socket, struct, sys, termios, time
spec = json.loads(sys.argv[1])
s = socket.create_connection((spec['dst'], spec['dport']))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
sport = s.getsockname()[1]
unacked = lambda: struct.unpack('i', fcntl.ioctl(s, termios.TIOCOUTQ, b'\\0' * 4))[0]
for _ in range(spec['count']):
    s.sendall(b'p' * spec['size'])
    while unacked():
        time.sleep(0.001)
    time.sleep(spec['gap_ms'] / 1000)
s.close()
print(json.dumps({'sent': spec['count'], 'sport': sport}))
`;

function sendAcked(ns: Netns, o: { dst: string; dport: number; count: number; size: number; gapMs: number }): { sent: number; sport: number } {
  const spec = { dst: o.dst, dport: o.dport, count: o.count, size: o.size, gap_ms: o.gapMs };
  return JSON.parse(ns.exec('python3', ['-c', ACKED_SENDER, JSON.stringify(spec)])) as { sent: number; sport: number };
}

const flowTo = (rec: Health, dport: number, sport?: number) => rec.flows.filter((f) => f.flow?.dport === dport && (sport === undefined || f.flow.sport === sport));
const flowFrom = (rec: Health, sport: number) => rec.flows.filter((f) => f.flow?.sport === sport);

describe.runIf(run)('tcp_health_summary', () => {
  for (const family of [4, 6] as const) {
    it(`every Nth data segment dropped by nftables: retransmissions = the rule's drops = the sender's RetransSegs; the receiver counts them NETFILTER_DROP (IPv${family})`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      const N = 20;
      // One segment per packet on the wire (the stack segments before the veth): the rule counts
      // what TCP counts. The receiver acknowledges at once.
      a.ns.exec('ethtool', ['-K', 'eth0', 'tso', 'off', 'gso', 'off']);
      quickAck(b.ns, 'eth0', '10.200.0.0/24', 'fd00:200::/64');
      // Data segments only (longer than any ACK, SYN or FIN here): pure ACKs are never retransmitted.
      b.ns.nft(`table inet nstloss {\n  chain in {\n    type filter hook input priority 0; policy accept;\n    tcp dport ${PORT} meta length > 100 numgen inc mod ${N} == 0 counter drop\n  }\n}\n`);
      const sink = await startSink(b.ns, { protocol: 'tcp', bind: addr(b, family), port: PORT });
      await using sender = await startTool(TOOL, ['--netns', a.ns.name, '--interval', '3600', '--top', '50', '--bpf-stats']);
      await using receiver = await startTool(TOOL, ['--netns', b.ns.name, '--interval', '3600', '--top', '50', '--bpf-stats']);
      const sent = sendTcp(a.ns, { dst: addr(b, family), dport: PORT, count: 2000, size: 1000 });
      // The sender's process is gone once its data is in the kernel: wait for TCP to finish.
      await until(() => !busy(a.ns) && !busy(b.ns), 'the transfer to finish');
      const dropped = nftCount(b.ns, 'nstloss');
      const retransSegs = netCounters(a.ns).get('Tcp.RetransSegs')!;
      const duplicates = netCounters(b.ns).get('TcpExt.DelayedACKLost')!;
      const tx = final((await sender.stop()).records);
      const rx = final((await receiver.stop()).records);
      expect(await sink.stop()).toBe(sent.bytes);
      expect(dropped).toBeGreaterThan(40);
      // Both ends' own counts: each segment the rule dropped was sent again once; a retransmission
      // that was not needed (a tail loss probe fired while an ACK was late, on a loaded machine)
      // reached the receiver a second time, which counts each such duplicate (DelayedACKLost).
      if (duplicates) console.log(`IPv${family}: ${duplicates} spurious retransmission(s) besides the ${dropped} drops`);
      expect(retransSegs).toBe(dropped + duplicates);
      // The sender: every retransmission, on the one flow.
      expect(tx.host.retransmits.total).toBe(retransSegs);
      expect(tx.host.retransmits).toMatchObject({ syn: 0, synack: 0, failed: 0 });
      const [flow, ...others] = flowFrom(tx, sent.flow.sport);
      expect(others).toEqual([]);
      expect(flow!.flow).toMatchObject({ src: addr(a, family), dst: addr(b, family), dport: PORT, protocol: 'TCP' });
      expect(flow!.retransmits.total).toBe(retransSegs);
      expect(flow!.handshakes).toEqual({ active: 1, passive: 0, failed: 0 });
      expect(tx.host.handshakes).toMatchObject({ active: 1, passive: 0, failed: 0 });
      expect(flow!.rtt_us.count).toBeGreaterThan(0);
      // The receiver: each drop by the kernel's reason, on the flow as its socket sees it.
      expect(rx.host.drops.by_reason.find((d) => d.reason === 'NETFILTER_DROP')?.count).toBe(dropped);
      const [back] = flowTo(rx, sent.flow.sport);
      expect(back!.flow).toMatchObject({ src: addr(b, family), sport: PORT, dst: addr(a, family) });
      expect(back!.drops.by_reason.find((d) => d.reason === 'NETFILTER_DROP')?.count).toBe(dropped);
      expect(back!.handshakes).toEqual({ active: 0, passive: 1, failed: 0 });
      expect(rx.host.retransmits.total).toBe(0);
      for (const r of [tx, rx]) expect([r.lost, r.map_full, r.evicted]).toEqual([0, 0, 0]);
      // What the tool cost the sender's host, in BPF runs per data segment sent (not a timing).
      const segments = netCounters(a.ns).get('Tcp.OutSegs')!;
      console.log(`tcp_health_summary (IPv${family}): sender ${tx.cost.bpf_runs} BPF runs for ${segments} segments sent, ${netCounters(a.ns).get('Tcp.InSegs')} received; receiver ${rx.cost.bpf_runs} BPF runs for ${netCounters(b.ns).get('Tcp.InSegs')} segments received`);
    });

    it(`a relay holding each frame 24 ms: every smoothed-RTT sample at least the hold and at most the exchange's time (IPv${family})`, async () => {
      using lab = Lab.create();
      const DELAY_MS = 24;
      const COUNT = 12;
      const { host, guest, addrs } = tapVm(lab, 256);
      quickAck(guest, 'geth0', '10.204.0.0/24', 'fd00:204::/64');
      await using relay = await TapRelay.start(host, guest, { sleepMs: DELAY_MS });
      const reader = await startSlowReader(guest, { protocol: 'tcp', bind: addrs.guest[family === 4 ? 'v4' : 'v6'], port: PORT, count: COUNT, delayMs: 0, size: 100 });
      await using tool = await startTool(TOOL, ['--netns', host.name, '--interval', '3600', '--window']);
      // Each segment alone on the path: sent once the one before was acknowledged, 20 ms later.
      const t0 = performance.now();
      const sent = sendAcked(host, { dst: addrs.guest[family === 4 ? 'v4' : 'v6'], dport: PORT, count: COUNT, size: 100, gapMs: 20 });
      const elapsedUs = (performance.now() - t0) * 1000;
      expect(sent.sent).toBe(COUNT);
      expect(await reader.done).toBe(COUNT);
      await until(() => !busy(host), 'the connection to close');
      const rec = final((await tool.stop()).records);
      const [flow, ...others] = flowFrom(rec, sent.sport);
      expect(others).toEqual([]);
      const low = DELAY_MS * 1000;
      expect(flow!.rtt_us.count).toBeGreaterThanOrEqual(2);
      // Every sample is at least the relay's hold (its bucket ends above it) and, a smoothed RTT being
      // a weighted mean of round trips, no more than the whole exchange took (the sender's own clock).
      // Nothing tighter: a busy machine adds delay to every round trip, and a bound that it could
      // break would time the machine, not the tool.
      for (const b of flow!.rtt_us.buckets) {
        expect(b.end).toBeGreaterThan(low);
        expect(b.start).toBeLessThanOrEqual(elapsedUs);
      }
      expect(flow!.srtt_us!).toBeGreaterThanOrEqual(low);
      expect(flow!.srtt_us!).toBeLessThanOrEqual(elapsedUs);
      // The handshake: SYN held by the relay, SYN-ACK straight back.
      expect(flow!.handshake_us!).toBeGreaterThanOrEqual(low);
      expect(rec.host.rtt_us.percentiles!.p50.high).toBeGreaterThan(low);
      expect(flow!.retransmits.total).toBe(0);
      // --window: at each ACK of a segment alone on the path, that one segment is in flight (none at
      // a window update), and the congestion window never went below its initial 10 (no loss). Every
      // segment acknowledged once: a sample each, or a run the kernel skipped (an ACK processed from
      // the socket's backlog interrupted by one arriving: the program does not nest), counted in missed.
      const w = rec as unknown as { host: { cwnd: Histogram; in_flight: Histogram } };
      expect(w.host.in_flight.count + rec.missed).toBeGreaterThanOrEqual(COUNT);
      expect(w.host.cwnd.count).toBe(w.host.in_flight.count);
      for (const b of w.host.in_flight.buckets) expect(b.end).toBeLessThanOrEqual(2);
      for (const b of w.host.cwnd.buckets) expect(b.start).toBeGreaterThanOrEqual(10);
    });

    it(`connections to a closed port: one reset sent (NO_SOCKET) per SYN at the server, one received and one failed connect per attempt at the client (IPv${family})`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      const K = 6;
      await using client = await startTool(TOOL, ['--netns', a.ns.name, '--interval', '3600', '--top', '50']);
      await using server = await startTool(TOOL, ['--netns', b.ns.name, '--interval', '3600', '--top', '50']);
      let refused = 0;
      for (let i = 0; i < K; i++) if (tcpSynToClosedPort(a.ns, { dst: addr(b, family), dport: 4 }).refused) refused++;
      expect(refused).toBe(K);
      const c = final((await client.stop()).records);
      const s = final((await server.stop()).records);
      expect(s.host.resets).toMatchObject({ sent: K, received: 0, sent_by_reason: [{ reason: 'NO_SOCKET', count: K }] });
      expect(s.host.drops.by_reason).toEqual([expect.objectContaining({ reason: 'NO_SOCKET', count: K })]);
      // One flow per attempt (each from its own port), as the server saw it: local port 4.
      const srv = s.flows.filter((f) => f.flow?.sport === 4);
      expect(srv).toHaveLength(K);
      for (const f of srv) expect(f).toMatchObject({ resets: { sent: 1, received: 0 }, flow: { src: addr(b, family), dst: addr(a, family) } });
      expect(c.host.resets).toMatchObject({ sent: 0, received: K });
      expect(c.host.handshakes).toMatchObject({ active: 0, passive: 0, failed: K });
      const cli = flowTo(c, 4);
      expect(cli).toHaveLength(K);
      for (const f of cli) expect(f).toMatchObject({ handshakes: { active: 0, passive: 0, failed: 1 }, resets: { sent: 0, received: 1 } });
      expect(c.host.retransmits.total + s.host.retransmits.total).toBe(0);
    });

    it(`handshakes: K connections are K active opens at the client and K passive at the server, each timed (IPv${family})`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      const K = 5;
      const sink = await startSink(b.ns, { protocol: 'tcp', bind: addr(b, family), port: PORT });
      await using client = await startTool(TOOL, ['--netns', a.ns.name, '--interval', '3600', '--top', '50']);
      await using server = await startTool(TOOL, ['--netns', b.ns.name, '--interval', '3600', '--top', '50']);
      const sports = new Set<number>();
      for (let i = 0; i < K; i++) sports.add(sendTcp(a.ns, { dst: addr(b, family), dport: PORT, count: 1, size: 100 }).flow.sport);
      await until(() => !busy(a.ns) && !busy(b.ns), 'the connections to close');
      const c = final((await client.stop()).records);
      const s = final((await server.stop()).records);
      expect(await sink.stop()).toBe(K * 100);
      expect(netCounters(a.ns).get('Tcp.ActiveOpens')).toBe(K);
      expect(netCounters(b.ns).get('Tcp.PassiveOpens')).toBe(K);
      expect(c.host.handshakes).toMatchObject({ active: K, passive: 0, failed: 0 });
      expect(c.host.handshakes.active_us.count).toBe(K);
      expect(s.host.handshakes).toMatchObject({ active: 0, passive: K, failed: 0 });
      expect(s.host.handshakes.passive_us.count).toBe(K);
      const cli = flowTo(c, PORT);
      expect(new Set(cli.map((f) => f.flow!.sport))).toEqual(sports);
      for (const f of cli) expect(f.handshakes).toEqual({ active: 1, passive: 0, failed: 0 });
      const srv = s.flows.filter((f) => f.flow?.sport === PORT);
      expect(new Set(srv.map((f) => f.flow!.dport))).toEqual(sports);
      for (const f of srv) expect(f.handshakes).toEqual({ active: 0, passive: 1, failed: 0 });
      for (const r of [c, s]) expect([r.host.resets.sent, r.host.resets.received, r.host.retransmits.total]).toEqual([0, 0, 0]);
    });
  }

  it('bad input: one line naming the option, exit 2, not one bpf(2) call', () => {
    const cases: [string[], RegExp][] = [
      // Connections are followed by their sockets, not by device.
      [['--interface', 'eth0'], /^unknown option --interface$/],
      [['--protocol', 'udp'], /^--protocol: tcp_health_summary follows TCP only/],
      [['--protocol', 'sctp'], /^--protocol: 'sctp' is not one of tcp, udp, icmp$/],
      [['--ip', '10.0.0.300'], /^--ip: '10\.0\.0\.300' is not an IPv4 or IPv6 address$/],
      [['--src-ip', '10.0.0.0/8', '--dst-ip', 'fd00::/8'], /^--src-ip\/--dst-ip\/--ip: mix IPv4 and IPv6/],
      [['--port', '70000'], /^--port: '70000' must be at most 65535$/],
      [['--top', '0'], /^--top: '0' must be at least 1$/],
      [['--window=often'], /^--window: 'often' is not true or false/],
      [['--netns', 'nstlab-no-such-ns'], /^--netns: no network namespace 'nstlab-no-such-ns'/],
    ];
    expectUsageErrors(TOOL, cases);
  });

  it('the example for the docs: a client with a lossy transfer and refused connections (text)', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    a.ns.exec('ethtool', ['-K', 'eth0', 'tso', 'off', 'gso', 'off']);
    quickAck(b.ns, 'eth0', '10.200.0.0/24', 'fd00:200::/64');
    b.ns.nft(`table inet nstloss {\n  chain in {\n    type filter hook input priority 0; policy accept;\n    tcp dport ${PORT} meta length > 100 numgen inc mod 25 == 0 counter drop\n  }\n}\n`);
    const sink = await startSink(b.ns, { protocol: 'tcp', bind: '::', port: PORT });
    const args = ['--netns', a.ns.name, '--interval', '60', '--top', '5'];
    await using tool = await startTool(TOOL, args, { json: false });
    sendTcp(a.ns, { dst: b.v4, dport: PORT, count: 1000, size: 1000 });
    sendTcp(a.ns, { dst: b.v6, dport: PORT, count: 200, size: 1000 });
    for (let i = 0; i < 2; i++) tcpSynToClosedPort(a.ns, { dst: b.v6, dport: 443 });
    await until(() => !busy(a.ns) && !busy(b.ns), 'the transfers to finish');
    const dropped = nftCount(b.ns, 'nstloss');
    const res = await tool.stop();
    await sink.stop();
    expect(res.stdout).toMatch(new RegExp(`2 handshakes \\(2 active, 0 passive\\), 2 failed connects; ${dropped} retransmits`));
    expect(res.stdout).toMatch(/resets 0 sent, 2 received/);
    expect(res.stdout).toMatch(/10\.200\.0\.1:\d+ -> 10\.200\.0\.2:5201\s/);
    publish('tcp_health_summary', `tcp_health_summary ${args.join(' ').replace(a.ns.name, 'lab-a')}`, res.stdout);
  });
});

/**
 * No silent loss, and bounded memory. A details tool whose ring buffer overflows reports as lost
 * exactly the events it produced and did not deliver, both sides counted apart from the tool. Under
 * a flood of unique flows, or of packets that never finish their path, no map of a tool grows past
 * its configured size, and what did not fit is counted: evicted for the drop counter's groups and
 * the latency tools' sessions.
 */
import { describe, expect, it } from 'vitest';
import { Lab, mapEntries, mapsHeldBy, netCounters, requireRoot, sendUdp, startTool, toolPath, twoHosts, type Netns, type RunningTool, type ToolRecord } from './index.ts';

const run = requireRoot('loss and memory-bound tests');

/** Datagrams a namespace refused for want of a socket (/proc/net/snmp Udp NoPorts). */
const udpNoPorts = (ns: Netns): number => netCounters(ns).get('Udp.NoPorts')!;

/** A device's own packet counters, inside its namespace. */
function devStat(ns: Netns, dev: string, stat: string): number {
  return Number(ns.exec('cat', [`/sys/class/net/${dev}/statistics/${stat}`]).trim());
}

/** Every map the running tool holds is within its max_entries; returns the named map's count. */
function checkMapsBounded(tool: RunningTool, name: string): { entries: number; maxEntries: number } {
  const maps = mapsHeldBy(tool.pid);
  let found: { entries: number; maxEntries: number } | undefined;
  for (const m of maps) {
    // Hash-like maps grow with what they see (hash, LRU hash, their per-CPU kinds); arrays and
    // rings have a fixed size.
    if (![1, 5, 9, 10].includes(m.type)) continue;
    const entries = mapEntries(m.id);
    expect(entries, `map ${m.name} (${m.id})`).toBeLessThanOrEqual(m.maxEntries);
    if (m.name === name) found = { entries, maxEntries: m.maxEntries };
  }
  expect(found, `the tool holds a map named ${name}`).toBeDefined();
  return found!;
}

/** Runs `fn` while the tool's process is stopped: the kernel keeps producing, nobody reads the ring. */
function whileStopped<T>(tool: RunningTool, fn: () => T): T {
  process.kill(tool.pid, 'SIGSTOP');
  try {
    return fn();
  } finally {
    process.kill(tool.pid, 'SIGCONT');
  }
}

const finalOf = (records: ToolRecord[]) => {
  const fin = records.filter((r) => r.type === 'final');
  expect(fin).toHaveLength(1);
  return fin[0]!;
};

/** Stops a details tool whose ring overflowed and holds its final record to the truth: every event
 * delivered counted, and lost exactly the `produced` events it did not deliver (some: the ring was
 * full). */
async function stopAndCheckLost(tool: RunningTool, produced: number): Promise<ToolRecord> {
  const res = await tool.stop();
  expect(res.exitCode).toBe(0);
  const fin = finalOf(res.records);
  const delivered = res.records.filter((r) => r.type === 'event').length;
  expect(fin.events).toBe(delivered);
  expect(fin.lost).toBe(produced - delivered);
  expect(fin.lost).toBeGreaterThan(0);
  return fin;
}

describe.runIf(run)('details tools: a full ring buffer is counted, exactly', () => {
  it('packet_drop_details: lost == drops produced (UdpNoPorts) − events delivered', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    // A 64 KiB ring holds about 130 events; the tool is stopped (SIGSTOP) while 2000 drops happen.
    await using tool = await startTool(toolPath('packetDropDetails'), ['--netns', b.ns.name, '--dst-port', '40000', '--ring-size', '64']);
    const noPorts = udpNoPorts(b.ns);
    const sent = whileStopped(tool, () => sendUdp(a.ns, { dst: b.v4, dport: 40000, count: 2000 }));
    const produced = udpNoPorts(b.ns) - noPorts;
    // Every packet sent was a drop the kernel counted: one event produced each.
    expect(produced).toBe(sent.sent);
    await stopAndCheckLost(tool, produced);
  });

  it('system_network_latency_details: lost == packets sent through the device − events delivered', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    // The send path of a's veth (no qdisc): every packet that enters it completes at net_dev_xmit,
    // and with threshold 0 every completed packet is an event. (The receive path is not exact:
    // a datagram beyond a socket's 64-deep queue is not followed, by design.)
    await using tool = await startTool(toolPath('systemNetworkLatencyDetails'), ['--netns', a.ns.name, '--direction', 'tx', '--latency-threshold-us', '0', '--ring-size', '64']);
    const tx0 = devStat(a.ns, 'eth0', 'tx_packets') + devStat(a.ns, 'eth0', 'tx_dropped');
    const sent = whileStopped(tool, () => sendUdp(a.ns, { dst: b.v4, dport: 40000, count: 2000 }));
    const produced = devStat(a.ns, 'eth0', 'tx_packets') + devStat(a.ns, 'eth0', 'tx_dropped') - tx0;
    // The device's counters see whatever else the namespace sent meanwhile, and so does the tool.
    expect(produced).toBeGreaterThanOrEqual(sent.sent);
    const fin = await stopAndCheckLost(tool, produced);
    // Nothing waited anywhere: no session was let go.
    expect([fin.evicted, fin.map_full]).toEqual([0, 0]);
  });
});

describe.runIf(run)('bounded memory: maps stay within their sizes, and overflow is counted', () => {
  it('packet_drop_summary --group-by flow: counted + evicted == drops injected, over more flows than the map holds between two reads', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    // DROPS_MAX (packages/packet-drop/bpf/packet_drop.h) is 10240 keys: 12000 one-packet flows.
    const FLOWS = 12_000;
    await using tool = await startTool(toolPath('packetDropSummary'), ['--netns', b.ns.name, '--group-by', 'flow', '--top', '3', '--interval', '3600']);
    const noPorts = udpNoPorts(b.ns);
    const sent = sendUdp(a.ns, { dst: b.v4, dport: 20_000, dportCount: FLOWS, count: FLOWS });
    const injected = udpNoPorts(b.ns) - noPorts;
    expect(injected).toBe(sent.sent);
    const drops = checkMapsBounded(tool, 'drops');
    expect(drops.maxEntries).toBe(10_240);
    const res = await tool.stop();
    expect(res.exitCode).toBe(0);
    const fin = finalOf(res.records) as ToolRecord & { total_drops: number; map_full: number; evicted: number; rows: unknown[]; more_rows: number };
    expect(fin.rows.length + fin.more_rows).toBe(drops.entries);
    // The table is an LRU hash: new flows made room (none refused), and each flow it let go took
    // its one drop with it, counted as evicted.
    expect(fin.map_full).toBe(0);
    expect(fin.total_drops + fin.evicted).toBe(injected);
    expect(fin.evicted).toBeGreaterThan(0);
    // One packet per flow: each key counts one drop.
    expect(fin.total_drops).toBe(drops.entries);
  });

  it('latency tools: a small session table under packets that never leave a qdisc; evictions counted exactly', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    // A tbf that lets its first 1600 bytes through and then about one byte a second: the rest stay
    // queued, each an open session, far more of them than --max-sessions.
    a.ns.tc('qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', '8bit', 'burst', '1600', 'limit', '10000000');
    const SESSIONS = 64;
    // Only the test's flow starts sessions: anything else the namespace sends shares the qdisc.
    // --stages: a queued packet's session moves to the table at qdisc_enqueue (by default the CPU
    // carries the last one until its next packet), so the table holds every open session.
    const common = ['--netns', a.ns.name, '--direction', 'tx', '--protocol', 'udp', '--dst-port', '40000', '--max-sessions', String(SESSIONS), '--stages'];
    await using summary = await startTool(toolPath('systemNetworkLatencySummary'), [...common, '--interval', '3600']);
    await using details = await startTool(toolPath('systemNetworkLatencyDetails'), [...common, '--latency-threshold-us', '1000000000']);
    // Queued packets hold their socket's send buffer: a few sockets of 100 each.
    let sent = 0;
    const noPorts = udpNoPorts(b.ns);
    for (let i = 0; i < 5; i++) sent += sendUdp(a.ns, { dst: b.v4, dport: 40000, count: 100 }).sent;
    // The test's packets that left (b has no socket on the port: each one that arrived is counted
    // there); the others are still queued, since the qdisc dropped none.
    const left = udpNoPorts(b.ns) - noPorts;
    const queued = sent - left;
    const q = (JSON.parse(a.ns.exec('tc', ['-s', '-j', 'qdisc', 'show', 'dev', 'eth0'])) as { kind: string; drops: number; qlen: number }[]).find((x) => x.kind === 'tbf')!;
    expect(q.drops).toBe(0);
    expect(q.qlen).toBeGreaterThanOrEqual(queued);
    expect(queued).toBeGreaterThan(SESSIONS);
    const open = { summary: checkMapsBounded(summary, 'sessions'), details: checkMapsBounded(details, 'sessions') };
    expect([open.summary.maxEntries, open.details.maxEntries]).toEqual([SESSIONS, SESSIONS]);

    const s = await summary.stop();
    const d = await details.stop();
    expect([s.exitCode, d.exitCode]).toEqual([0, 0]);
    const tx = (finalOf(s.records) as ToolRecord & { directions: { direction: string; packets: Record<string, number> }[] }).directions.find((x) => x.direction === 'tx')!.packets;
    // Each packet started a session; those dequeued completed; of the queued ones, the table holds
    // what it can (nothing moves: in flight is what was counted in the map) and the rest were evicted.
    expect(tx.started).toBe(sent);
    expect(tx.completed).toBe(left);
    expect([tx.dropped, tx.consumed, tx.segmented, tx.timed_out]).toEqual([0, 0, 0, 0]);
    expect(tx.in_flight).toBe(open.summary.entries);
    expect(tx.evicted).toBe(queued - open.summary.entries);
    expect(tx.evicted).toBeGreaterThan(0);
    const fin = finalOf(d.records);
    expect(fin.events).toBe(0);
    expect(fin.evicted).toBe(queued - open.details.entries);
  });
});

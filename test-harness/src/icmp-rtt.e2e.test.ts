/**
 * icmp_rtt_details against a real router: a — r — b, where r forwards between a veth (ra, toward the
 * pinger a) and a TAP (tap0) whose reader is a relay (agents/taprelay.py) to b's NIC; the relay
 * sleeps before it reads each frame, so every request waits outside r for at least that long (no
 * netem on this kernel). b's nftables drops the echo requests to its second address.
 * Truth: the pings sent and answered, and the round trip each one measured (iputils ping); the
 * relay's sleep, a lower bound of the time outside r.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PingEventRecord, PingFinal } from '@netstrata/system-network';
import { Lab, TapRelay, ToolGroup, ping as pingN, requireRoot, runToolOnce, startTool, type Netns, type Pinged, type RunningTool, type ToolRecord, type ToolResult } from './index.ts';
import { publish } from './examples.ts';

const run = requireRoot('icmp_rtt_details end-to-end tests');
const BIN = fileURLToPath(new URL('../../packages/system-network/dist/icmp_rtt_details.js', import.meta.url));

/** The relay's sleep before each read: the least time a request spends outside r. */
const SLEEP_MS = 20;
/** Answered and dropped pings per address family. */
const N = 8;
const M = 3;

const ADDR = {
  a: { v4: '10.207.1.1', v6: 'fd00:207:1::1' },
  ra: { v4: '10.207.1.254', v6: 'fd00:207:1::fe' },
  tap: { v4: '10.207.2.254', v6: 'fd00:207:2::fe' },
  b: { v4: '10.207.2.1', v6: 'fd00:207:2::1' },
  /** b's second address: its nftables drops the echo requests to it. */
  dropped: { v4: '10.207.2.2', v6: 'fd00:207:2::2' },
} as const;
const FAMILIES = ['v4', 'v6'] as const;

function pingLab(lab: Lab): { a: Netns; r: Netns; b: Netns } {
  const a = lab.netns('a');
  const r = lab.netns('r');
  const b = lab.netns('b');
  const l = lab.veth(a, 'eth0', r, 'ra', { txqueuelen: 10000 });
  const rt = lab.tap(r, 'tap0', { txqueuelen: 1000 });
  const bt = lab.tap(b, 'geth0');
  r.sysctl('net.ipv4.ip_forward', 1);
  r.sysctl('net.ipv6.conf.all.forwarding', 1);
  for (const f of FAMILIES) {
    const plen = f === 'v4' ? 24 : 64;
    a.addr('eth0', `${ADDR.a[f]}/${plen}`);
    r.addr('ra', `${ADDR.ra[f]}/${plen}`);
    r.addr('tap0', `${ADDR.tap[f]}/${plen}`);
    b.addr('geth0', `${ADDR.b[f]}/${plen}`);
    b.addr('geth0', `${ADDR.dropped[f]}/${plen}`);
    // Static neighbours: no ARP or ND on the way (nor in the relay's ring).
    a.neigh('eth0', ADDR.ra[f], l.bMac);
    r.neigh('ra', ADDR.a[f], l.aMac);
    r.neigh('tap0', ADDR.b[f], bt.mac);
    r.neigh('tap0', ADDR.dropped[f], bt.mac);
    b.neigh('geth0', ADDR.tap[f], rt.mac);
  }
  a.route('default', 'via', ADDR.ra.v4);
  a.route('-6', 'default', 'via', ADDR.ra.v6);
  b.route('default', 'via', ADDR.tap.v4);
  b.route('-6', 'default', 'via', ADDR.tap.v6);
  // r's own IPv6 upkeep would wait in the relay's queue ahead of the pings (as in tapVm).
  r.nft(`table inet nstquiet { chain out { type filter hook output priority 0; icmpv6 type { mld-listener-report, mld2-listener-report, nd-router-solicit, nd-neighbor-solicit } drop; }; }`);
  b.nft(
    `table inet nstping { chain in { type filter hook input priority 0; ip daddr ${ADDR.dropped.v4} icmp type echo-request drop; ip6 daddr ${ADDR.dropped.v6} icmpv6 type echo-request drop; }; }`,
  );
  return { a, r, b };
}

/** `count` requests 0.2 s apart (each reply back long before the next request: exactly `count`
 * sent), then ping waits for the replies still due (at least 0.2 s); with none, a second (past the
 * tools' --timeout-ms, so the unanswered ones are counted when ping returns). */
const ping = (ns: Netns, dst: string, count: number): Pinged => pingN(ns, dst, count, { intervalS: 0.2 });

/** The final record: the tool's counts and the losses every tool reports. */
type Final = PingFinal & { events: number; lost: number; evicted: number; map_full: number };

const finalOf = (records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as Final;
const eventsOf = (records: ToolRecord[]) => records.filter((r) => r.type === 'event') as unknown as PingEventRecord[];
const sum = (xs: { delta_us: number }[]) => xs.reduce((s, x) => s + x.delta_us, 0);

/** N pings to b and M to its dropped address from `from`, each family: ping's truth of the answered ones. */
function pingBoth(from: Netns): Record<(typeof FAMILIES)[number], Pinged> {
  const truth = {} as Record<(typeof FAMILIES)[number], Pinged>;
  for (const f of FAMILIES) {
    truth[f] = ping(from, ADDR.b[f], N);
    expect(truth[f]).toMatchObject({ sent: N, received: N });
    expect(ping(from, ADDR.dropped[f], M)).toMatchObject({ sent: M, received: 0 });
  }
  return truth;
}

/** pingBoth from `from` while `tool` runs, then stops the tool: ping's truth, and the tool's result
 * and events, checked to be a clean exit and one event per answered ping. */
async function pingThrough(tool: RunningTool, from: Netns): Promise<{ truth: ReturnType<typeof pingBoth>; res: ToolResult; events: PingEventRecord[] }> {
  const truth = pingBoth(from);
  const res = await tool.stop();
  expect(res.exitCode).toBe(0);
  const events = eventsOf(res.records);
  expect(events).toHaveLength(2 * N);
  return { truth, res, events };
}

/** The events of the pings to b in one family: one for each of its N sequence numbers. */
function answered(events: PingEventRecord[], f: (typeof FAMILIES)[number]): PingEventRecord[] {
  const mine = events.filter((e) => e.flow.dst === ADDR.b[f]);
  expect(mine.map((e) => e.icmp.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  return mine;
}

/** `want` appears in `stages`, in that order (function stages may come between where the kernel has them). */
function expectInOrder(stages: { stage: string }[], want: string[]): void {
  const names = stages.map((s) => s.stage);
  expect(names.filter((n) => want.includes(n))).toEqual(want);
}

/** What every event of a run must hold: its stages, their sums, the outside time in range, and a
 * round trip within what ping measured. ping times from just before its send call to the reply's
 * kernel RX timestamp (SO_TIMESTAMP), taken when the reply reaches a host's stack: in a, after r
 * sent it on (forwarded: all of r's round trip is inside ping's); in r itself (local), as it
 * arrives on tx-if, before its `receive` and the way to the socket (`reply_us`). */
function checkEvent(e: PingEventRecord, truth: Pinged, o: { request: string[]; reply: string[] }): void {
  expectInOrder(e.request, o.request);
  expectInOrder(e.reply, o.reply);
  for (const s of [...e.request, ...e.reply]) expect(s.delta_us).toBeGreaterThanOrEqual(0);
  expect(e.request[0]!.delta_us).toBe(0);
  expect(e.reply[0]!.delta_us).toBe(0);
  expect(sum(e.request)).toBeCloseTo(e.request_us, 3);
  expect(sum(e.reply)).toBeCloseTo(e.reply_us, 3);
  expect(e.request_us + e.outside_us + e.reply_us).toBeCloseTo(e.rtt_us, 3);
  // The relay slept before it read the request: all of it outside this host.
  expect(e.outside_us).toBeGreaterThanOrEqual(SLEEP_MS * 1000);
  expect(e.outside_us).toBeLessThanOrEqual(e.rtt_us);
  const p = truth.rttUs.get(e.icmp.seq);
  expect(p, `ping's time for seq ${e.icmp.seq}`).toBeDefined();
  expect(e.kind === 'local' ? e.rtt_us - e.reply_us : e.rtt_us).toBeLessThanOrEqual(p!.us + p!.slackUs);
}

describe.runIf(run)('icmp_rtt_details', () => {
  it(`forwarded pings (IPv4, IPv6): one event per answered ping with every device stage, at least ${SLEEP_MS} ms outside, within ping's own time; the dropped ones unanswered, exactly`, async () => {
    using lab = Lab.create();
    const { a, r, b } = pingLab(lab);
    await using relay = await TapRelay.start(r, b, { sleepMs: SLEEP_MS });
    await using tools = new ToolGroup();
    const common = ['--netns', r.name, '--rx-interface', 'ra', '--tx-interface', 'tap0', '--timeout-ms', '300'];
    const all = await tools.start(BIN, common);
    // The same pings through a second run whose threshold none reaches: no event, the same counts.
    const none = await tools.start(BIN, [...common, '--latency-threshold-us', '10000000']);
    // And one that follows only the pings to b's IPv6 address, its interfaces given by index.
    const index = (dev: string) => String((JSON.parse(r.ip('-j', 'link', 'show', 'dev', dev)) as { ifindex: number }[])[0]!.ifindex);
    const v6only = await tools.start(BIN, ['--netns', r.name, '--rx-interface', index('ra'), '--tx-interface', index('tap0'), '--timeout-ms', '300', '--dst-ip', ADDR.b.v6]);
    // And one on the classic tracepoints (the BTF flavours off), as a kernel without them runs it.
    const classic = await tools.start(BIN, common, { env: { NETSTRATA_DISABLE_FEATURES: 'tp_btf,raw_tp' } });
    const { truth, res, events } = await pingThrough(all, a);
    for (const f of FAMILIES) {
      for (const e of answered(events, f)) {
        expect(e).toMatchObject({ kind: 'forwarded', rx_interface: 'ra', tx_interface: 'tap0', netns: r.inode, flow: { src: ADDR.a[f], protocol: f === 'v4' ? 'ICMP' : 'ICMPv6' } });
        checkEvent(e, truth[f], { request: ['receive', 'dev_queue', 'start_xmit', 'xmit'], reply: ['receive', 'dev_queue', 'start_xmit', 'xmit'] });
      }
    }
    const counts = { answered: 2 * N, unanswered: 2 * M, late: 0, incomplete: 0, replaced: 0, pending: 0, lost: 0, evicted: 0, map_full: 0 };
    expect(finalOf(res.records)).toMatchObject({ events: 2 * N, ...counts });
    const quiet = await none.stop();
    expect(eventsOf(quiet.records)).toEqual([]);
    expect(finalOf(quiet.records)).toMatchObject({ events: 0, ...counts });
    const filtered = await v6only.stop();
    expect(new Set(eventsOf(filtered.records).map((e) => `${e.rx_interface} ${e.tx_interface}`))).toEqual(new Set(['ra tap0']));
    expect(eventsOf(filtered.records).map((e) => `${e.flow.dst} ${e.icmp.seq}`).sort()).toEqual(Array.from({ length: N }, (_, i) => `${ADDR.b.v6} ${i + 1}`).sort());
    expect(finalOf(filtered.records)).toMatchObject({ events: N, ...counts, answered: N, unanswered: 0 });
    const old = await classic.stop();
    expect(eventsOf(old.records).map((e) => `${e.flow.dst} ${e.icmp.seq} ${e.request.length} ${e.reply.length}`).sort()).toEqual(events.map((e) => `${e.flow.dst} ${e.icmp.seq} 4 4`).sort());
    expect(finalOf(old.records)).toMatchObject({ events: 2 * N, ...counts });
  });

  it('replies r drops on their way back are incomplete, and replies later than --timeout-ms unanswered, exactly (IPv4, IPv6)', async () => {
    using lab = Lab.create();
    const { a, r, b } = pingLab(lab);
    await using relay = await TapRelay.start(r, b, { sleepMs: SLEEP_MS });
    await using tools = new ToolGroup();
    const common = ['--netns', r.name, '--rx-interface', 'ra', '--tx-interface', 'tap0'];
    // Every reply comes back SLEEP_MS or more after its request: past a timeout of half that.
    const short = await tools.start(BIN, [...common, '--timeout-ms', String(SLEEP_MS / 2)]);
    for (const f of FAMILIES) expect(ping(a, ADDR.b[f], M)).toMatchObject({ sent: M, received: M });
    const late = await short.stop();
    expect(eventsOf(late.records)).toEqual([]);
    expect(finalOf(late.records)).toMatchObject({ events: 0, answered: 0, unanswered: 2 * M, incomplete: 0, pending: 0, lost: 0, evicted: 0 });
    // r's forwarding drops the replies: each arrived on tap0 and never left by ra.
    r.nft('table inet nstreply { chain c { type filter hook forward priority 0; icmp type echo-reply drop; icmpv6 type echo-reply drop; }; }');
    const dropping = await tools.start(BIN, [...common, '--timeout-ms', '300']);
    for (const f of FAMILIES) expect(ping(a, ADDR.b[f], M)).toMatchObject({ sent: M, received: 0 });
    const res = await dropping.stop();
    expect(eventsOf(res.records)).toEqual([]);
    expect(finalOf(res.records)).toMatchObject({ events: 0, answered: 0, unanswered: 0, incomplete: 2 * M, pending: 0, lost: 0, evicted: 0 });
  });

  it(`pings r sends itself (IPv4, IPv6): from the send call to the reply queued to ping's socket; the dropped ones unanswered, exactly`, async () => {
    using lab = Lab.create();
    const { r, b } = pingLab(lab);
    await using relay = await TapRelay.start(r, b, { sleepMs: SLEEP_MS });
    await using tools = new ToolGroup();
    const args = ['--netns', r.name, '--tx-interface', 'tap0', '--timeout-ms', '300'];
    const tool = await tools.start(BIN, args);
    const classic = await tools.start(BIN, args, { env: { NETSTRATA_DISABLE_FEATURES: 'tp_btf,raw_tp' } });
    const { truth, res, events } = await pingThrough(tool, r);
    for (const f of FAMILIES) {
      const mine = answered(events, f);
      for (const e of mine) {
        expect(e).toMatchObject({ kind: 'local', rx_interface: null, tx_interface: 'tap0', flow: { src: ADDR.tap[f] }, pinger: { comm: 'ping' } });
        // The send call is joined when the request reaches the device on the CPU ping entered
        // sendto on (a thread moved in between has none): before dev_queue when there.
        checkEvent(e, truth[f], { request: e.request[0]!.stage === 'send' ? ['send', 'dev_queue', 'start_xmit', 'xmit'] : ['dev_queue', 'start_xmit', 'xmit'], reply: ['receive', 'socket'] });
      }
      expect(mine.filter((e) => e.request[0]!.stage === 'send').length).toBeGreaterThan(0);
    }
    const counts = { answered: 2 * N, unanswered: 2 * M, late: 0, incomplete: 0, replaced: 0, pending: 0, lost: 0, evicted: 0, map_full: 0 };
    expect(finalOf(res.records)).toMatchObject({ events: 2 * N, ...counts });
    // The classic tracepoints (sock:sk_data_ready's too) give the same pings, the same stages.
    const old = await classic.stop();
    const shape = (e: PingEventRecord) => `${e.flow.dst} ${e.icmp.seq} ${e.reply.map((x) => x.stage).join(',')}`;
    expect(eventsOf(old.records).map(shape).sort()).toEqual(events.map(shape).sort());
    expect(finalOf(old.records)).toMatchObject({ events: 2 * N, ...counts });
  });

  it('the example: three forwarded pings, as text', async () => {
    using lab = Lab.create();
    const { a, r, b } = pingLab(lab);
    await using relay = await TapRelay.start(r, b, { sleepMs: SLEEP_MS });
    const args = ['--netns', r.name, '--rx-interface', 'ra', '--tx-interface', 'tap0'];
    await using tool = await startTool(BIN, args, { json: false });
    expect(ping(a, ADDR.b.v4, 3)).toMatchObject({ sent: 3, received: 3 });
    const res = await tool.stop();
    expect(res.exitCode).toBe(0);
    const heads = res.stdout.split('\n').filter((l) => / ICMP 10\.207\.1\.1 > 10\.207\.2\.1 id \d+ seq \d len 84 \(forwarded ra -> tap0\): rtt /.test(l));
    expect(heads).toHaveLength(3);
    expect(res.stdout).toMatch(/^3 pings; 3 answered, 0 unanswered after 1000 ms, 0 incomplete, 0 replaced, 0 pending$/m);
    publish('icmp_rtt_details', `icmp_rtt_details ${args.join(' ').replace(r.name, 'lab-r')}`, res.stdout);
  });

  it('bad options: one line naming the option, exit 2', () => {
    for (const [args, message] of [
      [[], /^icmp_rtt_details: --tx-interface: required/],
      [['--tx-interface', 'nosuch0'], /^icmp_rtt_details: --tx-interface: no device 'nosuch0' in this network namespace$/],
      [['--tx-interface', 'lo', '--rx-interface', 'nosuch1'], /^icmp_rtt_details: --rx-interface: no device 'nosuch1'/],
      [['--tx-interface', 'lo', '--latency-threshold-us', '-1'], /^icmp_rtt_details: --latency-threshold-us: '-1' must be at least 0$/],
      [['--tx-interface', 'lo', '--timeout-ms', '0'], /^icmp_rtt_details: --timeout-ms: '0' must be at least 1$/],
      [['--tx-interface', 'lo', '--dst-ip', '10.0.0.300'], /^icmp_rtt_details: --dst-ip: '10\.0\.0\.300' is not an IPv4 or IPv6 address$/],
      [['--tx-interface', 'lo', '--netns', 'nstlab-none'], /^icmp_rtt_details: --netns: no network namespace 'nstlab-none'/],
    ] as const) {
      const r = runToolOnce(BIN, [...args]);
      expect(r.exitCode, args.join(' ')).toBe(2);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});

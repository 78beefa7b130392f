/**
 * ovs_upcall_latency_summary, ovs_megaflow_details, and icmp_rtt_details's pings through OVS, on an
 * Open vSwitch bridge (kernel datapath) with two ports, each a veth to a namespace of its own. Megaflows are off (ovs-appctl
 * upcall/disable-megaflows) unless a test says otherwise, so each new flow is one datapath flow and
 * its first packet one upcall. Truth: the datapath's own counters
 * (ovs-dpctl show: missed = upcalls, lost = upcalls that failed) and flows (ovs-dpctl dump-flows),
 * the packets the far side received, and ovs-vswitchd stopped (SIGSTOP) for as long as the test
 * measures.
 *
 * This host's kernel has no openvswitch module, so the file runs in the guest tier only; the host's
 * test run leaves it out (vitest.config.ts).
 */
import { fileURLToPath } from 'node:url';
import { publish } from './examples.ts';
import { describe, expect, it } from 'vitest';
import { DropReasons } from '@netstrata/bpf-common';
import type { MegaflowRecord, UpcallRecord } from '@netstrata/ovs';
import type { PingEventRecord, PingFinal } from '@netstrata/system-network';
import { Lab, OvsSwitch, ToolGroup, ovsAvailable, ping, pingAsync, requireRoot, sendUdp, startTool, until, type Netns, type ToolRecord } from './index.ts';
import { ADDRS, switched } from './ovs-lab.ts';

const DROPS = fileURLToPath(new URL('../../packages/packet-drop/dist/packet_drop_summary.js', import.meta.url));
const SUMMARY = fileURLToPath(new URL('../../packages/ovs/dist/ovs_upcall_latency_summary.js', import.meta.url));
const MEGAFLOWS = fileURLToPath(new URL('../../packages/ovs/dist/ovs_megaflow_details.js', import.meta.url));
const ICMP_RTT = fileURLToPath(new URL('../../packages/system-network/dist/icmp_rtt_details.js', import.meta.url));

const available = ovsAvailable();
if (available !== true && process.env.CI) throw new Error(`OVS tests: ${available}`);
const run = requireRoot('OVS upcall end-to-end tests') && available === true;

const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as UpcallRecord;
const rx = (ns: Netns, dev: string): number => ns.linkStats(dev).rx.packets;

describe.runIf(run)('ovs_upcall_latency_summary', () => {
  for (const family of ['v4', 'v6'] as const) {
    it(`N new flows: N upcalls, each answered and timed; every upcall the datapath counts, counted (IP${family})`, async () => {
      using lab = Lab.create();
      const N = 20;
      const { a, b, ovs } = switched(lab);
      using _ovs = ovs;
      await using group = new ToolGroup();
      // One tool sees every upcall (the datapath's own count is its truth, whatever else the ports
      // carry); one only the test's UDP flows, a row each.
      const [all, flows] = await Promise.all([
        group.start(SUMMARY, ['--netns', ovs.ns.name, '--interval', '3600']),
        group.start(SUMMARY, ['--netns', ovs.ns.name, '--by', 'flow', '--protocol', 'udp', '--interval', '3600']),
      ]);
      const l0 = ovs.lookups();
      const got = rx(b, 'eth0');
      // One packet to each of N ports: N flows, each new to the datapath.
      const sent = sendUdp(a, { dst: ADDRS[family][1], dport: 9000, dportCount: N, count: N });
      expect(sent.sent).toBe(N);
      await until(() => rx(b, 'eth0') - got >= N, 'the far side to receive');
      const l1 = ovs.lookups();
      const [everything, udp] = await Promise.all([all, flows].map(async (t) => final((await t!.stop()).records)));
      const missed = l1.missed - l0.missed;
      expect(l1.lost - l0.lost).toBe(0);
      expect(everything).toMatchObject({ by: 'port', upcalls: missed, executed: missed, failed: 0, unanswered: 0, untimed: 0, waiting: 0 });
      expect(everything!.latency.count).toBe(missed);
      expect(everything!.rows.find((r) => r.port!.name === 'pa')!.upcalls).toBeGreaterThanOrEqual(N);
      expect(ovs.datapathFlows().filter((f) => /udp\(src=\d+,dst=90(0\d|1\d)\)/.test(f))).toHaveLength(N);
      expect(udp).toMatchObject({ by: 'flow', upcalls: N, executed: N, failed: 0, unanswered: 0, untimed: 0 });
      expect(udp!.rows.map((r) => r.flow!.dport).sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => 9000 + i));
      for (const r of udp!.rows) expect(r).toMatchObject({ flow: { src: ADDRS[family][0], dst: ADDRS[family][1], sport: sent.flow.sport, protocol: 'UDP' }, upcalls: 1, executed: 1 });
      expect([everything!.lost, everything!.map_full, udp!.lost, udp!.map_full]).toEqual([0, 0, 0, 0]);
    });
  }

  it('ovs-vswitchd held 300 ms: the one upcall waits that long, answered by a handler thread (--by handler)', async () => {
    using lab = Lab.create();
    const { a, b, ovs } = switched(lab);
    using _ovs = ovs;
    await using tool = await startTool(SUMMARY, ['--netns', ovs.ns.name, '--protocol', 'udp', '--by', 'handler', '--interval', '3600']);
    // The documentation's example: the same run as people see it.
    const example = ['--netns', ovs.ns.name, '--protocol', 'udp', '--interval', '60'];
    await using text = await startTool(SUMMARY, example, { json: false });
    const got = rx(b, 'eth0');
    // A flow's first packet goes up while ovs-vswitchd is stopped; it waits for the resume.
    ovs.pause();
    const sending = performance.now();
    let sent = 0;
    let resumed = 0;
    try {
      expect(sendUdp(a, { dst: ADDRS.v4[1], dport: 9100, count: 1 }).sent).toBe(1);
      sent = performance.now();
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      ovs.resume();
      resumed = performance.now();
    }
    await until(() => rx(b, 'eth0') - got >= 1, 'the far side to receive');
    const rec = final((await tool.stop()).records);
    publish('ovs_upcall_latency_summary', `ovs_upcall_latency_summary ${example.join(' ')}`, (await text.stop()).stdout);
    expect(rec).toMatchObject({ by: 'handler', upcalls: 1, executed: 1, failed: null, unanswered: 0 });
    expect(rec.rows).toHaveLength(1);
    expect(rec.rows[0]!.handler!.comm).toMatch(/^handler/);
    // The one sample: the packet went up between the sender's start and its return, and came back
    // after the resume: at least the hold after the send returned, at most the hold from the
    // sender's start and the handler's own work (slow under an emulated CPU).
    const p = rec.latency.percentiles!.p50;
    const [least, most] = [resumed - sent, resumed - sending];
    console.log(`held ${least.toFixed(1)} to ${most.toFixed(1)} ms; the upcall's latency [${p.low}, ${p.high}) ns`);
    expect(p.high / 1e6).toBeGreaterThan(least);
    expect(p.low / 1e6).toBeLessThan(most + 1000);
  });

  it('ovs-vswitchd stopped past --timeout-ms: every upcall of the N new flows counted unanswered, none timed', async () => {
    using lab = Lab.create();
    const N = 50;
    const { a, ovs } = switched(lab);
    using _ovs = ovs;
    await using tool = await startTool(SUMMARY, ['--netns', ovs.ns.name, '--protocol', 'udp', '--interval', '1', '--timeout-ms', '300']);
    ovs.pause();
    try {
      expect(sendUdp(a, { dst: ADDRS.v4[1], dport: 10000, dportCount: N, count: N }).sent).toBe(N);
      // Held until a report has let every waiting upcall go (each past the timeout).
      for (let n = 1; ; n++) {
        const last = (await tool.intervals(n)).at(-1) as unknown as UpcallRecord;
        if (last.unanswered > 0 && last.waiting === 0) break;
        if (n >= 60) throw new Error('no report let the waiting upcalls go');
      }
    } finally {
      ovs.resume();
    }
    const rec = final((await tool.stop()).records);
    expect(rec).toMatchObject({ upcalls: N, failed: 0, executed: 0, unanswered: N, untimed: 0, waiting: 0 });
  });

  it("ovs-vswitchd killed: every upcall fails (no handler), each counted as the datapath's lost", async () => {
    using lab = Lab.create();
    const N = 30;
    const { a, ovs } = switched(lab);
    using _ovs = ovs;
    await using tool = await startTool(SUMMARY, ['--netns', ovs.ns.name, '--interval', '3600', '--timeout-ms', '300']);
    const l0 = ovs.lookups();
    ovs.kill();
    expect(sendUdp(a, { dst: ADDRS.v4[1], dport: 11000, dportCount: N, count: N }).sent).toBe(N);
    await until(() => ovs.lookups().missed - l0.missed >= N, 'the datapath to miss every flow');
    const l1 = ovs.lookups();
    const rec = final((await tool.stop()).records);
    const missed = l1.missed - l0.missed;
    const lost = l1.lost - l0.lost;
    console.log(`datapath: missed ${missed}, lost ${lost}; tool: ${JSON.stringify({ upcalls: rec.upcalls, executed: rec.executed, failed: rec.failed, unanswered: rec.unanswered })}`);
    expect(lost).toBeGreaterThanOrEqual(N);
    expect(rec).toMatchObject({ upcalls: missed, failed: lost, executed: 0 });
  });
});

/** The datapath's flows as ovs-dpctl lists them (-m: with the UFID), by UFID. */
function dumped(ovs: OvsSwitch): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of ovs.dpctl('dump-flows', '-m')) {
    const m = /^ufid:([0-9a-f-]+), (.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

describe.runIf(run)('ovs_megaflow_details', () => {
  it('N new flows with megaflows off: N flows installed, each as ovs-dpctl lists it (UFID, ports, actions), each timed from its upcall', async () => {
    using lab = Lab.create();
    const N = 10;
    const { a, b, ovs } = switched(lab);
    using _ovs = ovs;
    await using tool = await startTool(MEGAFLOWS, []);
    const got = rx(b, 'eth0');
    const sent = sendUdp(a, { dst: ADDRS.v4[1], dport: 9200, dportCount: N, count: N });
    expect(sent.sent).toBe(N);
    await until(() => rx(b, 'eth0') - got >= N, 'the far side to receive');
    const events = (await tool.stop()).records.filter((r) => r.type === 'event') as unknown as MegaflowRecord[];
    const flows = dumped(ovs);
    const port = ovs.datapathPorts();
    const ours = events.filter((e) => /udp\(src=\d+,dst=92\d\d\)/.test(e.match));
    expect(ours).toHaveLength(N);
    expect(ours.map((e) => Number(/dst=(92\d\d)\)/.exec(e.match)![1])).sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => 9200 + i));
    for (const e of ours) {
      // The kernel's own listing of the flow with that UFID: the same ports, the same actions.
      const dpctl = flows.get(e.ufid!);
      expect(dpctl, `ufid ${e.ufid} in ovs-dpctl dump-flows -m`).toBeDefined();
      const udp = /udp\(src=(\d+),dst=(\d+)\)/.exec(e.match)!;
      expect(dpctl).toContain(`udp(src=${udp[1]},dst=${udp[2]})`);
      expect(Number(udp[1])).toBe(sent.flow.sport);
      expect(e.match).toContain(`in_port(${port.get('pa')})`);
      expect(e.actions).toEqual([`output:${port.get('pb')}`]);
      // ovs-dpctl names the ports.
      expect(dpctl).toMatch(/in_port\(pa\).*actions:pb$/);
      expect(e.thread.comm).toMatch(/^handler/);
      expect(e.since_upcall_us).toBeGreaterThan(0);
    }
  });

  it('N new flows with megaflows on and rules that never look at ports: one flow installed for all, its mask leaving the ports out', async () => {
    using lab = Lab.create();
    const N = 10;
    const { a, b, ovs } = switched(lab, { megaflows: true });
    using _ovs = ovs;
    await using tool = await startTool(MEGAFLOWS, []);
    // The documentation's example: the same run as people see it.
    await using text = await startTool(MEGAFLOWS, [], { json: false });
    const got = rx(b, 'eth0');
    expect(sendUdp(a, { dst: ADDRS.v4[1], dport: 9300, dportCount: N, count: N }).sent).toBe(N);
    await until(() => rx(b, 'eth0') - got >= N, 'the far side to receive');
    const events = (await tool.stop()).records.filter((r) => r.type === 'event') as unknown as MegaflowRecord[];
    publish('ovs_megaflow_details', 'ovs_megaflow_details', (await text.stop()).stdout);
    const port = ovs.datapathPorts();
    // The flows from port pa: as many as the datapath holds from it (the test's UDP flows share one).
    const fromA = events.filter((e) => e.match.includes(`in_port(${port.get('pa')})`));
    const held = [...dumped(ovs).values()].filter((f) => f.includes('in_port(pa)'));
    expect(fromA).toHaveLength(held.length);
    expect(fromA.filter((e) => e.match.includes('eth_type(0x0800)'))).toHaveLength(1);
    for (const e of fromA) expect(e.match).not.toMatch(/udp\(/);
  });
});

describe.runIf(run)('drops in the datapath', () => {
  it("a flow whose actions drop: each packet is a drop with the kernel's own OVS reason where it names one (6.8+), none where the datapath frees it as consumed", async () => {
    using lab = Lab.create();
    const N = 20;
    const { a, sw, b, ovs } = switched(lab);
    using _ovs = ovs;
    // Above the bridge's forwarding rules (OpenFlow's default priority, 32768).
    ovs.addFlow('nstbr0', 'priority=40000,udp,tp_dst=9400,actions=drop');
    // ovs-vswitchd removes a datapath flow idle for 10 s, and the tool's start under an emulated
    // CPU can take that long: the flow must outlive it for every packet to hit it.
    ovs.vsctl('set', 'Open_vSwitch', '.', 'other_config:max-idle=600000');
    // The flow's first packet goes up to ovs-vswitchd, which installs the datapath flow (no
    // actions: a drop); the test's packets all hit it, and the datapath counts each hit once it
    // has executed (dropped) the packet.
    sendUdp(a, { dst: ADDRS.v4[1], dport: 9400, sport: 40400, count: 1 });
    await until(() => ovs.datapathFlows().some((f) => f.includes('dst=9400')), 'the drop flow in the datapath');
    await using tool = await startTool(DROPS, ['--netns', sw.name, '--protocol', 'udp', '--port', '9400', '--group-by', 'reason,location', '--interval', '3600']);
    const l0 = ovs.lookups();
    const got = rx(b, 'eth0');
    expect(sendUdp(a, { dst: ADDRS.v4[1], dport: 9400, sport: 40400, count: N }).sent).toBe(N);
    await until(() => ovs.lookups().hit - l0.hit >= N, 'the datapath to execute every packet');
    // Every packet hit the flow, and the flow dropped it: nothing reached the far side.
    expect(ovs.lookups().missed - l0.missed).toBe(0);
    expect(ovs.datapathFlows().find((f) => f.includes('dst=9400'))).toMatch(/actions:drop$/);
    expect(rx(b, 'eth0') - got).toBe(0);
    const rows = (final((await tool.stop()).records) as unknown as { rows: { reason: string; location: { symbol: string }; count: number }[] }).rows;
    const reasons = DropReasons.fromKernel();
    if (reasons.code('OVS_DROP_LAST_ACTION') !== undefined) {
      // The kernel names the drop: the datapath ran out of actions.
      expect(rows.map((r) => [r.reason, r.count])).toEqual([['OVS_DROP_LAST_ACTION', N]]);
      expect(rows[0]!.location.symbol).toMatch(/execute_actions|ovs_kfree_skb_reason/);
    } else {
      // Before 6.8 the datapath frees a packet with no action left as consumed: not a drop.
      expect(rows).toEqual([]);
    }
  });
});

/** b's second address: its nftables drops the echo requests to it. */
const UNANSWERED = { v4: '10.230.0.3', v6: 'fd00:230::3' } as const;
const pingEvents = (records: ToolRecord[]) => records.filter((r) => r.type === 'event') as unknown as PingEventRecord[];
const pingFinal = (records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as PingFinal & { events: number; lost: number; evicted: number };
const stagesOf = (leg: { stage: string }[]) => leg.map((s) => s.stage);
const delta = (leg: { stage: string; delta_us: number }[], stage: string) => leg.find((s) => s.stage === stage)!.delta_us;
/** A leg switched by the datapath: its device stages, and the datapath's action, after an upcall where it missed. */
const SWITCHED = ['receive', 'ovs', 'dev_queue', 'start_xmit', 'xmit'];
const UPCALLED = ['receive', 'ovs_upcall', 'ovs', 'dev_queue', 'start_xmit', 'xmit'];

describe.runIf(run)('icmp_rtt_details through Open vSwitch', () => {
  it('pings switched by the datapath (IPv4, IPv6): one event each, the datapath\'s action a stage both ways, an upcall stage for every miss the datapath counted; the dropped ones unanswered, exactly', async () => {
    using lab = Lab.create();
    const [N, M] = [6, 2];
    const { a, sw, b, ovs, macs } = switched(lab);
    using _ovs = ovs;
    for (const [f, plen] of [['v4', 24], ['v6', 64]] as const) {
      b.addr('eth0', `${UNANSWERED[f]}/${plen}`);
      a.neigh('eth0', UNANSWERED[f], macs.b);
    }
    b.nft(`table inet nstping { chain in { type filter hook input priority 0; ip daddr ${UNANSWERED.v4} icmp type echo-request drop; ip6 daddr ${UNANSWERED.v6} icmpv6 type echo-request drop; }; }`);
    await using tool = await startTool(ICMP_RTT, ['--netns', sw.name, '--rx-interface', 'pa', '--tx-interface', 'pb', '--timeout-ms', '300']);
    const l0 = ovs.lookups();
    const truth = { v4: ping(a, ADDRS.v4[1], N, { intervalS: 0.2 }), v6: ping(a, ADDRS.v6[1], N, { intervalS: 0.2 }) };
    const l1 = ovs.lookups();
    for (const f of ['v4', 'v6'] as const) {
      expect(truth[f]).toMatchObject({ sent: N, received: N });
      expect(ping(a, UNANSWERED[f], M, { intervalS: 0.2 })).toMatchObject({ sent: M, received: 0 });
    }
    const res = await tool.stop();
    expect(res.exitCode).toBe(0);
    const events = pingEvents(res.records);
    expect(events).toHaveLength(2 * N);
    let upcalls = 0;
    for (const f of ['v4', 'v6'] as const) {
      const mine = events.filter((e) => e.flow.dst === ADDRS[f][1]);
      expect(mine.map((e) => e.icmp.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
      for (const e of mine) {
        expect(e).toMatchObject({ kind: 'forwarded', rx_interface: 'pa', tx_interface: 'pb', flow: { src: ADDRS[f][0] } });
        for (const leg of [e.request, e.reply]) {
          expect([SWITCHED, UPCALLED]).toContainEqual(stagesOf(leg));
          if (stagesOf(leg).includes('ovs_upcall')) upcalls++;
        }
        expect(e.request_us + e.outside_us + e.reply_us).toBeCloseTo(e.rtt_us, 3);
        const p = truth[f].rttUs.get(e.icmp.seq)!;
        expect(e.rtt_us).toBeLessThanOrEqual(p.us + p.slackUs);
      }
    }
    // The datapath starts with no flow for either direction of either family; with megaflows off,
    // ping's identifier and sequence are not in its flows: one miss each way and family at least.
    expect(l1.missed - l0.missed).toBeGreaterThanOrEqual(4);
    expect(upcalls).toBe(l1.missed - l0.missed);
    expect(pingFinal(res.records)).toMatchObject({ events: 2 * N, answered: 2 * N, unanswered: 2 * M, late: 0, incomplete: 0, replaced: 0, pending: 0, lost: 0, evicted: 0 });
  });

  it('an upcall held 200 ms (ovs-vswitchd stopped): the request\'s time from the upcall to the datapath\'s action is the hold', async () => {
    using lab = Lab.create();
    const HOLD_MS = 200;
    const { a, sw, ovs } = switched(lab);
    using _ovs = ovs;
    await using tool = await startTool(ICMP_RTT, ['--netns', sw.name, '--rx-interface', 'pa', '--tx-interface', 'pb', '--timeout-ms', '3000']);
    const before = ovs.lookups();
    ovs.pause();
    let pinging: Promise<ReturnType<typeof ping>>;
    try {
      pinging = pingAsync(a, ADDRS.v4[1], 1);
      // The request is up (the datapath missed) before the hold is timed.
      await until(() => ovs.lookups().missed > before.missed, 'the upcall');
      await new Promise((r) => setTimeout(r, HOLD_MS));
    } finally {
      ovs.resume();
    }
    expect(await pinging).toMatchObject({ sent: 1, received: 1 });
    await tool.records('event', 1);
    const res = await tool.stop();
    const [e, ...more] = pingEvents(res.records);
    expect(more).toEqual([]);
    expect(stagesOf(e!.request)).toEqual(UPCALLED);
    expect(delta(e!.request, 'ovs')).toBeGreaterThanOrEqual(HOLD_MS * 1000);
    expect(e!.request_us).toBeGreaterThanOrEqual(HOLD_MS * 1000);
    expect(pingFinal(res.records)).toMatchObject({ events: 1, answered: 1, unanswered: 0, incomplete: 0, lost: 0 });
  });
});

/**
 * packet_drop_summary against injected faults: for each fault, exactly the packets sent into it
 * are reported, with the fault's reason, location, device and flow, and none elsewhere.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DropReasons } from '@netstrata/bpf-common';
import { AgentContextWitness, Lab, faults, requireRoot, runToolOnce, startTool, sweepStaleLabs, ToolGroup, toolPath, twoHosts, sendUdp, type FaultCase, type ToolRecord } from './index.ts';

const N = 100;
const run = requireRoot('packet_drop_summary end-to-end tests');

interface Row {
  count: number;
  reason: string;
  location: { symbol: string };
  device: string;
  netns: number;
  flow: { src: string; dst: string; sport: number; dport: number; protocol: string } | null;
}

function finalRows(records: ToolRecord[]): Row[] {
  const fin = records.filter((r) => r.type === 'final');
  expect(fin).toHaveLength(1);
  expect(fin[0]!.map_full).toBe(0);
  return fin[0]!.rows as Row[];
}

/** The fault's location when the row is at it, or at a place another kernel drops the same packet. */
const atFault = (fault: FaultCase, symbol: string) => (fault.otherLocations?.includes(symbol) ? fault.location : symbol);

const CASES: [string, (lab: Lab) => FaultCase][] = [
  ['closed UDP port v4', (l) => faults.closedUdpPort(l, 4)],
  ['closed UDP port v6', (l) => faults.closedUdpPort(l, 6)],
  ['nftables input v4', (l) => faults.nftDrop(l, 'input', 4)],
  ['nftables forward v6', (l) => faults.nftDrop(l, 'forward', 6)],
  ['nftables output v4', (l) => faults.nftDrop(l, 'output', 4)],
  ['nftables output v6', (l) => faults.nftDrop(l, 'output', 6)],
  ['no route v4', (l) => faults.noRoute(l, 4)],
  ['no route v6', (l) => faults.noRoute(l, 6)],
  ['blackhole route', (l) => faults.rejectRoute(l, 'blackhole')],
  ['prohibit route', (l) => faults.rejectRoute(l, 'prohibit')],
  ['TTL expiry v4', (l) => faults.ttlExpiry(l, 4)],
  ['TTL expiry v6', (l) => faults.ttlExpiry(l, 6)],
  ['reverse-path filter', (l) => faults.rpFilter(l)],
  ['tbf over burst v4', (l) => faults.tbfOversize(l, 4)],
  ['tbf over burst v6', (l) => faults.tbfOversize(l, 6)],
  ['ARP dropped by nftables', (l) => faults.arpFiltered(l)],
];

describe.runIf(run)('packet_drop_summary: injected faults', () => {
  beforeAll(() => void sweepStaleLabs());

  for (const [name, make] of CASES) {
    it(`${name}: exactly ${N} drops with the fault's reason, location, device and flow`, async () => {
      using lab = Lab.create();
      const fault = make(lab);
      await using tool = await startTool(toolPath('packetDropSummary'), [
        '--netns', fault.dropNs.name, '--group-by', 'reason,location,device,flow', '--interval', '3600', '--top', '1000',
      ]);
      // Drops the kernel showed to no BPF program (on this machine, those in the VM agent's
      // context: timer-driven ones such as ARP probes can land there).
      const code = DropReasons.fromKernel().code(fault.reason)!;
      using witness = new AgentContextWitness('skb:kfree_skb', `reason == ${code} && ${fault.protocol === 'ARP' ? 'protocol == 2054' : '(protocol == 2048 || protocol == 34525)'}`);
      const flow = fault.send(N);
      const res = await tool.stop();
      expect(res.exitCode).toBe(0);
      const { withheld } = witness.counts();
      if (withheld) console.log(`${name}: ${withheld} of the ${N} drops happened where the kernel runs no BPF program`);
      const rows = finalRows(res.records);
      const ours = rows.filter((r) => r.flow?.dport === flow.dport && r.flow.sport === flow.sport);
      // Every packet of the flow is in one row: the injected reason at the injected location.
      expect(ours.map((r) => [r.reason, atFault(fault, r.location.symbol), r.count])).toEqual([[fault.reason, fault.location, N - withheld]]);
      const row = ours[0]!;
      expect(row.netns).toBe(fault.dropNs.inode);
      expect(row.device).toBe(fault.dropDev);
      expect(row.flow!.dst).toBe(flow.dst);
      if (flow.src) expect(row.flow!.src).toBe(flow.src);
      expect(row.flow!.protocol).toBe(fault.protocol ?? 'UDP');
    });
  }
});

describe.runIf(run)('packet_drop_summary: hook flavours', () => {
  // Turning off the preferred flavours makes the tool fall back, as on an older kernel.
  for (const [disabled, expected] of [['tp_btf', 'raw_tp'], ['tp_btf,raw_tp', 'tracepoint']] as const) {
    it(`falls back to ${expected} and counts exactly`, async () => {
      using lab = Lab.create();
      const fault = faults.closedUdpPort(lab, 4);
      await using tool = await startTool(
        toolPath('packetDropSummary'),
        ['--netns', fault.dropNs.name, '--group-by', 'reason,location,flow', '--interval', '3600', '--verbose'],
        { env: { NETSTRATA_DISABLE_FEATURES: disabled } },
      );
      const flow = fault.send(N);
      const res = await tool.stop();
      expect(res.records.some((r) => r.type === 'info' && String(r.message).includes(`using ${expected}`))).toBe(true);
      const ours = finalRows(res.records).filter((r) => r.flow?.sport === flow.sport);
      expect(ours.map((r) => [r.reason, atFault(fault, r.location.symbol), r.count])).toEqual([[fault.reason, fault.location, N]]);
    });
  }

  it('explains, with exit status 2, a kernel where no flavour can attach', () => {
    const r = runToolOnce(toolPath('packetDropSummary'), ['--duration', '1'], { env: { NETSTRATA_DISABLE_FEATURES: 'tp_btf,raw_tp,tracepoint' } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(/^packet_drop_summary: cannot hook skb:kfree_skb on this kernel \(tp_btf: disabled by NETSTRATA_DISABLE_FEATURES; .*fentry: .*kprobe: .*\)$/);
  });
});

describe.runIf(run)('packet_drop_summary: filters include and exclude in the kernel', () => {
  it('selects by address, prefix, port, protocol, interface and namespace, v4 and v6', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    const other = lab.netns('c');
    const common = ['--group-by', 'reason,flow', '--interval', '3600', '--top', '1000'];
    await using group = new ToolGroup();
    const start = (args: string[]) => group.start(toolPath('packetDropSummary'), [...common, ...args]);
    const runs = {
      port: await start(['--netns', b.ns.name, '--dst-port', '40000', '--protocol', 'udp']),
      src4: await start(['--src-ip', `${a.v4}/32`, '--dst-port', '40001']),
      prefix6: await start(['--ip', 'fd00:200::/64', '--netns', b.ns.name]),
      dstNone: await start(['--dst-ip', '10.99.0.0/16']),
      tcpOnly: await start(['--netns', b.ns.name, '--protocol', 'tcp']),
      otherNs: await start(['--netns', other.name]),
    };
    const iface = await start(['--netns', b.ns.name, '--interface', 'eth0', '--dst-port', '40001']);

    const v4a = sendUdp(a.ns, { dst: b.v4, dport: 40000, count: 60 });
    const v4b = sendUdp(a.ns, { dst: b.v4, dport: 40001, count: 40 });
    const v6a = sendUdp(a.ns, { dst: b.v6, dport: 40000, count: 30 });

    const count = async (t: Awaited<ReturnType<typeof start>>, pred: (r: Row) => boolean = () => true) => {
      const res = await t.stop();
      expect(res.exitCode).toBe(0);
      return finalRows(res.records).filter((r) => r.flow && pred(r)).reduce((s, r) => s + r.count, 0);
    };
    const isOurs = (r: Row) => [v4a, v4b, v6a].some((s) => s.flow.sport === r.flow!.sport && s.flow.dport === r.flow!.dport);

    expect(await count(runs.port, isOurs)).toBe(60 + 30);
    expect(await count(runs.port, (r) => r.flow!.dport !== 40000)).toBe(0);
    expect(await count(runs.src4)).toBe(40);
    expect(await count(runs.prefix6, isOurs)).toBe(30);
    expect(await count(runs.dstNone, isOurs)).toBe(0);
    expect(await count(runs.tcpOnly, isOurs)).toBe(0);
    expect(await count(runs.otherNs, isOurs)).toBe(0);
    expect(await count(iface)).toBe(40);
  });

  it('counts drops in groups it had to let go to make room as evicted, never silently', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    await using tool = await startTool(toolPath('packetDropSummary'), ['--netns', b.ns.name, '--src-ip', a.v4, '--group-by', 'flow', '--interval', '3600', '--top', '1']);
    // 12000 distinct flows (one packet to each of 12000 closed ports) against a 10240-key map.
    const sent = sendUdp(a.ns, { dst: b.v4, dport: 20000, dportCount: 12000, count: 12000 });
    const res = await tool.stop();
    const fin = res.records.find((r) => r.type === 'final')!;
    // The table is an LRU hash: no flow refused; each group it let go took its drop with it.
    expect(fin.map_full).toBe(0);
    expect((fin.total_drops as number) + (fin.evicted as number)).toBe(sent.sent);
    expect(fin.more_rows as number).toBeGreaterThan(4000);
  });

  it('keeps per-interval counts and totals apart', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    await using tool = await startTool(toolPath('packetDropSummary'), ['--netns', b.ns.name, '--dst-port', '40000', '--interval', '1']);
    const drops = (recs: ToolRecord[]) => recs.map((r) => r.drops as number);
    // Paced by the tool's own records, not by guessed delays: the interval in which the counts
    // reach `total`.
    const until = async (total: number) => {
      for (let n = 1; ; n++) if (drops(await tool.intervals(n)).reduce((s, x) => s + x, 0) >= total) return n;
    };
    sendUdp(a.ns, { dst: b.v4, dport: 40000, count: 25 });
    const first = await until(25);
    // Nothing is sent in the next interval: it counts 0, not the running total.
    expect(drops(await tool.intervals(first + 1))[first]).toBe(0);
    sendUdp(a.ns, { dst: b.v4, dport: 40000, count: 15 });
    await until(40);
    const res = await tool.stop();
    const perInterval = drops(res.records.filter((r) => r.type === 'interval'));
    expect(perInterval.reduce((s, n) => s + n, 0)).toBe(40);
    expect(Math.max(...perInterval)).toBeLessThanOrEqual(25);
    expect(res.records.find((r) => r.type === 'final')!.total_drops).toBe(40);
  });
});


/**
 * vxlan_summary against a VXLAN pair between two namespaces (a veth underlay, one VXLAN device at
 * each end with a static remote, no learning, pinned MACs and permanent neighbours inside and out),
 * each tool filtered to one end. Truth comes from the kernel's own counters and from the packets
 * sent and received:
 * - through: N packets (IPv4 and IPv6 inside, IPv4 and IPv6 underlay) are N more tx packets on the
 *   sender's device, N more rx packets on the receiver's, N datagrams at the receiving sockets;
 * - a wrong VNI at the sender: every packet is dropped by the receiver as VXLAN_VNI_NOT_FOUND, and
 *   no counter of the receiver's device moves (nothing else shows these drops);
 * - no FDB entry (no remote, no default): NO_TX_TARGET, the device's tx_dropped; no route to the
 *   remote: IP_OUTNOROUTES, its tx_errors; the receiver's device down: NO_SOCKET on the underlay,
 *   the namespace's Udp NoPorts;
 * - an underlay MTU below the encapsulated size, as this kernel (6.18) does it: IPv4 with df set,
 *   dropped at ip_fragment (Ip FragFails, the device's tx_dropped); IPv4 with df unset, fragmented
 *   (FragCreates) and reassembled; IPv6, dropped at ip6_fragment (Ip6FragFails, tx_errors);
 * - inner packets the receiver's stack drops after decapsulation are not VXLAN's.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { VxlanRecord, VxlanRow } from '@netstrata/system-network';
import { publish } from './examples.ts';
import { Lab, netCounters, requireRoot, runToolOnce, sendUdp, startSink, startTool, type Netns, type ToolRecord } from './index.ts';
import { expectUsageErrors } from './usage-errors.ts';

const run = requireRoot('vxlan_summary end-to-end tests');
const TOOL = fileURLToPath(new URL('../../packages/system-network/dist/vxlan_summary.js', import.meta.url));
const PORT = 4789;
const SINK = 5201;

const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as VxlanRecord;

interface End {
  ns: Netns;
  /** The underlay address (the VTEP). */
  outer: string;
  inner4: string;
  inner6: string;
}

interface PairOptions {
  underlay: 4 | 6;
  vniA?: number;
  vniB?: number;
  /** a's device has its remote (the default FDB entry): without, a has no FDB entry at all. */
  remoteA?: boolean;
  dfA?: 'set' | 'unset';
}

/** a and b on a veth underlay (u0: 10.210.0.0/24 or fd00:210::/64), each with vx0 (dstport 4789,
 * no learning) and inner addresses 10.211.0.0/24 and fd00:211::/64. */
function vxlanPair(lab: Lab, o: PairOptions): { a: End; b: End } {
  const nsA = lab.netns('a');
  const nsB = lab.netns('b');
  const { aMac, bMac } = lab.veth(nsA, 'u0', nsB, 'u0');
  const outer = (i: number) => (o.underlay === 4 ? `10.210.0.${i}` : `fd00:210::${i}`);
  const inner = { a: lab.mac(), b: lab.mac() };
  const ends = [
    { ns: nsA, me: 1, peer: 2, peerUnderMac: bMac, mac: inner.a, peerMac: inner.b, vni: o.vniA ?? 100, remote: o.remoteA ?? true, df: o.dfA },
    { ns: nsB, me: 2, peer: 1, peerUnderMac: aMac, mac: inner.b, peerMac: inner.a, vni: o.vniB ?? o.vniA ?? 100, remote: true, df: undefined },
  ];
  for (const e of ends) {
    e.ns.addr('u0', `${outer(e.me)}/${o.underlay === 4 ? 24 : 64}`);
    e.ns.neigh('u0', outer(e.peer), e.peerUnderMac);
    e.ns.ip(
      'link', 'add', 'vx0', 'address', e.mac, 'type', 'vxlan', 'id', String(e.vni), 'local', outer(e.me),
      ...(e.remote ? ['remote', outer(e.peer)] : []), 'dstport', String(PORT), 'nolearning', 'dev', 'u0', ...(e.df ? ['df', e.df] : []),
    );
    // No link-local address: nothing the stack sends by itself (MLD, ND) goes through the tunnel.
    e.ns.ip('link', 'set', 'vx0', 'addrgenmode', 'none');
    e.ns.addr('vx0', `10.211.0.${e.me}/24`);
    e.ns.addr('vx0', `fd00:211::${e.me}/64`);
    e.ns.neigh('vx0', `10.211.0.${e.peer}`, e.peerMac);
    e.ns.neigh('vx0', `fd00:211::${e.peer}`, e.peerMac);
    e.ns.up('vx0');
  }
  const end = (ns: Netns, i: number): End => ({ ns, outer: outer(i), inner4: `10.211.0.${i}`, inner6: `fd00:211::${i}` });
  return { a: end(nsA, 1), b: end(nsB, 2) };
}

/** A device's counters as the kernel keeps them. */
function stats(ns: Netns, dev: string): { rx: number; tx: number; rxDropped: number; txDropped: number; rxErrors: number; txErrors: number } {
  const s = (JSON.parse(ns.ip('-s', '-j', 'link', 'show', 'dev', dev)) as { stats64: { rx: Record<string, number>; tx: Record<string, number> } }[])[0]!.stats64;
  return { rx: s.rx.packets!, tx: s.tx.packets!, rxDropped: s.rx.dropped!, txDropped: s.tx.dropped!, rxErrors: s.rx.errors!, txErrors: s.tx.errors! };
}

/** `count` UDP datagrams of `size` bytes with DF set whatever the path MTU says (IP_PMTUDISC_PROBE):
 * each inner packet goes to the tunnel whole, as a VM's would. */
const PROBE_SENDER = `
import json, socket, sys
spec = json.loads(sys.argv[1])
v6 = ':' in spec['dst']
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
if v6:
    s.setsockopt(socket.IPPROTO_IPV6, 23, 3)  # IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE
else:
    s.setsockopt(socket.IPPROTO_IP, 10, 3)  # IP_MTU_DISCOVER, IP_PMTUDISC_PROBE
for _ in range(spec['count']):
    s.sendto(b'm' * spec['size'], (spec['dst'], spec['dport']))
print(json.dumps({'sent': spec['count']}))
`;

function sendProbe(ns: Netns, o: { dst: string; dport: number; count: number; size: number }): number {
  return (JSON.parse(ns.exec('python3', ['-c', PROBE_SENDER, JSON.stringify(o)])) as { sent: number }).sent;
}

/**
 * Every skb:kfree_skb event of the host while it is open, counted by a tracefs instance of its own:
 * what the buffer kept plus what it overwrote or dropped (a busy host wraps any buffer), so the count
 * is complete whatever else runs meanwhile.
 */
class HostDrops implements Disposable {
  private readonly dir: string;

  constructor() {
    const root = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'].find((d) => existsSync(`${d}/instances`));
    if (!root) throw new Error('tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)');
    this.dir = `${root}/instances/nst-vxlan-${process.pid}-${Date.now()}`;
    mkdirSync(this.dir);
    writeFileSync(`${this.dir}/events/skb/kfree_skb/enable`, '1');
  }

  /** Stops counting; the events since the start. */
  count(): number {
    writeFileSync(`${this.dir}/events/skb/kfree_skb/enable`, '0');
    let n = 0;
    for (const cpu of readdirSync(`${this.dir}/per_cpu`)) {
      const stats = readFileSync(`${this.dir}/per_cpu/${cpu}/stats`, 'utf8');
      for (const field of ['entries', 'overrun', 'dropped events']) n += Number(new RegExp(`^${field}: (\\d+)$`, 'm').exec(stats)?.[1] ?? 0);
    }
    return n;
  }

  [Symbol.dispose](): void {
    if (existsSync(this.dir)) rmdirSync(this.dir);
  }
}

const deviceRow = (rec: VxlanRecord, netns: number) => rec.rows.filter((r) => r.device === 'vx0' && r.netns === netns);
const reasons = (r: VxlanRow) => r.drops.by_reason.map((e) => [e.direction, e.reason, e.location?.symbol, e.underlay, e.peer, e.count]);

describe.runIf(run)('vxlan_summary', () => {
  for (const underlay of [4, 6] as const) {
    it(`N packets through (IPv4 and IPv6 inside): N encapsulated at one end, N decapsulated at the other, as the devices count them; no drop, no BPF run for them (IPv${underlay} underlay)`, async () => {
      using lab = Lab.create();
      const { a, b } = vxlanPair(lab, { underlay });
      const N = 500;
      const sink4 = await startSink(b.ns, { protocol: 'udp', bind: b.inner4, port: SINK });
      const sink6 = await startSink(b.ns, { protocol: 'udp', bind: b.inner6, port: SINK });
      // Every drop on the host, from before the tools start until after they stop.
      using hostDrops = new HostDrops();
      await using txTool = await startTool(TOOL, ['--netns', a.ns.name, '--interval', '3600', '--bpf-stats']);
      await using rxTool = await startTool(TOOL, ['--netns', b.ns.name, '--interval', '3600', '--bpf-stats']);
      // The kernel's counters from here: whatever the devices sent as they came up is out by now.
      const beforeA = stats(a.ns, 'vx0');
      const beforeB = stats(b.ns, 'vx0');
      expect(sendUdp(a.ns, { dst: b.inner4, dport: SINK, count: N }).sent).toBe(N);
      expect(sendUdp(a.ns, { dst: b.inner6, dport: SINK, count: N }).sent).toBe(N);
      expect(await sink4.stop()).toBe(N);
      expect(await sink6.stop()).toBe(N);
      const tx = final((await txTool.stop()).records);
      const rx = final((await rxTool.stop()).records);
      const all = hostDrops.count();
      const afterA = stats(a.ns, 'vx0');
      const afterB = stats(b.ns, 'vx0');
      // The kernel's truth: 2N frames encapsulated by a, 2N decapsulated by b, nothing else.
      expect([afterA.tx - beforeA.tx, afterB.rx - beforeB.rx]).toEqual([2 * N, 2 * N]);
      expect(deviceRow(tx, a.ns.inode)).toEqual([
        expect.objectContaining({ vni: 100, port: PORT, encapsulated: 2 * N, decapsulated: 0, device_drops: { tx_dropped: 0, tx_errors: 0, rx_dropped: 0, rx_errors: 0 }, drops: { total: 0, tx: 0, rx: 0, by_reason: [] } }),
      ]);
      expect(deviceRow(tx, a.ns.inode)[0]!.config).toMatchObject({ remote: b.outer, local: a.outer, port: PORT, learning: false, external: false, vnifilter: false, link: 'u0' });
      expect(deviceRow(rx, b.ns.inode)).toEqual([expect.objectContaining({ vni: 100, encapsulated: 0, decapsulated: 2 * N, drops: { total: 0, tx: 0, rx: 0, by_reason: [] } })]);
      expect([tx.totals.encapsulated, rx.totals.decapsulated, tx.totals.drops.total, rx.totals.drops.total]).toEqual([2 * N, 2 * N, 0, 0]);
      for (const r of [tx, rx]) expect([r.lost, r.map_full, r.evicted]).toEqual([0, 0, 0]);
      // Cost: the program runs only for packets the host drops (any packet, anywhere on the host):
      // never more runs than drops the kernel traced over a longer span, whatever went through.
      for (const r of [tx, rx]) expect(r.cost.bpf_runs!).toBeLessThanOrEqual(all);
      console.log(`vxlan_summary (IPv${underlay} underlay): ${2 * N} packets through; BPF runs ${tx.cost.bpf_runs} (sender's tool), ${rx.cost.bpf_runs} (receiver's), ${all} drops on the whole host meanwhile`);
    });

    it(`a wrong VNI at the sender: N dropped by the receiver for the VNI that arrived, from the sender's VTEP; no device of the receiver counts them (IPv${underlay} underlay)`, async () => {
      using lab = Lab.create();
      const { a, b } = vxlanPair(lab, { underlay, vniA: 100, vniB: 200 });
      const N = 200;
      await using txTool = await startTool(TOOL, ['--netns', a.ns.name, '--interval', '3600']);
      await using rxTool = await startTool(TOOL, ['--netns', b.ns.name, '--interval', '3600', '--bpf-stats']);
      // --device keeps the device and drops on its port that no device took.
      await using devTool = await startTool(TOOL, ['--netns', b.ns.name, '--device', 'vx0', '--interval', '3600']);
      // The kernel's counters from here: whatever the devices sent as they came up is out by now.
      const beforeB = stats(b.ns, 'vx0');
      expect(sendUdp(a.ns, { dst: b.inner4, dport: SINK, count: N }).sent).toBe(N);
      const tx = final((await txTool.stop()).records);
      const rx = final((await rxTool.stop()).records);
      const dev = final((await devTool.stop()).records);
      const afterB = stats(b.ns, 'vx0');
      expect(afterB).toEqual(beforeB);
      expect(deviceRow(tx, a.ns.inode)).toEqual([expect.objectContaining({ vni: 100, encapsulated: N, drops: expect.objectContaining({ total: 0 }) })]);
      for (const rec of [rx, dev]) {
        const none = rec.rows.filter((r) => r.device === null);
        expect(none).toHaveLength(1);
        expect(none[0]).toMatchObject({ netns: b.ns.inode, vni: 100, port: PORT, encapsulated: null, decapsulated: null, device_drops: null, drops: { total: N, rx: N, tx: 0 } });
        expect(reasons(none[0]!)).toEqual([['rx', 'VXLAN_VNI_NOT_FOUND', 'vxlan_rcv', 'u0', a.outer, N]]);
        expect(deviceRow(rec, b.ns.inode)).toEqual([expect.objectContaining({ vni: 200, decapsulated: 0, drops: expect.objectContaining({ total: 0 }) })]);
      }
      expect(rx.cost.bpf_runs!).toBeGreaterThanOrEqual(N);
      console.log(`vxlan_summary (IPv${underlay} underlay): ${N} drops, ${rx.cost.bpf_runs} BPF runs on the receiver's side`);
    });
  }

  it('no FDB entry (no remote, no default entry): N frames dropped by the sender\'s device (NO_TX_TARGET), as its tx_dropped counts them', async () => {
    using lab = Lab.create();
    const { a, b } = vxlanPair(lab, { underlay: 4, remoteA: false });
    const N = 150;
    await using tool = await startTool(TOOL, ['--netns', a.ns.name, '--interval', '3600']);
    // The kernel's counters from here: whatever the devices sent as they came up is out by now.
    const before = stats(a.ns, 'vx0');
    sendUdp(a.ns, { dst: b.inner4, dport: SINK, count: N });
    sendUdp(a.ns, { dst: b.inner6, dport: SINK, count: N });
    const rec = final((await tool.stop()).records);
    const after = stats(a.ns, 'vx0');
    expect([after.txDropped - before.txDropped, after.tx - before.tx]).toEqual([2 * N, 0]);
    const [row, ...others] = deviceRow(rec, a.ns.inode);
    expect(others).toEqual([]);
    expect(row).toMatchObject({ vni: 100, encapsulated: 0, device_drops: { tx_dropped: 2 * N, tx_errors: 0 }, drops: { total: 2 * N, tx: 2 * N, rx: 0 } });
    // On the device, before any outer header: no underlay, no peer.
    expect(reasons(row!)).toEqual([['tx', 'NO_TX_TARGET', 'vxlan_xmit', null, null, 2 * N]]);
    expect(rec.rows.filter((x) => x.device === null)).toEqual([]);
  });

  it('no route to the remote VTEP: N frames dropped by the sender\'s device (IP_OUTNOROUTES), as its tx_errors count them', async () => {
    using lab = Lab.create();
    const { a } = vxlanPair(lab, { underlay: 4 });
    // A second device whose remote no route leads to (not bound to the underlay, which would make
    // the remote look on-link).
    a.ns.ip('link', 'add', 'vx1', 'type', 'vxlan', 'id', '101', 'local', a.outer, 'remote', '10.213.0.2', 'dstport', String(PORT), 'nolearning');
    a.ns.ip('link', 'set', 'vx1', 'addrgenmode', 'none');
    a.ns.addr('vx1', '10.212.0.1/24');
    a.ns.neigh('vx1', '10.212.0.2', lab.mac());
    a.ns.up('vx1');
    const N = 80;
    await using tool = await startTool(TOOL, ['--netns', a.ns.name, '--interval', '3600']);
    // The kernel's counters from here: whatever the devices sent as they came up is out by now.
    const before = stats(a.ns, 'vx1');
    sendUdp(a.ns, { dst: '10.212.0.2', dport: SINK, count: N });
    const rec = final((await tool.stop()).records);
    const after = stats(a.ns, 'vx1');
    expect([after.txErrors - before.txErrors, after.tx - before.tx]).toEqual([N, 0]);
    const [row] = rec.rows.filter((r) => r.device === 'vx1');
    expect(row).toMatchObject({ vni: 101, encapsulated: 0, device_drops: { tx_dropped: 0, tx_errors: N }, drops: { total: N, tx: N, rx: 0 } });
    expect(reasons(row!)).toEqual([['tx', 'IP_OUTNOROUTES', 'vxlan_xmit_one', null, null, N]]);
  });

  it("the receiver's device down: its socket is closed, and N outer packets are dropped on the underlay with no socket, in that device's row", async () => {
    using lab = Lab.create();
    const { a, b } = vxlanPair(lab, { underlay: 4 });
    b.ns.ip('link', 'set', 'vx0', 'down');
    const N = 120;
    await using tool = await startTool(TOOL, ['--netns', b.ns.name, '--interval', '3600']);
    // The kernel's counters from here: whatever the devices sent as they came up is out by now.
    const before = netCounters(b.ns).get('Udp.NoPorts')!;
    sendUdp(a.ns, { dst: b.inner4, dport: SINK, count: N });
    const rec = final((await tool.stop()).records);
    expect(netCounters(b.ns).get('Udp.NoPorts')! - before).toBe(N);
    const [row, ...others] = deviceRow(rec, b.ns.inode);
    expect(others).toEqual([]);
    expect(row).toMatchObject({ vni: 100, decapsulated: 0, drops: { total: N, rx: N, tx: 0 } });
    expect(reasons(row!)).toEqual([['rx', 'NO_SOCKET', '__udp4_lib_rcv', 'u0', a.outer, N]]);
  });

  describe('an underlay MTU below the encapsulated size (inner packets as big as the VXLAN device takes, DF set inside)', () => {
    /** The pair with the underlay's MTU lowered to 1400 after the devices were made (they keep
     * 1450 / 1430): every full-size inner packet is 100 bytes too big once encapsulated. */
    const shrunk = (lab: Lab, o: PairOptions) => {
      const p = vxlanPair(lab, o);
      for (const e of [p.a, p.b]) e.ns.ip('link', 'set', 'u0', 'mtu', '1400');
      const mtu = (JSON.parse(p.a.ns.ip('-j', 'link', 'show', 'dev', 'vx0')) as { mtu: number }[])[0]!.mtu;
      return { ...p, payload: mtu - 28 };
    };
    const N = 100;

    it('IPv4 underlay, df set: each outer packet refused by IPv4 fragmentation (Ip FragFails), dropped at ip_fragment on the underlay, counted in the device\'s tx_dropped', async () => {
      using lab = Lab.create();
      const { a, b, payload } = shrunk(lab, { underlay: 4, dfA: 'set' });
      await using tool = await startTool(TOOL, ['--netns', a.ns.name, '--interval', '3600']);
      // The kernel's counters from here: whatever the devices sent as they came up is out by now.
      const before = { dev: stats(a.ns, 'vx0'), ip: netCounters(a.ns) };
      expect(sendProbe(a.ns, { dst: b.inner4, dport: SINK, count: N, size: payload })).toBe(N);
      const rec = final((await tool.stop()).records);
      const after = { dev: stats(a.ns, 'vx0'), ip: netCounters(a.ns) };
      expect(after.ip.get('Ip.FragFails')! - before.ip.get('Ip.FragFails')!).toBe(N);
      expect([after.dev.txDropped - before.dev.txDropped, after.dev.tx - before.dev.tx]).toEqual([N, 0]);
      const [row, ...others] = deviceRow(rec, a.ns.inode);
      expect(others).toEqual([]);
      expect(row).toMatchObject({ vni: 100, encapsulated: 0, device_drops: { tx_dropped: N }, drops: { total: N, tx: N, rx: 0 } });
      // The kernel (6.18) frees it with kfree_skb() after sending itself an ICMP "fragmentation needed".
      expect(reasons(row!)).toEqual([['tx', 'NOT_SPECIFIED', 'ip_fragment', 'u0', b.outer, N]]);
    });

    it('IPv4 underlay, df unset (the default): each outer packet sent in two fragments and reassembled by the receiver; all N decapsulated, no drop', async () => {
      using lab = Lab.create();
      const { a, b, payload } = shrunk(lab, { underlay: 4 });
      const sink = await startSink(b.ns, { protocol: 'udp', bind: b.inner4, port: SINK });
      await using txTool = await startTool(TOOL, ['--netns', a.ns.name, '--interval', '3600']);
      await using rxTool = await startTool(TOOL, ['--netns', b.ns.name, '--interval', '3600']);
      // The kernel's counters from here: whatever the devices sent as they came up is out by now.
      const before = { a: netCounters(a.ns), b: netCounters(b.ns) };
      expect(sendProbe(a.ns, { dst: b.inner4, dport: SINK, count: N, size: payload })).toBe(N);
      expect(await sink.stop()).toBe(N);
      const tx = final((await txTool.stop()).records);
      const rx = final((await rxTool.stop()).records);
      const after = { a: netCounters(a.ns), b: netCounters(b.ns) };
      const d = (m: 'a' | 'b', k: string) => after[m].get(k)! - before[m].get(k)!;
      expect([d('a', 'Ip.FragOKs'), d('a', 'Ip.FragCreates'), d('b', 'Ip.ReasmOKs')]).toEqual([N, 2 * N, N]);
      expect(deviceRow(tx, a.ns.inode)).toEqual([expect.objectContaining({ encapsulated: N, drops: expect.objectContaining({ total: 0 }) })]);
      expect(deviceRow(rx, b.ns.inode)).toEqual([expect.objectContaining({ decapsulated: N, drops: expect.objectContaining({ total: 0 }) })]);
    });

    it('IPv6 underlay: each outer packet refused by IPv6 fragmentation (Ip6FragFails: the tunnel never fragments its own packets), dropped at ip6_fragment, counted in the device\'s tx_errors', async () => {
      using lab = Lab.create();
      const { a, b, payload } = shrunk(lab, { underlay: 6 });
      const frag6 = (ns: Netns) => Number(/Ip6FragFails\s+(\d+)/.exec(ns.exec('cat', ['/proc/net/snmp6']))![1]);
      await using tool = await startTool(TOOL, ['--netns', a.ns.name, '--interval', '3600']);
      // The kernel's counters from here: whatever the devices sent as they came up is out by now.
      const before = { dev: stats(a.ns, 'vx0'), fails: frag6(a.ns) };
      expect(sendProbe(a.ns, { dst: b.inner4, dport: SINK, count: N, size: payload })).toBe(N);
      const rec = final((await tool.stop()).records);
      const after = { dev: stats(a.ns, 'vx0'), fails: frag6(a.ns) };
      expect(after.fails - before.fails).toBe(N);
      expect([after.dev.txErrors - before.dev.txErrors, after.dev.txDropped - before.dev.txDropped, after.dev.tx - before.dev.tx]).toEqual([N, 0, 0]);
      const [row] = deviceRow(rec, a.ns.inode);
      expect(row).toMatchObject({ vni: 100, device_drops: { tx_errors: N }, drops: { total: N, tx: N, rx: 0 } });
      expect(reasons(row!)).toEqual([['tx', 'NOT_SPECIFIED', 'ip6_fragment', 'u0', b.outer, N]]);
    });
  });

  it('devices in external mode: with vnifilter, counts per VNI (bridge -s vni) and an unknown VNI dropped; without, every VNI together; a frame with no tunnel metadata dropped (TUNNEL_TXINFO)', async () => {
    using lab = Lab.create();
    const nsA = lab.netns('a');
    const nsB = lab.netns('b');
    const { aMac, bMac } = lab.veth(nsA, 'u0', nsB, 'u0');
    nsA.addr('u0', '10.210.0.1/24');
    nsB.addr('u0', '10.210.0.2/24');
    nsA.neigh('u0', '10.210.0.2', bMac);
    nsB.neigh('u0', '10.210.0.1', aMac);
    // b: one device serving VNIs 100 and 200 on 4789, one serving every VNI on 4790. No link-local
    // address: an external device cannot send what the stack would send by itself.
    const vxf = lab.mac();
    const vxe = lab.mac();
    nsB.ip('link', 'add', 'vxf', 'address', vxf, 'type', 'vxlan', 'external', 'vnifilter', 'local', '10.210.0.2', 'dstport', String(PORT), 'dev', 'u0');
    nsB.ip('link', 'add', 'vxe', 'address', vxe, 'type', 'vxlan', 'external', 'local', '10.210.0.2', 'dstport', '4790', 'dev', 'u0');
    for (const dev of ['vxf', 'vxe']) {
      nsB.ip('link', 'set', dev, 'addrgenmode', 'none');
      nsB.up(dev);
    }
    nsB.exec('bridge', ['vni', 'add', 'dev', 'vxf', 'vni', '100']);
    nsB.exec('bridge', ['vni', 'add', 'dev', 'vxf', 'vni', '200']);
    nsB.addr('vxf', '10.221.0.2/24');
    nsB.addr('vxf', '10.222.0.2/24');
    nsB.addr('vxe', '10.224.0.2/24');
    nsB.neigh('vxe', '10.224.0.1', lab.mac());
    // a: one plain device per VNI towards b.
    const toB: [string, number, number, string, string][] = [
      ['vx0', 100, PORT, '10.221', vxf],
      ['vx1', 200, PORT, '10.222', vxf],
      ['vx2', 300, PORT, '10.223', lab.mac()],
      ['vx3', 500, 4790, '10.224', vxe],
    ];
    for (const [dev, vni, port, net, mac] of toB) {
      nsA.ip('link', 'add', dev, 'type', 'vxlan', 'id', String(vni), 'local', '10.210.0.1', 'remote', '10.210.0.2', 'dstport', String(port), 'nolearning', 'dev', 'u0');
      nsA.addr(dev, `${net}.0.1/24`);
      nsA.neigh(dev, `${net}.0.2`, mac);
      nsA.ip('link', 'set', dev, 'addrgenmode', 'none');
      nsA.up(dev);
    }
    const vniRx = () =>
      (JSON.parse(nsB.exec('bridge', ['-s', '-j', 'vni', 'show', 'dev', 'vxf'])) as { vnis: { vni: number; stats: { rx_pkts: number } }[] }[])[0]!.vnis.map((v) => [v.vni, v.stats.rx_pkts]);
    const sink = await startSink(nsB, { protocol: 'udp', bind: '0.0.0.0', port: SINK });
    await using tool = await startTool(TOOL, ['--netns', nsB.name, '--interval', '3600']);
    // The kernel's counters from here: whatever the devices sent as they came up is out by now.
    const before = vniRx();
    const sent = { 100: 60, 200: 40, 300: 30, 500: 20 } as const;
    for (const [, vni, , net] of toB) sendUdp(nsA, { dst: `${net}.0.2`, dport: SINK, count: sent[vni as keyof typeof sent] });
    // b sends into vxe with no tunnel metadata (the stack's own routing gives none).
    const K = 15;
    sendUdp(nsB, { dst: '10.224.0.1', dport: SINK, count: K });
    expect(await sink.stop()).toBe(60 + 40 + 20);
    const rec = final((await tool.stop()).records);
    // The kernel's per-VNI counts.
    expect(vniRx().map(([vni, n], i) => [vni, n! - before[i]![1]!])).toEqual([[100, 60], [200, 40]]);
    const rows = rec.rows.map((r) => [r.device, r.vni, r.port, r.decapsulated, r.drops.total]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['vxf', 100, PORT, 60, 0],
        ['vxf', 200, PORT, 40, 0],
        [null, 300, PORT, null, 30],
        ['vxe', null, 4790, 20, K],
      ]),
    );
    expect(rows).toHaveLength(4);
    const row = (d: string | null, vni: number | null) => rec.rows.find((r) => r.device === d && r.vni === vni)!;
    expect(reasons(row(null, 300))).toEqual([['rx', 'VXLAN_VNI_NOT_FOUND', 'vxlan_rcv', 'u0', '10.210.0.1', 30]]);
    expect(reasons(row('vxe', null))).toEqual([['tx', 'TUNNEL_TXINFO', 'vxlan_xmit', null, null, K]]);
    // No counter of the device moves for them.
    expect(row('vxe', null).device_drops).toEqual({ tx_dropped: 0, tx_errors: 0, rx_dropped: 0, rx_errors: 0 });
    expect(row('vxf', 100).config).toMatchObject({ external: true, vnifilter: true, port: PORT });
    expect(rec.totals).toMatchObject({ decapsulated: 120, drops: { total: 30 + K, rx: 30, tx: K } });
  });

  it('inner packets dropped after decapsulation (a closed port behind the tunnel) are not VXLAN\'s: decapsulated, not counted as drops', async () => {
    using lab = Lab.create();
    const { a, b } = vxlanPair(lab, { underlay: 4 });
    const N = 100;
    await using tool = await startTool(TOOL, ['--netns', b.ns.name, '--interval', '3600']);
    // The kernel's counters from here: whatever the devices sent as they came up is out by now.
    const before = netCounters(b.ns).get('Udp.NoPorts')!;
    sendUdp(a.ns, { dst: b.inner4, dport: 9, count: N });
    const rec = final((await tool.stop()).records);
    expect(netCounters(b.ns).get('Udp.NoPorts')! - before).toBe(N);
    // The replies (ICMP port unreachable, rate-limited) go back through the tunnel: b encapsulates some.
    expect(deviceRow(rec, b.ns.inode)).toEqual([expect.objectContaining({ decapsulated: N, drops: { total: 0, tx: 0, rx: 0, by_reason: [] } })]);
    expect(rec.totals.drops.total).toBe(0);
  });

  it('bad input: one line naming the option, exit 2, not one bpf(2) call', () => {
    using lab = Lab.create();
    const { a } = vxlanPair(lab, { underlay: 4 });
    const cases: [string[], RegExp][] = [
      [['--netns', a.ns.name, '--device', 'u0'], /^--device: u0 is not a VXLAN device \(its kind is veth\)$/],
      [['--netns', a.ns.name, '--device', 'lo'], /^--device: lo is not a VXLAN device \(it has no link kind\)$/],
      [['--netns', a.ns.name, '--device', 'vx9'], /^--device: no device 'vx9' in network namespace /],
      [['--netns', a.ns.name, '--device', '999'], /^--device: no device with index 999 in network namespace /],
      [['--netns', a.ns.name, '--device', 'vx0,vx0'], /^--device: vx0 is given twice$/],
      [['--netns', 'nstlab-no-such-ns'], /^--netns: no network namespace 'nstlab-no-such-ns'/],
      [['--interface', 'vx0'], /^unknown option --interface$/],
      [['--top', '0'], /^--top: '0' must be at least 1$/],
      [['--interval', '0'], /^--interval: '0' must be /],
    ];
    expectUsageErrors(TOOL, cases);
  });

  it('the example for the docs: the receiving end of a tunnel, with a second sender on a VNI it does not serve (text)', async () => {
    using lab = Lab.create();
    const { a, b } = vxlanPair(lab, { underlay: 4 });
    // A second device at a on VNI 300, which b does not serve.
    a.ns.ip('link', 'add', 'vx1', 'type', 'vxlan', 'id', '300', 'local', a.outer, 'remote', b.outer, 'dstport', String(PORT), 'nolearning', 'dev', 'u0');
    a.ns.ip('link', 'set', 'vx1', 'addrgenmode', 'none');
    a.ns.addr('vx1', '10.212.0.1/24');
    a.ns.neigh('vx1', '10.212.0.2', lab.mac());
    a.ns.up('vx1');
    const sink = await startSink(b.ns, { protocol: 'udp', bind: b.inner4, port: SINK });
    const args = ['--netns', b.ns.name, '--interval', '60'];
    await using tool = await startTool(TOOL, args, { json: false });
    sendUdp(a.ns, { dst: b.inner4, dport: SINK, count: 1000 });
    sendUdp(a.ns, { dst: '10.212.0.2', dport: SINK, count: 40 });
    expect(await sink.stop()).toBe(1000);
    const res = await tool.stop();
    expect(res.stdout).toMatch(/1 VXLAN device; 0 encapsulated, 1000 decapsulated; 40 drops seen \(0 tx, 40 rx\)/);
    expect(res.stdout).toMatch(/rx \S+@vxlan_rcv 40 \(on u0 from 10\.210\.0\.1\)/);
    publish('vxlan_summary', `vxlan_summary ${args.join(' ').replace(b.ns.name, 'lab-b')}`, res.stdout);
  });
});

/**
 * packet_drop_details: one event per dropped packet, exactly, with the headers that were sent
 * decoded, for UDP v4/v6, TCP and ICMP; filters keep other packets out. (A full ring buffer:
 * loss-and-bounds.e2e.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { Lab, faults, ping, requireRoot, sendUdp, startTool, tcpSynToClosedPort, toolPath, twoHosts, type ToolRecord } from './index.ts';

const run = requireRoot('packet_drop_details end-to-end tests');

interface Ev {
  reason: string;
  location: { symbol: string };
  device: string;
  netns: number;
  len: number;
  flow: { src: string; dst: string; sport: number; dport: number; protocol: string; icmp_id?: number; arp_op?: number } | null;
  headers: {
    eth?: { src: string; dst: string };
    ipv4?: { src: string; dst: string; ttl: number; protocol: number };
    ipv6?: { src: string; dst: string; hopLimit: number; nextHeader: number };
    udp?: { sport: number; dport: number; length: number };
    arp?: { op: number; senderIp: string; targetIp: string };
    tcp?: { sport: number; dport: number; flags: string };
    icmp?: { type: number; id?: number; seq?: number; v6: boolean };
  };
  stack?: string[];
  time: string;
}

function events(records: ToolRecord[]): Ev[] {
  const fin = records.filter((r) => r.type === 'final');
  expect(fin).toHaveLength(1);
  expect(fin[0]!.lost).toBe(0);
  const evs = records.filter((r) => r.type === 'event') as unknown as Ev[];
  expect(fin[0]!.events).toBe(evs.length);
  return evs;
}

describe.runIf(run)('packet_drop_details', () => {
  for (const family of [4, 6] as const) {
    it(`UDP IPv${family} to a closed port: one event per packet, headers as sent`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      const dst = family === 4 ? b.v4 : b.v6;
      const src = family === 4 ? a.v4 : a.v6;
      const t0 = Date.now();
      await using tool = await startTool(toolPath('packetDropDetails'), ['--netns', b.ns.name, '--protocol', 'udp', '--dst-port', '40000', '--stack']);
      const sent = sendUdp(a.ns, { dst, dport: 40000, count: 25, size: 100 });
      const res = await tool.stop();
      expect(res.exitCode).toBe(0);
      const evs = events(res.records);
      expect(evs).toHaveLength(25);
      for (const e of evs) {
        expect(e.reason).toBe('NO_SOCKET');
        expect(e.location.symbol).toBe(family === 4 ? '__udp4_lib_rcv' : '__udp6_lib_rcv');
        expect(e.device).toBe('eth0');
        expect(e.netns).toBe(b.ns.inode);
        expect(e.headers.eth).toEqual(expect.objectContaining({ src: a.mac, dst: b.mac }));
        const ip = family === 4 ? e.headers.ipv4! : e.headers.ipv6!;
        expect([ip.src, ip.dst]).toEqual([src, dst]);
        expect(e.headers.udp).toEqual({ sport: sent.flow.sport, dport: 40000, length: 108 });
        expect(e.flow).toEqual(expect.objectContaining({ src, dst, sport: sent.flow.sport, dport: 40000, protocol: 'UDP' }));
        expect(e.stack!.some((f) => f.startsWith(family === 4 ? '__udp4_lib_rcv+' : '__udp6_lib_rcv+'))).toBe(true);
        // Wall-clock time of the drop, not time since boot.
        const t = Date.parse(e.time);
        expect(t).toBeGreaterThanOrEqual(t0 - 1000);
        expect(t).toBeLessThanOrEqual(Date.now() + 1000);
      }
    });
  }

  it('TCP SYN to a closed port: flags and ports decoded', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    await using tool = await startTool(toolPath('packetDropDetails'), ['--netns', b.ns.name, '--protocol', 'tcp']);
    expect(tcpSynToClosedPort(a.ns, { dst: b.v4, dport: 40002 }).refused).toBe(true);
    const evs = events((await tool.stop()).records);
    expect(evs).toHaveLength(1);
    expect(evs[0]!.reason).toBe('NO_SOCKET');
    expect(evs[0]!.location.symbol).toBe('tcp_v4_rcv');
    expect(evs[0]!.headers.tcp).toEqual(expect.objectContaining({ dport: 40002, flags: 'SYN' }));
  });

  it('ICMP echo dropped by nftables: type, id and sequence decoded', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    b.ns.nft('table inet nstfault {\n  chain c {\n    type filter hook input priority 0; policy accept;\n    icmp type echo-request drop\n    icmpv6 type echo-request drop\n  }\n}\n');
    await using tool = await startTool(toolPath('packetDropDetails'), ['--netns', b.ns.name, '--protocol', 'icmp']);
    const v4 = ping(a.ns, b.v4, 5);
    const v6 = ping(a.ns, b.v6, 3);
    expect([v4.sent, v4.received, v6.sent, v6.received]).toEqual([5, 0, 3, 0]);
    const evs = events((await tool.stop()).records);
    const v4evs = evs.filter((e) => e.headers.icmp && !e.headers.icmp.v6);
    const v6evs = evs.filter((e) => e.headers.icmp?.v6 && e.headers.icmp.type === 128);
    expect(v4evs.map((e) => [e.reason, e.headers.icmp!.type, e.headers.icmp!.seq])).toEqual([1, 2, 3, 4, 5].map((s) => ['NETFILTER_DROP', 8, s]));
    expect(v6evs.map((e) => e.headers.icmp!.seq)).toEqual([1, 2, 3]);
    expect(new Set(v4evs.map((e) => e.headers.icmp!.id)).size).toBe(1);
    expect(v4evs[0]!.flow).toEqual(expect.objectContaining({ src: a.v4, dst: b.v4, protocol: 'ICMP' }));
  });

  it('ARP: address filters match sender and target, headers decoded, port filters exclude it', async () => {
    using lab = Lab.create();
    const fault = faults.arpFiltered(lab);
    await using byIp = await startTool(toolPath('packetDropDetails'), ['--netns', fault.dropNs.name, '--ip', '10.200.0.9']);
    await using byPort = await startTool(toolPath('packetDropDetails'), ['--netns', fault.dropNs.name, '--dst-port', '40000']);
    const flow = fault.send(6);
    const evs = events((await byIp.stop()).records);
    expect(evs).toHaveLength(6);
    for (const e of evs) {
      expect(e.reason).toBe('NETFILTER_DROP');
      expect(e.headers.arp).toEqual(expect.objectContaining({ op: 1, senderIp: flow.src, targetIp: '10.200.0.9' }));
      expect(e.flow).toEqual(expect.objectContaining({ src: flow.src, dst: '10.200.0.9', protocol: 'ARP', arp_op: 1 }));
    }
    expect(events((await byPort.stop()).records)).toHaveLength(0);
  });

  it('filters exclude other traffic sent at the same time', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    await using tool = await startTool(toolPath('packetDropDetails'), ['--netns', b.ns.name, '--src-ip', a.v6, '--dst-port', '40000']);
    sendUdp(a.ns, { dst: b.v4, dport: 40000, count: 10 });
    const v6 = sendUdp(a.ns, { dst: b.v6, dport: 40000, count: 7 });
    sendUdp(a.ns, { dst: b.v6, dport: 40001, count: 10 });
    const evs = events((await tool.stop()).records);
    expect(evs).toHaveLength(7);
    expect(evs.every((e) => e.flow?.sport === v6.flow.sport && e.flow.dport === 40000)).toBe(true);
  });
});

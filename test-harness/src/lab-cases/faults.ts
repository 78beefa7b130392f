/**
 * Four faults on a routed lab (a — r — b), each its own reason and place, among 300 good packets.
 * Truth: the kernel's own counters of each (b's UDP NoPorts, r's nftables counter, r's InHdrErrors
 * and InNoRoutes), read before and after.
 */
import { netCounters } from '../counters.ts';
import { routed } from '../topology.ts';
import { sendPaced, sendUdp, startSlowReader } from '../traffic.ts';
import { expectLab, nftCounter } from './measure.ts';
import type { LabCase } from './types.ts';

const GOOD = 300;

export const faults: LabCase = {
  name: 'faults',
  title: 'four faults among good traffic',
  what: 'UDP to a closed port, a firewall rule, TTL expiry and a missing route drop packets between a and b.',
  duration: 12,
  async build(lab) {
    const { a, r, b } = routed(lab);
    r.nft('table inet lab {\n  counter firewall {}\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n    udp dport 5353 counter name "firewall" drop\n  }\n}\n');
    // The good packets' reader: paced packets, read at once (raised priority), so their stages stay short.
    const reader = await startSlowReader(b.ns, { protocol: 'udp', bind: b.v4, port: 8080, count: GOOD, delayMs: 0 });
    return {
      diagnoseArgs: ['--ip', '10.201.0.0/16'],
      async inject() {
        const [b0, r0] = [netCounters(b.ns), netCounters(r)];
        const sent = (dst: string, dport: number, count: number, ttl?: number) => sendUdp(a.ns, { dst, dport, count, ttl }).sent;
        expectLab('good packets sent', sendPaced(a.ns, { protocol: 'udp', dst: b.v4, dport: 8080, count: GOOD, gapMs: 2 }).sent, GOOD);
        const injected = [sent(b.v4, 7000, 200), sent(b.v4, 5353, 150), sent(b.v4, 8080, 100, 1), sent('10.201.99.1', 8080, 50)];
        const [b1, r1] = [netCounters(b.ns), netCounters(r)];
        const delta = (after: Map<string, number>, before: Map<string, number>, k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
        const items = [
          { what: `UDP to a closed port on b (${b.v4}:7000)`, reason: 'NO_SOCKET', location: '__udp4_lib_rcv', device: b.dev, count: delta(b1, b0, 'Udp.NoPorts') },
          { what: 'router r drops UDP to :5353 (nftables)', reason: 'NETFILTER_DROP', location: 'nft_do_chain', device: 'ra', count: nftCounter(r, 'lab', 'firewall') },
          { what: 'TTL 1 through router r', reason: 'IP_INHDR', location: 'ip_forward', device: 'ra', count: delta(r1, r0, 'Ip.InHdrErrors') },
          { what: 'r has no route to 10.201.99.1', reason: 'IP_INNOROUTES', location: 'ip_error', device: 'ra', count: delta(r1, r0, 'IpExt.InNoRoutes') },
        ];
        items.forEach((it, i) => expectLab(`${it.what}, packets counted by the kernel`, it.count, injected[i]!));
        expectLab('good packets read on b', await reader.done, GOOD);
        return { kind: 'drops', items, notes: [`${GOOD} good packets a → b:8080, all read on b`] };
      },
    };
  },
};

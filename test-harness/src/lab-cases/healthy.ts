/**
 * Nothing wrong: the routed lab (a — r — b) with UDP to a sink and pings, both answered in full.
 * Truth: b's reader read every datagram and every ping was answered.
 */
import { routed } from '../topology.ts';
import { ping, sendPaced, startSlowReader } from '../traffic.ts';
import { expectLab } from './measure.ts';
import type { LabCase } from './types.ts';

const DATAGRAMS = 300;
const PINGS = 300;

export const healthy: LabCase = {
  name: 'healthy',
  title: 'a healthy network',
  what: 'Nothing: every packet between a and b arrives, at once.',
  duration: 8,
  async build(lab) {
    const { a, b } = routed(lab);
    // Pings from ICMP datagram sockets: a raw socket would leave each reply to ping_rcv too, a drop.
    a.ns.sysctl('net.ipv4.ping_group_range', '0 0');
    // Paced datagrams read at once (the reader runs at a raised priority): no stage waits.
    const reader = await startSlowReader(b.ns, { protocol: 'udp', bind: b.v4, port: 8080, count: DATAGRAMS, delayMs: 0 });
    return {
      diagnoseArgs: ['--ip', '10.201.0.0/16'],
      async inject() {
        expectLab('datagrams sent', sendPaced(a.ns, { protocol: 'udp', dst: b.v4, dport: 8080, count: DATAGRAMS, gapMs: 2 }).sent, DATAGRAMS);
        expectLab('datagrams read on b', await reader.done, DATAGRAMS);
        expectLab('pings answered', ping(a.ns, b.v4, PINGS, { intervalS: 0.005 }).received, PINGS);
        return { kind: 'healthy', items: [], notes: [`${DATAGRAMS} datagrams a → b:8080, all read; ${PINGS} pings a → b, all answered`] };
      },
    };
  },
};

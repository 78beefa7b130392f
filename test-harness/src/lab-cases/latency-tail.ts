/**
 * "1 % loss" that is really a latency tail: on router r's device towards b, 1 in 100 forwarded
 * datagrams is held about a third of a second; a ping that waits 200 ms calls those lost, one
 * that waits longer sees every one answered.
 *
 * This kernel has no netem: the hold is an HTB class of 30 kbit/s with a one-byte bucket. An
 * nftables rule (numgen inc mod 100) puts 1 in 100 datagrams into it; each is a 1400-byte ping sent
 * by a as two fragments (a's route MTU is 1280; conntrack in r reassembles them and sends the same
 * two on), and the class lets the first go at once and holds the second until the first is paid
 * for: 1290 bytes at 30 kbit/s, 344 ms, in dev_queue -> xmit on r. The others skip the class.
 * Truth: the rule's counter, the class's packets (two per datagram held), and ping's own replies.
 */
import { routed } from '../topology.ts';
import { ping } from '../traffic.ts';
import { classSent, expectLab, nftCounter } from './measure.ts';
import type { LabCase } from './types.ts';

const PINGS = 300;
const LATE_US = 300_000;
const TIMEOUT_US = 200_000;

export const latencyTail: LabCase = {
  name: 'latency-tail',
  title: '1 % loss that is really a latency tail',
  what: 'Router r holds 1 in 100 forwarded packets for about a third of a second: pings that wait 200 ms call them lost.',
  duration: 10,
  async build(lab) {
    const { a, r, b, rA } = routed(lab);
    a.ns.ip('route', 'replace', 'default', 'via', rA.v4, 'mtu', '1280');
    a.ns.ip('-6', 'route', 'replace', 'default', 'via', rA.v6, 'mtu', '1280');
    // Pings from ICMP datagram sockets: a raw socket would leave each reply to ping_rcv too, a drop.
    a.ns.sysctl('net.ipv4.ping_group_range', '0 0');
    // b would give up on an IPv4 datagram whose second fragment comes 64 others after its first.
    b.ns.sysctl('net.ipv4.ipfrag_max_dist', 0);
    r.tc('qdisc', 'add', 'dev', 'rb', 'root', 'handle', '1:', 'htb');
    r.tc('class', 'add', 'dev', 'rb', 'parent', '1:', 'classid', '1:20', 'htb', 'rate', '30kbit', 'ceil', '30kbit', 'burst', '1', 'cburst', '1', 'quantum', '1514');
    r.nft(`table inet lab {
  counter held {}
  chain forward {
    type filter hook forward priority 0; policy accept;
    # Any conntrack expression turns reassembly on: the next rule counts datagrams, not fragments.
    ct state new counter
    # HTB takes skb->priority 1:20 as its class 1:20; every other packet is sent past the classes.
    oifname "rb" numgen inc mod 100 == 0 meta priority set 1:20 counter name "held"
  }
}
`);
    return {
      diagnoseArgs: ['--netns', r.name],
      async inject() {
        // 5 ms apart: the class has paid for one datagram (~400 ms) before the next of 100 comes.
        const pinged = [b.v4, b.v6].map((dst) => ping(a.ns, dst, PINGS, { size: 1400, intervalS: 0.005 }));
        const held = nftCounter(r, 'lab', 'held');
        const rtts = pinged.flatMap((p) => [...p.rttUs.values()].map((x) => x.us + x.slackUs));
        const lost = rtts.filter((us) => us >= TIMEOUT_US).length;
        expectLab('datagrams held, two fragments each (the class)', classSent(r, 'rb', '1:20'), 2 * held);
        expectLab('replies (every request answered)', pinged[0]!.received + pinged[1]!.received, 2 * PINGS);
        expectLab(`replies later than ${LATE_US / 1000} ms`, rtts.filter((us) => us >= LATE_US).length, held);
        return {
          kind: 'latency',
          // A held packet's round trip is its hold and more: the longest bounds the hold from above.
          items: [{ what: '1 in 100 datagrams r forwards to b held ~344 ms', stage: 'dev_queue -> xmit', direction: 'tx', device: 'rb', count: held, maxUs: Math.max(...rtts) }],
          notes: [
            `${2 * PINGS} pings a → b (IPv4 and IPv6, 1400 bytes): all answered, ${held} after ${LATE_US / 1000} ms or more`,
            `with a ${TIMEOUT_US / 1000} ms timeout ping would call ${lost} of them lost (${((100 * lost) / (2 * PINGS)).toFixed(1)} %)`,
          ],
        };
      },
    };
  },
};

/**
 * Fault injectors with known outcomes on this kernel: each configures a lab so that every packet
 * sent into it is dropped with one reason at one location, and says how to send N such packets.
 * The reasons and locations were observed on Linux 6.18 (see docs/kernel-support.md); they are
 * names from the kernel's BTF, so they hold wherever the kernel keeps the same drop sites. Where an
 * older kernel drops in a function 6.18 inlines, the guest tier found it (otherLocations).
 */
import type { Lab, Netns } from './lab.ts';
import { routed, twoHosts } from './topology.ts';
import { sendUdp, type Flow } from './traffic.ts';

export interface FaultCase {
  /** What the fault is, for test names. */
  name: string;
  reason: string;
  location: string;
  /** Where other kernels report the same drop, in a function this one inlines (Debian's 6.1: the
   * IPv6 no-route drop in ip6_pkt_drop, qdisc drops freed by kfree_skb_list_reason). */
  otherLocations?: readonly string[];
  /** Namespace whose device or socket sees the drop. */
  dropNs: Netns;
  /** Device the dropped skb is on in dropNs. */
  dropDev: string;
  /** Sends n packets into the fault; returns the flow they used. */
  send(n: number): Flow;
  /** Protocol of the dropped packets as the tools name it (UDP unless said). */
  protocol?: string;
}

type Family = 4 | 6;
const UDP_PORT = 40_000;

export function closedUdpPort(lab: Lab, family: Family): FaultCase {
  const { a, b } = twoHosts(lab);
  const dst = family === 4 ? b.v4 : b.v6;
  return {
    name: `closed UDP port (IPv${family})`,
    reason: 'NO_SOCKET',
    location: family === 4 ? '__udp4_lib_rcv' : '__udp6_lib_rcv',
    dropNs: b.ns,
    dropDev: b.dev,
    send: (n) => sendUdp(a.ns, { dst, dport: UDP_PORT, count: n }).flow,
  };
}

/** An nftables rule dropping UDP to one port at the input, output or forward hook. */
export function nftDrop(lab: Lab, hook: 'input' | 'output' | 'forward', family: Family): FaultCase {
  const { a, r, b } = routed(lab);
  const where = hook === 'input' ? b.ns : hook === 'output' ? a.ns : r;
  where.nft(`table inet nstfault {\n  chain c {\n    type filter hook ${hook} priority 0; policy accept;\n    udp dport ${UDP_PORT} drop\n  }\n}\n`);
  const dst = family === 4 ? b.v4 : b.v6;
  return {
    name: `nftables drop in ${hook} (IPv${family})`,
    reason: 'NETFILTER_DROP',
    location: 'nft_do_chain',
    dropNs: where,
    dropDev: hook === 'input' ? b.dev : hook === 'forward' ? 'ra' : '',
    // A drop at the output hook fails the sender's sendmsg with EPERM: each attempt is one drop.
    send: (n) => sendUdp(a.ns, { dst, dport: UDP_PORT, count: n, allowEperm: hook === 'output' }).flow,
  };
}

/** The router has no route to the destination (a forwards everything to it). */
export function noRoute(lab: Lab, family: Family): FaultCase {
  const { a, r } = routed(lab);
  const dst = family === 4 ? '10.202.0.1' : 'fd00:202::1';
  return {
    name: `no route on the router (IPv${family})`,
    reason: 'IP_INNOROUTES',
    location: family === 4 ? 'ip_error' : 'ip6_pkt_discard',
    otherLocations: family === 4 ? [] : ['ip6_pkt_drop'],
    dropNs: r,
    dropDev: 'ra',
    send: (n) => sendUdp(a.ns, { dst, dport: UDP_PORT, count: n }).flow,
  };
}

/** A blackhole, unreachable or prohibit route on the router. */
export function rejectRoute(lab: Lab, kind: 'blackhole' | 'unreachable' | 'prohibit'): FaultCase {
  const { a, r } = routed(lab);
  r.route(kind, '10.203.0.0/24');
  return {
    name: `${kind} route (IPv4)`,
    reason: 'NOT_SPECIFIED',
    location: 'ip_error',
    dropNs: r,
    dropDev: 'ra',
    send: (n) => sendUdp(a.ns, { dst: '10.203.0.1', dport: UDP_PORT, count: n }).flow,
  };
}

/** TTL 1 through the router: expired in forwarding. */
export function ttlExpiry(lab: Lab, family: Family): FaultCase {
  const { a, r, b } = routed(lab);
  const dst = family === 4 ? b.v4 : b.v6;
  return {
    name: `TTL expiry through a router (IPv${family})`,
    reason: 'IP_INHDR',
    location: family === 4 ? 'ip_forward' : 'ip6_forward',
    dropNs: r,
    dropDev: 'ra',
    send: (n) => sendUdp(a.ns, { dst, dport: UDP_PORT, count: n, ttl: 1 }).flow,
  };
}

/** Strict reverse-path filtering on the router, and a source it has no route back to. */
export function rpFilter(lab: Lab): FaultCase {
  const { a, r, b } = routed(lab);
  r.sysctl('net.ipv4.conf.all.rp_filter', 1);
  r.sysctl('net.ipv4.conf.ra.rp_filter', 1);
  a.ns.addr(a.dev, '10.209.0.1/32');
  return {
    name: 'reverse-path filter (IPv4)',
    reason: 'IP_RPFILTER',
    location: 'ip_rcv_finish_core',
    dropNs: r,
    dropDev: 'ra',
    send: (n) => sendUdp(a.ns, { src: '10.209.0.1', dst: b.v4, dport: UDP_PORT, count: n }).flow,
  };
}

/** A tbf qdisc whose burst is smaller than every packet sent: each one is dropped at enqueue. */
export function tbfOversize(lab: Lab, family: Family): FaultCase {
  const { a, b } = twoHosts(lab);
  a.ns.tc('qdisc', 'add', 'dev', a.dev, 'root', 'tbf', 'rate', '10mbit', 'burst', '1000', 'limit', '100000');
  const dst = family === 4 ? b.v4 : b.v6;
  return {
    name: `tbf qdisc, packets over the burst (IPv${family})`,
    reason: 'QDISC_DROP',
    location: '__dev_queue_xmit',
    otherLocations: ['kfree_skb_list_reason'],
    dropNs: a.ns,
    dropDev: a.dev,
    send: (n) => sendUdp(a.ns, { dst, dport: UDP_PORT, count: n, size: 1400 }).flow,
  };
}

/**
 * ARP requests dropped by an nftables arp-family rule on the peer: a resolves an address nobody
 * has, sending exactly mcast_solicit broadcasts, each dropped on arrival at b.
 */
export function arpFiltered(lab: Lab): FaultCase {
  const { a, b } = twoHosts(lab);
  b.ns.nft('table arp nstfault {\n  chain c {\n    type filter hook input priority 0; policy accept;\n    arp operation request counter drop\n  }\n}\n');
  const target = '10.200.0.9';
  return {
    name: 'ARP requests dropped by nftables (arp family)',
    reason: 'NETFILTER_DROP',
    location: 'nft_do_chain',
    dropNs: b.ns,
    dropDev: b.dev,
    protocol: 'ARP',
    send: (n) => {
      a.ns.sysctl(`net.ipv4.neigh.${a.dev}.mcast_solicit`, n);
      a.ns.sysctl(`net.ipv4.neigh.${a.dev}.app_solicit`, 0);
      a.ns.sysctl(`net.ipv4.neigh.${a.dev}.ucast_solicit`, 0);
      a.ns.sysctl(`net.ipv4.neigh.${a.dev}.retrans_time_ms`, 5);
      sendUdp(a.ns, { dst: target, dport: UDP_PORT, count: 1 });
      // Resolution gives up after n probes (at least 10 ms apart); wait until the entry has failed.
      for (let i = 0; i < 200 && !/FAILED/.test(a.ns.ip('neigh', 'show', target)); i++) a.ns.exec('sleep', ['0.05']);
      // The probes leave from a timer, not from our send: wait until b's rule has dropped them all.
      const dropped = () => Number(/counter packets (\d+)/.exec(b.ns.exec('nft', ['list', 'table', 'arp', 'nstfault']))?.[1] ?? 0);
      for (let i = 0; i < 100 && dropped() < n; i++) a.ns.exec('sleep', ['0.02']);
      if (dropped() !== n) throw new Error(`the kernel sent ${dropped()} ARP probes, not the ${n} of mcast_solicit`);
      return { src: a.v4, dst: target, sport: 0, dport: 0, protocol: 'ARP' };
    },
  };
}

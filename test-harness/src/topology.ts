/** The labs most scenarios need, with v4 and v6 addresses and static neighbours. */
import type { Lab, Netns } from './lab.ts';

export interface Host {
  ns: Netns;
  dev: string;
  v4: string;
  v6: string;
  mac: string;
}

/** Two hosts on one veth link: a (10.200.0.1, fd00:200::1) and b (10.200.0.2, fd00:200::2). */
export function twoHosts(lab: Lab): { a: Host; b: Host } {
  const nsA = lab.netns('a');
  const nsB = lab.netns('b');
  const { aMac, bMac } = lab.veth(nsA, 'eth0', nsB, 'eth0', { txqueuelen: 10000 });
  const a: Host = { ns: nsA, dev: 'eth0', v4: '10.200.0.1', v6: 'fd00:200::1', mac: aMac };
  const b: Host = { ns: nsB, dev: 'eth0', v4: '10.200.0.2', v6: 'fd00:200::2', mac: bMac };
  for (const [h, peer] of [[a, b], [b, a]] as const) {
    h.ns.addr(h.dev, `${h.v4}/24`);
    h.ns.addr(h.dev, `${h.v6}/64`);
    h.ns.neigh(h.dev, peer.v4, peer.mac);
    h.ns.neigh(h.dev, peer.v6, peer.mac);
  }
  return { a, b };
}

/**
 * a — r — b, r forwarding v4 and v6:
 *   a 10.201.1.1 / fd00:201:1::1 on r's 10.201.1.254 / fd00:201:1::fe
 *   b 10.201.2.1 / fd00:201:2::1 on r's 10.201.2.254 / fd00:201:2::fe
 * a and b route everything through r; r knows only the two links.
 */
export function routed(lab: Lab): { a: Host; r: Netns; b: Host; rA: Host; rB: Host } {
  const nsA = lab.netns('a');
  const r = lab.netns('r');
  const nsB = lab.netns('b');
  const l1 = lab.veth(nsA, 'eth0', r, 'ra', { txqueuelen: 10000 });
  const l2 = lab.veth(r, 'rb', nsB, 'eth0', { txqueuelen: 10000 });
  const a: Host = { ns: nsA, dev: 'eth0', v4: '10.201.1.1', v6: 'fd00:201:1::1', mac: l1.aMac };
  const rA: Host = { ns: r, dev: 'ra', v4: '10.201.1.254', v6: 'fd00:201:1::fe', mac: l1.bMac };
  const rB: Host = { ns: r, dev: 'rb', v4: '10.201.2.254', v6: 'fd00:201:2::fe', mac: l2.aMac };
  const b: Host = { ns: nsB, dev: 'eth0', v4: '10.201.2.1', v6: 'fd00:201:2::1', mac: l2.bMac };
  r.sysctl('net.ipv4.ip_forward', 1);
  r.sysctl('net.ipv6.conf.all.forwarding', 1);
  for (const [h, gw] of [[a, rA], [b, rB]] as const) {
    h.ns.addr(h.dev, `${h.v4}/24`);
    h.ns.addr(h.dev, `${h.v6}/64`);
    gw.ns.addr(gw.dev, `${gw.v4}/24`);
    gw.ns.addr(gw.dev, `${gw.v6}/64`);
    h.ns.neigh(h.dev, gw.v4, gw.mac);
    h.ns.neigh(h.dev, gw.v6, gw.mac);
    gw.ns.neigh(gw.dev, h.v4, h.mac);
    gw.ns.neigh(gw.dev, h.v6, h.mac);
    h.ns.route('default', 'via', gw.v4);
    h.ns.route('-6', 'default', 'via', gw.v6);
  }
  return { a, r, b, rA, rB };
}

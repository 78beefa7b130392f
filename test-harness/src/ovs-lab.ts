/**
 * The switched lab: a — pa [Open vSwitch bridge in namespace sw] pb — b, on the kernel datapath.
 * Each port's packets go to the other by one OpenFlow rule; megaflows are off unless asked, so
 * each new flow is one datapath flow and its first packet one upcall; the neighbours are static,
 * so every upcall is one of the packets a test sends.
 */
import type { Lab } from './lab.ts';
import { OvsSwitch } from './ovs.ts';

export const ADDRS = { v4: ['10.230.0.1', '10.230.0.2'], v6: ['fd00:230::1', 'fd00:230::2'] } as const;

export function switched(lab: Lab, o: { megaflows?: boolean } = {}) {
  const [a, sw, b] = [lab.netns('a'), lab.netns('sw'), lab.netns('b')];
  const la = lab.veth(a, 'eth0', sw, 'pa');
  const lb = lab.veth(b, 'eth0', sw, 'pb');
  for (const [ns, i] of [[a, 0], [b, 1]] as const) {
    ns.addr('eth0', `${ADDRS.v4[i]}/24`);
    ns.addr('eth0', `${ADDRS.v6[i]}/64`);
  }
  // Permanent neighbours: no ARP or neighbour discovery, so every upcall is one of the test's packets.
  for (const f of ['v4', 'v6'] as const) {
    a.neigh('eth0', ADDRS[f][1], lb.aMac);
    b.neigh('eth0', ADDRS[f][0], la.aMac);
  }
  const ovs = OvsSwitch.start(sw);
  try {
    ovs.bridge('nstbr0', ['pa', 'pb'], [['pa', 'pb'], ['pb', 'pa']]);
    if (!o.megaflows) ovs.appctl('upcall/disable-megaflows');
  } catch (e) {
    ovs.stop();
    throw e;
  }
  return { a, sw, b, ovs, macs: { a: la.aMac, b: lb.aMac } };
}

/**
 * A VM with no hypervisor, for the tun and vm-network tools: a TAP in a "host" namespace whose reader
 * is a relay (agents/taprelay.py) copying frames to and from a second TAP, the guest's NIC, in a
 * "guest" namespace. The relay can stop reading (the TAP's ring fills and drops) or read slowly
 * (packets dwell in the ring), and says when it read each frame.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { agentPath } from './agents.ts';
import type { Lab, Netns } from './lab.ts';

/** The host's TAP (ring of `ring` packets) and the guest's NIC, addressed v4 and v6. */
export function tapVm(lab: Lab, ring: number, o: { multiQueue?: boolean } = {}) {
  const host = lab.netns('h');
  const guest = lab.netns('g');
  const h = lab.tap(host, 'tap0', { txqueuelen: ring, multiQueue: o.multiQueue });
  const g = lab.tap(guest, 'geth0');
  const addrs = { host: { v4: '10.204.0.1', v6: 'fd00:204::1' }, guest: { v4: '10.204.0.2', v6: 'fd00:204::2' } };
  for (const [ns, dev, self, peer, peerMac] of [
    [host, 'tap0', addrs.host, addrs.guest, g.mac],
    [guest, 'geth0', addrs.guest, addrs.host, h.mac],
  ] as const) {
    ns.addr(dev, `${self.v4}/24`);
    ns.addr(dev, `${self.v6}/64`);
    ns.neigh(dev, peer.v4, peerMac);
    ns.neigh(dev, peer.v6, peerMac);
  }
  // The host's own IPv6 upkeep (MLD reports and solicitations, sent again when a reader attaches
  // and the carrier comes up) would sit in the ring beside the test's packets: it stops before
  // the TAP (neighbours are static).
  host.nft(`table inet nstquiet { chain out { type filter hook output priority 0; icmpv6 type { mld-listener-report, mld2-listener-report, nd-router-solicit, nd-neighbor-solicit } drop; }; }`);
  return { host, guest, addrs };
}

/**
 * A VM on a bridge: the host namespace's bridge br0 joins the VM's TAP (tap0, ring of `ring`
 * packets, read by a TapRelay from the guest's geth0) and the physical interface phy0, a veth to a
 * peer namespace (peth0) standing for the network beyond. No addresses in the host: it only
 * bridges. The guest and the peer are addressed v4 and v6, with static neighbours, and send
 * nothing but UDP (their output is filtered), so every frame on the path is a test's. With
 * `{ bridge: false }` tap0 and phy0 are left for another switch to join (an Open vSwitch bridge).
 */
export function bridgedVm(lab: Lab, ring: number, o: { bridge?: boolean } = {}) {
  const host = lab.netns('h');
  const guest = lab.netns('g');
  const peer = lab.netns('p');
  host.exec('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  lab.tap(host, 'tap0', { txqueuelen: ring });
  const g = lab.tap(guest, 'geth0');
  const { bMac: peerMac } = lab.veth(host, 'phy0', peer, 'peth0');
  if (o.bridge !== false) {
    lab.bridge(host, 'br0');
    for (const dev of ['tap0', 'phy0']) host.ip('link', 'set', dev, 'master', 'br0');
  }
  const addrs = { guest: { v4: '10.206.0.2', v6: 'fd00:206::2' }, peer: { v4: '10.206.0.3', v6: 'fd00:206::3' } };
  for (const [ns, dev, self, other, otherMac] of [
    [guest, 'geth0', addrs.guest, addrs.peer, peerMac],
    [peer, 'peth0', addrs.peer, addrs.guest, g.mac],
  ] as const) {
    ns.addr(dev, `${self.v4}/24`);
    ns.addr(dev, `${self.v6}/64`);
    ns.neigh(dev, other.v4, otherMac);
    ns.neigh(dev, other.v6, otherMac);
    // Only the tests' UDP: no IPv6 upkeep, no ICMP errors for datagrams to closed ports, no IGMP.
    ns.nft(`table inet nstquiet { chain out { type filter hook output priority 0; policy drop; meta l4proto udp accept; }; }`);
  }
  // The host only bridges: it sends nothing of its own.
  host.nft(`table inet nstquiet { chain out { type filter hook output priority 0; policy drop; }; }`);
  return { host, guest, peer, addrs };
}

export class TapRelay implements AsyncDisposable {
  private readonly lines: AsyncIterator<string>;
  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(host: Netns, guest: Netns, o: { sleepMs?: number; paused?: boolean; queues?: number } = {}): Promise<TapRelay> {
    const spec = { host_ns: host.name, host_tap: 'tap0', guest_ns: guest.name, guest_tap: 'geth0', sleep_ms: o.sleepMs ?? 0, paused: o.paused ?? false, queues: o.queues ?? 1 };
    const r = new TapRelay(spawn('python3', [agentPath('taprelay.py'), JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] }));
    const ready = await r.next();
    if (ready.ready !== true) throw new Error(`taprelay did not start: ${JSON.stringify(ready)}`);
    return r;
  }

  async next(): Promise<Record<string, unknown>> {
    const l = await this.lines.next();
    if (l.done) throw new Error('taprelay exited');
    return JSON.parse(l.value) as Record<string, unknown>;
  }

  async command(c: string): Promise<{ to_guest: number; to_host: number; reads_ns: number[][] }> {
    this.child.stdin.write(`${c}\n`);
    return (await this.next()) as { to_guest: number; to_host: number; reads_ns: number[][] };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** The TAP's own counters (tx_packets counts the packets its reader took). */
export const tapStats = (ns: Netns, dev = 'tap0'): { packets: number; dropped: number } => ns.linkStats(dev).tx;


/**
 * vhost-net with no VM: a TAP in a namespace whose reader is the real vhost-net worker, driven by
 * agents/vhost-guest.c playing the guest's virtio-net driver (its RX and TX virtqueues in the
 * agent's own memory). Needs /dev/vhost-net: the guest tier's kernels have it, this host does not.
 * The agent's counters (kicks it wrote, buffers it posted, used entries it reaped, call signals it
 * received) are the truth the vhost and tun tools are checked against.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { agentPath } from './agents.ts';
import type { Lab, Netns } from './lab.ts';

export interface QueueCounts {
  kicks: number;
  posted: number;
  used: number;
  signals: number;
}

export interface DriverStats {
  rx: QueueCounts & { bytes: number; ring_free: number };
  tx: QueueCounts;
  refill: boolean;
}

/** vhost-net and TAP devices, their modules loaded where they are modules: a reason when not. */
export function vhostNetAvailable(): true | string {
  for (const m of ['tun', 'vhost_net']) {
    try {
      execFileSync('modprobe', [m], { stdio: 'ignore' });
    } catch {
      // built in, or missing: the devices say which
    }
  }
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun (the kernel has no tun module)';
  return existsSync('/dev/vhost-net') ? true : 'no /dev/vhost-net (the kernel has no vhost_net module): run in the guest tier';
}

/** The agent, compiled once per source version. */
function agentBinary(): string {
  const src = agentPath('vhost-guest.c');
  const bin = `/tmp/nst-vhost-guest-${createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12)}`;
  if (!existsSync(bin)) execFileSync('cc', ['-O2', '-Wall', '-o', bin, src], { stdio: 'inherit' });
  return bin;
}

/** Addresses of the "VM" behind the TAP and of the namespace it talks to. */
export const VHOST_NET = { host: '10.205.0.1', vm: '10.205.0.2', vmMac: '02:4e:53:00:05:02' };

export class VhostDriver implements AsyncDisposable {
  private readonly lines: AsyncIterator<string>;
  readonly pid: number;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    lines: AsyncIterator<string>,
    ready: { pid: number },
    /** The namespace with the TAP (the "host" side). */
    readonly ns: Netns,
    readonly tap: string,
    readonly tapMac: string,
  ) {
    this.lines = lines;
    this.pid = ready.pid;
  }

  /** A TAP `tap` (ring of `ring` packets) in a new namespace of `lab`, and the agent attached to it. */
  static async start(lab: Lab, o: { tap?: string; ring?: number; queueSize?: number; rxBuffers?: number; eventIdx?: boolean; noInterrupt?: boolean } = {}): Promise<VhostDriver> {
    const devices = vhostNetAvailable();
    if (devices !== true) throw new Error(`vhost-guest: ${devices}`);
    const ns = lab.netns('vh');
    const tap = o.tap ?? 'vnet0';
    // Only the tests' packets go to the "VM": no IPv6 upkeep (neighbour discovery, MLD), and no
    // ICMP errors for the datagrams the "VM" sends to a closed port.
    ns.exec('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    const { mac } = lab.tap(ns, tap, { vnetHdr: true, txqueuelen: o.ring });
    ns.addr(tap, `${VHOST_NET.host}/24`);
    ns.neigh(tap, VHOST_NET.vm, VHOST_NET.vmMac);
    ns.nft(`table inet nstvhost { chain out { type filter hook output priority 0; oifname "${tap}" meta l4proto icmp drop; }; }`);
    const args = [
      tap,
      ...(o.queueSize ? ['--queue-size', String(o.queueSize)] : []),
      ...(o.rxBuffers ? ['--rx-buffers', String(o.rxBuffers)] : []),
      ...(o.eventIdx ? ['--event-idx'] : []),
      ...(o.noInterrupt ? ['--no-interrupt'] : []),
    ];
    const child = spawn('ip', ['netns', 'exec', ns.name, agentBinary(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error(`vhost-guest did not start: ${stderr.trim()}`);
    const ready = JSON.parse(first.value) as { ready: boolean; pid: number };
    return new VhostDriver(child, lines, ready, ns, tap, mac);
  }

  private async command(line: string): Promise<DriverStats> {
    this.child.stdin.write(`${line}\n`);
    const r = await this.lines.next();
    if (r.done) throw new Error(`vhost-guest exited on "${line}"`);
    return JSON.parse(r.value) as DriverStats;
  }

  stats(): Promise<DriverStats> {
    return this.command('stats');
  }

  refill(on: boolean): Promise<DriverStats> {
    return this.command(`refill ${on ? 'on' : 'off'}`);
  }

  /** Waits until the agent's counts pass `done` (or the time is up), and gives them. */
  async until(done: (s: DriverStats) => boolean, timeoutMs = 20_000): Promise<DriverStats> {
    const end = performance.now() + timeoutMs;
    let s = await this.stats();
    while (!done(s) && performance.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
      s = await this.stats();
    }
    return s;
  }

  /** Waits until the agent has reaped `n` RX buffers. */
  rxUsed(n: number): Promise<DriverStats> {
    return this.until((s) => s.rx.used >= n);
  }

  /** The "VM" sends `count` UDP datagrams (16 bytes each) to the namespace's port `dport`, with a
   * kick per datagram, or (`batch`) one kick once all are on the TX ring. */
  send(count: number, dport = 9, o: { batch?: boolean } = {}): Promise<DriverStats> {
    return this.command(`${o.batch ? 'txbatch' : 'tx'} ${count} ${udpFrame(this.tapMac, VHOST_NET.vmMac, VHOST_NET.vm, VHOST_NET.host, dport)}`);
  }

  async quit(): Promise<DriverStats> {
    const s = await this.command('quit');
    await new Promise((r) => (this.child.exitCode === null ? this.child.once('exit', r) : r(null)));
    return s;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** An Ethernet frame with an IPv4/UDP datagram of 16 bytes, as hex. */
function udpFrame(dstMac: string, srcMac: string, src: string, dst: string, dport: number): string {
  const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, '0');
  const ip4 = (a: string) => a.split('.').map((x) => hex(Number(x), 1)).join('');
  const payload = '6e'.repeat(16);
  const udp = hex(10000, 2) + hex(dport, 2) + hex(8 + 16, 2) + '0000' + payload;
  const head = '4500' + hex(20 + 8 + 16, 2) + '0000' + '4000' + '40' + '11' + '0000' + ip4(src) + ip4(dst);
  let sum = head.match(/.{4}/g)!.reduce((a, w) => a + parseInt(w, 16), 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  const ipv4 = head.slice(0, 20) + hex(~sum & 0xffff, 2) + head.slice(24);
  return dstMac.split(':').join('') + srcMac.split(':').join('') + '0800' + ipv4 + udp;
}

/**
 * Labs in network namespaces, with clean-up guaranteed: on destroy, on `await using`, on process
 * exit and signals, and by sweeping labs a crashed run left behind (recognised by their prefix).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { run } from './exec.ts';

export const LAB_PREFIX = 'nstlab';

/** Each live lab's owning process, so a sweep never takes a lab another run is still using. */
const OWNERS = '/run/netstrata-labs';

function ownerAlive(id: string): boolean {
  try {
    const pid = Number(readFileSync(`${OWNERS}/${id}`, 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Netns {
  constructor(
    readonly lab: Lab,
    readonly name: string,
  ) {}

  get path(): string {
    return `/run/netns/${this.name}`;
  }

  /** The namespace inode, as tools report it and as --netns accepts it. */
  get inode(): number {
    return statSync(this.path).ino;
  }

  /** Runs a command inside the namespace. */
  exec(cmd: string, args: readonly string[], opts: { input?: string; allowFail?: boolean } = {}): string {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  ip(...args: string[]): string {
    return run('ip', ['-n', this.name, ...args]);
  }

  sysctl(key: string, value: string | number): void {
    this.exec('sysctl', ['-qw', `${key}=${value}`]);
  }

  /** Loads an nftables ruleset (nft -f syntax) into this namespace. */
  nft(script: string): void {
    this.exec('nft', ['-f', '-'], { input: script });
  }

  tc(...args: string[]): string {
    return this.exec('tc', args);
  }

  addr(dev: string, cidr: string): void {
    this.ip('addr', 'add', cidr, 'dev', dev, ...(cidr.includes(':') ? ['nodad'] : []));
  }

  up(dev: string): void {
    this.ip('link', 'set', dev, 'up');
  }

  route(...args: string[]): void {
    this.ip(...(args[0]?.includes(':') || args.includes('-6') ? ['-6'] : []), 'route', 'add', ...args.filter((a) => a !== '-6'));
  }

  /** A device's own counters (ip -s link), each way. */
  linkStats(dev: string): { rx: { packets: number; dropped: number }; tx: { packets: number; dropped: number } } {
    return (JSON.parse(this.ip('-s', '-j', 'link', 'show', 'dev', dev)) as { stats64: { rx: { packets: number; dropped: number }; tx: { packets: number; dropped: number } } }[])[0]!.stats64;
  }

  /** A permanent neighbour entry, so no ARP/ND traffic (and no drops of it) muddies a count. */
  neigh(dev: string, address: string, mac: string): void {
    this.ip('neigh', 'replace', address, 'lladdr', mac, 'dev', dev, 'nud', 'permanent');
  }
}

const live = new Set<Lab>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const cleanAll = () => {
    for (const lab of live) lab.destroy();
  };
  process.on('exit', cleanAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanAll();
      process.kill(process.pid, sig);
    });
  }
}

export class Lab {
  readonly id: string;
  private readonly namespaces: Netns[] = [];
  private destroyed = false;
  private macs = 0;

  private constructor(id: string) {
    this.id = id;
  }

  /** `prefix`: a long-running lab (the soak) takes its own, so sweepStaleLabs leaves it alone. */
  static create(prefix: string = LAB_PREFIX): Lab {
    hookExit();
    // Short ids: namespace names are free-form, but device names derived from them must fit 15 chars.
    const lab = new Lab(`${prefix}${randomBytes(3).toString('hex')}`);
    mkdirSync(OWNERS, { recursive: true });
    writeFileSync(`${OWNERS}/${lab.id}`, String(process.pid));
    live.add(lab);
    return lab;
  }

  /** The lab's namespaces, in the order they were made. */
  get nets(): readonly Netns[] {
    return this.namespaces;
  }

  netns(name: string): Netns {
    const ns = new Netns(this, `${this.id}-${name}`);
    run('ip', ['netns', 'add', ns.name]);
    this.namespaces.push(ns);
    ns.up('lo');
    // Router solicitations and MLD reports would add IPv6 multicast drops to every count.
    ns.sysctl('net.ipv6.conf.all.accept_ra', 0);
    ns.sysctl('net.ipv6.conf.default.accept_ra', 0);
    ns.sysctl('net.ipv6.conf.default.router_solicitations', 0);
    ns.sysctl('net.ipv6.conf.all.router_solicitations', 0);
    ns.sysctl('net.ipv6.conf.default.mldv2_unsolicited_report_interval', 0);
    ns.sysctl('net.ipv6.conf.default.mldv1_unsolicited_report_interval', 0);
    // Duplicate address detection probes from link-local addresses are dropped by the peer too.
    ns.sysctl('net.ipv6.conf.all.accept_dad', 0);
    ns.sysctl('net.ipv6.conf.default.accept_dad', 0);
    return ns;
  }

  /** A MAC address unique within the lab (locally administered). */
  mac(): string {
    this.macs++;
    return `02:4e:53:00:${(this.macs >> 8).toString(16).padStart(2, '0')}:${(this.macs & 0xff).toString(16).padStart(2, '0')}`;
  }

  /** A veth pair created directly inside the two namespaces (never in the host's). */
  veth(a: Netns, aDev: string, b: Netns, bDev: string, opts: { mtu?: number; txqueuelen?: number } = {}): { aMac: string; bMac: string } {
    const aMac = this.mac();
    const bMac = this.mac();
    // Created under names no namespace has, then renamed: before Linux 6.2 or so the kernel checks a
    // new device's name against the caller's namespace too, where eth0 may well exist.
    const tmp = `nst${randomBytes(4).toString('hex')}`;
    run('ip', ['link', 'add', `${tmp}a`, 'netns', a.name, 'address', aMac, 'type', 'veth', 'peer', 'name', `${tmp}b`, 'netns', b.name, 'address', bMac]);
    a.ip('link', 'set', 'dev', `${tmp}a`, 'name', aDev);
    b.ip('link', 'set', 'dev', `${tmp}b`, 'name', bDev);
    for (const [ns, dev] of [[a, aDev], [b, bDev]] as const) {
      if (opts.mtu) ns.ip('link', 'set', dev, 'mtu', String(opts.mtu));
      if (opts.txqueuelen) ns.ip('link', 'set', dev, 'txqueuelen', String(opts.txqueuelen));
      ns.up(dev);
    }
    return { aMac, bMac };
  }

  /** A TAP device in a namespace, with no reader yet (a process attaches by name: TUNSETIFF). Its
   * ring holds `txqueuelen` packets once a reader attaches. */
  tap(ns: Netns, name: string, opts: { txqueuelen?: number; vnetHdr?: boolean; multiQueue?: boolean } = {}): { mac: string } {
    const mac = this.mac();
    ns.ip('tuntap', 'add', 'dev', name, 'mode', 'tap', ...(opts.vnetHdr ? ['vnet_hdr'] : []), ...(opts.multiQueue ? ['multi_queue'] : []));
    ns.ip('link', 'set', name, 'address', mac);
    if (opts.txqueuelen) ns.ip('link', 'set', name, 'txqueuelen', String(opts.txqueuelen));
    ns.up(name);
    return { mac };
  }

  bridge(ns: Netns, name: string): void {
    ns.ip('link', 'add', name, 'type', 'bridge');
    ns.up(name);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const ns of this.namespaces.reverse()) run('ip', ['netns', 'del', ns.name], { allowFail: true });
    rmSync(`${OWNERS}/${this.id}`, { force: true });
  }

  [Symbol.dispose](): void {
    this.destroy();
  }
}

/** A lab's id from one of its namespaces' names: the prefix and the 6 hex digits after it. */
const labId = (netns: string, prefix: string) => netns.slice(0, prefix.length + 6);

/**
 * Deletes namespaces of labs that a crashed run left behind: labs of `prefix` whose owning process
 * is gone (a lab of a run still going, such as another test file's, stays).
 */
export function sweepStaleLabs(prefix: string = LAB_PREFIX): string[] {
  const names = run('ip', ['netns', 'list'], { allowFail: true })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(prefix) && !ownerAlive(labId(n, prefix)));
  for (const n of names) run('ip', ['netns', 'del', n], { allowFail: true });
  for (const id of new Set(names.map((n) => labId(n, prefix)))) rmSync(`${OWNERS}/${id}`, { force: true });
  return names;
}

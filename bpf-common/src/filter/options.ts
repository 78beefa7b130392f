/**
 * The packet filter every tool shares: yargs options, one zod schema, resolution of names to
 * kernel identities, and the 72-byte `struct nst_filter` the BPF side reads as rodata.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import type { Argv } from 'yargs';
import { z } from 'zod';
import { UsageError } from '../cli/errors.ts';
import { num } from '../cli/options.ts';
import { parsePrefix, type Prefix } from './address.ts';
import { bytes, struct } from '../layout/struct.ts';

export function withFilterOptions<T>(y: Argv<T>) {
  return withFlowFilterOptions(y).option('interface', { type: 'string', describe: 'device name (in --netns if given, else in this namespace)', group: FILTERS });
}

const FILTERS = 'Filters (applied in the kernel):';

/** The packet filters without --interface, for tools whose devices are options of their own. */
export function withFlowFilterOptions<T>(y: Argv<T>) {
  const g = FILTERS;
  return y
    .option('src-ip', { type: 'string', describe: 'source address or prefix (IPv4 or IPv6), e.g. 10.0.0.0/24', group: g })
    .option('dst-ip', { type: 'string', describe: 'destination address or prefix', group: g })
    .option('ip', { type: 'string', describe: 'address or prefix in either direction', group: g })
    .option('src-port', { type: 'number', describe: 'source TCP/UDP port', group: g })
    .option('dst-port', { type: 'number', describe: 'destination TCP/UDP port', group: g })
    .option('port', { type: 'number', describe: 'TCP/UDP port in either direction', group: g })
    .option('protocol', { type: 'string', describe: 'tcp, udp or icmp (icmp matches ICMPv6 too)', group: g })
    .option('netns', { type: 'string', describe: 'network namespace: a name from ip netns, a path such as /proc/PID/ns/net, or an inode number', group: g });
}

/** Only --interface and --netns, for tools that count per device rather than per packet. */
export function withDeviceFilterOptions<T>(y: Argv<T>) {
  const g = 'Filters (applied in the kernel):';
  return y
    .option('interface', { type: 'string', describe: 'device name (in --netns if given, else in this namespace)', group: g })
    .option('netns', { type: 'string', describe: 'network namespace: a name from ip netns, a path such as /proc/PID/ns/net, or an inode number', group: g });
}

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };

function prefix(option: string) {
  return z
    .string()
    .optional()
    .transform((v, ctx): Prefix | undefined => {
      if (v === undefined) return undefined;
      const p = parsePrefix(v.trim());
      if ('error' in p) {
        ctx.addIssue({ code: 'custom', message: `--${option}: '${v}' ${p.error}` });
        return z.NEVER;
      }
      return p;
    });
}

const port = (option: string) => num(option, { int: true, min: 1, max: 65535 }).optional();

export const filterSchema = z
  .object({
    srcIp: prefix('src-ip'),
    dstIp: prefix('dst-ip'),
    ip: prefix('ip'),
    srcPort: port('src-port'),
    dstPort: port('dst-port'),
    port: port('port'),
    protocol: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return undefined;
        const p = PROTOCOLS[v.toLowerCase()];
        if (p === undefined) {
          ctx.addIssue({ code: 'custom', message: `--protocol: '${v}' is not one of tcp, udp, icmp` });
          return z.NEVER;
        }
        return p;
      }),
    interface: z
      .string()
      .optional()
      .refine((v) => v === undefined || (v.length > 0 && v.length < 16 && !/[\s/]/.test(v)), {
        message: '--interface: not a valid device name',
      }),
    netns: z.string().optional(),
  });

export type FilterOptions = z.infer<typeof filterSchema>;

export const deviceFilterSchema = filterSchema.pick({ interface: true, netns: true });
export const flowFilterSchema = filterSchema.omit({ interface: true });

/** Checks that need the options together. */
export function checkFilter(f: Partial<FilterOptions>): void {
  const fams = new Set([f.srcIp, f.dstIp, f.ip].filter((p): p is Prefix => !!p).map((p) => p.family));
  if (fams.size > 1) throw new UsageError('--src-ip/--dst-ip/--ip: mix IPv4 and IPv6; one family per run');
  if ((f.srcPort || f.dstPort || f.port) && f.protocol === 1) {
    throw new UsageError('--protocol icmp: ICMP has no ports; drop --src-port/--dst-port/--port');
  }
}

export interface ResolvedFilter {
  options: Partial<FilterOptions>;
  family: 0 | 4 | 6;
  ifindex: number;
  netns: number;
  /** The namespace the filter resolved, for display. */
  netnsLabel?: string;
  /** A path that enters that namespace, when one is known (a name, a path, or this namespace). */
  netnsPath?: string;
}

/** Namespace option → inode and a path to enter it, or a usage error naming --netns. */
export function resolveNetns(spec: string): { inode: number; path?: string } {
  if (/^\d+$/.test(spec)) {
    const inode = Number(spec);
    if (!inode) throw new UsageError(`--netns: '${spec}' is not a namespace inode`);
    const path = findNetnsPath(inode);
    if (!path && !netnsInodeExists(inode)) throw new UsageError(`--netns: no network namespace has inode ${inode}`);
    return { inode, path };
  }
  const path = spec.includes('/') ? spec : `/run/netns/${spec}`;
  if (!existsSync(path)) throw new UsageError(`--netns: no network namespace '${spec}' (not in ip netns list, not a path)`);
  const st = statSync(path);
  return { inode: st.ino, path };
}

function findNetnsPath(inode: number): string | undefined {
  try {
    for (const name of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n')) {
      const n = name.split(' ')[0];
      if (n && statSync(`/run/netns/${n}`).ino === inode) return `/run/netns/${n}`;
    }
  } catch {
    // No named namespaces: the inode still filters, but an interface name cannot be looked up.
  }
  return undefined;
}

/**
 * Whether a network namespace with this inode exists: one a process is in, one a process holds
 * open, or one bind-mounted anywhere (an nsfs mount, as `ip netns add` makes).
 */
export function netnsInodeExists(inode: number): boolean {
  const label = `net:[${inode}]`;
  try {
    if (readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[3] === label)) return true;
  } catch {
    /* no mountinfo: look at processes */
  }
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) === label) return true;
    } catch {
      continue; // gone, or not ours to read
    }
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === label) return true;
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return false;
}

/** ifindex of a device in a namespace (this one when no path is given); errors name `option`. */
export function resolveInterface(name: string, netnsPath?: string, netnsSpec?: string, option = '--interface'): number {
  if (!netnsPath) {
    const file = `/sys/class/net/${name}/ifindex`;
    if (!existsSync(file)) throw new UsageError(`${option}: no device '${name}' in this network namespace`);
    return Number(readFileSync(file, 'utf8').trim());
  }
  // sysfs shows the namespace it was mounted in, not ours: ask netlink inside the namespace.
  try {
    const out = execFileSync('nsenter', [`--net=${netnsPath}`, 'ip', '-j', 'link', 'show', 'dev', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const idx = (JSON.parse(out) as { ifindex: number }[])[0]?.ifindex;
    if (idx) return idx;
  } catch {
    /* not there */
  }
  throw new UsageError(`${option}: no device '${name}' in network namespace ${netnsSpec ?? netnsPath}`);
}

/** Devices given by name or index, comma-separated: their ifindexes, each
 * checked to exist in the namespace (this one when no path is given); errors name `option`. */
export function resolveInterfaces(specs: readonly string[], option: string, netnsPath?: string, netnsSpec?: string): { name: string; ifindex: number }[] {
  const names = specs.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new UsageError(`${option}: give at least one device name or index`);
  const byIndex = (): Map<number, string> => {
    const [cmd, args] = netnsPath ? ['nsenter', [`--net=${netnsPath}`, 'ip', '-j', 'link', 'show']] : ['ip', ['-j', 'link', 'show']];
    const out = execFileSync(cmd as string, args as string[], { encoding: 'utf8' });
    return new Map((JSON.parse(out) as { ifindex: number; ifname: string }[]).map((l) => [l.ifindex, l.ifname]));
  };
  let links: Map<number, string> | undefined;
  const seen = new Set<number>();
  return names.map((n) => {
    let r: { name: string; ifindex: number };
    if (/^\d+$/.test(n)) {
      const name = (links ??= byIndex()).get(Number(n));
      if (name === undefined) throw new UsageError(`${option}: no device with index ${n} in ${netnsSpec ? `network namespace ${netnsSpec}` : 'this network namespace'}`);
      r = { name, ifindex: Number(n) };
    } else {
      r = { name: n, ifindex: resolveInterface(n, netnsPath, netnsSpec, option) };
    }
    if (seen.has(r.ifindex)) throw new UsageError(`${option}: ${n} is given twice`);
    seen.add(r.ifindex);
    return r;
  });
}

/** A network namespace and a path that enters it. */
export interface NetnsRef {
  inode: number;
  path: string;
}

/**
 * Every network namespace of the host that a path can enter: this one, the named ones (ip netns),
 * and those of running processes, each once.
 */
export function networkNamespaces(): NetnsRef[] {
  const byInode = new Map<number, string>([[currentNetns(), '/proc/self/ns/net']]);
  let named: string[] = [];
  try {
    named = readdirSync('/run/netns');
  } catch {
    /* no named namespaces */
  }
  for (const n of named) {
    try {
      const ino = statSync(`/run/netns/${n}`).ino;
      if (!byInode.has(ino)) byInode.set(ino, `/run/netns/${n}`);
    } catch {
      /* deleted meanwhile */
    }
  }
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
      if (m && !byInode.has(Number(m[1]))) byInode.set(Number(m[1]), `/proc/${pid}/ns/net`);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return [...byInode].map(([inode, path]) => ({ inode, path }));
}

export function currentNetns(): number {
  return statSync('/proc/self/ns/net').ino;
}

/** Resolves names to kernel identities; all failures are usage errors, before anything loads. */
export function resolveFilter(f: Partial<FilterOptions>): ResolvedFilter {
  checkFilter(f);
  let netns = 0;
  let path: string | undefined;
  if (f.netns !== undefined) {
    const r = resolveNetns(f.netns);
    netns = r.inode;
    path = r.path;
  }
  let ifindex = 0;
  if (f.interface !== undefined) {
    if (f.netns !== undefined && !path) throw new UsageError(`--interface: cannot look up '${f.interface}' in namespace inode ${f.netns}; give --netns as a name or path`);
    ifindex = resolveInterface(f.interface, path, f.netns);
    // An ifindex is only unique inside its namespace.
    if (!netns) netns = currentNetns();
  }
  const fam = f.srcIp?.family ?? f.dstIp?.family ?? f.ip?.family ?? 0;
  const netnsPath = path ?? (netns && netns === currentNetns() ? '/proc/self/ns/net' : undefined);
  return { options: f, family: fam, ifindex, netns, netnsLabel: f.netns, netnsPath };
}

/** struct nst_filter (bpf/include/netstrata/filter_types.h): the `targ_filter` rodata. */
export const nstFilter = struct('nst_filter', {
  saddr: bytes(16),
  daddr: bytes(16),
  addr: bytes(16),
  family: 'u8',
  saddr_plen: 'u8',
  daddr_plen: 'u8',
  addr_plen: 'u8',
  protocol: 'u8',
  _pad0: bytes(3),
  sport: 'u16',
  dport: 'u16',
  port: 'u16',
  _pad1: 'u16',
  ifindex: 'u32',
  netns: 'u32',
});

export const FILTER_SIZE = nstFilter.size;

const AF_INET = 2;
const AF_INET6 = 10;

/** The filter as the kernel reads it; zero is off everywhere. */
export function encodeFilter(r: ResolvedFilter): Uint8Array {
  const f = r.options;
  return nstFilter.encode({
    saddr: f.srcIp?.bytes,
    daddr: f.dstIp?.bytes,
    addr: f.ip?.bytes,
    family: r.family === 4 ? AF_INET : r.family === 6 ? AF_INET6 : 0,
    saddr_plen: f.srcIp?.plen ?? 0,
    daddr_plen: f.dstIp?.plen ?? 0,
    addr_plen: f.ip?.plen ?? 0,
    protocol: f.protocol ?? 0,
    sport: f.srcPort ?? 0,
    dport: f.dstPort ?? 0,
    port: f.port ?? 0,
    ifindex: r.ifindex,
    netns: r.netns,
  });
}

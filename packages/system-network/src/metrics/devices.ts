/**
 * Per-device packets, bytes and errors: what the kernel already counts for every device (the
 * statistics `ip -s link` shows), read once per interval from each network namespace instead of
 * counted per packet in BPF. The figures are the device's own, so they are exactly what the
 * device's counters moved.
 */
import { execFileSync } from 'node:child_process';
import { networkNamespaces, type NetnsRef, type ResolvedFilter } from '@netstrata/bpf-common';
import { conntrackScript, parseConntrack, type ConntrackRow } from '../conntrack/stats.ts';
import { parseQdiscs, type QdiscRow } from './qdiscs.ts';

export const COUNTERS = ['rx_packets', 'rx_bytes', 'tx_packets', 'tx_bytes', 'tx_errors'] as const;
export type Counter = (typeof COUNTERS)[number];

export interface DeviceRow extends Record<Counter, number> {
  name: string;
  ifindex: number;
  netns: number;
}

/** The namespaces the filter selects: the one given (--netns, or this one with --interface), or
 * every namespace of the host. */
export function namespacesOf(filter: ResolvedFilter): NetnsRef[] {
  if (!filter.netns) return networkNamespaces();
  if (filter.netnsPath) return [{ inode: filter.netns, path: filter.netnsPath }];
  // Given as an inode number with no name: a process in it gives a path in.
  return networkNamespaces().filter((n) => n.inode === filter.netns);
}

interface IpLink {
  ifindex: number;
  ifname: string;
  stats64?: { rx: { bytes: number; packets: number }; tx: { bytes: number; packets: number; errors: number; dropped: number } };
}

/** What one namespace's kernel counts, read at once. */
export interface NamespaceReading {
  devices: DeviceRow[];
  qdiscs: QdiscRow[];
  conntrack: ConntrackRow[];
}

const SEP = '@@netstrata@@';
/** One process per namespace per reading, entered into the namespace (the sysctls and /proc/net
 * it reads are the namespace's own): links, qdiscs, then conntrack where the kernel has it. */
const SCRIPT = [
  'ip -s -j link show',
  `echo ${SEP}`,
  'tc -s -j qdisc show 2>/dev/null',
  `echo ${SEP}`,
  ...conntrackScript(SEP),
  'true',
].join('; ');

/** The devices, qdiscs and conntrack of one namespace, counters since each was created (netlink
 * through ip(8) and tc(8), and procfs, entered into the namespace). A namespace gone meanwhile
 * has none. */
export function readNamespace(ns: NetnsRef): NamespaceReading {
  let out: string;
  try {
    const cmd = ns.path === '/proc/self/ns/net' ? ['sh', '-c', SCRIPT] : ['nsenter', `--net=${ns.path}`, 'sh', '-c', SCRIPT];
    out = execFileSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return { devices: [], qdiscs: [], conntrack: [] };
  }
  return parseNamespace(out, ns.inode);
}

/** The script's output as a reading (pure). */
export function parseNamespace(out: string, netns: number): NamespaceReading {
  const [links = '', qdiscs = '', stat = '', count = '', max = ''] = out.split(`${SEP}\n`);
  const devices = parseLinks(links, netns);
  const ifindex = new Map(devices.map((d) => [d.name, d.ifindex]));
  const ct = parseConntrack(stat, count, max, netns);
  return { devices, qdiscs: parseQdiscs(qdiscs, netns, (d) => ifindex.get(d)), conntrack: ct ? [ct] : [] };
}

/** `ip -s -j link show` as device rows (pure). tx_errors: what the device refused or could not
 * send (errors and drops on transmit). */
export function parseLinks(json: string, netns: number): DeviceRow[] {
  const links = JSON.parse(json.trim() || '[]') as IpLink[];
  return links
    .filter((l) => l.stats64)
    .map((l) => ({
      name: l.ifname,
      ifindex: l.ifindex,
      netns,
      rx_packets: l.stats64!.rx.packets,
      rx_bytes: l.stats64!.rx.bytes,
      tx_packets: l.stats64!.tx.packets,
      tx_bytes: l.stats64!.tx.bytes,
      tx_errors: l.stats64!.tx.errors + l.stats64!.tx.dropped,
    }));
}

/** Every selected device, its qdiscs and its namespace's conntrack now, counters since each
 * was created. */
export function readSelected(filter: ResolvedFilter): NamespaceReading {
  const all = namespacesOf(filter).map(readNamespace);
  const dev = <T extends { ifindex: number }>(rows: T[]) => (filter.ifindex ? rows.filter((r) => r.ifindex === filter.ifindex) : rows);
  return {
    devices: dev(all.flatMap((r) => r.devices)),
    qdiscs: dev(all.flatMap((r) => r.qdiscs)),
    conntrack: all.flatMap((r) => r.conntrack),
  };
}

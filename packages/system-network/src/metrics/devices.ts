/**
 * Per-device packets, bytes and errors: what the kernel already counts for every device (the
 * statistics `ip -s link` shows), read once per interval from each network namespace instead of
 * counted per packet in BPF. The figures are the device's own, so they are exactly what the
 * device's counters moved.
 */
import { execFileSync } from 'node:child_process';
import { networkNamespaces, type NetnsRef, type ResolvedFilter } from '@netstrata/bpf-common';

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

/** The devices of one namespace and their counters since they were created (netlink, through
 * ip(8) entered into the namespace). A namespace gone meanwhile has none. */
export function readDevices(ns: NetnsRef): DeviceRow[] {
  let out: string;
  try {
    const cmd = ns.path === '/proc/self/ns/net' ? ['ip', '-s', '-j', 'link', 'show'] : ['nsenter', `--net=${ns.path}`, 'ip', '-s', '-j', 'link', 'show'];
    out = execFileSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  return parseLinks(out, ns.inode);
}

/** `ip -s -j link show` as device rows (pure). tx_errors: what the device refused or could not
 * send (errors and drops on transmit). */
export function parseLinks(json: string, netns: number): DeviceRow[] {
  const links = JSON.parse(json || '[]') as IpLink[];
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

/** Every selected device now, counters since it was created. */
export function readSelected(filter: ResolvedFilter): DeviceRow[] {
  const rows = namespacesOf(filter).flatMap(readDevices);
  return filter.ifindex ? rows.filter((r) => r.ifindex === filter.ifindex) : rows;
}

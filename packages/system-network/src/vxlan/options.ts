/** vxlan_summary's options: the namespace and the VXLAN devices to follow, checked before anything
 * loads; the namespaces each reading enters. */
import { execFileSync } from 'node:child_process';
import { UsageError, currentNetns, encodeFilter, networkNamespaces, resolveInterfaces, resolveNetns, type NetnsRef } from '@netstrata/bpf-common';
import type { Argv } from 'yargs';
import { z } from 'zod';

export function withVxlanOptions<T>(y: Argv<T>) {
  const g = 'Filters:';
  return y
    .option('netns', { type: 'string', describe: 'network namespace: a name from ip netns, a path such as /proc/PID/ns/net, or an inode number (default: every namespace of the host)', group: g })
    .option('device', { type: 'string', describe: 'only these VXLAN devices, by name or index, comma separated (in --netns if given, else in this namespace), and drops on their UDP ports', group: g });
}

export const vxlanSchema = {
  netns: z.string().optional(),
  device: z.string().optional(),
};

export interface VxlanOptions {
  netns?: string;
  device?: string;
}

export interface Selection {
  /** The namespace followed (0: every namespace). */
  netns: number;
  /** The namespaces each reading enters; undefined: every namespace of the host, found again at each reading. */
  namespaces: NetnsRef[] | undefined;
  /** --device: the devices followed, by namespace and index. */
  devices: { netns: number; ifindex: number; name: string }[] | undefined;
}

const resolved = new WeakMap<object, Selection>();

/** The options resolved against the running system, once per run; usage errors name the option. */
export function vxlanSelection(o: VxlanOptions): Selection {
  let s = resolved.get(o);
  if (!s) resolved.set(o, (s = resolve(o)));
  return s;
}

/** A device's link kind (`ip -d link`: vxlan, veth, bridge...), or '' for a plain device. */
function linkKind(ifindex: number, netnsPath: string | undefined): string {
  const args = ['-d', '-j', 'link', 'show'];
  const [cmd, argv] = netnsPath ? ['nsenter', [`--net=${netnsPath}`, 'ip', ...args]] : ['ip', args];
  const links = JSON.parse(execFileSync(cmd as string, argv as string[], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { ifindex: number; linkinfo?: { info_kind?: string } }[];
  return links.find((l) => l.ifindex === ifindex)?.linkinfo?.info_kind ?? '';
}

function resolve(o: VxlanOptions): Selection {
  const ns = o.netns === undefined ? undefined : resolveNetns(o.netns);
  if (o.device === undefined) {
    if (!ns) return { netns: 0, namespaces: undefined, devices: undefined };
    // Given as an inode with no name: a process in it gives a path in.
    const path = ns.path ?? networkNamespaces().find((n) => n.inode === ns.inode)?.path;
    if (!path) throw new UsageError(`--netns: cannot enter namespace inode ${o.netns} to read its devices; give it as a name or path`);
    return { netns: ns.inode, namespaces: [{ inode: ns.inode, path }], devices: undefined };
  }
  if (ns && !ns.path) throw new UsageError(`--device: cannot look up devices in namespace inode ${o.netns}; give --netns as a name or path`);
  const path = ns?.path;
  const inode = ns?.inode ?? currentNetns();
  const devices = resolveInterfaces([o.device], '--device', path, o.netns).map((d) => {
    const kind = linkKind(d.ifindex, path);
    if (kind !== 'vxlan') throw new UsageError(`--device: ${d.name} is not a VXLAN device (${kind ? `its kind is ${kind}` : 'it has no link kind'})`);
    return { netns: inode, ifindex: d.ifindex, name: d.name };
  });
  return { netns: inode, namespaces: [{ inode, path: path ?? '/proc/self/ns/net' }], devices };
}

/** The namespaces to read now. */
export const namespacesNow = (s: Selection): NetnsRef[] => s.namespaces ?? networkNamespaces();

/** targ_filter: the namespace only (drops are few; the rest is sorted out by the user side). */
export const filterRodata = (s: Selection): Uint8Array => encodeFilter({ options: {}, family: 0, ifindex: 0, netns: s.netns });

/**
 * The VXLAN devices of the selected namespaces and what the kernel counts for each: packets sent
 * into the tunnel and out of it, the device's drops and errors (rtnetlink link statistics), its
 * configuration (IFLA_VXLAN_* attributes), and per VNI where the device filters VNIs (the tunnel
 * dump `bridge -s vni show` reads). One process per namespace per reading, entered into the
 * namespace: nothing is counted per packet.
 */
import { execFileSync } from 'node:child_process';
import type { NetnsRef } from '@netstrata/bpf-common';

/** What the kernel counts for a device, or for one VNI of a device that filters VNIs. */
export interface VxlanCounters {
  /** Packets sent into the tunnel: encapsulated (tx packets of the device). */
  tx_packets: number;
  /** Packets that came out of the tunnel: decapsulated (rx packets of the device). */
  rx_packets: number;
  tx_dropped: number;
  tx_errors: number;
  rx_dropped: number;
  rx_errors: number;
}

export const COUNTER_NAMES = ['tx_packets', 'rx_packets', 'tx_dropped', 'tx_errors', 'rx_dropped', 'rx_errors'] as const satisfies readonly (keyof VxlanCounters)[];

export interface VxlanConfig {
  /** The remote VTEP of the default destination (`remote`), or the multicast group (`group`). */
  remote: string | null;
  group: string | null;
  local: string | null;
  /** UDP destination port (`dstport`). */
  port: number | null;
  learning: boolean | null;
  /** Flow-based (collect_md): the VNI and remote of each frame come from its tunnel metadata. */
  external: boolean;
  /** The device serves a list of VNIs (`bridge vni`), counted per VNI. */
  vnifilter: boolean;
  /** The outer IPv4 header's DF bit: `set`, `unset` or `inherit` (null where ip(8) does not say). */
  df: string | null;
  /** The underlay device (`dev`). */
  link: string | null;
}

export interface VxlanDevice {
  netns: number;
  ifindex: number;
  name: string;
  /** The device's VNI (`id`); null for an external device. */
  vni: number | null;
  up: boolean;
  mtu: number;
  config: VxlanConfig;
  counters: VxlanCounters;
  /** The VNIs of a device with vnifilter, each with its own counters. */
  vnis: { vni: number; counters: VxlanCounters }[];
}

/** One namespace: its VXLAN devices and the names of all its devices (underlays), by index. */
export interface NamespaceDevices {
  netns: number;
  devices: VxlanDevice[];
  names: Map<number, string>;
}

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu?: number;
  flags?: string[];
  operstate?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  stats64?: {
    rx: { packets: number; errors: number; dropped: number };
    tx: { packets: number; errors: number; dropped: number };
  };
}

const SEP = '@@netstrata-vxlan@@';
/** Links with their details and statistics, then the VNI filters with their statistics (a kernel or
 * ip(8) without `bridge vni` prints nothing there). */
const SCRIPT = ['ip -s -d -j link show', `echo ${SEP}`, 'bridge -s -j vni show 2>/dev/null', 'true'].join('; ');

/** One namespace's VXLAN devices now; a namespace gone meanwhile has none. */
export function readNamespaceDevices(ns: NetnsRef): NamespaceDevices {
  let out: string;
  try {
    const cmd = ns.path === '/proc/self/ns/net' ? ['sh', '-c', SCRIPT] : ['nsenter', `--net=${ns.path}`, 'sh', '-c', SCRIPT];
    out = execFileSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return { netns: ns.inode, devices: [], names: new Map() };
  }
  return parseNamespaceDevices(out, ns.inode);
}

/** The script's output (pure). */
export function parseNamespaceDevices(out: string, netns: number): NamespaceDevices {
  const [links = '', vnis = ''] = out.split(`${SEP}\n`);
  const all = parseJson<IpLink[]>(links) ?? [];
  const perVni = parseVnis(vnis);
  const names = new Map(all.map((l) => [l.ifindex, l.ifname]));
  const devices = all.filter((l) => l.linkinfo?.info_kind === 'vxlan').map((l) => toDevice(l, netns, perVni.get(l.ifname) ?? []));
  return { netns, devices, names };
}

function parseJson<T>(text: string): T | undefined {
  const t = text.trim();
  if (!t) return undefined;
  try {
    return JSON.parse(t) as T;
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

function toDevice(l: IpLink, netns: number, vnis: VxlanDevice['vnis']): VxlanDevice {
  const d = l.linkinfo?.info_data ?? {};
  const external = d.external === true;
  const s = l.stats64;
  return {
    netns,
    ifindex: l.ifindex,
    name: l.ifname,
    vni: external ? null : num(d.id),
    up: (l.flags ?? []).includes('UP'),
    mtu: l.mtu ?? 0,
    config: {
      remote: str(d.remote) ?? str(d.remote6),
      group: str(d.group) ?? str(d.group6),
      local: str(d.local) ?? str(d.local6),
      port: num(d.port),
      learning: typeof d.learning === 'boolean' ? d.learning : null,
      external,
      vnifilter: d.vnifilter === true,
      df: str(d.df),
      link: str(d.link),
    },
    counters: {
      tx_packets: s?.tx.packets ?? 0,
      rx_packets: s?.rx.packets ?? 0,
      tx_dropped: s?.tx.dropped ?? 0,
      tx_errors: s?.tx.errors ?? 0,
      rx_dropped: s?.rx.dropped ?? 0,
      rx_errors: s?.rx.errors ?? 0,
    },
    vnis,
  };
}

interface BridgeVni {
  vni: number;
  vniEnd?: number;
  stats?: Partial<Record<'rx_pkts' | 'rx_drops' | 'rx_errors' | 'tx_pkts' | 'tx_drops' | 'tx_errors', number>>;
}

/** `bridge -s -j vni show`: each device's VNIs with their counters, by device name (pure). A
 * range of VNIs shares one entry in the kernel; it is reported at its first VNI. */
export function parseVnis(json: string): Map<string, VxlanDevice['vnis']> {
  const out = new Map<string, VxlanDevice['vnis']>();
  const devs = parseJson<{ ifname: string; vnis?: BridgeVni[] }[]>(json) ?? [];
  for (const d of devs) {
    const list = (d.vnis ?? []).map((v) => ({
      vni: v.vni,
      counters: {
        tx_packets: v.stats?.tx_pkts ?? 0,
        rx_packets: v.stats?.rx_pkts ?? 0,
        tx_dropped: v.stats?.tx_drops ?? 0,
        tx_errors: v.stats?.tx_errors ?? 0,
        rx_dropped: v.stats?.rx_drops ?? 0,
        rx_errors: v.stats?.rx_errors ?? 0,
      },
    }));
    out.set(d.ifname, [...(out.get(d.ifname) ?? []), ...list]);
  }
  return out;
}

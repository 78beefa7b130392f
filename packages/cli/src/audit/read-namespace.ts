/**
 * Reads what the namespace rules judge, in the network namespace this process is in: its devices
 * (sysfs, ethtool), its sysctls, routes and counters. For another namespace the audit runs this in
 * a child entered into it, with a sysfs of that namespace (command.ts).
 */
import { parseCpuMask } from './cpus.ts';
import { got, unread, type Conntrack, type Device, type Feature, type NamespaceFacts, type Reading, type Rings, type Route, type RoutingRule, type RxQueue, type TxQueue } from './facts.ts';
import type { Source } from './source.ts';

const NET = '/sys/class/net';

/** A reading turned into another by `f`; a value `f` cannot make sense of is unread, with why. */
export function mapReading<T, U>(r: Reading<T>, f: (v: T) => U | undefined, what = 'unexpected contents'): Reading<U> {
  if (!r.ok) return r;
  const v = f(r.value);
  return v === undefined ? unread(r.from, what) : got(r.from, v);
}

function int(text: string): number | undefined {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) return Number(t);
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t, 16);
  return undefined;
}

export function readInt(src: Source, path: string): Reading<number> {
  return mapReading(src.read(path), int, 'not a number');
}

const IFF_TUN = 0x0001;
const IFF_TAP = 0x0002;

/** The interrupts of a bus device: its MSI vectors, or its legacy line; a virtio device's are its
 * PCI function's (one level up). */
export function busIrqs(src: Source, dev: string): Reading<number[]> {
  for (const d of [dev, parentOf(dev)]) {
    const msi = src.list(`${d}/msi_irqs`);
    if (msi.ok) return got(msi.from, msi.value.map(Number).filter(Number.isInteger).sort((a, b) => a - b));
  }
  for (const d of [dev, parentOf(dev)]) {
    const irq = src.read(`${d}/irq`);
    if (irq.ok) return mapReading(irq, (t) => (int(t) ? [int(t)!] : []));
  }
  return got(`${dev}/msi_irqs`, []);
}

const parentOf = (p: string) => p.replace(/\/[^/]+$/, '');

function numaNode(src: Source, dev: string): Reading<number> {
  const own = readInt(src, `${dev}/numa_node`);
  if (own.ok || own.reason !== 'no such file') return own;
  return readInt(src, `${parentOf(dev)}/numa_node`);
}

/** `ethtool -g`: the two sections, maximums and current, RX and TX. */
export function parseRings(text: string): Rings | undefined {
  const max = /Pre-set maximums:([\s\S]*?)(?:Current hardware settings:|$)/.exec(text)?.[1];
  const cur = /Current hardware settings:([\s\S]*)$/.exec(text)?.[1];
  if (max === undefined || cur === undefined) return undefined;
  const field = (section: string, name: string) => {
    const m = new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(section);
    return m && /^\d+$/.test(m[1]!) ? Number(m[1]) : undefined;
  };
  return { rx: field(cur, 'RX'), rxMax: field(max, 'RX'), tx: field(cur, 'TX'), txMax: field(max, 'TX') };
}

/** `ethtool -k`: every feature line, sub-features included. */
export function parseFeatures(text: string): Record<string, Feature> | undefined {
  const out: Record<string, Feature> = {};
  for (const l of text.split('\n')) {
    const m = /^\s*([a-z0-9-]+): (on|off)( \[(?:fixed|requested on|requested off)\])?/.exec(l);
    if (m) out[m[1]!] = { on: m[2] === 'on', fixed: m[3]?.includes('fixed') ?? false };
  }
  return Object.keys(out).length ? out : undefined;
}

function rings(src: Source, name: string): Reading<Rings | null> {
  const r = src.run('ethtool', ['-g', name]);
  // A virtual device without ring parameters: nothing to read, not a failure.
  if (!r.ok && /not supported/i.test(r.reason)) return got(r.from, null);
  return mapReading(r, parseRings, 'unexpected ethtool -g output');
}

function readDevice(src: Source, name: string, kinds: Reading<Map<string, string | null>>): Device {
  const base = `${NET}/${name}`;
  const flags = readInt(src, `${base}/tun_flags`);
  const tun = flags.ok ? (flags.value & IFF_TAP ? 'tap' : flags.value & IFF_TUN ? 'tun' : undefined) : undefined;
  let bus: Device['bus'];
  if (src.exists(`${base}/device`)) {
    const path = src.realpath(`${base}/device`);
    const p = path.ok ? path.value : `${base}/device`;
    bus = { path: p, numaNode: numaNode(src, p), irqs: busIrqs(src, p) };
  }
  const queues = src.list(`${base}/queues`);
  const rxQueues = mapReading(queues, (qs) =>
    qs.filter((q) => q.startsWith('rx-')).sort(byIndex).map((q): RxQueue => ({ name: q, rps: mapReading(src.read(`${base}/queues/${q}/rps_cpus`), parseCpuMask, 'not a CPU mask') })),
  );
  const txQueues = mapReading(queues, (qs) =>
    qs.filter((q) => q.startsWith('tx-')).sort(byIndex).map((q): TxQueue => ({ name: q, xps: mapReading(src.read(`${base}/queues/${q}/xps_cpus`), parseCpuMask, 'not a CPU mask') })),
  );
  const stats = ['rx_missed_errors', 'rx_fifo_errors', 'rx_over_errors'].map((s) => readInt(src, `${base}/statistics/${s}`));
  const failed = stats.find((s) => !s.ok);
  const rxNoRoom: Reading<number> = failed ?? got(`${base}/statistics/rx_{missed,fifo,over}_errors`, stats.reduce((t, s) => t + (s.ok ? s.value : 0), 0));
  return {
    name,
    ifindex: (() => {
      const i = readInt(src, `${base}/ifindex`);
      return i.ok ? i.value : 0;
    })(),
    tun,
    kind: mapReading(kinds, (k) => (k.has(name) ? k.get(name)! : undefined), 'not listed by ip link'),
    txqueuelen: readInt(src, `${base}/tx_queue_len`),
    bus,
    rxQueues,
    txQueues,
    napiDeferHardIrqs: readInt(src, `${base}/napi_defer_hard_irqs`),
    groFlushTimeout: readInt(src, `${base}/gro_flush_timeout`),
    rxNoRoom,
    txDropped: readInt(src, `${base}/statistics/tx_dropped`),
    rings: tun ? got(`${base}/tx_queue_len`, null) : rings(src, name),
    features: mapReading(src.run('ethtool', ['-k', name]), parseFeatures, 'unexpected ethtool -k output'),
  };
}

const byIndex = (a: string, b: string) => Number(a.split('-')[1]) - Number(b.split('-')[1]);

/** `ip -d -j link show`: each link's kind (linkinfo.info_kind), null for none. */
export function parseKinds(json: string): Map<string, string | null> | undefined {
  let rows: { ifname?: string; linkinfo?: { info_kind?: string } }[];
  try {
    rows = JSON.parse(json) as typeof rows;
  } catch {
    return undefined;
  }
  if (!Array.isArray(rows)) return undefined;
  return new Map(rows.filter((r) => r.ifname).map((r) => [r.ifname!, r.linkinfo?.info_kind ?? null]));
}

export function readDevices(src: Source): Reading<Device[]> {
  const kinds = mapReading(src.run('ip', ['-d', '-j', 'link', 'show']), parseKinds, 'unexpected ip link output');
  return mapReading(src.list(NET), (names) => names.filter((n) => !n.includes(':') && src.exists(`${NET}/${n}/ifindex`)).map((n) => readDevice(src, n, kinds)));
}

interface IpRoute {
  type?: string;
  dst: string;
  table?: string;
  metric?: number;
  dev?: string;
  gateway?: string;
  nexthops?: { dev?: string; gateway?: string }[];
}

/** `ip -j -4 route show table all`. */
export function parseRoutes(json: string): Route[] | undefined {
  let rows: IpRoute[];
  try {
    rows = JSON.parse(json) as IpRoute[];
  } catch {
    return undefined;
  }
  if (!Array.isArray(rows)) return undefined;
  return rows.map((r) => {
    const devs = r.nexthops ? r.nexthops.map((n) => n.dev).filter((d): d is string => !!d) : r.dev ? [r.dev] : [];
    const table = r.table ?? 'main';
    const type = r.type ?? 'unicast';
    const dst = r.dst === 'default' ? '0.0.0.0/0' : r.dst;
    const via = r.nexthops ? r.nexthops.map((n) => `nexthop${n.gateway ? ` via ${n.gateway}` : ''}${n.dev ? ` dev ${n.dev}` : ''}`).join(' ') : `${r.gateway ? `via ${r.gateway} ` : ''}${r.dev ? `dev ${r.dev}` : ''}`;
    const text = `${type === 'unicast' ? '' : `${type} `}${r.dst} ${via}${r.metric !== undefined ? ` metric ${r.metric}` : ''}${table !== 'main' ? ` table ${table}` : ''}`.replace(/\s+/g, ' ').trim();
    return { dst, table, type, metric: r.metric ?? 0, devs, text };
  });
}

/** `ip -j -4 rule show`. */
export function parseRules(json: string): RoutingRule[] | undefined {
  let rows: Record<string, unknown>[];
  try {
    rows = JSON.parse(json) as Record<string, unknown>[];
  } catch {
    return undefined;
  }
  if (!Array.isArray(rows)) return undefined;
  const plain = new Set(['priority', 'src', 'table', 'flags', 'protocol']);
  return rows.map((r) => {
    // `from all` is src "all"; any other key (dst, iif, oif, fwmark, ipproto, ports, uid...) selects.
    const selective = (r.src !== undefined && r.src !== 'all') || Object.keys(r).some((k) => !plain.has(k));
    const table = String(r.table ?? 'main');
    return { priority: Number(r.priority ?? 0), table, selective, text: `${r.priority}: from ${r.src ?? 'all'}${selective ? ' ...' : ''} lookup ${table}` };
  });
}

/** A TcpExt counter of /proc/net/netstat. */
export function parseNetstat(text: string, group: string, field: string): number | undefined {
  const lines = text.split('\n').filter((l) => l.startsWith(`${group}:`));
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.split(/\s+/);
    const at = names.indexOf(field);
    if (at > 0) return Number(lines[i + 1]!.split(/\s+/)[at]);
  }
  return undefined;
}

/** /proc/net/stat/nf_conntrack summed over CPUs (values in hex). */
export function parseConntrackStat(text: string): Record<string, number> | undefined {
  const [header, ...rows] = text.trim().split('\n');
  if (!header) return undefined;
  const names = header.trim().split(/\s+/);
  const out: Record<string, number> = {};
  for (const row of rows) row.trim().split(/\s+/).forEach((v, i) => (out[names[i]!] = (out[names[i]!] ?? 0) + Number.parseInt(v, 16)));
  return out;
}

function readConntrack(src: Source): Reading<Conntrack | null> {
  const countPath = '/proc/sys/net/netfilter/nf_conntrack_count';
  // Not loaded: the kernel tracks nothing, so there is no table to fill.
  if (!src.exists(countPath)) return got(countPath, null);
  const count = readInt(src, countPath);
  const max = readInt(src, '/proc/sys/net/netfilter/nf_conntrack_max');
  const stat = mapReading(src.read('/proc/net/stat/nf_conntrack'), parseConntrackStat);
  for (const r of [count, max, stat]) if (!r.ok) return r;
  const s = (stat as { value: Record<string, number> }).value;
  return got('/proc/net/stat/nf_conntrack', {
    count: (count as { value: number }).value,
    max: (max as { value: number }).value,
    drop: s.drop ?? 0,
    earlyDrop: s.early_drop ?? 0,
    insertFailed: s.insert_failed ?? 0,
  });
}

export function readNamespaceFacts(src: Source, netns: number): NamespaceFacts {
  const rpFilter: Record<string, Reading<number>> = {};
  const conf = src.list('/proc/sys/net/ipv4/conf');
  if (conf.ok) for (const d of conf.value) rpFilter[d] = mapReading(readInt(src, `/proc/sys/net/ipv4/conf/${d}/rp_filter`), (v) => v, 'not a number');
  else rpFilter.all = unread(conf.from, conf.reason);
  // Named as the sysctl, which is how the docs and fixes speak of them.
  for (const [d, r] of Object.entries(rpFilter)) rpFilter[d] = { ...r, from: `net.ipv4.conf.${d}.rp_filter` };
  return {
    netns,
    devices: readDevices(src),
    rpFilter,
    routes: mapReading(src.run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']), parseRoutes, 'unexpected ip route output'),
    rules: mapReading(src.run('ip', ['-j', '-4', 'rule', 'show']), parseRules, 'unexpected ip rule output'),
    rpFilterDrops: { ...mapReading(src.read('/proc/net/netstat'), (t) => parseNetstat(t, 'TcpExt', 'IPReversePathFilter'), 'no IPReversePathFilter counter'), from: '/proc/net/netstat: TcpExt IPReversePathFilter' },
    conntrack: readConntrack(src),
  };
}

/**
 * vxlan_summary records: per VXLAN device and VNI, what the kernel counted (packets encapsulated and
 * decapsulated, the device's drops and errors) beside the drops the program saw, with their reasons.
 * Pure functions of the readings.
 */
import { spanHeading, textTable, type SummaryEnvelope } from '@netstrata/bpf-common';
import { COUNTER_NAMES, type NamespaceDevices, type VxlanConfig, type VxlanCounters, type VxlanDevice } from './devices.ts';
import type { DropEntry, DropKey, Direction } from './layout.ts';

export interface Location {
  symbol: string;
  offset: number;
  address: string;
}

export interface DropReasonCount {
  /** `tx`: on its way into the tunnel or out of the host once encapsulated; `rx`: arrived, dropped
   * before or while it was decapsulated. */
  direction: Direction;
  reason: string;
  reason_code: number;
  location: Location | null;
  /** The device the skb was on when it was not the VXLAN device (an outer packet on its underlay). */
  underlay: string | null;
  /** The remote VTEP: the outer source of a packet received, the outer destination of one sent;
   * null where the packet had no outer header yet. */
  peer: string | null;
  count: number;
}

export interface DeviceDrops {
  tx_dropped: number;
  tx_errors: number;
  rx_dropped: number;
  rx_errors: number;
}

export interface VxlanRow {
  netns: number;
  /** The VXLAN device; null for drops no device of the namespace took (a VNI none serves, a port
   * none listens on). */
  device: string | null;
  ifindex: number | null;
  /** null: every VNI of a device in external mode (the kernel counts them together), or not known. */
  vni: number | null;
  /** UDP destination port: the device's, or the drops' outer one. */
  port: number | null;
  config: VxlanConfig | null;
  /** Packets sent into the tunnel, as the device (or the VNI's filter entry) counted them; null
   * where the kernel does not count this row (a VNI of an external device). */
  encapsulated: number | null;
  /** Packets that came out of the tunnel. */
  decapsulated: number | null;
  /** The kernel's own drop and error counters for the row (`ip -s link`, or `bridge -s vni`). */
  device_drops: DeviceDrops | null;
  /** Drops the program saw (skb:kfree_skb), by direction and reason. */
  drops: { total: number; tx: number; rx: number; by_reason: DropReasonCount[] };
}

export interface VxlanFields {
  /** VXLAN devices in the selected namespaces. */
  devices: number;
  totals: { encapsulated: number; decapsulated: number; device_drops: DeviceDrops; drops: { total: number; tx: number; rx: number } };
  rows: VxlanRow[];
  more_rows: number;
}

export type VxlanRecord = SummaryEnvelope & VxlanFields;

export interface Names {
  reason(code: number): string;
  location(addr: bigint): { symbol: string; offset: number } | undefined;
}

/** A counter row's identity: a device, and a VNI of a device that counts per VNI. */
export const counterKey = (netns: number, ifindex: number, vni: number | null) => `${netns}/${ifindex}/${vni ?? '*'}`;

/** Every counter row of the readings, by counterKey: the device's own, and one per filtered VNI. */
export function counterRows(namespaces: readonly NamespaceDevices[]): Map<string, VxlanCounters> {
  const out = new Map<string, VxlanCounters>();
  for (const ns of namespaces) {
    for (const d of ns.devices) {
      out.set(counterKey(d.netns, d.ifindex, null), d.counters);
      for (const v of d.vnis) out.set(counterKey(d.netns, d.ifindex, v.vni), v.counters);
    }
  }
  return out;
}

export const zeroCounters = (): VxlanCounters => ({ tx_packets: 0, rx_packets: 0, tx_dropped: 0, tx_errors: 0, rx_dropped: 0, rx_errors: 0 });

/** now - before, counter by counter; a counter that went back (a device made again) counts from 0. */
export function counterDelta(now: VxlanCounters, before: VxlanCounters | undefined): VxlanCounters {
  const out = zeroCounters();
  for (const k of COUNTER_NAMES) {
    const b = before?.[k] ?? 0;
    out[k] = now[k] >= b ? now[k] - b : now[k];
  }
  return out;
}

export function addCounters(a: VxlanCounters, b: VxlanCounters): VxlanCounters {
  const out = zeroCounters();
  for (const k of COUNTER_NAMES) out[k] = a[k] + b[k];
  return out;
}

/**
 * The kernel's counters as intervals and totals: each reading is compared with the one before; a
 * row first seen after the start counts from 0 (a device, or a VNI, made since). Totals add up the
 * intervals, so a device deleted meanwhile keeps what it counted.
 */
export class CounterTotals {
  private last = new Map<string, VxlanCounters>();
  private readonly totals = new Map<string, VxlanCounters>();

  /** The reading "since start" counts from. */
  constructor(baseline: Map<string, VxlanCounters>) {
    this.last = new Map(baseline);
  }

  /** This interval's counts by row, and the totals since start. */
  update(now: Map<string, VxlanCounters>): { interval: Map<string, VxlanCounters>; total: Map<string, VxlanCounters> } {
    const interval = new Map<string, VxlanCounters>();
    for (const [k, c] of now) {
      const d = counterDelta(c, this.last.get(k));
      interval.set(k, d);
      this.totals.set(k, addCounters(this.totals.get(k) ?? zeroCounters(), d));
    }
    this.last = new Map(now);
    return { interval, total: new Map(this.totals) };
  }
}

const deviceDrops = (c: VxlanCounters): DeviceDrops => ({ tx_dropped: c.tx_dropped, tx_errors: c.tx_errors, rx_dropped: c.rx_dropped, rx_errors: c.rx_errors });

/** Whether device `d` serves VNI `vni` on port `port` (the device a packet to them was for). */
function serves(d: VxlanDevice, vni: number | undefined, port: number | undefined): boolean {
  if (port !== undefined && d.config.port !== null && d.config.port !== port) return false;
  if (d.config.external && !d.config.vnifilter) return true;
  if (vni === undefined) return true;
  if (d.config.vnifilter) return d.vnis.some((v) => v.vni === vni);
  return d.vni === vni;
}

/** The row a drop belongs to: its device (the VXLAN device it was on, or the one that serves its
 * VNI and port), and the VNI. */
function dropRow(k: DropKey, ns: NamespaceDevices | undefined): { device: VxlanDevice | undefined; vni: number | null } {
  const devs = ns?.devices ?? [];
  if (k.onDevice) {
    const d = devs.find((x) => x.ifindex === k.ifindex);
    // A frame with no VNI of its own is the device's (a device in external mode: every VNI).
    return { device: d, vni: k.vni ?? (d && !d.config.external && !d.config.vnifilter ? d.vni : null) };
  }
  const d = devs.find((x) => serves(x, k.vni, k.port));
  return { device: d, vni: k.vni ?? (d && !d.config.external && !d.config.vnifilter ? d.vni : null) };
}

export interface RowInput {
  namespaces: readonly NamespaceDevices[];
  /** Counter rows for this report (an interval's, or the totals), by counterKey. */
  counters: Map<string, VxlanCounters>;
  drops: readonly DropEntry[];
  /** --device: only these devices (by namespace and index), and drops on their ports. */
  only?: readonly { netns: number; ifindex: number }[];
}

const emptyDrops = (): VxlanRow['drops'] => ({ total: 0, tx: 0, rx: 0, by_reason: [] });

/** Rows per device and VNI, in most trouble first, then the busiest. */
export function vxlanRows(input: RowInput, names: Names): VxlanRow[] {
  const byNs = new Map(input.namespaces.map((n) => [n.netns, n]));
  const selected = (netns: number, ifindex: number) => !input.only || input.only.some((o) => o.netns === netns && o.ifindex === ifindex);
  const selectedPorts = input.only
    ? new Set(input.only.map((o) => byNs.get(o.netns)?.devices.find((d) => d.ifindex === o.ifindex)).filter((d): d is VxlanDevice => !!d).map((d) => `${d.netns}/${d.config.port}`))
    : undefined;
  const rows = new Map<string, VxlanRow>();
  const row = (id: string, make: () => VxlanRow) => {
    let r = rows.get(id);
    if (!r) rows.set(id, (r = make()));
    return r;
  };
  const deviceRow = (d: VxlanDevice, vni: number | null, counted: boolean): VxlanRow => {
    const c = counted ? input.counters.get(counterKey(d.netns, d.ifindex, d.config.vnifilter ? vni : null)) : undefined;
    return {
      netns: d.netns,
      device: d.name,
      ifindex: d.ifindex,
      vni,
      port: d.config.port,
      config: d.config,
      encapsulated: c ? c.tx_packets : null,
      decapsulated: c ? c.rx_packets : null,
      device_drops: c ? deviceDrops(c) : null,
      drops: emptyDrops(),
    };
  };
  for (const ns of input.namespaces) {
    for (const d of ns.devices) {
      if (!selected(d.netns, d.ifindex)) continue;
      if (d.config.vnifilter) for (const v of d.vnis) row(`${d.netns}/${d.ifindex}/${v.vni}`, () => deviceRow(d, v.vni, true));
      else row(`${d.netns}/${d.ifindex}/${d.vni ?? '*'}`, () => deviceRow(d, d.vni, true));
    }
  }
  for (const { key: k, count } of input.drops) {
    if (!count) continue;
    const ns = byNs.get(k.netns);
    const { device, vni } = dropRow(k, ns);
    let r: VxlanRow;
    if (device) {
      if (!selected(device.netns, device.ifindex)) continue;
      // The device's own row where the kernel counts this VNI; else a row of drops alone.
      const counted = device.config.vnifilter ? device.vnis.some((v) => v.vni === vni) : vni === device.vni;
      r = row(`${device.netns}/${device.ifindex}/${vni ?? '*'}`, () => deviceRow(device, vni, counted));
    } else {
      if (selectedPorts && !selectedPorts.has(`${k.netns}/${k.port}`)) continue;
      r = row(`${k.netns}/-/${k.port ?? '-'}/${vni ?? '*'}`, () => ({
        netns: k.netns,
        device: null,
        ifindex: null,
        vni,
        port: k.port ?? null,
        config: null,
        encapsulated: null,
        decapsulated: null,
        device_drops: null,
        drops: emptyDrops(),
      }));
    }
    r.drops.total += count;
    r.drops[k.direction] += count;
    const loc = names.location(k.location);
    const underlay = k.onDevice ? null : (ns?.names.get(k.ifindex) ?? `if${k.ifindex}`);
    const entry: DropReasonCount = {
      direction: k.direction,
      reason: names.reason(k.reason),
      reason_code: k.reason,
      location: k.location ? { symbol: loc?.symbol ?? '?', offset: loc?.offset ?? 0, address: `0x${k.location.toString(16)}` } : null,
      underlay,
      peer: k.peer ?? null,
      count,
    };
    // Rows of one reason at one location from one peer add up (keys differ by what is not shown).
    const same = r.drops.by_reason.find((e) => e.direction === entry.direction && e.reason_code === entry.reason_code && e.location?.address === entry.location?.address && e.underlay === entry.underlay && e.peer === entry.peer);
    if (same) same.count += count;
    else r.drops.by_reason.push(entry);
  }
  for (const r of rows.values()) r.drops.by_reason.sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  const trouble = (r: VxlanRow) => r.drops.total + (r.device_drops ? r.device_drops.tx_dropped + r.device_drops.tx_errors + r.device_drops.rx_dropped + r.device_drops.rx_errors : 0);
  const traffic = (r: VxlanRow) => (r.encapsulated ?? 0) + (r.decapsulated ?? 0);
  return [...rows.values()].sort(
    (a, b) => trouble(b) - trouble(a) || traffic(b) - traffic(a) || (a.device ?? '~').localeCompare(b.device ?? '~') || a.netns - b.netns || (a.vni ?? -1) - (b.vni ?? -1),
  );
}

/** The record's fields: totals over every selected device (the devices' own counters, never a
 * VNI's twice) and the rows, at most `top`. */
export function vxlanFields(input: RowInput, names: Names, top: number): VxlanFields {
  const rows = vxlanRows(input, names);
  const devices = input.namespaces.flatMap((n) => n.devices).filter((d) => !input.only || input.only.some((o) => o.netns === d.netns && o.ifindex === d.ifindex));
  let sum = zeroCounters();
  for (const d of devices) sum = addCounters(sum, input.counters.get(counterKey(d.netns, d.ifindex, null)) ?? zeroCounters());
  const drops = { total: 0, tx: 0, rx: 0 };
  for (const r of rows) {
    drops.total += r.drops.total;
    drops.tx += r.drops.tx;
    drops.rx += r.drops.rx;
  }
  return {
    devices: devices.length,
    totals: { encapsulated: sum.tx_packets, decapsulated: sum.rx_packets, device_drops: deviceDrops(sum), drops },
    rows: rows.slice(0, top),
    more_rows: Math.max(0, rows.length - top),
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const dash = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(v));

function reasonText(e: DropReasonCount): string {
  const at = e.location ? `@${e.location.symbol}` : '';
  const where = [e.underlay ? `on ${e.underlay}` : '', e.peer ? `${e.direction === 'rx' ? 'from' : 'to'} ${e.peer}` : ''].filter(Boolean).join(' ');
  return `${e.direction} ${e.reason}${at} ${e.count}${where ? ` (${where})` : ''}`;
}

/** The totals line, then one line per row; a row's drop reasons under it. */
export function renderVxlanText(rec: VxlanRecord): string {
  const t = rec.totals;
  const dd = t.device_drops;
  const lines = [
    `${spanHeading(rec)}: ${plural(rec.devices, 'VXLAN device')}; ${t.encapsulated} encapsulated, ${t.decapsulated} decapsulated; ` +
      `${plural(t.drops.total, 'drop')} seen (${t.drops.tx} tx, ${t.drops.rx} rx); ` +
      `device counters: tx ${dd.tx_dropped} dropped ${dd.tx_errors} errors, rx ${dd.rx_dropped} dropped ${dd.rx_errors} errors`,
  ];
  if (rec.rows.length) {
    const header = ['DEVICE', 'NETNS', 'VNI', 'PORT', 'REMOTE', 'ENCAP', 'DECAP', 'TX DROP/ERR', 'RX DROP/ERR', 'DROPS SEEN'];
    const body = rec.rows.map((r) => [
      r.device ?? '(none)',
      String(r.netns),
      r.vni === null ? (r.config?.external ? 'any' : '-') : String(r.vni),
      dash(r.port),
      r.config?.remote ?? r.config?.group ?? (r.config?.external ? 'external' : '-'),
      dash(r.encapsulated),
      dash(r.decapsulated),
      r.device_drops ? `${r.device_drops.tx_dropped}/${r.device_drops.tx_errors}` : '-',
      r.device_drops ? `${r.device_drops.rx_dropped}/${r.device_drops.rx_errors}` : '-',
      r.drops.total ? `${r.drops.total} (${r.drops.tx} tx, ${r.drops.rx} rx)` : '-',
    ]);
    const table = textTable(header, body, new Set([0, 4, 9]));
    lines.push(table[0]!);
    rec.rows.forEach((r, i) => {
      lines.push(table[i + 1]!);
      for (const e of r.drops.by_reason) lines.push(`      ${reasonText(e)}`);
    });
    if (rec.more_rows) lines.push(`  ... and ${plural(rec.more_rows, 'more row')} (--top)`);
  }
  return lines.join('\n');
}

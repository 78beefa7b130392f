/** conntrack_summary records: each namespace's table and counters, the packets netfilter dropped by
 * their connection state (per namespace, zone and flow), and the host's sum. Pure. */
import { formatFlow, locationText, spanHeading, textTable, type Flow, type KernelLocation, type SummaryEnvelope } from '@netstrata/bpf-common';
import { CT_STATES, type CtState, type FlowEntry, type StateEntry } from './layout.ts';
import type { Confirmed } from './events.ts';
import { CONNTRACK_COUNTERS, type ConntrackCounter, type ConntrackRow } from './stats.ts';

/** Packets netfilter dropped, by the state of their connection. */
export type StateCounts = Record<CtState, number> & { total: number };

export interface LocationCount {
  /** Where the kernel freed the packets (nf_hook_slow: a hook's verdict, conntrack's own included;
   * nft_do_chain: an nftables rule, on kernels that free there). */
  location: KernelLocation;
  count: number;
}

/** The kernel's conntrack counters' movement (null: this kernel does not count it). */
export type Counters = Record<ConntrackCounter, number | null>;

export interface ZoneConntrack {
  zone: number;
  /** --zones only (absent without it): entries of this zone in the table now, from the dump
   * (null: the namespace's table was not read). */
  entries?: number | null;
  /** Drops of packets whose entry (or template) is in this zone. */
  netfilter_drops: StateCounts;
}

export interface NamespaceConntrack {
  netns: number;
  /** Connections in the table now, its limit, and how full it is (null: no limit, or not readable). */
  entries: number;
  max: number | null;
  fullness_pct: number | null;
  counters: Counters;
  /** --confirmed: connections confirmed (conntrack's NEW events); null without it. */
  confirmed: number | null;
  /** --confirmed: the kernel dropped events for the listener, so `confirmed` is low. */
  confirmed_overrun: boolean;
  /** Packets conntrack dropped because it could not make them an entry (the table full with
   * nothing it could evict early, or no memory): its drop counter less its insert failures. */
  table_full: number | null;
  netfilter_drops: StateCounts & { by_location: LocationCount[] };
  zones: ZoneConntrack[];
}

export interface FlowConntrack {
  /** As the dropped packets travelled. */
  flow: Flow | null;
  netns: number;
  zone: number | null;
  state: CtState;
  drops: number;
}

export interface HostConntrack {
  /** Namespaces whose conntrack is in use (their tables are the rows). */
  namespaces: number;
  entries: number;
  /** The fullest table: its namespace and how full it is. */
  fullest: { netns: number; fullness_pct: number } | null;
  counters: Counters;
  confirmed: number | null;
  confirmed_overrun: boolean;
  table_full: number | null;
  netfilter_drops: StateCounts;
}

export interface ConntrackFields {
  host: HostConntrack;
  namespaces: NamespaceConntrack[];
  flows: FlowConntrack[];
  more_flows: number;
}

export type ConntrackRecord = SummaryEnvelope & ConntrackFields;

export const emptyStates = (): StateCounts => ({ total: 0, none: 0, new: 0, established: 0, related: 0, untracked: 0 });

function addState(s: StateCounts, state: CtState, n: number): void {
  s[state] += n;
  s.total += n;
}

/** drop counts both a refused new entry and an insert that failed: what is left is the refused. */
export function tableFull(c: Counters): number | null {
  return c.drop === null ? null : Math.max(0, c.drop - (c.insert_failed ?? 0));
}

export const fullness = (entries: number, max: number | null): number | null => (max ? Math.round((entries / max) * 1000) / 10 : null);

export interface Tables {
  /** Counters moved in this span (interval or since start), entries and max as read now. */
  rows: readonly ConntrackRow[];
  /** --zones: entries by zone now, by namespace dumped; undefined without --zones (no dump). */
  zones?: ReadonlyMap<number, ReadonlyMap<number, number>>;
  /** --confirmed: entries confirmed in this span, by namespace. */
  confirmed?: ReadonlyMap<number, Confirmed>;
}

export type Symbolize = (address: bigint) => KernelLocation;

/** Each namespace's record: its table and counters, and the drops in it (pure). */
export function namespaceRecords(t: Tables, states: readonly StateEntry[], symbolize: Symbolize): NamespaceConntrack[] {
  const out = new Map<number, NamespaceConntrack>();
  const ns = (netns: number): NamespaceConntrack => {
    let r = out.get(netns);
    if (!r) {
      const counters = Object.fromEntries(CONNTRACK_COUNTERS.map((c) => [c, null])) as Counters;
      const c = t.confirmed?.get(netns);
      r = { netns, entries: 0, max: null, fullness_pct: null, counters, confirmed: c ? c.confirmed : null, confirmed_overrun: c?.overrun ?? false, table_full: null, netfilter_drops: { ...emptyStates(), by_location: [] }, zones: [] };
      out.set(netns, r);
    }
    return r;
  };
  for (const [netns, c] of t.confirmed ?? []) if (c.confirmed || c.overrun) ns(netns);
  for (const row of t.rows) {
    const r = ns(row.netns);
    r.entries = row.entries;
    r.max = row.max;
    r.fullness_pct = fullness(row.entries, row.max);
    for (const c of CONNTRACK_COUNTERS) r.counters[c] = row[c];
    r.table_full = tableFull(r.counters);
    for (const [zone, entries] of t.zones?.get(row.netns) ?? []) r.zones.push({ zone, entries, netfilter_drops: emptyStates() });
  }
  const locations = new Map<string, LocationCount>();
  for (const { key, count } of states) {
    if (!count) continue;
    const r = ns(key.netns);
    addState(r.netfilter_drops, key.state, count);
    if (key.zone !== null) {
      let z = r.zones.find((x) => x.zone === key.zone);
      if (!z) r.zones.push((z = { zone: key.zone, ...(t.zones && { entries: t.zones.has(key.netns) ? 0 : null }), netfilter_drops: emptyStates() }));
      addState(z.netfilter_drops, key.state, count);
    }
    const loc = symbolize(key.location);
    const id = `${key.netns}/${loc.symbol}+${loc.offset}`;
    const l = locations.get(id);
    if (l) l.count += count;
    else {
      const n = { location: loc, count };
      locations.set(id, n);
      r.netfilter_drops.by_location.push(n);
    }
  }
  for (const r of out.values()) {
    r.zones.sort((a, b) => a.zone - b.zone);
    r.netfilter_drops.by_location.sort((a, b) => b.count - a.count);
  }
  // The namespaces in most trouble first, then the fullest.
  const trouble = (r: NamespaceConntrack) => r.netfilter_drops.total + (r.table_full ?? 0) + (r.counters.insert_failed ?? 0);
  return [...out.values()].sort((a, b) => trouble(b) - trouble(a) || (b.fullness_pct ?? 0) - (a.fullness_pct ?? 0) || b.entries - a.entries || a.netns - b.netns);
}

/** The host's line: every namespace's summed (pure). */
export function hostRecord(nss: readonly NamespaceConntrack[]): HostConntrack {
  const counters = Object.fromEntries(CONNTRACK_COUNTERS.map((c) => [c, null])) as Counters;
  const drops = emptyStates();
  let fullest: HostConntrack['fullest'] = null;
  let entries = 0;
  let tables = 0;
  let confirmed: number | null = null;
  let overrun = false;
  for (const r of nss) {
    if (r.max !== null || r.entries || CONNTRACK_COUNTERS.some((c) => r.counters[c] !== null)) tables++;
    entries += r.entries;
    if (r.confirmed !== null) confirmed = (confirmed ?? 0) + r.confirmed;
    overrun ||= r.confirmed_overrun;
    for (const c of CONNTRACK_COUNTERS) if (r.counters[c] !== null) counters[c] = (counters[c] ?? 0) + r.counters[c]!;
    for (const s of CT_STATES) addState(drops, s, r.netfilter_drops[s]);
    if (r.fullness_pct !== null && (!fullest || r.fullness_pct > fullest.fullness_pct)) fullest = { netns: r.netns, fullness_pct: r.fullness_pct };
  }
  return { namespaces: tables, entries, fullest, counters, confirmed, confirmed_overrun: overrun, table_full: tableFull(counters), netfilter_drops: drops };
}

/** Drops by flow, most first (pure). */
export function flowRecords(flows: readonly FlowEntry[]): FlowConntrack[] {
  return flows
    .filter((f) => f.count)
    .map(({ key, count }) => ({ flow: key.flow ?? null, netns: key.netns, zone: key.zone, state: key.state, drops: count }))
    .sort((a, b) => b.drops - a.drops || a.netns - b.netns || (a.flow ? formatFlow(a.flow) : '').localeCompare(b.flow ? formatFlow(b.flow) : ''));
}

const n = (v: number | null) => (v === null ? '-' : String(v));

export function statesText(s: StateCounts): string {
  const parts = CT_STATES.filter((k) => s[k]).map((k) => `${k} ${s[k]}`);
  return parts.length ? parts.join(', ') : '-';
}

/** The host line, the namespace table with each one's zones and drop locations, then the flows. */
export function renderConntrackText(rec: ConntrackRecord): string {
  const h = rec.host;
  const c = h.counters;
  const full = h.fullest ? `; fullest table ${h.fullest.fullness_pct}% (netns ${h.fullest.netns})` : '';
  const lines = [
    `${spanHeading(rec)}: ${h.netfilter_drops.total} netfilter drops${h.netfilter_drops.total ? ` (${statesText(h.netfilter_drops)})` : ''}; ` +
      `conntrack: ${h.confirmed === null ? '' : `${h.confirmed}${h.confirmed_overrun ? '+ (events lost)' : ''} confirmed, `}${n(h.table_full)} table full, ${n(c.invalid)} invalid, ${n(c.insert_failed)} insert failed, ${n(c.early_drop)} early drop, ${n(c.clash_resolve)} clash resolved` +
      `; ${h.entries} entries in ${h.namespaces} ${h.namespaces === 1 ? 'table' : 'tables'}${full}`,
  ];
  if (rec.namespaces.length) {
    // The confirmed column only with --confirmed (the kernel's own insert statistic is not shown: recent kernels print it without counting it).
    const withConfirmed = rec.host.confirmed !== null;
    const header = ['NETNS', 'ENTRIES', 'MAX', 'FULL', ...(withConfirmed ? ['CONFIRMED'] : []), 'INVALID', 'TABLE FULL', 'INS FAILED', 'EARLY DROP', 'CLASH', 'NF DROPS'];
    const body = rec.namespaces.map((r) => [
      String(r.netns),
      String(r.entries),
      n(r.max),
      r.fullness_pct === null ? '-' : `${r.fullness_pct}%`,
      ...(withConfirmed ? [r.confirmed === null ? '-' : `${r.confirmed}${r.confirmed_overrun ? '+' : ''}`] : []),
      n(r.counters.invalid),
      n(r.table_full),
      n(r.counters.insert_failed),
      n(r.counters.early_drop),
      n(r.counters.clash_resolve),
      statesText(r.netfilter_drops),
    ]);
    const table = textTable(header, body, new Set([0, header.length - 1]));
    lines.push(table[0]!);
    rec.namespaces.forEach((r, i) => {
      lines.push(table[i + 1]!);
      for (const z of r.zones) {
        const drops = z.netfilter_drops.total ? `; drops ${statesText(z.netfilter_drops)}` : '';
        lines.push(`      zone ${z.zone}: ${z.entries == null ? '' : `${z.entries} entries`}${drops}`.replace(': ;', ':'));
      }
      if (r.netfilter_drops.by_location.length) lines.push(`      dropped at ${r.netfilter_drops.by_location.map((l) => `${locationText(l.location)} ${l.count}`).join(', ')}`);
    });
  }
  if (rec.flows.length) {
    const body = rec.flows.map((f) => [f.flow ? formatFlow(f.flow) : '?', String(f.netns), f.zone === null ? '-' : String(f.zone), f.state, String(f.drops)]);
    lines.push(...textTable(['FLOW', 'NETNS', 'ZONE', 'STATE', 'DROPS'], body, new Set([0, 3])));
    if (rec.more_flows) lines.push(`  ... and ${rec.more_flows} more flows (--top)`);
  }
  return lines.join('\n');
}

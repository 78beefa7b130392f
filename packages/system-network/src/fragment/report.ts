/** fragment_summary records: reassembly as the kernel counts it, and the fragments it dropped, by
 * kind, reason and datagram. Pure functions of decoded rows. */
import { protocolName, spanHeading, textTable, type SummaryEnvelope } from '@netstrata/bpf-common';
import type { FamilyCounters, ReasmCounters } from './counters.ts';
import { KINDS, freedWithDatagram, kindOf, type Kind } from './kinds.ts';
import type { DropEntry } from './layout.ts';

/** A kernel address, as the output contract shows one: `symbol` is `?` when it has none. */
export interface Location {
  symbol: string;
  offset: number;
  address: string;
}

/** Turns kernel values into names: drop reasons from BTF, locations from kallsyms. */
export interface Names {
  reason(code: number): string;
  location(addr: bigint): { symbol: string; offset: number } | undefined;
}

export interface ReasonCount {
  kind: Kind;
  reason: string;
  reason_code: number;
  /** Where the kernel dropped them (kfree_skb's caller). */
  location: Location;
  fragments: number;
  bytes: number;
}

export interface DatagramDrops {
  /** The reassembly queue's key: addresses, identification (IPv4 16 bits, IPv6 32), protocol. */
  datagram: { src: string; dst: string; id: number; protocol: string };
  /** Namespace inode; null when no fragment of the datagram said (see docs/output-fields.md). */
  netns: number | null;
  /** The kind most of its dropped fragments are of. */
  kind: Kind;
  fragments: number;
  bytes: number;
  /** Of them, the first (offset 0) and the last (no more-fragments flag) fragments. */
  first: number;
  last: number;
  reasons: ReasonCount[];
}

export interface DropTotals {
  fragments: number;
  /** With --netns: fragments dropped whose namespace could not be told (left out of the rest). */
  unattributed: number;
  bytes: number;
  datagrams: number;
  by_kind: Record<Kind, number>;
  by_reason: (ReasonCount & { family: 4 | 6 })[];
}

export interface FragmentFields {
  /** The kernel's reassembly counters (summed over the namespaces watched). */
  kernel: ReasmCounters;
  /** Fragments dropped (skb:kfree_skb). */
  drops: DropTotals;
  datagrams: DatagramDrops[];
  more_datagrams: number;
}

export type FragmentRecord = SummaryEnvelope & FragmentFields;

const datagramId = (k: DropEntry['key']) => `${k.family}/${k.src}/${k.dst}/${k.id}/${k.protocol}`;

/**
 * Rows whose namespace the kernel side could not tell (a fragment the reassembly queue held, freed
 * before any fragment of its datagram that names its device) take the namespace of the other rows
 * of their datagram, when those agree on one.
 */
export function attribute(rows: readonly DropEntry[]): DropEntry[] {
  const known = new Map<string, Set<number>>();
  for (const r of rows) {
    if (!r.key.netns) continue;
    const id = datagramId(r.key);
    let s = known.get(id);
    if (!s) known.set(id, (s = new Set()));
    s.add(r.key.netns);
  }
  return rows.map((r) => {
    if (r.key.netns) return r;
    const s = known.get(datagramId(r.key));
    return s?.size === 1 ? { key: { ...r.key, netns: [...s][0]! }, val: r.val } : r;
  });
}

const zeroKinds = (): Record<Kind, number> => Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;

const byCount = <T extends { fragments: number; reason_code: number; location: Location }>(a: T, b: T) =>
  b.fragments - a.fragments || a.reason_code - b.reason_code || a.location.symbol.localeCompare(b.location.symbol);

/** Drop rows (one interval's, or the totals since start) into the record's drops and datagrams.
 * `netns`: the namespace the tool watches (0: all), whose fragments of an unknown namespace are
 * counted apart as unattributed instead of being shown as its own. */
export function fragmentDrops(rows: readonly DropEntry[], names: Names, top: number, netns = 0): Pick<FragmentFields, 'drops' | 'datagrams' | 'more_datagrams'> {
  const datagrams = new Map<string, DatagramDrops>();
  const reasons = new Map<string, ReasonCount & { family: 4 | 6 }>();
  const drops: DropTotals = { fragments: 0, unattributed: 0, bytes: 0, datagrams: 0, by_kind: zeroKinds(), by_reason: [] };
  const locations = new Map<bigint, Location>();
  const where = (addr: bigint) => {
    let l = locations.get(addr);
    if (!l) {
      const s = names.location(addr);
      l = { symbol: s?.symbol ?? '?', offset: s?.offset ?? 0, address: `0x${addr.toString(16)}` };
      locations.set(addr, l);
    }
    return l;
  };
  for (const { key, val } of attribute(rows)) {
    if (!val.fragments) continue;
    const location = where(key.location);
    const symbol = location.symbol === '?' ? undefined : location.symbol;
    if (freedWithDatagram(symbol)) continue;
    if (netns && !key.netns) {
      drops.unattributed += val.fragments;
      continue;
    }
    const reason = names.reason(key.reason);
    const kind = kindOf(reason, symbol);
    drops.fragments += val.fragments;
    drops.bytes += val.bytes;
    drops.by_kind[kind] += val.fragments;
    const rid = `${key.family}/${key.reason}/${location.symbol === '?' ? location.address : location.symbol}`;
    const hr = reasons.get(rid);
    if (hr) {
      hr.fragments += val.fragments;
      hr.bytes += val.bytes;
    } else {
      reasons.set(rid, { family: key.family, kind, reason, reason_code: key.reason, location, fragments: val.fragments, bytes: val.bytes });
    }
    const did = `${datagramId(key)}/${key.netns}`;
    let d = datagrams.get(did);
    if (!d) {
      d = { datagram: { src: key.src, dst: key.dst, id: key.id, protocol: protocolName(key.protocol) }, netns: key.netns || null, kind, fragments: 0, bytes: 0, first: 0, last: 0, reasons: [] };
      datagrams.set(did, d);
    }
    d.fragments += val.fragments;
    d.bytes += val.bytes;
    d.first += val.first;
    d.last += val.last;
    const same = d.reasons.find((r) => r.reason_code === key.reason && r.location.symbol === location.symbol);
    if (same) {
      same.fragments += val.fragments;
      same.bytes += val.bytes;
    } else {
      d.reasons.push({ kind, reason, reason_code: key.reason, location, fragments: val.fragments, bytes: val.bytes });
    }
  }
  for (const d of datagrams.values()) {
    d.reasons.sort(byCount);
    const perKind = zeroKinds();
    for (const r of d.reasons) perKind[r.kind] += r.fragments;
    // What befell the datagram: its most frequent kind, the queue's purge (a consequence) last.
    d.kind = KINDS.reduce((best, k) => (k !== 'purged' && (best === 'purged' || perKind[k] > perKind[best]) && perKind[k] ? k : best), d.reasons[0]!.kind);
  }
  drops.datagrams = datagrams.size;
  drops.by_reason = [...reasons.values()].sort((a, b) => a.family - b.family || byCount(a, b));
  const sorted = [...datagrams.values()].sort((a, b) => b.fragments - a.fragments || b.bytes - a.bytes || a.datagram.id - b.datagram.id);
  return { drops, datagrams: sorted.slice(0, top), more_datagrams: Math.max(0, sorted.length - top) };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function familyText(name: string, c: FamilyCounters): string {
  const why = [c.timeouts ? `${c.timeouts} timed out` : '', c.overlaps ? plural(c.overlaps, 'overlap') : ''].filter(Boolean);
  return `${name} ${plural(c.fragments, 'fragment')} in, ${c.reassembled} reassembled, ${c.failed} failed${why.length ? ` (${why.join(', ')})` : ''}`;
}

const locationText = (l: Location) => (l.symbol === '?' ? l.address : l.symbol);

/** The host line (the kernel's counters, then the drops by kind), the datagrams, the reasons. */
export function renderFragmentText(rec: FragmentRecord): string {
  const d = rec.drops;
  const kinds = KINDS.filter((k) => d.by_kind[k]).map((k) => `${k} ${d.by_kind[k]}`);
  const lines = [
    `${spanHeading(rec)}: ${familyText('IPv4', rec.kernel.ipv4)}; ${familyText('IPv6', rec.kernel.ipv6)}; ` +
      `${plural(d.fragments, 'fragment')} dropped${kinds.length ? ` (${kinds.join(', ')}) of ${plural(d.datagrams, 'datagram')}` : ''}` +
      `${d.unattributed ? `; ${d.unattributed} more of a namespace not known` : ''}`,
  ];
  if (rec.datagrams.length) {
    const header = ['DATAGRAM', 'ID', 'NETNS', 'KIND', 'DROPPED', 'FIRST', 'LAST', 'REASON (LOCATION) FRAGMENTS'];
    const body = rec.datagrams.map((x) => [
      `${x.datagram.src} -> ${x.datagram.dst} (${x.datagram.protocol})`,
      `0x${x.datagram.id.toString(16)}`,
      x.netns === null ? '?' : String(x.netns),
      x.kind,
      String(x.fragments),
      String(x.first),
      String(x.last),
      x.reasons.map((r) => `${r.reason} (${locationText(r.location)}) ${r.fragments}`).join(', '),
    ]);
    lines.push(...textTable(header, body, new Set([0, 3, 7])));
    if (rec.more_datagrams) lines.push(`  ... and ${rec.more_datagrams} more datagrams (--top)`);
  }
  if (d.by_reason.length > 1 || (d.by_reason.length === 1 && !rec.datagrams.length)) {
    lines.push('  fragments dropped by reason:');
    for (const r of d.by_reason) lines.push(`    IPv${r.family} ${r.kind}: ${r.reason} at ${locationText(r.location)}: ${r.fragments}`);
  }
  return lines.join('\n');
}

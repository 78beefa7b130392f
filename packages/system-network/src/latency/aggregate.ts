/** Stage histograms and packet counters from the kernel's cumulative per-CPU maps. */
import { Deltas, decodeSlots, diffSlots, toHistogram, type Histogram } from '@netstrata/bpf-common';
import { DIRECTIONS, LAT_COUNTERS, LAT_E2E, LAT_STAGES, u32, u64, type Dir } from '../layout.ts';
import { histIndex, stageName } from './stages.ts';

export interface PairRow {
  from: string;
  to: string;
  count: number;
  histogram: Histogram;
}

/** Every packet that starts a session ends in exactly one of completed, segmented, dropped,
 * consumed, timed_out, evicted, or is in flight. */
export interface Packets {
  started: number;
  completed: number;
  segmented: number;
  /** The segments the segmented packets were split into. */
  segments: number;
  dropped: number;
  consumed: number;
  timed_out: number;
  evicted: number;
  in_flight: number;
  untracked: number;
  unstamped: number;
}

export interface DropRow {
  reason: string;
  reason_code: number;
  count: number;
}

export interface DirectionRow {
  direction: Dir;
  pairs: PairRow[];
  end_to_end: PairRow | null;
  packets: Packets;
  drops: DropRow[];
}

/** What the user side knows of the sessions beyond the kernel's counters (sessions.ts). */
export interface SessionState {
  inFlight: Record<Dir, number>;
  timedOut: Record<Dir, number>;
  drops: Record<Dir, DropRow[]>;
}

export interface LatencySnapshot {
  interval: DirectionRow[];
  total: DirectionRow[];
}

type SlotsByIndex = Map<number, bigint[]>;

/** entries: [u32 key bytes, per-CPU copies of struct nst_hist]. */
export function readHists(entries: Iterable<[Uint8Array, Uint8Array[]]>): SlotsByIndex {
  const out: SlotsByIndex = new Map();
  for (const [k, copies] of entries) {
    const slots = decodeSlots(copies);
    if (slots.some((c) => c > 0n)) out.set(u32(k), slots);
  }
  return out;
}

/** entries of the per-CPU `counts` array: sums per (direction, counter). */
export function readCounts(entries: Iterable<[Uint8Array, Uint8Array[]]>): Record<Dir, number[]> {
  const out: Record<Dir, number[]> = { rx: new Array(LAT_COUNTERS).fill(0), tx: new Array(LAT_COUNTERS).fill(0) };
  for (const [k, copies] of entries) {
    const i = u32(k);
    const dir = DIRECTIONS[Math.floor(i / LAT_COUNTERS)];
    if (!dir) continue;
    out[dir][i % LAT_COUNTERS] = copies.reduce((s, b) => s + u64(b), 0);
  }
  return out;
}

function pair(dir: Dir, from: number, to: number, slots: bigint[]): PairRow {
  const histogram = toHistogram(slots, 'us');
  if (from === LAT_E2E && to === LAT_E2E) return { from: 'first', to: 'last', count: histogram.count, histogram };
  return { from: stageName(dir, from), to: stageName(dir, to), count: histogram.count, histogram };
}

/**
 * Packets that started a session end as completed, segmented, dropped, consumed, timed out, still
 * in flight, or lost from the LRU map / socket FIFO: an LRU cannot say when it evicts, so evicted
 * is what remains (never negative). counts are the kernel's (LAT_* in system_network_latency.h).
 */
export function packets(counts: number[], inFlight: number, timedOut = 0): Packets {
  const [started = 0, completed = 0, consumed = 0, untracked = 0, dropped = 0, segmented = 0, unstamped = 0, segments = 0] = counts;
  const ended = completed + segmented + dropped + consumed + timedOut;
  return {
    started,
    completed,
    segmented,
    segments,
    dropped,
    consumed,
    timed_out: timedOut,
    evicted: Math.max(0, started - ended - inFlight),
    in_flight: inFlight,
    untracked,
    unstamped,
  };
}

/** Sessions let go, over the directions: by difference, since start. */
export function evicted(counts: Record<Dir, number[]>, inFlight: Record<Dir, number>, timedOut: Record<Dir, number> = { rx: 0, tx: 0 }): number {
  return DIRECTIONS.reduce((sum, d) => sum + packets(counts[d], inFlight[d], timedOut[d]).evicted, 0);
}

interface Hist {
  index: number;
  slots: bigint[];
}
interface Counts {
  dir: Dir;
  counts: number[];
}

export class LatencyAggregator {
  private readonly hists = new Deltas<Hist>((now, before) => ({ index: now.index, slots: diffSlots(now.slots, before.slots) }), (d) => !d.slots.some((c) => c > 0n));
  private readonly counts = new Deltas<Counts>((now, before) => ({ dir: now.dir, counts: now.counts.map((c, i) => c - (before.counts[i] ?? 0)) }), () => false);
  private readonly dropRows = new Deltas<DropRow & { dir: Dir }>((now, before) => ({ ...now, count: now.count - before.count }), (d) => d.count === 0);
  private readonly timedOut = new Deltas<Counts>((now, before) => ({ dir: now.dir, counts: [now.counts[0]! - before.counts[0]!] }), () => false);

  constructor(private readonly dirs: readonly Dir[]) {}

  /** Rows for the interval since the last call and since start. */
  update(hists: SlotsByIndex, counts: Record<Dir, number[]>, state: SessionState): LatencySnapshot {
    const h = this.hists.update([...hists].map(([index, slots]) => [String(index), { index, slots }] as const));
    const c = this.counts.update(DIRECTIONS.map((dir) => [dir, { dir, counts: counts[dir] }] as const));
    const t = this.timedOut.update(DIRECTIONS.map((dir) => [dir, { dir, counts: [state.timedOut[dir]] }] as const));
    const d = this.dropRows.update(DIRECTIONS.flatMap((dir) => state.drops[dir].map((r) => [`${dir}:${r.reason_code}`, { ...r, dir }] as const)));
    const byDir = (rows: Counts[]) => Object.fromEntries(rows.map((r) => [r.dir, r.counts])) as Record<Dir, number[]>;
    const dropsBy = (rows: (DropRow & { dir: Dir })[]) =>
      Object.fromEntries(DIRECTIONS.map((dir) => [dir, rows.filter((r) => r.dir === dir).map(({ dir: _, ...r }) => r)])) as Record<Dir, DropRow[]>;
    const timed = (rows: Counts[]) => Object.fromEntries(rows.map((r) => [r.dir, r.counts[0] ?? 0])) as Record<Dir, number>;
    const total = this.rows(h.total, byDir(c.total), state.inFlight, timed(t.total), dropsBy(d.total));
    // Evicted and in flight are states, not events: only the since-start rows carry them.
    const interval = this.rows(h.interval, byDir(c.interval), { rx: 0, tx: 0 }, timed(t.interval), dropsBy(d.interval));
    for (const r of interval) r.packets.evicted = 0;
    return { interval, total };
  }

  private rows(hists: readonly Hist[], counts: Record<Dir, number[]>, inFlight: Record<Dir, number>, timedOut: Record<Dir, number>, drops: Record<Dir, DropRow[]>): DirectionRow[] {
    const sorted = [...hists].sort((a, b) => a.index - b.index);
    return this.dirs.map((dir): DirectionRow => {
      const pairs: PairRow[] = [];
      let e2e: PairRow | null = null;
      for (const { index, slots } of sorted) {
        const at = histIndex(index);
        if (at.dir !== dir) continue;
        if (at.from === LAT_E2E && at.to === LAT_E2E) e2e = pair(dir, at.from, at.to, slots);
        else pairs.push(pair(dir, at.from, at.to, slots));
      }
      pairs.sort((a, b) => order(dir, a) - order(dir, b));
      return { direction: dir, pairs, end_to_end: e2e, packets: packets(counts[dir], inFlight[dir], timedOut[dir]), drops: drops[dir] };
    });
  }
}

function order(dir: Dir, p: PairRow): number {
  const names = [...Array(LAT_STAGES).keys()].map((i) => stageName(dir, i));
  return names.indexOf(p.from) * 10 + names.indexOf(p.to);
}

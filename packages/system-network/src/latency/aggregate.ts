/** Stage histograms and packet counters from the kernel's cumulative per-CPU maps. */
import { decodeSlots, diffSlots, toHistogram, type Histogram } from '@netstrata/bpf-common';
import { DIRECTIONS, histIndex, LAT_COUNTERS, LAT_E2E, LAT_STAGES, stageName, type Dir } from './layout.ts';

export interface PairRow {
  from: string;
  to: string;
  count: number;
  histogram: Histogram;
}

export interface Packets {
  started: number;
  completed: number;
  incomplete: number;
  evicted: number;
  in_flight: number;
  untracked: number;
}

export interface DirectionRow {
  direction: Dir;
  pairs: PairRow[];
  end_to_end: PairRow | null;
  packets: Packets;
}

type SlotsByIndex = Map<number, bigint[]>;

/** entries: [u32 key bytes, per-CPU copies of struct nst_hist]. */
export function readHists(entries: Iterable<[Uint8Array, Uint8Array[]]>): SlotsByIndex {
  const out: SlotsByIndex = new Map();
  for (const [k, copies] of entries) {
    const i = new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true);
    const slots = decodeSlots(copies);
    if (slots.some((c) => c > 0n)) out.set(i, slots);
  }
  return out;
}

/** entries of the per-CPU `counts` array: sums per (direction, counter). */
export function readCounts(entries: Iterable<[Uint8Array, Uint8Array[]]>): Record<Dir, number[]> {
  const out: Record<Dir, number[]> = { rx: new Array(LAT_COUNTERS).fill(0), tx: new Array(LAT_COUNTERS).fill(0) };
  for (const [k, copies] of entries) {
    const i = new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true);
    const dir = DIRECTIONS[Math.floor(i / LAT_COUNTERS)];
    if (!dir) continue;
    out[dir][i % LAT_COUNTERS] = copies.reduce((s, b) => s + Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true)), 0);
  }
  return out;
}

function pair(dir: Dir, from: number, to: number, slots: bigint[]): PairRow {
  const histogram = toHistogram(slots, 'us');
  if (from === LAT_E2E && to === LAT_E2E) return { from: 'first', to: 'last', count: histogram.count, histogram };
  return { from: stageName(dir, from), to: stageName(dir, to), count: histogram.count, histogram };
}

/**
 * Packets that started a session end as completed, incomplete (freed before the last stage), still
 * in flight, or lost from the LRU map / socket FIFO: an LRU cannot say when it evicts, so evicted
 * is what remains (never negative).
 */
export function packets(counts: number[], inFlight: number): Packets {
  const [started = 0, completed = 0, incomplete = 0, untracked = 0] = counts;
  return { started, completed, incomplete, evicted: Math.max(0, started - completed - incomplete - inFlight), in_flight: inFlight, untracked };
}

export class LatencyAggregator {
  private previous: SlotsByIndex = new Map();
  private previousCounts: Record<Dir, number[]> | undefined;

  constructor(private readonly dirs: readonly Dir[]) {}

  /** Rows for the interval since the last call and since start. */
  update(hists: SlotsByIndex, counts: Record<Dir, number[]>, inFlight: Record<Dir, number>): { interval: DirectionRow[]; total: DirectionRow[] } {
    const rows = (slotsOf: (i: number) => bigint[] | undefined, cnt: Record<Dir, number[]>) =>
      this.dirs.map((dir): DirectionRow => {
        const pairs: PairRow[] = [];
        let e2e: PairRow | null = null;
        for (const i of [...hists.keys()].sort((a, b) => a - b)) {
          const h = histIndex(i);
          if (h.dir !== dir) continue;
          const s = slotsOf(i);
          if (!s || !s.some((c) => c > 0n)) continue;
          if (h.from === LAT_E2E && h.to === LAT_E2E) e2e = pair(dir, h.from, h.to, s);
          else pairs.push(pair(dir, h.from, h.to, s));
        }
        pairs.sort((a, b) => order(dir, a) - order(dir, b));
        return { direction: dir, pairs, end_to_end: e2e, packets: packets(cnt[dir], inFlight[dir]) };
      });
    const total = rows((i) => hists.get(i), counts);
    const prevCounts = this.previousCounts;
    const deltaCounts: Record<Dir, number[]> = {
      rx: counts.rx.map((c, i) => c - (prevCounts?.rx[i] ?? 0)),
      tx: counts.tx.map((c, i) => c - (prevCounts?.tx[i] ?? 0)),
    };
    const prev = this.previous;
    const interval = rows((i) => diffSlots(hists.get(i)!, prev.get(i)), deltaCounts);
    // Evicted and in flight are states, not events: only the since-start rows carry them.
    for (const r of interval) {
      r.packets.evicted = 0;
      r.packets.in_flight = 0;
    }
    this.previous = new Map([...hists].map(([k, v]) => [k, v.slice()]));
    this.previousCounts = { rx: counts.rx.slice(), tx: counts.tx.slice() };
    return { interval, total };
  }
}

function order(dir: Dir, p: PairRow): number {
  const names = [...Array(LAT_STAGES).keys()].map((i) => stageName(dir, i));
  return names.indexOf(p.from) * 10 + names.indexOf(p.to);
}


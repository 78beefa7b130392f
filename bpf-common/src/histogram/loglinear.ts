/**
 * Log-linear histograms over the full u64 range, mirroring bpf/include/netstrata/hist_types.h:
 * values 0..15 have a slot each; above, every power of two [2^e, 2^(e+1)) is cut into SUB = 8
 * equal sub-buckets of width 2^(e-3). A sample v is in a bucket when start <= v < end, and a bucket
 * is never wider than RELATIVE_ERROR (1/8) of its start. Percentiles are the bounds of the bucket
 * their rank falls in: the data cannot say more, so we never print a single made-up number.
 */

/** Bits of the value kept under its leading one: 2^SUB_BITS sub-buckets per power of two. */
export const SUB_BITS = 3;
export const SUB = 1 << SUB_BITS;
/** (64 − SUB_BITS + 1) × SUB: the top slot ends at 2^64. */
export const SLOTS = (64 - SUB_BITS + 1) * SUB;
/** Largest (end − start) / start of any bucket that does not hold a single integer. */
export const RELATIVE_ERROR = 1 / SUB;

export interface Bucket {
  start: number;
  end: number;
  count: number;
}

export interface Bounds {
  low: number;
  high: number;
}

export interface Histogram {
  unit: string;
  count: number;
  /** Every bucket [start, end) has end ≤ start × (1 + relative_error), or holds one integer. */
  relative_error: number;
  /** Buckets with samples, ascending; empty buckets are left out. */
  buckets: Bucket[];
  percentiles: { p50: Bounds; p90: Bounds; p99: Bounds; p999: Bounds } | null;
}

/** Bounds of slot k as numbers (every bound, 2^64 included, is exact in a double). */
export function slotBounds(k: number): Bounds {
  if (k < 2 * SUB) return { low: k, high: k + 1 };
  const shift = (k >> SUB_BITS) - 1;
  const m = SUB + (k & (SUB - 1));
  return { low: m * 2 ** shift, high: (m + 1) * 2 ** shift };
}

const U64_MAX = (1n << 64n) - 1n;

/** Slot of a value, as the BPF side computes it (numbers are floored; values past u64 clamp). */
export function slotOf(v: bigint | number): number {
  let b = typeof v === 'bigint' ? v : BigInt(Math.floor(Math.min(Math.max(v, 0), 2 ** 64)));
  if (b <= 0n) return 0;
  if (b > U64_MAX) b = U64_MAX;
  if (b < BigInt(SUB)) return Number(b);
  const shift = b.toString(2).length - 1 - SUB_BITS;
  return (shift << SUB_BITS) + Number(b >> BigInt(shift));
}

/** The power of two a value is in, as log2 histograms number them: 0 for 0, else floor(log2(v)) + 1. */
export function octaveOf(v: bigint | number): number {
  const b = typeof v === 'bigint' ? v : BigInt(Math.floor(Math.max(v, 0)));
  return b <= 0n ? 0 : b.toString(2).length;
}

/** Sums slot counts from map bytes: one or more (per-CPU) copies of SLOTS little-endian u64s. */
export function decodeSlots(copies: readonly Uint8Array[]): bigint[] {
  const out = new Array<bigint>(SLOTS).fill(0n);
  for (const bytes of copies) {
    if (bytes.byteLength < SLOTS * 8) throw new Error(`histogram is ${bytes.byteLength} bytes, expected ${SLOTS * 8}`);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Most slots are 0: no BigInt made (or kept) for those
    for (let i = 0; i < SLOTS; i++) if ((v.getUint32(i * 8, true) | v.getUint32(i * 8 + 4, true)) !== 0) out[i]! += v.getBigUint64(i * 8, true);
  }
  return out;
}

/** Interval = now − previous, for cumulative kernel histograms that are never cleared. */
export function diffSlots(now: readonly bigint[], previous: readonly bigint[] | undefined): bigint[] {
  if (!previous) return [...now];
  // Equal slots (most of them) give the one shared 0n rather than a new BigInt each
  return now.map((c, i) => (c === previous[i] ? 0n : c - (previous[i] ?? 0n)));
}

export function mergeSlots(a: readonly bigint[], b: readonly bigint[]): bigint[] {
  return a.map((c, i) => (b[i] ? c + b[i]! : c));
}

export function toHistogram(slots: readonly bigint[], unit: string): Histogram {
  const counts = slots.map(Number);
  const total = counts.reduce((s, c) => s + c, 0);
  const buckets: Bucket[] = [];
  counts.forEach((count, k) => {
    if (count > 0) {
      const b = slotBounds(k);
      buckets.push({ start: b.low, end: b.high, count });
    }
  });
  return {
    unit,
    count: total,
    relative_error: RELATIVE_ERROR,
    buckets,
    percentiles: total
      ? { p50: percentile(counts, total, 0.5), p90: percentile(counts, total, 0.9), p99: percentile(counts, total, 0.99), p999: percentile(counts, total, 0.999) }
      : null,
  };
}

/** The bucket holding the sample of rank ceil(q × count). */
export function percentile(counts: readonly number[], total: number, q: number): Bounds {
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let k = 0; k < counts.length; k++) {
    seen += counts[k]!;
    if (seen >= rank) return slotBounds(k);
  }
  return slotBounds(counts.length - 1);
}

/**
 * The buckets merged per power of two, every power from the first bucket's to the last one's
 * (empty ones included): [0, 1), [1, 2), [2, 4), [4, 8) … Exact, since no bucket straddles a power
 * of two.
 */
export function octaves(buckets: readonly Bucket[]): Bucket[] {
  if (!buckets.length) return [];
  const first = octaveOf(buckets[0]!.start);
  const rows: Bucket[] = [];
  for (let j = first; j <= octaveOf(buckets.at(-1)!.start); j++) rows.push({ start: j ? 2 ** (j - 1) : 0, end: 2 ** j, count: 0 });
  for (const b of buckets) rows[octaveOf(b.start) - first]!.count += b.count;
  return rows;
}

const SCALES: Record<string, [number, string][]> = {
  ns: [[1e9, 's'], [1e6, 'ms'], [1e3, 'us'], [1, 'ns']],
  us: [[1e6, 's'], [1e3, 'ms'], [1, 'us']],
};

/** A bound in a readable unit: 1048576 ns → "1.05 ms"; exact integers below 10000. */
export function formatValue(v: number, unit: string): string {
  const scales = SCALES[unit];
  if (!scales) return v >= 1e15 ? v.toExponential(2) : String(v);
  for (const [f, name] of scales) {
    if (v >= f * 10 || f === 1) {
      const x = v / f;
      return `${Number.isInteger(x) ? x : Number(x.toPrecision(4))} ${name}`;
    }
  }
  return `${v} ${unit}`;
}

/** A percentile's bucket as text, "[16.38 us, 18.43 us)"; "-" when there is none. */
export function formatBounds(b: Bounds | null | undefined, unit: string): string {
  return b ? `[${formatValue(b.low, unit)}, ${formatValue(b.high, unit)})` : '-';
}

/**
 * bcc-style bars, with labels that are exactly each row's [start, end). Rows are powers of two
 * (`rows: 'octaves'`, the default, readable at any spread) or the histogram's own non-empty
 * buckets (`rows: 'buckets'`); the percentiles are always the buckets' own bounds.
 */
export function renderHistogram(h: Histogram, opts: { width?: number; title?: string; rows?: 'octaves' | 'buckets' } = {}): string {
  const width = opts.width ?? 40;
  const lines: string[] = [];
  if (opts.title) lines.push(opts.title);
  if (!h.count) return [...lines, '  (no samples)'].join('\n');
  const rows = opts.rows === 'buckets' ? h.buckets : octaves(h.buckets);
  const labels = rows.map((b) => [formatValue(b.start, h.unit), formatValue(b.end, h.unit)] as const);
  const lw = Math.max(...labels.map((l) => l[0].length));
  const rw = Math.max(...labels.map((l) => l[1].length));
  const cw = Math.max(5, ...rows.map((b) => String(b.count).length));
  const max = Math.max(...rows.map((b) => b.count));
  lines.push(`  ${'from'.padStart(lw)}    ${'to (excl.)'.padEnd(rw)}  ${'count'.padStart(cw)}`);
  rows.forEach((b, i) => {
    const bar = '*'.repeat(Math.round((b.count / max) * width));
    lines.push(`  ${labels[i]![0].padStart(lw)} -> ${labels[i]![1].padEnd(rw)} : ${String(b.count).padStart(cw)} |${bar.padEnd(width)}|`);
  });
  const p = h.percentiles!;
  const f = (x: Bounds) => formatBounds(x, h.unit);
  lines.push(`  count ${h.count}  p50 ${f(p.p50)}  p90 ${f(p.p90)}  p99 ${f(p.p99)}  p99.9 ${f(p.p999)}`);
  return lines.join('\n');
}

/**
 * Log2 histograms over the full u64 range, mirroring bpf/include/netstrata/hist_types.h:
 * slot 0 holds 0, slot k (1..64) holds [2^(k-1), 2^k). A sample v is in a bucket when
 * start <= v < end. Percentiles are the bounds of the bucket their rank falls in: the data cannot
 * say more, so we never print a single made-up number.
 */

export const SLOTS = 65;

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
  buckets: Bucket[];
  percentiles: { p50: Bounds; p90: Bounds; p99: Bounds; p999: Bounds } | null;
}

/** Bounds of slot k as numbers (2^64 is exact in a double). */
export function slotBounds(k: number): Bounds {
  if (k === 0) return { low: 0, high: 1 };
  return { low: 2 ** (k - 1), high: 2 ** k };
}

/** Slot of a value, as the BPF side computes it. */
export function slotOf(v: bigint | number): number {
  const b = BigInt(v);
  if (b <= 0n) return 0;
  return b.toString(2).length;
}

/** Sums slot counts from map bytes: one or more (per-CPU) copies of 65 little-endian u64s. */
export function decodeSlots(copies: readonly Uint8Array[]): bigint[] {
  const out = new Array<bigint>(SLOTS).fill(0n);
  for (const bytes of copies) {
    if (bytes.byteLength < SLOTS * 8) throw new Error(`histogram is ${bytes.byteLength} bytes, expected ${SLOTS * 8}`);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < SLOTS; i++) out[i]! += v.getBigUint64(i * 8, true);
  }
  return out;
}

/** Interval = now − previous, for cumulative kernel histograms that are never cleared. */
export function diffSlots(now: readonly bigint[], previous: readonly bigint[] | undefined): bigint[] {
  return now.map((c, i) => c - (previous?.[i] ?? 0n));
}

export function mergeSlots(a: readonly bigint[], b: readonly bigint[]): bigint[] {
  return a.map((c, i) => c + (b[i] ?? 0n));
}

export function toHistogram(slots: readonly bigint[], unit: string): Histogram {
  const counts = slots.map(Number);
  const total = counts.reduce((s, c) => s + c, 0);
  let first = counts.findIndex((c) => c > 0);
  let last = counts.length - 1 - [...counts].reverse().findIndex((c) => c > 0);
  if (first < 0) {
    first = 0;
    last = -1;
  }
  const buckets: Bucket[] = [];
  for (let k = first; k <= last; k++) {
    const b = slotBounds(k);
    buckets.push({ start: b.low, end: b.high, count: counts[k]! });
  }
  return {
    unit,
    count: total,
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

/** A percentile's bucket as text, "[16.38 us, 32.77 us)"; "-" when there is none. */
export function formatBounds(b: Bounds | null | undefined, unit: string): string {
  return b ? `[${formatValue(b.low, unit)}, ${formatValue(b.high, unit)})` : '-';
}

/** bcc-style bars, with labels that are exactly each bucket's [start, end). */
export function renderHistogram(h: Histogram, opts: { width?: number; title?: string } = {}): string {
  const width = opts.width ?? 40;
  const lines: string[] = [];
  if (opts.title) lines.push(opts.title);
  if (!h.count) return [...lines, '  (no samples)'].join('\n');
  const labels = h.buckets.map((b) => [formatValue(b.start, h.unit), formatValue(b.end, h.unit)] as const);
  const lw = Math.max(...labels.map((l) => l[0].length));
  const rw = Math.max(...labels.map((l) => l[1].length));
  const cw = Math.max(5, ...h.buckets.map((b) => String(b.count).length));
  const max = Math.max(...h.buckets.map((b) => b.count));
  lines.push(`  ${'from'.padStart(lw)}    ${'to (excl.)'.padEnd(rw)}  ${'count'.padStart(cw)}`);
  h.buckets.forEach((b, i) => {
    const bar = '*'.repeat(Math.round((b.count / max) * width));
    lines.push(`  ${labels[i]![0].padStart(lw)} -> ${labels[i]![1].padEnd(rw)} : ${String(b.count).padStart(cw)} |${bar.padEnd(width)}|`);
  });
  const p = h.percentiles!;
  const f = (x: Bounds) => `[${formatValue(x.low, h.unit)}, ${formatValue(x.high, h.unit)})`;
  lines.push(`  count ${h.count}  p50 ${f(p.p50)}  p90 ${f(p.p90)}  p99 ${f(p.p99)}  p99.9 ${f(p.p999)}`);
  return lines.join('\n');
}

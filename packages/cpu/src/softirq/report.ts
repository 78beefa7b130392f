/** softirq_latency_summary records from the kernel's cumulative per-CPU histograms. */
import { spanHeading, Deltas, SLOTS, diffSlots, formatBounds, renderHistogram, toHistogram, type Histogram, type SoftirqVector, type SummaryEnvelope } from '@netstrata/bpf-common';
import { SQ_KINDS, SQ_LATENCY, SQ_RUNTIME } from '../layout.ts';

/** One histogram of the `hists` map (index vec * SQ_KINDS + kind), its slots on each CPU. */
export interface HistCell {
  index: number;
  cpus: bigint[][];
}

export interface Brief {
  count: number;
  p50: { low: number; high: number } | null;
  p99: { low: number; high: number } | null;
}

export interface VectorRow {
  vector: string;
  vec: number;
  /** softirq_raise -> softirq_entry, ns */
  latency: Histogram;
  /** softirq_entry -> softirq_exit, ns */
  runtime: Histogram;
  cpus: { cpu: number; latency: Brief; runtime: Brief }[];
}

export interface SoftirqFields {
  vectors: VectorRow[];
}

export type SoftirqRecord = SummaryEnvelope & SoftirqFields;

/** Cumulative histograms to what each interval added, slot by slot on every CPU. */
export const histDeltas = () =>
  new Deltas<HistCell>(
    (now, before) => ({ index: now.index, cpus: now.cpus.map((c, cpu) => diffSlots(c, before.cpus[cpu])) }),
    (d) => d.cpus.every((c) => c.every((x) => x === 0n)),
  );

const sum = (copies: readonly bigint[][]) => copies.reduce((acc, c) => acc.map((x, i) => x + (c[i] ?? 0n)), new Array<bigint>(SLOTS).fill(0n));

function brief(h: Histogram): Brief {
  return { count: h.count, p50: h.percentiles?.p50 ?? null, p99: h.percentiles?.p99 ?? null };
}

/** Rows for the vectors with activity, busiest first. */
export function vectorRows(cells: readonly HistCell[], vectors: readonly SoftirqVector[]): VectorRow[] {
  const byIndex = new Map(cells.map((c) => [c.index, c.cpus]));
  const rows: VectorRow[] = [];
  for (const v of vectors) {
    const lat = byIndex.get(v.vec * SQ_KINDS + SQ_LATENCY) ?? [];
    const run = byIndex.get(v.vec * SQ_KINDS + SQ_RUNTIME) ?? [];
    const latency = toHistogram(sum(lat), 'ns');
    const runtime = toHistogram(sum(run), 'ns');
    if (!latency.count && !runtime.count) continue;
    const cpus = [];
    for (let cpu = 0; cpu < Math.max(lat.length, run.length); cpu++) {
      const l = toHistogram(lat[cpu] ?? [], 'ns');
      const r = toHistogram(run[cpu] ?? [], 'ns');
      if (l.count || r.count) cpus.push({ cpu, latency: brief(l), runtime: brief(r) });
    }
    rows.push({ vector: v.name, vec: v.vec, latency, runtime, cpus });
  }
  return rows.sort((a, b) => b.runtime.count - a.runtime.count);
}

const bound = (b: { low: number; high: number } | null | undefined) => formatBounds(b, 'ns');

export function renderSoftirqText(rec: SoftirqRecord, top: number): string {
  const lines = [`${spanHeading(rec)}: ${rec.vectors.length} softirq vectors ran`];
  if (!rec.vectors.length) return lines.join('\n');
  const table: string[][] = [['VECTOR', 'CPU', 'RUNS', 'WAIT_P50', 'WAIT_P99', 'RUN_P50', 'RUN_P99']];
  for (const v of rec.vectors.slice(0, top)) {
    table.push([v.vector, 'all', String(v.runtime.count), bound(v.latency.percentiles?.p50 ?? null), bound(v.latency.percentiles?.p99 ?? null), bound(v.runtime.percentiles?.p50 ?? null), bound(v.runtime.percentiles?.p99 ?? null)]);
    for (const c of v.cpus) table.push(['', String(c.cpu), String(c.runtime.count), bound(c.latency.p50), bound(c.latency.p99), bound(c.runtime.p50), bound(c.runtime.p99)]);
  }
  const w = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const r of table) lines.push(`  ${r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')}`.trimEnd());
  for (const v of rec.vectors.slice(0, top)) {
    lines.push(renderHistogram(v.latency, { title: `  ${v.vector}: raised -> running (wait)`, width: 30 }));
    lines.push(renderHistogram(v.runtime, { title: `  ${v.vector}: running -> done (run time)`, width: 30 }));
  }
  return lines.join('\n');
}

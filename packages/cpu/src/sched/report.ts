/** sched_latency_summary records from the kernel's cumulative per-thread, per-CPU histograms. */
import { spanHeading, Deltas, SLOTS, addCounts, type RowsOptions, diffSlots, formatBounds, renderHistogram, toHistogram, type Histogram, type SummaryEnvelope } from '@netstrata/bpf-common';
import type { SchedEntry } from '../layout.ts';

export interface ThreadRow {
  pid: number;
  tid: number;
  comm: string;
  wakeups: number;
  preempted: number;
  /** Wait for a CPU, ns: from wakeup (or preemption) to running. */
  wait: Histogram;
  cpus: { cpu: number; count: number; p50: { low: number; high: number } | null; p99: { low: number; high: number } | null }[];
}

export interface SchedFields {
  threads: ThreadRow[];
  more_threads: number;
}

export type SchedRecord = SummaryEnvelope & SchedFields;

/** How (thread, CPU) rows subtract (what an interval added), add (a row's earlier incarnations
 * in the kernel) and when a difference is nothing. */
export const schedRowOps: Pick<RowsOptions<SchedEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: ({ key, val }, { val: before }) => ({
    key,
    val: { comm: val.comm, wakeups: val.wakeups - before.wakeups, preempted: val.preempted - before.preempted, slots: diffSlots(val.slots, before.slots) },
  }),
  add: (a, { key, val }) => ({
    key,
    val: { comm: val.comm, wakeups: a.val.wakeups + val.wakeups, preempted: a.val.preempted + val.preempted, slots: addCounts(a.val.slots, val.slots) },
  }),
  isEmpty: ({ val }) => !val.wakeups && !val.preempted,
};

/** Cumulative (thread, CPU) rows to what each interval added. */
export const schedDeltas = () => new Deltas<SchedEntry>(schedRowOps.sub, schedRowOps.isEmpty);

/** The largest wait each row could hold: rows sort by the sum of their bucket tops. */
const weight = (h: Histogram) => h.buckets.reduce((s, b) => s + b.count * b.end, 0);

/** Threads summed over their CPUs, the longest waits first. */
export function threadRows(entries: readonly SchedEntry[]): ThreadRow[] {
  const byThread = new Map<number, { pid: number; comm: string; wakeups: number; preempted: number; slots: bigint[]; cpus: Map<number, bigint[]> }>();
  for (const { key, val } of entries) {
    if (!val.wakeups && !val.preempted) continue;
    let t = byThread.get(key.tid);
    if (!t) {
      t = { pid: key.pid, comm: val.comm, wakeups: 0, preempted: 0, slots: new Array<bigint>(SLOTS).fill(0n), cpus: new Map() };
      byThread.set(key.tid, t);
    }
    t.wakeups += val.wakeups;
    t.preempted += val.preempted;
    t.slots = t.slots.map((c, i) => c + (val.slots[i] ?? 0n));
    t.cpus.set(key.cpu, val.slots);
  }
  const rows = [...byThread].map(([tid, t]): ThreadRow => ({
    pid: t.pid,
    tid,
    comm: t.comm,
    wakeups: t.wakeups,
    preempted: t.preempted,
    wait: toHistogram(t.slots, 'ns'),
    cpus: [...t.cpus]
      .sort(([a], [b]) => a - b)
      .map(([cpu, s]) => {
        const h = toHistogram(s, 'ns');
        return { cpu, count: h.count, p50: h.percentiles?.p50 ?? null, p99: h.percentiles?.p99 ?? null };
      }),
  }));
  return rows.sort((a, b) => weight(b.wait) - weight(a.wait));
}

const bound = (b: { low: number; high: number } | null | undefined) => formatBounds(b, 'ns');

export function renderSchedText(rec: SchedRecord, histograms: number): string {
  const lines = [`${spanHeading(rec)}: ${rec.threads.length + rec.more_threads} threads waited for a CPU`];
  const table: string[][] = [['PID', 'TID', 'COMM', 'WAKEUPS', 'PREEMPTED', 'P50', 'P90', 'P99', 'CPUS']];
  for (const t of rec.threads) {
    const p = t.wait.percentiles;
    table.push([String(t.pid), String(t.tid), t.comm, String(t.wakeups), String(t.preempted), bound(p?.p50), bound(p?.p90), bound(p?.p99), t.cpus.map((c) => `${c.cpu}:${c.count}`).join(' ')]);
  }
  if (rec.threads.length) {
    const w = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const r of table) lines.push(`  ${r.map((c, i) => (i === 2 || i === 8 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')}`.trimEnd());
  }
  if (rec.more_threads) lines.push(`  ... and ${rec.more_threads} more threads (--top)`);
  for (const t of rec.threads.slice(0, histograms)) lines.push(renderHistogram(t.wait, { title: `  ${t.comm} (tid ${t.tid}): woken -> running`, width: 30 }));
  return lines.join('\n');
}

/** sched_latency_summary records from the kernel's cumulative per-thread, per-CPU histograms. */
import { diffSlots, formatBounds, renderHistogram, toHistogram, type Histogram } from '@netstrata/bpf-common';
import type { SchedKey, SchedVal } from '../layout.ts';

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

export interface SchedRecord {
  type: 'interval' | 'final';
  tool: 'sched_latency_summary';
  time: string;
  interval_s: number;
  threads: ThreadRow[];
  more_threads: number;
  map_full: number;
  /** Hook runs the kernel skipped (a BPF program already running on that CPU), since start. */
  missed: number;
}

export type SchedEntries = { key: SchedKey; val: SchedVal }[];

const id = (k: SchedKey) => `${k.tid}/${k.cpu}`;

/** The largest wait each row could hold: rows sort by the sum of their bucket tops. */
const weight = (h: Histogram) => h.buckets.reduce((s, b) => s + b.count * b.end, 0);

export function threadRows(now: SchedEntries, previous: SchedEntries | undefined): ThreadRow[] {
  const prev = new Map((previous ?? []).map((e) => [id(e.key), e.val]));
  const byThread = new Map<number, { pid: number; comm: string; wakeups: number; preempted: number; slots: bigint[]; cpus: Map<number, bigint[]> }>();
  for (const { key, val } of now) {
    const p = prev.get(id(key));
    const slots = diffSlots(val.slots, p?.slots);
    const wakeups = val.wakeups - (p?.wakeups ?? 0);
    const preempted = val.preempted - (p?.preempted ?? 0);
    if (!wakeups && !preempted) continue;
    let t = byThread.get(key.tid);
    if (!t) {
      t = { pid: key.pid, comm: val.comm, wakeups: 0, preempted: 0, slots: new Array<bigint>(65).fill(0n), cpus: new Map() };
      byThread.set(key.tid, t);
    }
    t.wakeups += wakeups;
    t.preempted += preempted;
    t.slots = t.slots.map((c, i) => c + (slots[i] ?? 0n));
    t.cpus.set(key.cpu, slots);
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
  const when = new Date(rec.time).toTimeString().slice(0, 8);
  const lines = [`${when} ${rec.type === 'final' ? 'total since start' : `interval ${rec.interval_s.toFixed(1)} s`}: ${rec.threads.length + rec.more_threads} threads waited for a CPU`];
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
  lines.push(`  lost: map_full ${rec.map_full}, missed by the kernel ${rec.missed}`);
  return lines.join('\n');
}

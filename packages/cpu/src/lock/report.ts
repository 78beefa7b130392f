/**
 * lock_wait_summary rows: waits by thread, lock and kind, from the kernel's cumulative map. A wait is
 * a pthread call that blocked in a futex wait on its lock (or, kind futex, the kernel wait itself);
 * calls that took the lock without blocking are counted apart as `uncontended` and are no waits.
 */
import { spanHeading, Deltas, addCounts, diffSlots, type RowsOptions, formatBounds, renderHistogram, type Histogram, type SummaryEnvelope } from '@netstrata/bpf-common';
import type { LockEntry } from '../layout.ts';

export interface LockRow {
  pid: number;
  tid: number;
  /** The lock's address in the process, as hex. */
  lock: string;
  /** mutex, rwlock_wr, rwlock_rd (the pthread call), futex (the kernel wait under it, or any futex) */
  kind: string;
  /** Waits: calls that blocked on the lock. */
  count: number;
  /** Calls that took the lock without blocking: no wait, not in `total_us`, `max_us` or `wait`. */
  uncontended: number;
  total_us: number;
  max_us: number;
  wait: Histogram;
  stack?: string[];
}

export interface LockFields {
  pid: number;
  library: string;
  /** `waiters`: threads with at least one wait on the lock; `count`: their waits; `uncontended`: every thread's calls that did not block. */
  locks: { lock: string; kind: string; waiters: number; count: number; uncontended: number; total_us: number }[];
  rows: LockRow[];
  more_rows: number;
}

export type LockRecord = SummaryEnvelope & LockFields;

/** Most wait first; among rows without wait, most uncontended calls first. */
const mostWaitFirst = (a: { totalNs: number; count: number; uncontended: number }, b: typeof a) => b.totalNs - a.totalNs || b.count - a.count || b.uncontended - a.uncontended;

/** How rows subtract (what an interval added; the longest wait stays the longest since start), add
 * (a row's earlier incarnations in the kernel) and when a difference is nothing. */
export const lockRowOps: Pick<RowsOptions<LockEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: (now, before) => ({
    key: now.key,
    count: now.count - before.count,
    totalNs: now.totalNs - before.totalNs,
    maxNs: now.maxNs,
    uncontended: now.uncontended - before.uncontended,
    slots: diffSlots(now.slots, before.slots),
  }),
  add: (a, b) => ({
    key: b.key,
    count: a.count + b.count,
    totalNs: a.totalNs + b.totalNs,
    maxNs: Math.max(a.maxNs, b.maxNs),
    uncontended: a.uncontended + b.uncontended,
    slots: addCounts(a.slots, b.slots),
  }),
  isEmpty: (d) => d.count <= 0 && d.uncontended <= 0,
};

/** Cumulative rows to what each interval added. */
export const lockDeltas = () => new Deltas<LockEntry>(lockRowOps.sub, lockRowOps.isEmpty);

/** Rows with a wait or an uncontended call, the most wait first. */
export const mostWaitedFirst = (entries: readonly LockEntry[]): LockEntry[] => entries.filter((e) => e.count > 0 || e.uncontended > 0).sort(mostWaitFirst);

/** The most contended locks: total wait over every thread, by address and kind. A thread is a
 * waiter only if it waited; locks only ever taken uncontended come last, with 0 waiters. */
export function topLocks(entries: readonly LockEntry[]): LockFields['locks'] {
  const m = new Map<string, { lock: string; kind: string; tids: Set<number>; count: number; uncontended: number; totalNs: number }>();
  for (const e of entries) {
    const k = `${e.key.lock}/${e.key.kind}`;
    const x = m.get(k) ?? { lock: `0x${e.key.lock.toString(16)}`, kind: e.key.kind, tids: new Set(), count: 0, uncontended: 0, totalNs: 0 };
    if (e.count > 0) x.tids.add(e.key.tid);
    x.count += e.count;
    x.uncontended += e.uncontended;
    x.totalNs += e.totalNs;
    m.set(k, x);
  }
  return [...m.values()]
    .sort(mostWaitFirst)
    .map((x) => ({ lock: x.lock, kind: x.kind, waiters: x.tids.size, count: x.count, uncontended: x.uncontended, total_us: x.totalNs / 1000 }));
}

export function renderLockText(rec: LockRecord, histograms: number): string {
    const lines = [`${spanHeading(rec)}: pid ${rec.pid}, locks in ${rec.library}`];
  const contended = rec.locks.filter((l) => l.count > 0);
  if (contended.length) {
    lines.push('  most contended:');
    for (const l of contended.slice(0, 5)) {
      const taken = l.kind === 'futex' ? '' : `, ${l.uncontended} uncontended`;
      lines.push(`    ${l.lock.padEnd(18)} ${l.kind.padEnd(9)} ${(l.total_us / 1000).toFixed(3).padStart(10)} ms in ${l.count} waits by ${l.waiters} threads${taken}`);
    }
  }
  const table = [['TID', 'LOCK', 'KIND', 'WAITS', 'UNCONTENDED', 'TOTAL_MS', 'MAX_MS', 'P50', 'P99']];
  for (const r of rec.rows) {
    const p = r.wait.percentiles;
    const ms = (us: number) => (r.count ? (us / 1000).toFixed(3) : '-');
    table.push([String(r.tid), r.lock, r.kind, String(r.count), r.kind === 'futex' ? '-' : String(r.uncontended), ms(r.total_us), ms(r.max_us), formatBounds(p?.p50, 'ns'), formatBounds(p?.p99, 'ns')]);
  }
  if (rec.rows.length) {
    const w = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const r of table) lines.push(`  ${r.map((c, i) => (i === 1 || i === 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')}`);
  }
  if (rec.more_rows) lines.push(`  ... and ${rec.more_rows} more (--top)`);
  for (const r of rec.rows.filter((x) => x.count > 0).slice(0, histograms)) {
    lines.push(renderHistogram(r.wait, { title: `  tid ${r.tid} on ${r.kind} ${r.lock}`, width: 30 }));
    for (const f of r.stack ?? []) lines.push(`        ${f}`);
  }
  return lines.join('\n');
}

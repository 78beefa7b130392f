/** lock_wait_summary rows: waits by thread, lock and kind, from the kernel's cumulative map. */
import { diffSlots, formatBounds, renderHistogram, toHistogram, type Histogram } from '@netstrata/bpf-common';
import type { LockKey } from '../layout.ts';

export interface LockEntry {
  key: LockKey;
  count: number;
  totalNs: number;
  maxNs: number;
  slots: bigint[];
}

export interface LockRow {
  pid: number;
  tid: number;
  /** The lock's address in the process, as hex. */
  lock: string;
  /** mutex, rwlock_wr, rwlock_rd (the pthread call), futex (the kernel wait under it, or any futex) */
  kind: string;
  count: number;
  total_us: number;
  max_us: number;
  wait: Histogram;
  stack?: string[];
}

export interface LockRecord {
  type: 'interval' | 'final';
  tool: 'lock_wait_summary';
  time: string;
  interval_s: number;
  pid: number;
  library: string;
  locks: { lock: string; kind: string; waiters: number; count: number; total_us: number }[];
  rows: LockRow[];
  more_rows: number;
  map_full: number;
  stack_failed: number;
  /** Hook runs the kernel skipped (a BPF program already running on that CPU), since start. */
  missed: number;
}

const id = (k: LockKey) => `${k.tid}/${k.lock}/${k.kind}/${k.ustack}/${k.caller}`;

export function lockDeltas(now: readonly LockEntry[], previous: readonly LockEntry[] | undefined): LockEntry[] {
  const prev = new Map((previous ?? []).map((e) => [id(e.key), e]));
  return now
    .map((e) => {
      const p = prev.get(id(e.key));
      return { key: e.key, count: e.count - (p?.count ?? 0), totalNs: e.totalNs - (p?.totalNs ?? 0), maxNs: e.maxNs, slots: diffSlots(e.slots, p?.slots) };
    })
    .filter((e) => e.count > 0)
    .sort((a, b) => b.totalNs - a.totalNs);
}

/** The most contended locks: total wait over every thread, by address and kind. */
export function topLocks(entries: readonly LockEntry[]): LockRecord['locks'] {
  const m = new Map<string, { lock: string; kind: string; tids: Set<number>; count: number; totalNs: number }>();
  for (const e of entries) {
    const k = `${e.key.lock}/${e.key.kind}`;
    const x = m.get(k) ?? { lock: `0x${e.key.lock.toString(16)}`, kind: e.key.kind, tids: new Set(), count: 0, totalNs: 0 };
    x.tids.add(e.key.tid);
    x.count += e.count;
    x.totalNs += e.totalNs;
    m.set(k, x);
  }
  return [...m.values()]
    .sort((a, b) => b.totalNs - a.totalNs)
    .map((x) => ({ lock: x.lock, kind: x.kind, waiters: x.tids.size, count: x.count, total_us: x.totalNs / 1000 }));
}

export function renderLockText(rec: LockRecord, histograms: number): string {
  const when = new Date(rec.time).toTimeString().slice(0, 8);
  const span = rec.type === 'final' ? 'total since start' : `interval ${rec.interval_s.toFixed(1)} s`;
  const lines = [`${when} ${span}: pid ${rec.pid}, locks in ${rec.library}`];
  if (rec.locks.length) {
    lines.push('  most contended:');
    for (const l of rec.locks.slice(0, 5)) lines.push(`    ${l.lock.padEnd(18)} ${l.kind.padEnd(9)} ${(l.total_us / 1000).toFixed(3).padStart(10)} ms in ${l.count} waits by ${l.waiters} threads`);
  }
  const table = [['TID', 'LOCK', 'KIND', 'WAITS', 'TOTAL_MS', 'MAX_MS', 'P50', 'P99']];
  for (const r of rec.rows) {
    const p = r.wait.percentiles;
    table.push([String(r.tid), r.lock, r.kind, String(r.count), (r.total_us / 1000).toFixed(3), (r.max_us / 1000).toFixed(3), formatBounds(p?.p50, 'ns'), formatBounds(p?.p99, 'ns')]);
  }
  if (rec.rows.length) {
    const w = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const r of table) lines.push(`  ${r.map((c, i) => (i === 1 || i === 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')}`);
  }
  if (rec.more_rows) lines.push(`  ... and ${rec.more_rows} more (--top)`);
  for (const r of rec.rows.slice(0, histograms)) {
    lines.push(renderHistogram(r.wait, { title: `  tid ${r.tid} on ${r.kind} ${r.lock}`, width: 30 }));
    for (const f of r.stack ?? []) lines.push(`        ${f}`);
  }
  lines.push(`  lost: map_full ${rec.map_full}, stack_failed ${rec.stack_failed}, missed by the kernel ${rec.missed}`);
  return lines.join('\n');
}

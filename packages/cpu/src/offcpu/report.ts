/** offcpu_summary rows: time off CPU by thread, state and stacks, from the kernel's cumulative map. */
import type { OffcpuKey } from '../layout.ts';

export interface OffcpuRow {
  pid: number;
  tid: number;
  comm: string;
  /** R preempted, S sleeping, D uninterruptible, I idle, T stopped, P parked */
  state: string;
  total_us: number;
  count: number;
  /** Innermost frame first; empty when not captured (see kernel_stack_error). */
  kernel_stack: string[];
  user_stack: string[];
  kernel_stack_error?: number;
  user_stack_error?: number;
}

export interface OffcpuRecord {
  type: 'interval' | 'final';
  tool: 'offcpu_summary';
  time: string;
  interval_s: number;
  total_us: number;
  rows: OffcpuRow[];
  more_rows: number;
  map_full: number;
  stack_failed: number;
  /** Hook runs the kernel skipped (a BPF program already running on that CPU), since start. */
  missed: number;
}

export interface OffcpuEntry {
  key: OffcpuKey;
  totalNs: number;
  count: number;
}

const id = (k: OffcpuKey) => `${k.tid}/${k.state}/${k.kstack}/${k.ustack}/${k.comm}`;

/** Entries with the time they added since `previous` (all of it without), largest first. */
export function offcpuDeltas(now: readonly OffcpuEntry[], previous: readonly OffcpuEntry[] | undefined): OffcpuEntry[] {
  const prev = new Map((previous ?? []).map((e) => [id(e.key), e]));
  return now
    .map((e) => {
      const p = prev.get(id(e.key));
      return { key: e.key, totalNs: e.totalNs - (p?.totalNs ?? 0), count: e.count - (p?.count ?? 0) };
    })
    .filter((e) => e.count > 0)
    .sort((a, b) => b.totalNs - a.totalNs);
}

/** One folded line: comm;user frames outermost first;kernel frames outermost first µs. */
export function foldedLine(r: OffcpuRow): string {
  const clean = (f: string) => f.replace(/\+0x[0-9a-f]+$/, '').replace(/;/g, ':');
  const frames = [r.comm || '?', ...[...r.user_stack].reverse().map(clean), ...[...r.kernel_stack].reverse().map(clean)];
  return `${frames.join(';')} ${Math.round(r.total_us)}`;
}

export function renderOffcpuText(rec: OffcpuRecord): string {
  const when = new Date(rec.time).toTimeString().slice(0, 8);
  const span = rec.type === 'final' ? 'total since start' : `interval ${rec.interval_s.toFixed(1)} s`;
  const lines = [`${when} ${span}: ${(rec.total_us / 1000).toFixed(1)} ms off CPU in ${rec.rows.length + rec.more_rows} stacks`];
  for (const r of rec.rows) {
    lines.push(`  ${(r.total_us / 1000).toFixed(3).padStart(10)} ms  ${String(r.count).padStart(6)} times  ${r.state}  ${r.comm} (pid ${r.pid}, tid ${r.tid})`);
    for (const f of r.kernel_stack) lines.push(`        ${f}`);
    if (r.kernel_stack_error !== undefined) lines.push(`        [kernel stack not captured: ${r.kernel_stack_error}]`);
    if (r.user_stack.length) lines.push('        --');
    for (const f of r.user_stack) lines.push(`        ${f}`);
    if (r.user_stack_error !== undefined && r.user_stack_error !== -1) lines.push(`        [user stack not captured: ${r.user_stack_error}]`);
  }
  if (rec.more_rows) lines.push(`  ... and ${rec.more_rows} more stacks (--top)`);
  lines.push(`  lost: map_full ${rec.map_full}, stack_failed ${rec.stack_failed}, missed by the kernel ${rec.missed}`);
  return lines.join('\n');
}

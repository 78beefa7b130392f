/** offcpu_summary rows: time off CPU by thread, state and stacks, from the kernel's cumulative map. */
import { spanHeading, Deltas, type RowsOptions, type SummaryEnvelope } from '@netstrata/bpf-common';
import type { OffcpuEntry } from '../layout.ts';

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

export interface OffcpuFields {
  total_us: number;
  rows: OffcpuRow[];
  more_rows: number;
}

export type OffcpuRecord = SummaryEnvelope & OffcpuFields;

/** How rows subtract (what an interval added), add (a row's earlier incarnations in the kernel) and
 * when a difference is nothing; whatever else a row carries (its stacks) comes from the newer. */
export const offcpuRowOps = <E extends OffcpuEntry>(): Pick<RowsOptions<E>, 'sub' | 'add' | 'isEmpty'> => ({
  sub: (now, before) => ({ ...now, totalNs: now.totalNs - before.totalNs, count: now.count - before.count }),
  add: (a, b) => ({ ...b, totalNs: a.totalNs + b.totalNs, count: a.count + b.count }),
  isEmpty: (d) => d.count <= 0,
});

/** Cumulative rows to the time each interval added. */
export const offcpuDeltas = () => {
  const ops = offcpuRowOps<OffcpuEntry>();
  return new Deltas<OffcpuEntry>(ops.sub, ops.isEmpty);
};

/** Rows that were off CPU at all, the most time first. */
export const largestFirst = <E extends OffcpuEntry>(entries: readonly E[]): E[] => entries.filter((e) => e.count > 0).sort((a, b) => b.totalNs - a.totalNs);

/** One folded line: comm;user frames outermost first;kernel frames outermost first µs. */
export function foldedLine(r: OffcpuRow): string {
  const clean = (f: string) => f.replace(/\+0x[0-9a-f]+$/, '').replace(/;/g, ':');
  const frames = [r.comm || '?', ...[...r.user_stack].reverse().map(clean), ...[...r.kernel_stack].reverse().map(clean)];
  return `${frames.join(';')} ${Math.round(r.total_us)}`;
}

export function renderOffcpuText(rec: OffcpuRecord): string {
    const lines = [`${spanHeading(rec)}: ${(rec.total_us / 1000).toFixed(1)} ms off CPU in ${rec.rows.length + rec.more_rows} stacks`];
  for (const r of rec.rows) {
    lines.push(`  ${(r.total_us / 1000).toFixed(3).padStart(10)} ms  ${String(r.count).padStart(6)} times  ${r.state}  ${r.comm} (pid ${r.pid}, tid ${r.tid})`);
    for (const f of r.kernel_stack) lines.push(`        ${f}`);
    if (r.kernel_stack_error !== undefined) lines.push(`        [kernel stack not captured: ${r.kernel_stack_error}]`);
    if (r.user_stack.length) lines.push('        --');
    for (const f of r.user_stack) lines.push(`        ${f}`);
    if (r.user_stack_error !== undefined && r.user_stack_error !== -1) lines.push(`        [user stack not captured: ${r.user_stack_error}]`);
  }
  if (rec.more_rows) lines.push(`  ... and ${rec.more_rows} more stacks (--top)`);
  return lines.join('\n');
}

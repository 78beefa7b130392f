/** ovs_upcall_latency_summary records: per input port, flow or handler thread, from the kernel's cumulative rows. */
import { addCounts, diffSlots, formatBounds, formatFlow, spanHeading, textTable, toHistogram, type Flow, type Histogram, type RowsOptions, type SummaryEnvelope } from '@netstrata/bpf-common';
import type { By, RowEntry } from '../layout.ts';

export interface UpcallRow {
  /** --by port: the device the packet came in on (its datapath port), its ifindex and namespace. */
  port?: { name: string; ifindex: number; netns: number };
  /** --by flow: the packet's 5-tuple. */
  flow?: { src: string; dst: string; sport: number; dport: number; protocol: string };
  /** --by handler: the ovs-vswitchd thread that answered (handlerN). */
  handler?: { tid: number; comm: string };
  /** Misses sent up to ovs-vswitchd (by handler: the ones it answered). */
  upcalls: number;
  /** Sent back down by a handler and executed: each timed in `latency`. */
  executed: number;
  /** Upcalls that never reached ovs-vswitchd (its queue full, no handler): null where the kernel
   * cannot hook ovs_dp_upcall's return. */
  failed: number | null;
  /** Upcalls with no answer after --timeout-ms (ovs-vswitchd dropped the packet, or never got to
   * it); not by handler. */
  unanswered: number;
  /** Counted but not timed: more than four identical frames up at once. */
  untimed: number;
  /** Upcalls of a flow's userspace action (sampling, the controller), which no execute answers. */
  action_upcalls: number;
  /** Upcall -> the first action of its execute. */
  latency: Histogram;
}

export interface UpcallFields {
  by: By;
  /** Every row's counts together. */
  upcalls: number;
  executed: number;
  failed: number | null;
  unanswered: number;
  untimed: number;
  /** Upcalls per second over the report's span. */
  upcalls_per_s: number;
  /** Upcalls waiting for their answer at the report. */
  waiting: number;
  latency: Histogram;
  rows: UpcallRow[];
  more_rows: number;
}

export type UpcallRecord = SummaryEnvelope & UpcallFields;

export const rowOps: Pick<RowsOptions<RowEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: ({ key, val }, { val: b }) => ({
    key,
    val: { ...val, upcalls: val.upcalls - b.upcalls, executed: val.executed - b.executed, failed: val.failed - b.failed, untimed: val.untimed - b.untimed, actionUpcalls: val.actionUpcalls - b.actionUpcalls, latency: diffSlots(val.latency, b.latency) },
  }),
  add: (a, { key, val }) => ({
    key,
    val: { ...val, upcalls: a.val.upcalls + val.upcalls, executed: a.val.executed + val.executed, failed: a.val.failed + val.failed, untimed: a.val.untimed + val.untimed, actionUpcalls: a.val.actionUpcalls + val.actionUpcalls, latency: addCounts(a.val.latency, val.latency) },
  }),
  isEmpty: ({ val }) => !val.upcalls && !val.executed && !val.failed && !val.untimed && !val.actionUpcalls,
};

/** A row's identity, for matching the user side's own counts (unanswered) to it. */
export const rowId = (k: RowEntry['key']): string => `${k.id}/${k.netns}/${k.flow ? formatFlow(k.flow) : ''}`;

const flowOut = (f: Flow) => ({ src: f.src, dst: f.dst, sport: f.sport, dport: f.dport, protocol: f.protocol });

/**
 * The record's fields from one span's rows. `unanswered` holds the span's unanswered upcalls by row
 * id; `hooked` says whether failed upcalls are measured (ovs_dp_upcall's return hooked).
 */
export function upcallFields(by: By, entries: readonly RowEntry[], unanswered: ReadonlyMap<string, number>, o: { top: number; hooked: boolean; seconds: number; waiting: number }): UpcallFields {
  const rows = entries
    .filter(({ key, val }) => val.upcalls || val.executed || val.failed || val.untimed || val.actionUpcalls || unanswered.get(rowId(key)))
    .map(({ key, val }): UpcallRow => ({
      ...(by === 'port' ? { port: { name: val.name || `if${key.id}`, ifindex: key.id, netns: key.netns } } : {}),
      ...(by === 'flow' && key.flow ? { flow: flowOut(key.flow) } : {}),
      ...(by === 'handler' ? { handler: { tid: key.id, comm: val.name } } : {}),
      upcalls: val.upcalls,
      executed: val.executed,
      failed: o.hooked && by !== 'handler' ? val.failed : null,
      unanswered: unanswered.get(rowId(key)) ?? 0,
      untimed: val.untimed,
      action_upcalls: val.actionUpcalls,
      latency: toHistogram(val.latency, 'ns'),
    }))
    .sort((a, b) => b.upcalls - a.upcalls || (b.latency.percentiles?.p99.high ?? 0) - (a.latency.percentiles?.p99.high ?? 0));
  const sum = (f: (r: UpcallRow) => number) => rows.reduce((n, r) => n + f(r), 0);
  const all = entries.reduce<bigint[] | undefined>((h, e) => (h ? addCounts(h, e.val.latency) : [...e.val.latency]), undefined) ?? [];
  const upcalls = sum((r) => r.upcalls);
  return {
    by,
    upcalls,
    executed: sum((r) => r.executed),
    failed: o.hooked && by !== 'handler' ? sum((r) => r.failed ?? 0) : null,
    unanswered: [...unanswered.values()].reduce((n, v) => n + v, 0),
    untimed: sum((r) => r.untimed),
    upcalls_per_s: o.seconds > 0 ? Math.round((upcalls / o.seconds) * 10) / 10 : 0,
    waiting: o.waiting,
    latency: toHistogram(all, 'ns'),
    rows: rows.slice(0, o.top),
    more_rows: Math.max(0, rows.length - o.top),
  };
}

const rowName = (r: UpcallRow): string =>
  r.port ? `${r.port.name}(${r.port.ifindex})` : r.flow ? formatFlow(r.flow) : r.handler ? `${r.handler.comm}(${r.handler.tid})` : '-';

export function renderUpcallText(rec: UpcallRecord): string {
  const p = rec.latency.percentiles;
  const failed = rec.failed === null ? 'failed not measured' : `${rec.failed} failed`;
  const lines = [
    `${spanHeading(rec)}: ${rec.upcalls} upcall${rec.upcalls === 1 ? '' : 's'} (${rec.upcalls_per_s}/s), ${rec.executed} executed, ${failed}, ${rec.unanswered} unanswered, ${rec.waiting} waiting` +
      (p ? `; latency p50 ${formatBounds(p.p50, 'ns')}, p99 ${formatBounds(p.p99, 'ns')}, p99.9 ${formatBounds(p.p999, 'ns')}` : ''),
  ];
  if (rec.rows.length) {
    const header = [rec.by.toUpperCase(), 'UPCALLS', 'EXECUTED', 'FAILED', 'UNANSWERED', 'P50', 'P99', 'P99.9'];
    const body = rec.rows.map((r) => {
      const q = r.latency.percentiles;
      return [rowName(r), String(r.upcalls), String(r.executed), r.failed === null ? '-' : String(r.failed), rec.by === 'handler' ? '-' : String(r.unanswered), formatBounds(q?.p50, 'ns'), formatBounds(q?.p99, 'ns'), formatBounds(q?.p999, 'ns')];
    });
    lines.push(...textTable(header, body, new Set([0])));
    if (rec.more_rows) lines.push(`  ... and ${rec.more_rows} more (--top)`);
  }
  return lines.join('\n');
}

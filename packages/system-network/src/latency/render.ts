/** Pure renderers of system_network_latency_summary records. */
import { renderHistogram, type Losses } from '@netstrata/bpf-common';
import type { DirectionRow } from './aggregate.ts';

export interface SummaryRecord {
  type: 'interval' | 'final';
  tool: 'system_network_latency_summary';
  time: string;
  interval_s: number;
  directions: DirectionRow[];
  lost: number;
  map_full: number;
  evicted: number;
  stack_failed: number;
  /** Hook runs the kernel skipped (a BPF program already running on that CPU): stages not seen. */
  missed: number;
}

export function summaryRecord(type: 'interval' | 'final', rows: DirectionRow[], o: { time: Date; intervalS: number; losses: Losses & { missed: number } }): SummaryRecord {
  return {
    type,
    tool: 'system_network_latency_summary',
    time: o.time.toISOString(),
    interval_s: o.intervalS,
    directions: rows,
    lost: o.losses.lost,
    map_full: o.losses.map_full,
    // Evictions are known by difference, per direction, since start (see packets.evicted).
    evicted: rows.reduce((s, r) => s + r.packets.evicted, 0),
    stack_failed: o.losses.stack_failed,
    missed: o.losses.missed,
  };
}

export function renderSummaryText(rec: SummaryRecord): string {
  const when = new Date(rec.time).toTimeString().slice(0, 8);
  const lines = [`${when} ${rec.type === 'final' ? 'total since start' : `interval ${rec.interval_s.toFixed(1)} s`}`];
  for (const d of rec.directions) {
    const p = d.packets;
    const state = rec.type === 'final' ? `, evicted ${p.evicted}, in flight ${p.in_flight}` : '';
    lines.push(`${d.direction.toUpperCase()}: started ${p.started}, completed ${p.completed}, incomplete ${p.incomplete}${state}${p.untracked ? `, untracked reads ${p.untracked}` : ''}`);
    if (!d.pairs.length) lines.push('  (no completed packets)');
    for (const pr of d.pairs) lines.push(renderHistogram(pr.histogram, { title: `  ${d.direction} ${pr.from} -> ${pr.to}`, width: 30 }));
    if (d.end_to_end) lines.push(renderHistogram(d.end_to_end.histogram, { title: `  ${d.direction} end to end (first stage passed -> last)`, width: 30 }));
  }
  lines.push(`  lost: map_full ${rec.map_full}, evicted ${rec.evicted}, missed by the kernel ${rec.missed}`);
  return lines.join('\n');
}

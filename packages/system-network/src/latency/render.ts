/** Pure renderers of system_network_latency_summary records. */
import { spanHeading, renderHistogram, type SummaryEnvelope } from '@netstrata/bpf-common';
import type { DirectionRow } from './aggregate.ts';

/** A report's own fields (the runner adds the envelope and the loss block; `evicted` there is the
 * sessions let go, known by difference, see packets.evicted). */
export interface SummaryFields {
  directions: DirectionRow[];
}

export type SummaryRecord = SummaryEnvelope & SummaryFields;

export function renderSummaryText(rec: SummaryRecord): string {
  const lines = [`${spanHeading(rec)}`];
  for (const d of rec.directions) {
    const p = d.packets;
    const state = rec.type === 'final' ? `, evicted ${p.evicted}, in flight ${p.in_flight}` : '';
    const consumed = p.consumed ? `, consumed ${p.consumed}` : '';
    lines.push(
      `${d.direction.toUpperCase()}: started ${p.started}, completed ${p.completed}, segmented ${p.segmented}${p.segmented ? ` (${p.segments} segments)` : ''}, dropped ${p.dropped}${consumed}, timed out ${p.timed_out}${state}` +
        `${p.untracked ? `, untracked reads ${p.untracked}` : ''}${p.unstamped ? `, without RX timestamp ${p.unstamped}` : ''}`,
    );
    if (d.drops.length) lines.push(`  dropped by reason: ${d.drops.map((r) => `${r.reason} ${r.count}`).join(', ')}`);
    if (!d.pairs.length) lines.push('  (no completed packets)');
    for (const pr of d.pairs) lines.push(renderHistogram(pr.histogram, { title: `  ${d.direction} ${pr.from} -> ${pr.to}`, width: 30 }));
    if (d.end_to_end) lines.push(renderHistogram(d.end_to_end.histogram, { title: `  ${d.direction} end to end (first stage passed -> last)`, width: 30 }));
  }
  return lines.join('\n');
}

/** Pure renderers of packet_drop_summary records: JSON objects first, text from the same rows. */
import { timeOfDay, flowFromRaw, formatFlow, locationText, type Flow, type SummaryEnvelope, type Tick } from '@netstrata/bpf-common';
import type { DropCount, DropSnapshot } from './aggregate.ts';
import type { DropResolver, Location } from '../resolve.ts';

export const GROUP_KEYS = ['reason', 'location', 'stack', 'device', 'flow'] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];

export interface DropRow {
  count: number;
  share: number;
  reason?: string;
  reason_code?: number;
  location?: Location & { address: string };
  stack?: string[];
  device?: string;
  ifindex?: number;
  netns?: number;
  flow?: Flow | null;
}

/** A report's own fields (the runner adds the envelope and the loss block). */
export interface SummaryFields {
  drops: number;
  total_drops: number;
  group_by: GroupKey[];
  rows: DropRow[];
  more_rows: number;
  more_drops: number;
}

export type SummaryRecord = SummaryEnvelope & SummaryFields;

export function toRow(c: DropCount, sum: number, groupBy: readonly GroupKey[], r: DropResolver): DropRow {
  const row: DropRow = { count: c.count, share: sum ? Math.round((c.count / sum) * 10_000) / 10_000 : 0 };
  const k = c.key;
  for (const g of groupBy) {
    switch (g) {
      case 'reason':
        row.reason = r.reasonName(k.reason);
        row.reason_code = k.reason;
        break;
      case 'location': {
        const loc = r.location(k.location);
        row.location = { symbol: loc?.symbol ?? '?', offset: loc?.offset ?? 0, address: `0x${k.location.toString(16)}` };
        break;
      }
      case 'stack':
        row.stack = k.stack_id >= 0 ? (r.stack(k.stack_id) ?? []) : [];
        break;
      case 'device':
        row.device = k.dev;
        row.ifindex = k.ifindex;
        row.netns = k.netns;
        break;
      case 'flow':
        row.flow = flowFromRaw(k.flow) ?? null;
        break;
    }
  }
  return row;
}

export function summaryFields(snap: DropSnapshot, tick: Pick<Tick, 'type'>, o: { top: number; groupBy: readonly GroupKey[]; resolver: DropResolver }): SummaryFields {
  const counts = tick.type === 'interval' ? snap.interval : snap.total;
  const sum = tick.type === 'interval' ? snap.intervalDrops : snap.totalDrops;
  const shown = counts.slice(0, o.top);
  const hidden = counts.slice(o.top);
  return {
    drops: sum,
    total_drops: snap.totalDrops,
    group_by: [...o.groupBy],
    rows: shown.map((c) => toRow(c, sum, o.groupBy, o.resolver)),
    more_rows: hidden.length,
    more_drops: hidden.reduce((s, c) => s + c.count, 0),
  };
}

const HEADERS: Record<GroupKey, string> = {
  reason: 'REASON',
  location: 'LOCATION',
  stack: '',
  device: 'DEVICE',
  flow: 'FLOW',
};

export function renderSummaryText(rec: SummaryRecord): string {
  const lines: string[] = [];
  const what = rec.type === 'final' ? 'since start' : `in ${rec.interval_s.toFixed(1)} s`;
  lines.push(`${timeOfDay(rec.time)} ${rec.type === 'final' ? 'total' : 'interval'}: ${rec.drops} drops ${what}${rec.type === 'interval' ? ` (${rec.total_drops} since start)` : ''}`);
  if (rec.rows.length) {
    const cols = rec.group_by.filter((g) => g !== 'stack');
    const table: string[][] = [['COUNT', 'SHARE', ...cols.map((c) => HEADERS[c])]];
    for (const row of rec.rows) {
      table.push([
        String(row.count),
        `${(row.share * 100).toFixed(1)}%`,
        ...cols.map((c) => cell(row, c)),
      ]);
    }
    const widths = table[0]!.map((_, i) => Math.max(...table.map((t) => t[i]!.length)));
    table.forEach((t, i) => {
      lines.push(
        '  ' +
          t
            .map((v, j) => (j < 2 ? v.padStart(widths[j]!) : j === t.length - 1 ? v : v.padEnd(widths[j]!)))
            .join('  ')
            .trimEnd(),
      );
      const row = i > 0 ? rec.rows[i - 1] : undefined;
      if (row?.stack) for (const frame of row.stack) lines.push(`        ${frame}`);
    });
  }
  if (rec.more_rows) lines.push(`  … ${rec.more_rows} more rows with ${rec.more_drops} drops (raise --top to see them)`);
  return lines.join('\n');
}

function cell(row: DropRow, c: GroupKey): string {
  switch (c) {
    case 'reason':
      return row.reason ?? '';
    case 'location':
      return row.location ? locationText(row.location) : '';
    case 'device':
      return row.device ? `${row.device} (netns ${row.netns})` : row.ifindex ? `ifindex ${row.ifindex} (netns ${row.netns})` : '-';
    case 'flow':
      return row.flow ? formatFlow(row.flow) : '-';
    default:
      return '';
  }
}

/** Pure renderers of packet_drop_summary records: JSON objects first, text from the same rows. */
import type { DropCount, DropSnapshot } from './aggregate.ts';
import type { DropResolver, Flow, Location } from '../resolve.ts';

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

export interface Losses {
  map_full: number;
  stack_failed: number;
  /** Hook runs the kernel skipped (a BPF program already running on that CPU): drops never seen. */
  missed: number;
}

export interface SummaryRecord {
  type: 'interval' | 'final';
  tool: 'packet_drop_summary';
  time: string;
  interval_s: number;
  drops: number;
  total_drops: number;
  group_by: GroupKey[];
  rows: DropRow[];
  more_rows: number;
  more_drops: number;
  map_full: number;
  stack_failed: number;
  missed: number;
}

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
        row.stack = k.stackId >= 0 ? (r.stack(k.stackId) ?? []) : [];
        break;
      case 'device':
        row.device = k.dev;
        row.ifindex = k.ifindex;
        row.netns = k.netns;
        break;
      case 'flow':
        row.flow = r.flow(k.flow) ?? null;
        break;
    }
  }
  return row;
}

export function summaryRecord(
  type: 'interval' | 'final',
  snap: DropSnapshot,
  o: { time: Date; intervalS: number; top: number; groupBy: readonly GroupKey[]; losses: Losses; resolver: DropResolver },
): SummaryRecord {
  const counts = type === 'interval' ? snap.interval : snap.total;
  const sum = type === 'interval' ? snap.intervalDrops : snap.totalDrops;
  const shown = counts.slice(0, o.top);
  const hidden = counts.slice(o.top);
  return {
    type,
    tool: 'packet_drop_summary',
    time: o.time.toISOString(),
    interval_s: o.intervalS,
    drops: sum,
    total_drops: snap.totalDrops,
    group_by: [...o.groupBy],
    rows: shown.map((c) => toRow(c, sum, o.groupBy, o.resolver)),
    more_rows: hidden.length,
    more_drops: hidden.reduce((s, c) => s + c.count, 0),
    map_full: o.losses.map_full,
    stack_failed: o.losses.stack_failed,
    missed: o.losses.missed,
  };
}

const HEADERS: Record<GroupKey, string> = {
  reason: 'REASON',
  location: 'LOCATION',
  stack: '',
  device: 'DEVICE',
  flow: 'FLOW',
};

function timeOfDay(iso: string): string {
  const d = new Date(iso);
  return d.toTimeString().slice(0, 8);
}

export function renderSummaryText(rec: SummaryRecord, r: Pick<DropResolver, 'formatFlow'>): string {
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
        ...cols.map((c) => cell(row, c, r)),
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
  // Losses are always shown at the end, and in any interval where something was lost.
  if (rec.type === 'final' || rec.map_full || rec.stack_failed || rec.missed) {
    lines.push(`  lost: map_full ${rec.map_full} (drops not counted: group map full), stack_failed ${rec.stack_failed}, missed by the kernel ${rec.missed}`);
  }
  return lines.join('\n');
}

function cell(row: DropRow, c: GroupKey, r: Pick<DropResolver, 'formatFlow'>): string {
  switch (c) {
    case 'reason':
      return row.reason ?? '';
    case 'location':
      return row.location ? `${row.location.symbol}+0x${row.location.offset.toString(16)}` : '';
    case 'device':
      return row.device ? `${row.device} (netns ${row.netns})` : row.ifindex ? `ifindex ${row.ifindex} (netns ${row.netns})` : '-';
    case 'flow':
      return row.flow ? r.formatFlow(row.flow) : '-';
    default:
      return '';
  }
}

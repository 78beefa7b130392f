/** Pure renderers of system_network_metrics_summary records. */
import { formatValue, renderHistogram, type CostFields, type Envelope, type Histogram, type LossFields, type SummaryEnvelope } from '@netstrata/bpf-common';
import type { DeviceRow } from './aggregate.ts';
import { DEVICE_FIELDS, QUEUE_FIELDS } from './fields.ts';
import type { DropRow, QueueRow, SoftirqRow, Vitals } from './vitals.ts';

/** A report's own fields (the runner adds the envelope and the loss block). */
export interface MetricsFields {
  devices: (Omit<DeviceRow, 'name'> & { device: string })[];
  more_devices: number;
  queues: QueueRow[];
  drops: DropRow[];
  softirqs: SoftirqRow[];
}

export type MetricsRecord = SummaryEnvelope & MetricsFields;

/** What a Prometheus scrape reads: the totals, without the report's cost block. */
export type MetricsTotals = Envelope & { type: 'interval' | 'final'; interval_s: number } & LossFields & MetricsFields & { cost?: CostFields };

const EMPTY: Vitals = { queues: [], drops: [], softirqs: [] };

export function metricsFields(rows: DeviceRow[], o: { top: number; vitals?: Vitals }): MetricsFields {
  const v = o.vitals ?? EMPTY;
  return {
    devices: rows.slice(0, o.top).map(({ name, ...r }) => ({ device: name, ...r })),
    more_devices: Math.max(0, rows.length - o.top),
    queues: v.queues.slice(0, o.top),
    drops: v.drops.slice(0, o.top),
    softirqs: v.softirqs,
  };
}

function table(rows: string[][], leftCols: number): string[] {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((v, i) => (i < leftCols ? v.padEnd(w[i]!) : v.padStart(w[i]!))).join('  ')}`);
}

const devName = (d: { device: string; ifindex: number }) => d.device || (d.ifindex ? `ifindex ${d.ifindex}` : '(no device)');
const pct = (h: Histogram, p: 'p50' | 'p99') => (h.percentiles ? `[${formatValue(h.percentiles[p].low, 'us')}, ${formatValue(h.percentiles[p].high, 'us')})` : '-');

export function renderMetricsText(rec: MetricsRecord): string {
  const when = new Date(rec.time).toTimeString().slice(0, 8);
  const lines = [`${when} ${rec.type === 'final' ? 'total since start' : `interval ${rec.interval_s.toFixed(1)} s`}: ${rec.devices.length} devices with traffic`];
  if (rec.devices.length) {
    const rows = [['DEVICE', 'NETNS', ...DEVICE_FIELDS.map((f) => f.column)]];
    for (const d of rec.devices) rows.push([devName(d), String(d.netns), ...DEVICE_FIELDS.map((f) => String(d[f.key]))]);
    lines.push(...table(rows, 2));
  }
  if (rec.more_devices) lines.push(`  … ${rec.more_devices} more devices (raise --top to see them)`);
  if (rec.queues.length) {
    lines.push('  qdisc and NAPI:');
    const rows = [['DEVICE', 'NETNS', ...QUEUE_FIELDS.map((f) => f.column), 'SOJOURN_P50', 'SOJOURN_P99']];
    for (const q of rec.queues) {
      rows.push([devName(q), String(q.netns), ...QUEUE_FIELDS.map((f) => String(q[f.key])), pct(q.qdisc_sojourn_us, 'p50'), pct(q.qdisc_sojourn_us, 'p99')]);
    }
    lines.push(...table(rows, 2));
    // The whole distribution once, at the end; intervals keep to the percentiles above.
    if (rec.type === 'final') {
      for (const q of rec.queues) {
        if (q.qdisc_sojourn_us.count) lines.push(renderHistogram(q.qdisc_sojourn_us, { title: `  qdisc sojourn on ${devName(q)} (netns ${q.netns}):`, width: 30 }));
      }
    }
  }
  if (rec.drops.length) {
    lines.push('  drops:');
    const rows = [['DEVICE', 'NETNS', 'REASON', 'COUNT']];
    for (const d of rec.drops) rows.push([devName(d), String(d.netns), d.reason, String(d.count)]);
    lines.push(...table(rows, 3));
  }
  if (rec.softirqs.length) {
    lines.push('  softirqs:');
    const rows = [['CPU', 'VECTOR', 'COUNT', 'TIME_US', 'AVG_US']];
    for (const s of rec.softirqs) rows.push([String(s.cpu), s.vector, String(s.count), String(s.time_us), (s.time_us / s.count).toFixed(1)]);
    lines.push(...table(rows, 2));
  }
  return lines.join('\n');
}

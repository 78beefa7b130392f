/** Pure renderers of system_network_metrics_summary records. */
import { spanHeading, formatValue, renderHistogram, type CostFields, type Envelope, type Histogram, type LossFields, type SummaryEnvelope } from '@netstrata/bpf-common';
import type { DeviceRow, KernelCounts } from './aggregate.ts';
import type { ConntrackRow } from '../conntrack/stats.ts';
import type { CpuRow, SoftirqCountRow } from './cpus.ts';
import { CONNTRACK_FIELDS, CPU_FIELDS, DEVICE_FIELDS, QDISC_FIELDS, QUEUE_FIELDS } from './fields.ts';
import type { QdiscRow } from './qdiscs.ts';
import type { DropRow, QueueRow, SoftirqRow, Vitals } from './vitals.ts';

/** A report's own fields (the runner adds the envelope and the loss block). */
export interface MetricsFields {
  devices: (Omit<DeviceRow, 'name'> & { device: string })[];
  more_devices: number;
  /** tc's statistics per qdisc (counters since start, backlog now). */
  qdiscs: QdiscRow[];
  /** Per namespace where conntrack is in use. */
  conntrack: ConntrackRow[];
  /** Per CPU: softirq time (/proc/stat) and softnet_stat. */
  cpus: CpuRow[];
  /** NET_RX/NET_TX runs per CPU (/proc/softirqs), with time_us under --softirq-time. */
  softirqs: SoftirqCountRow[];
  /** NAPI (--napi) and qdisc sojourn (--qdisc-sojourn) per device; empty without them. */
  queues: QueueRow[];
  drops: DropRow[];
}

export type MetricsRecord = SummaryEnvelope & MetricsFields;

/** What a Prometheus scrape reads: the totals, without the report's cost block. */
export type MetricsTotals = Envelope & { type: 'interval' | 'final'; interval_s: number } & LossFields & MetricsFields & { cost?: CostFields };

const EMPTY: Vitals = { queues: [], drops: [], softirqs: [] };
const NO_COUNTS: Omit<KernelCounts, 'devices'> = { qdiscs: [], conntrack: [], cpus: [], softirqs: [] };

/** Softirq runs as the kernel counts them; with --softirq-time, the time measured in BPF beside. */
function softirqRows(counts: readonly SoftirqCountRow[], timed: readonly SoftirqRow[] | undefined): SoftirqCountRow[] {
  if (!timed) return counts.map((r) => ({ cpu: r.cpu, vector: r.vector, count: r.count }));
  const us = new Map(timed.map((t) => [`${t.cpu}/${t.vector}`, t.time_us]));
  return counts.map((r) => ({ cpu: r.cpu, vector: r.vector, count: r.count, time_us: us.get(`${r.cpu}/${r.vector}`) ?? 0 }));
}

export function metricsFields(
  rows: DeviceRow[],
  o: { top: number; vitals?: Vitals; counts?: Omit<KernelCounts, 'devices'>; softirqTime?: boolean },
): MetricsFields {
  const v = o.vitals ?? EMPTY;
  const k = o.counts ?? NO_COUNTS;
  return {
    devices: rows.slice(0, o.top).map(({ name, ...r }) => ({ device: name, ...r })),
    more_devices: Math.max(0, rows.length - o.top),
    qdiscs: k.qdiscs.slice(0, o.top),
    conntrack: k.conntrack,
    cpus: k.cpus,
    softirqs: softirqRows(k.softirqs, o.softirqTime ? v.softirqs : undefined),
    queues: v.queues.slice(0, o.top),
    drops: v.drops.slice(0, o.top),
  };
}

function table(rows: string[][], leftCols: number): string[] {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((v, i) => (i < leftCols ? v.padEnd(w[i]!) : v.padStart(w[i]!))).join('  ')}`);
}

const devName = (d: { device: string; ifindex: number }) => d.device || (d.ifindex ? `ifindex ${d.ifindex}` : '(no device)');
const pct = (h: Histogram, p: 'p50' | 'p99') => (h.percentiles ? `[${formatValue(h.percentiles[p].low, 'us')}, ${formatValue(h.percentiles[p].high, 'us')})` : '-');

export function renderMetricsText(rec: MetricsRecord): string {
  const lines = [`${spanHeading(rec)}: ${rec.devices.length} devices with traffic`];
  if (rec.devices.length) {
    const rows = [['DEVICE', 'NETNS', ...DEVICE_FIELDS.map((f) => f.column)]];
    for (const d of rec.devices) rows.push([devName(d), String(d.netns), ...DEVICE_FIELDS.map((f) => String(d[f.key]))]);
    lines.push(...table(rows, 2));
  }
  if (rec.more_devices) lines.push(`  … ${rec.more_devices} more devices (raise --top to see them)`);
  if (rec.qdiscs.length) {
    lines.push('  qdiscs:');
    const rows = [['DEVICE', 'NETNS', 'QDISC', 'PARENT', ...QDISC_FIELDS.map((f) => f.column), 'BACKLOG']];
    for (const q of rec.qdiscs) {
      rows.push([devName(q), String(q.netns), `${q.kind} ${q.handle}`, q.parent, ...QDISC_FIELDS.map((f) => String(q[f.key])), `${q.backlog_packets}p ${q.backlog_bytes}b`]);
    }
    lines.push(...table(rows, 4));
  }
  if (rec.conntrack.length) {
    lines.push('  conntrack:');
    // Columns the kernel does not have (null everywhere) are left out.
    const fields = CONNTRACK_FIELDS.filter((f) => rec.conntrack.some((c) => c[f.key] !== null));
    const rows = [['NETNS', 'ENTRIES', 'MAX', ...fields.map((f) => f.column)]];
    for (const c of rec.conntrack) rows.push([String(c.netns), String(c.entries), c.max === null ? '-' : String(c.max), ...fields.map((f) => String(c[f.key] ?? '-'))]);
    lines.push(...table(rows, 1));
  }
  if (rec.queues.length) {
    // Each half only where its probe ran (--qdisc-sojourn, --napi): zeros would read as measured.
    const sojourn = rec.queues.some((q) => q.qdisc_dequeued + q.qdisc_unmatched > 0);
    const napi = rec.queues.some((q) => q.napi_polls > 0);
    const fields = QUEUE_FIELDS.filter((f) => (f.key.startsWith('napi') ? napi : sojourn));
    lines.push(`  ${[sojourn ? 'qdisc sojourn' : '', napi ? 'NAPI' : ''].filter(Boolean).join(' and ')}:`);
    const rows = [['DEVICE', 'NETNS', ...fields.map((f) => f.column), ...(sojourn ? ['SOJOURN_P50', 'SOJOURN_P99'] : [])]];
    for (const q of rec.queues) {
      rows.push([devName(q), String(q.netns), ...fields.map((f) => String(q[f.key])), ...(sojourn ? [pct(q.qdisc_sojourn_us, 'p50'), pct(q.qdisc_sojourn_us, 'p99')] : [])]);
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
    const timed = rec.softirqs.some((s) => s.time_us !== undefined);
    const rows = [['CPU', 'VECTOR', 'COUNT', ...(timed ? ['TIME_US', 'AVG_US'] : [])]];
    for (const s of rec.softirqs) {
      const t = s.time_us ?? 0;
      rows.push([String(s.cpu), s.vector, String(s.count), ...(timed ? [String(t), s.count ? (t / s.count).toFixed(1) : '-'] : [])]);
    }
    lines.push(...table(rows, 2));
  }
  if (rec.cpus.length) {
    lines.push('  per CPU (softirq time, softnet_stat):');
    const rows = [['CPU', ...CPU_FIELDS.map((f) => f.column)]];
    for (const c of rec.cpus) rows.push([String(c.cpu), ...CPU_FIELDS.map((f) => String(Math.round(c[f.key])))]);
    lines.push(...table(rows, 1));
  }
  return lines.join('\n');
}

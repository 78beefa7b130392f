/**
 * --prometheus: serve the totals since start at /metrics, built as the same record (and from the
 * same field list) the text and JSON outputs print. Each scrape reads the maps once.
 */
import { createServer, type Server } from 'node:http';
import { LOSS_KEYS } from '@netstrata/bpf-common';
import { CONNTRACK_FIELDS, CONNTRACK_GAUGES, COST_PROM, CPU_FIELDS, DEVICE_FIELDS, DROPS_PROM, LOST_PROM, QDISC_BACKLOG_PROM, QDISC_FIELDS, QUEUE_FIELDS, SOFTIRQ_PROM, SOJOURN_PROM } from './fields.ts';
import type { ListenAddress } from './options.ts';
import type { MetricsTotals } from './render.ts';

type Labels = Record<string, string | number>;
interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** Histogram le bounds exported: the powers of two 2^0..2^31 µs (about 36 min); +Inf holds the rest. The
 * finer buckets are merged: 33 series per device instead of one per bucket. */
const LE_SLOTS = 32;

/**
 * A histogram ({start, end, count} buckets, start <= v < end) as cumulative Prometheus buckets at
 * powers of two. Exact: no bucket straddles a power of two, so every sample counted under le was below
 * it. The kernel keeps no sum, so no
 * _sum series is exported rather than a made-up one.
 */
export function cumulativeBuckets(buckets: readonly { start: number; end: number; count: number }[]): { le: string; count: number }[] {
  const out: { le: string; count: number }[] = [];
  let seen = 0;
  let i = 0;
  for (let k = 0; k < LE_SLOTS; k++) {
    const end = 2 ** k;
    while (i < buckets.length && buckets[i]!.end <= end) seen += buckets[i++]!.count;
    out.push({ le: String(end), count: seen });
  }
  const total = buckets.reduce((s, b) => s + b.count, 0);
  out.push({ le: '+Inf', count: total });
  return out;
}

/** The exposition of one record, as metric families (name, help, type, samples). */
export function families(rec: MetricsTotals | undefined): { name: string; help: string; type: 'counter' | 'gauge' | 'histogram'; values: Sample[] }[] {
  const devices = rec?.devices ?? [];
  const queues = rec?.queues ?? [];
  const dev = (d: { device: string; netns: number; ifindex: number }): Labels => ({ device: d.device, netns: d.netns, ifindex: d.ifindex });
  const out: ReturnType<typeof families> = [];
  for (const f of DEVICE_FIELDS) out.push({ name: f.prom, help: f.help, type: 'counter', values: devices.map((d) => ({ labels: dev(d), value: d[f.key] })) });
  const qdiscs = rec?.qdiscs ?? [];
  const qd = (q: (typeof qdiscs)[number]): Labels => ({ ...dev(q), qdisc: q.kind, handle: q.handle, parent: q.parent });
  for (const f of QDISC_FIELDS) out.push({ name: f.prom, help: f.help, type: 'counter', values: qdiscs.map((q) => ({ labels: qd(q), value: q[f.key] })) });
  out.push({ name: QDISC_BACKLOG_PROM.bytes.prom, help: QDISC_BACKLOG_PROM.bytes.help, type: 'gauge', values: qdiscs.map((q) => ({ labels: qd(q), value: q.backlog_bytes })) });
  out.push({ name: QDISC_BACKLOG_PROM.packets.prom, help: QDISC_BACKLOG_PROM.packets.help, type: 'gauge', values: qdiscs.map((q) => ({ labels: qd(q), value: q.backlog_packets })) });
  // Conntrack only for namespaces where it is in use, and only the counters this kernel has.
  const ct = rec?.conntrack ?? [];
  out.push({ name: CONNTRACK_GAUGES.entries.prom, help: CONNTRACK_GAUGES.entries.help, type: 'gauge', values: ct.map((c) => ({ labels: { netns: c.netns }, value: c.entries })) });
  out.push({ name: CONNTRACK_GAUGES.max.prom, help: CONNTRACK_GAUGES.max.help, type: 'gauge', values: ct.filter((c) => c.max !== null).map((c) => ({ labels: { netns: c.netns }, value: c.max! })) });
  for (const f of CONNTRACK_FIELDS) {
    out.push({ name: f.prom, help: f.help, type: 'counter', values: ct.filter((c) => c[f.key] !== null).map((c) => ({ labels: { netns: c.netns }, value: c[f.key]! })) });
  }
  const cpus = rec?.cpus ?? [];
  for (const f of CPU_FIELDS) {
    const scale = f.key === 'softirq_us' ? 1e-6 : 1;
    out.push({ name: f.prom, help: f.help, type: 'counter', values: cpus.map((c) => ({ labels: { cpu: c.cpu }, value: c[f.key] * scale })) });
  }
  for (const f of QUEUE_FIELDS) out.push({ name: f.prom, help: f.help, type: 'counter', values: queues.map((q) => ({ labels: dev(q), value: q[f.key] })) });
  const sojourn: Sample[] = [];
  for (const q of queues) {
    if (!q.qdisc_sojourn_us.count) continue;
    for (const b of cumulativeBuckets(q.qdisc_sojourn_us.buckets)) sojourn.push({ metricName: `${SOJOURN_PROM.prom}_bucket`, labels: { ...dev(q), le: b.le }, value: b.count });
    sojourn.push({ metricName: `${SOJOURN_PROM.prom}_count`, labels: dev(q), value: q.qdisc_sojourn_us.count });
  }
  out.push({ name: SOJOURN_PROM.prom, help: SOJOURN_PROM.help, type: 'histogram', values: sojourn });
  out.push({
    name: DROPS_PROM.prom,
    help: DROPS_PROM.help,
    type: 'counter',
    values: (rec?.drops ?? []).map((d) => ({ labels: { ...dev(d), reason: d.reason }, value: d.count })),
  });
  const softirqs = rec?.softirqs ?? [];
  const timed = softirqs.filter((s) => s.time_us !== undefined);
  out.push({ name: SOFTIRQ_PROM.seconds.prom, help: SOFTIRQ_PROM.seconds.help, type: 'counter', values: timed.map((s) => ({ labels: { cpu: s.cpu, vector: s.vector }, value: s.time_us! / 1e6 })) });
  out.push({ name: SOFTIRQ_PROM.count.prom, help: SOFTIRQ_PROM.count.help, type: 'counter', values: softirqs.map((s) => ({ labels: { cpu: s.cpu, vector: s.vector }, value: s.count })) });
  out.push({
    name: LOST_PROM.prom,
    help: LOST_PROM.help,
    type: 'counter',
    values: LOSS_KEYS.map((kind) => ({ labels: { kind }, value: rec?.[kind] ?? 0 })),
  });
  // The tool's own cost; program runs only while the kernel counts them (no made-up zeros).
  const cost = rec?.cost;
  const bpf = cost?.bpf_stats ? cost : undefined;
  out.push({ name: COST_PROM.bpfRuns.prom, help: COST_PROM.bpfRuns.help, type: 'counter', values: bpf ? [{ labels: {}, value: bpf.bpf_runs ?? 0 }] : [] });
  out.push({ name: COST_PROM.bpfSeconds.prom, help: COST_PROM.bpfSeconds.help, type: 'counter', values: bpf ? [{ labels: {}, value: (bpf.bpf_ns ?? 0) / 1e9 }] : [] });
  out.push({ name: COST_PROM.cpuSeconds.prom, help: COST_PROM.cpuSeconds.help, type: 'counter', values: cost ? [{ labels: {}, value: cost.cpu_s }] : [] });
  out.push({ name: COST_PROM.rss.prom, help: COST_PROM.rss.help, type: 'gauge', values: cost ? [{ labels: {}, value: cost.rss_mb * 2 ** 20 }] : [] });
  return out;
}

export interface PrometheusServer {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/** Listens before anything is loaded, so a busy port fails fast and names the option. */
export async function startPrometheus(at: ListenAddress, latest: () => MetricsTotals | undefined): Promise<PrometheusServer> {
  // Loaded here, not with the tool: ~70 ms of module loading that only --prometheus needs.
  const { default: promClient } = await import('prom-client');
  const registry = new promClient.Registry();
  // prom-client formats the exposition; the values come from our record on every scrape.
  // One read per scrape, shared by every family (prom-client asks each in turn).
  let current: ReturnType<typeof families> = families(undefined);
  for (const f of families(undefined)) {
    registry.registerMetric({
      name: f.name,
      get: async () => {
        const fam = current.find((x) => x.name === f.name)!;
        return { name: fam.name, help: fam.help, type: fam.type, aggregator: 'sum', values: fam.values };
      },
    } as never);
  }
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found: try /metrics\n');
      return;
    }
    try {
      current = families(latest());
    } catch (err) {
      res.writeHead(500).end(`${String(err)}\n`);
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(`${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`--prometheus: cannot listen on ${at.host}:${at.port}: ${(err as Error).message}`)));
    server.listen(at.port, at.host, () => resolve());
  });
  return {
    address: at,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper keeps its connection alive: without this, close would wait for it.
        server.closeAllConnections();
      }),
  };
}

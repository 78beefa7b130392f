/**
 * system_network_metrics_summary --prometheus scraped by a real Prometheus (Debian's package),
 * started here with its own config, storage and loopback port: what Prometheus stores equals the
 * tool's own final NDJSON and the lab's ground truth.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { octaveOf } from '@netstrata/bpf-common';
import { Lab, requireRoot, runToolOnce, sendUdp, startTool, toolPath, twoHosts } from './index.ts';

const run = requireRoot('system_network_metrics_summary Prometheus test');
const havePrometheus = spawnSync('prometheus', ['--version']).status === 0;
if (run && !havePrometheus && process.env.CI) throw new Error('prometheus is not installed (.ci/setup.sh installs it)');
if (run && !havePrometheus) console.warn('skipping the Prometheus scrape test: prometheus is not installed');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function query(base: string, promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await r.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`query ${promql}: ${JSON.stringify(body)}`);
  return body.data.result;
}

/** Polls until fn returns a value, or fails naming what was awaited. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

let prometheus: ChildProcess | undefined;
let dir: string | undefined;
afterEach(() => {
  prometheus?.kill('SIGKILL');
  prometheus = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe.runIf(run && havePrometheus)('system_network_metrics_summary --prometheus', () => {
  it('a real Prometheus scrapes the same numbers the tool prints and the lab sent', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    // b answers each packet to its closed port with an ICMP error (rate-limited by the kernel),
    // sent through a tbf on b: the qdisc sojourn histogram (--qdisc-sojourn) gets samples to export.
    b.ns.tc('qdisc', 'add', 'dev', b.dev, 'root', 'tbf', 'rate', '1mbit', 'burst', '2000', 'limit', '1000000');
    const toolPort = await freePort();
    await using tool = await startTool(toolPath('systemNetworkMetricsSummary'), ['--netns', b.ns.name, '--interval', '3600', '--prometheus', String(toolPort), '--qdisc-sojourn', '--softirq-time']);

    dir = mkdtempSync(join(tmpdir(), 'nst-prom-'));
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: netstrata\n    static_configs:\n      - targets: ['127.0.0.1:${toolPort}']\n`,
    );
    let log = '';
    prometheus = spawn('prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    prometheus.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const base = `http://127.0.0.1:${promPort}`;
    await until(`prometheus ready (${log.slice(-300)})`, async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));

    const N = 30;
    // Closed port on b: every packet is also a NO_SOCKET drop on b's device.
    expect(sendUdp(a.ns, { dst: b.v4, dport: 40003, count: N, size: 200 }).sent).toBe(N);
    const sel = `{device="${b.dev}",netns="${b.ns.inode}"}`;
    const rx = await until('rx_packets = N in Prometheus', async () => {
      const r = await query(base, `netstrata_device_rx_packets_total${sel}`);
      return r.length === 1 && Number(r[0]!.value[1]) === N ? Number(r[0]!.value[1]) : undefined;
    });
    const drops = await until('NO_SOCKET drops in Prometheus', async () => {
      const r = await query(base, `netstrata_drops_total{device="${b.dev}",reason="NO_SOCKET"}`);
      return r.length === 1 && Number(r[0]!.value[1]) === N ? Number(r[0]!.value[1]) : undefined;
    });
    // The ICMP errors follow each packet at once: wait for a scrape after some have left b's qdisc.
    const sojournCount = await until('qdisc sojourn samples in Prometheus', async () => {
      const r = await query(base, `netstrata_qdisc_sojourn_us_count${sel}`);
      return r.length === 1 && Number(r[0]!.value[1]) > 0 ? Number(r[0]!.value[1]) : undefined;
    });
    const sojournInf = Number((await query(base, `netstrata_qdisc_sojourn_us_bucket{device="${b.dev}",le="+Inf"}`))[0]!.value[1]);
    const p99 = Number((await query(base, `histogram_quantile(0.99, netstrata_qdisc_sojourn_us_bucket${sel})`))[0]!.value[1]);
    const rxBytes = Number((await query(base, `netstrata_device_rx_bytes_total${sel}`))[0]!.value[1]);
    const softirq = await query(base, 'sum(netstrata_softirq_seconds_total{vector="NET_RX"})');
    const softirqRuns = await query(base, 'sum(netstrata_softirq_total{vector="NET_RX"})');
    // tc's own statistics of b's tbf: the ICMP errors it sent, as many as the histogram saw leave it.
    const tbfSent = await until('tbf statistics in Prometheus', async () => {
      const r = await query(base, `netstrata_qdisc_packets_total{device="${b.dev}",qdisc="tbf",parent="root"}`);
      return r.length === 1 && Number(r[0]!.value[1]) > 0 ? Number(r[0]!.value[1]) : undefined;
    });
    const lost = await query(base, 'sum(netstrata_lost_total)');
    // The scrape job itself is healthy.
    expect(Number((await query(base, 'up{job="netstrata"}'))[0]!.value[1])).toBe(1);

    const final = (await tool.stop()).records.find((r) => r.type === 'final')!;
    const dev = (final.devices as { device: string; rx_packets: number; rx_bytes: number }[]).find((d) => d.device === b.dev)!;
    const drop = (final.drops as { device: string; reason: string; count: number }[]).find((d) => d.device === b.dev && d.reason === 'NO_SOCKET')!;
    // Ground truth, the tool's NDJSON and Prometheus agree.
    expect(rx).toBe(N);
    expect(dev.rx_packets).toBe(rx);
    expect(dev.rx_bytes).toBe(rxBytes);
    expect(dev.rx_bytes).toBe(N * (200 + 8 + 20 + 14));
    expect(drop.count).toBe(drops);
    const q = (final.queues as { device: string; qdisc_sojourn_us: { count: number; buckets: { start: number }[] } }[]).find((x) => x.device === b.dev)!;
    expect(sojournCount).toBeGreaterThan(0);
    expect(sojournInf).toBe(sojournCount);
    // The final record comes after the last scrape: anything else b sent since only adds.
    expect(q.qdisc_sojourn_us.count).toBeGreaterThanOrEqual(sojournCount);
    // Prometheus interpolates inside an le bucket, a power of two: it must stay below the end of
    // the power of two that holds the record's top bucket.
    expect(p99).toBeLessThanOrEqual(2 ** octaveOf(q.qdisc_sojourn_us.buckets.at(-1)!.start));
    expect(Number(softirq[0]!.value[1])).toBeGreaterThan(0);
    expect(Number(softirqRuns[0]!.value[1])).toBeGreaterThan(0);
    const tbf = (final.qdiscs as { device: string; kind: string; packets: number }[]).find((x) => x.device === b.dev && x.kind === 'tbf')!;
    expect(tbf.packets).toBeGreaterThanOrEqual(tbfSent);
    expect(Number(lost[0]!.value[1])).toBe(0);
    console.log(`prometheus: rx_packets ${rx}, rx_bytes ${rxBytes}, NO_SOCKET drops ${drops}, sojourn samples ${sojournCount} (p99 est. ${p99.toFixed(0)} µs), NET_RX softirq ${Number(softirq[0]!.value[1]).toFixed(6)} s`);
  }, 60000);

  it('a bad --prometheus value is one line naming the option and exit 2 (zod, before any load)', () => {
    for (const bad of ['nope', '70000', '10.0.0.300:9464', ':9464']) {
      const r = runToolOnce(toolPath('systemNetworkMetricsSummary'), ['--prometheus', bad]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--prometheus: /);
    }
  });
});

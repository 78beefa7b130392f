/**
 * Truthful accounting on a shaped TCP stream. A tbf at 50 Mbit/s on a router's device splits the
 * GSO packets it forwards into segments; the latency summary (TX, that device) and bpftrace's
 * one-liner (net_dev_queue → net_dev_xmit by skb address) watch the same stream, and the qdisc's own
 * counters are the truth: what it sent and what it dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, routed, toolPath, type Netns } from '@netstrata/test-harness';
import { BENCH_PREFIX, TCP_PORT } from './bench-lab.ts';
import { BPFTRACE_READY } from './configs.ts';
import type { AccountingData } from './model.ts';
import { MeasuredProcess } from './tool-process.ts';

export const ACCOUNTING_RATE_MBIT = 50;
export const ACCOUNTING_SECONDS = 4;
/** bpftrace's samples at or above this many µs: far beyond what 50 Mbit/s and the tbf's queue allow. */
export const STALE_US = 32_768;

/** bpftrace's `hist()` text: `[4, 8)  12 |@@@ |`, with K/M suffixes on the bounds. */
export function parseBpftraceHist(text: string): { start: number; end: number; count: number }[] {
  const num = (s: string) => {
    const m = /^(\d+)([KMG]?)$/.exec(s.trim());
    if (!m) return NaN;
    return Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[m[2]!]!;
  };
  const out: { start: number; end: number; count: number }[] = [];
  for (const line of text.split('\n')) {
    const range = /^\[([^,\]]+),\s*([^)]+)\)\s+(\d+)/.exec(line);
    const single = /^\[(\d+)\]\s+(\d+)/.exec(line);
    if (range) out.push({ start: num(range[1]!), end: num(range[2]!), count: Number(range[3]) });
    else if (single) out.push({ start: Number(single[1]), end: Number(single[1]) + 1, count: Number(single[2]) });
  }
  return out;
}

/** bpftrace's one-liner for one stage pair, on one device as the tool's --interface is. */
export function bpftraceOnDevice(dev: string): string {
  return [
    `BEGIN { printf("${BPFTRACE_READY}\\n"); }`,
    `tracepoint:net:net_dev_queue /str(args->name) == "${dev}"/ { @start[args->skbaddr] = nsecs; }`,
    'tracepoint:net:net_dev_xmit /@start[args->skbaddr]/ { @us = hist((nsecs - @start[args->skbaddr]) / 1000); delete(@start[args->skbaddr]); }',
  ].join(' ');
}

interface E2e {
  count: number;
  histogram?: { unit?: string; buckets?: { start: number; end: number; count: number }[]; percentiles?: { p99: { low: number; high: number } } | null };
}

/** The end-to-end histogram's p99 bucket and its slowest non-empty bucket, as text. */
export function tailText(e: E2e | null | undefined): string {
  const h = e?.histogram;
  if (!h?.buckets?.length) return '';
  const unit = h.unit ?? 'us';
  const last = h.buckets.filter((b) => b.count > 0).pop();
  const p99 = h.percentiles?.p99;
  return `${p99 ? `p99 [${p99.low}, ${p99.high}) ${unit}` : ''}${last ? `; slowest [${last.start}, ${last.end}) ${unit}: ${last.count}` : ''}`;
}

/** The qdisc's own counters on the device. */
function qdiscCounts(ns: Netns, dev: string): { sent: number; dropped: number; requeues: number } {
  const all = JSON.parse(ns.exec('tc', ['-s', '-j', 'qdisc', 'show', 'dev', dev])) as { kind: string; packets?: number; drops?: number; requeues?: number }[];
  const tbf = all.find((q) => q.kind === 'tbf');
  if (!tbf) throw new Error(`no tbf on ${dev}`);
  return { sent: tbf.packets ?? 0, dropped: tbf.drops ?? 0, requeues: tbf.requeues ?? 0 };
}

/** Runs the flood agent in a namespace to its end. */
function flood(ns: Netns, bin: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<string> } {
  const child = spawn('ip', ['netns', 'exec', ns.name, bin, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((res, rej) => child.once('exit', (c, sig) => (c === 0 || sig ? res(out) : rej(new Error(`flood ${args[0]} failed (${c}): ${err.trim()}`)))));
  return { child, done };
}

/**
 * a → r → b: TCP from a to b, forwarded by r, whose device toward b has the tbf. Forwarded packets
 * arrive as GRO aggregates, are not held back by the sender's TCP Small Queues, and fill the queue.
 */
export async function accountingPhase(floodBin: string, log: (m: string) => void): Promise<AccountingData> {
  const dir = mkdtempSync(join(tmpdir(), 'nstbench-acct-'));
  using lab = Lab.create(BENCH_PREFIX);
  const { a, r, b, rB } = routed(lab);
  r.tc('qdisc', 'add', 'dev', rB.dev, 'root', 'tbf', 'rate', `${ACCOUNTING_RATE_MBIT}mbit`, 'burst', '32kbit', 'latency', '400ms');
  const sink = flood(b.ns, floodBin, ['serve', b.v4, '0', String(TCP_PORT)], { FLOOD_READY_FILE: join(dir, 'sink.ready') });
  try {
    while (!existsSync(join(dir, 'sink.ready'))) {
      if (sink.child.exitCode !== null) throw new Error('the flood sink did not start');
      await new Promise((res) => setTimeout(res, 10));
    }
    const toolArgs = ['--direction', 'tx', '--interface', rB.dev, '--netns', r.name, '--interval', '3600', '--output', 'json'];
    const tool = await MeasuredProcess.start('latency', [process.execPath, toolPath('systemNetworkLatencySummary'), ...toolArgs, '--ready-file', join(dir, 'ready')], {
      kind: 'file',
      path: join(dir, 'ready'),
    });
    let bt: MeasuredProcess | undefined;
    try {
      bt = await MeasuredProcess.start('bpftrace', ['bpftrace', '-B', 'line', '-e', bpftraceOnDevice(rB.dev)], { kind: 'stdout', line: BPFTRACE_READY });
      const before = qdiscCounts(r, rB.dev);
      await flood(a.ns, floodBin, ['tcp-send', b.v4, String(TCP_PORT), String(ACCOUNTING_SECONDS)]).done;
      // The queue drains at the shaped rate: wait until the qdisc is empty
      for (let i = 0; i < 500 && JSON.parse(r.exec('tc', ['-s', '-j', 'qdisc', 'show', 'dev', rB.dev])).some((q: { qlen?: number }) => (q.qlen ?? 0) > 0); i++) {
        await new Promise((res) => setTimeout(res, 20));
      }
      const after = qdiscCounts(r, rB.dev);
      const btOut = await bt.stop();
      bt = undefined;
      const toolOut = await tool.stop();
      const lines = toolOut.stdout.trim().split('\n').filter(Boolean);
      const final = JSON.parse(lines[lines.length - 1] ?? '{}') as { type?: string; directions?: { direction: string; packets: Record<string, number>; end_to_end?: E2e | null }[] };
      const tx = final.directions?.find((d) => d.direction === 'tx');
      const hist = parseBpftraceHist(btOut.stdout);
      const data: AccountingData = {
        device: `${rB.dev} of the router`,
        rateMbit: ACCOUNTING_RATE_MBIT,
        seconds: ACCOUNTING_SECONDS,
        toolCommand: `system_network_latency_summary ${toolArgs.join(' ')}`,
        bpftraceScript: bpftraceOnDevice(rB.dev).replace(/^BEGIN \{[^}]*\} /, ''),
        qdisc: { sent: after.sent - before.sent, dropped: after.dropped - before.dropped, requeues: after.requeues - before.requeues },
        tool: { ok: toolOut.code === 0 && final.type === 'final' && !!tx, packets: tx?.packets ?? {}, endToEnd: tx?.end_to_end?.count ?? 0, tail: tailText(tx?.end_to_end) },
        bpftrace: { samples: hist.reduce((x, y) => x + y.count, 0), staleUs: STALE_US, stale: hist.filter((x) => x.start >= STALE_US).reduce((x, y) => x + y.count, 0), buckets: hist },
      };
      log(`  qdisc sent ${data.qdisc.sent}, dropped ${data.qdisc.dropped}; tool ${JSON.stringify(data.tool.packets)}, ${data.tool.tail}; bpftrace ${data.bpftrace.samples} samples, ${data.bpftrace.stale} ≥ ${STALE_US} µs`);
      return data;
    } finally {
      await bt?.stop();
      await tool.stop().catch(() => undefined);
    }
  } finally {
    sink.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Throughput phase: rounds of sessions in the order none, tool 1, none, tool 2, …, none; each
 * session runs every workload for the same number of seconds. Tools start before the session and
 * settle first, so their start-up work stays out of the window, and are stopped with SIGINT after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DROP_PORT, RX_IP, TCP_PORT, UDP_PORT, type BenchLab } from './bench-lab.ts';
import { checkFinal, type BenchConfig } from './configs.ts';
import type { Knobs } from './knobs.ts';
import { WORKLOADS, type SessionEnd, type ThroughputData, type Trial, type Workload } from './model.ts';
import { MeasuredProcess } from './tool-process.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one workload for `seconds`; returns what the receiving end got per second. */
export async function runWorkload(lab: BenchLab, w: Workload, seconds: number, payload: number): Promise<{ rate: number; sentRate: number; units: number }> {
  if (w === 'udp') {
    const before = await lab.settledCounts('udp_packets');
    const s = await lab.send(['send', RX_IP, String(UDP_PORT), String(payload), String(seconds)]);
    const after = await lab.settledCounts('udp_packets');
    const units = after.udp_packets - before.udp_packets;
    return { rate: units / s.seconds!, sentRate: s.packets! / s.seconds!, units };
  }
  if (w === 'tcp') {
    const before = await lab.settledCounts('tcp_bytes');
    const s = await lab.send(['tcp-send', RX_IP, String(TCP_PORT), String(seconds)]);
    const after = await lab.settledCounts('tcp_bytes');
    const units = after.tcp_bytes - before.tcp_bytes;
    return { rate: units / s.seconds!, sentRate: s.bytes! / s.seconds!, units };
  }
  const before = lab.droppedByRule();
  const s = await lab.send(['send', RX_IP, String(DROP_PORT), String(payload), String(seconds)]);
  const units = lab.droppedByRule() - before;
  return { rate: units / s.seconds!, sentRate: s.packets! / s.seconds!, units };
}

export async function startConfig(c: BenchConfig, lab: BenchLab, dir: string): Promise<MeasuredProcess> {
  const { cmd, ready } = c.command({ readyFile: join(dir, `${c.id}.ready`), sinkPid: lab.sinkPid });
  return MeasuredProcess.start(c.id, cmd, ready);
}

export async function throughputPhase(lab: BenchLab, configs: readonly BenchConfig[], k: Knobs, log: (m: string) => void): Promise<ThroughputData> {
  const dir = mkdtempSync(join(tmpdir(), 'nstbench-tp-'));
  const trials: Trial[] = [];
  const sessions: SessionEnd[] = [];
  try {
    // Warm-up, not recorded: first-touch costs (socket buffers, page cache, TCP slow start state)
    for (const w of WORKLOADS) await runWorkload(lab, w, Math.min(1, k.trialSeconds), k.payload);
    const order: (BenchConfig | null)[] = [null];
    for (const c of configs) order.push(c, null);
    for (let round = 1; round <= k.rounds; round++) {
      for (const c of order) {
        let proc: MeasuredProcess | undefined;
        if (c) {
          try {
            proc = await startConfig(c, lab, dir);
          } catch (e) {
            sessions.push({ config: c.id, round, ready: false, check: { ok: false, note: (e as Error).message.slice(0, 300) } });
            log(`  round ${round} ${c.id}: ${(e as Error).message.split('\n')[0]}`);
            continue;
          }
          await sleep(k.settleSeconds * 1000);
        }
        const parts: string[] = [];
        for (const w of WORKLOADS) {
          const cpu0 = proc?.cpuMs();
          const t0 = performance.now();
          const r = await runWorkload(lab, w, k.trialSeconds, k.payload);
          const elapsed = performance.now() - t0;
          const toolCpuPct = proc && cpu0 !== undefined ? ((proc.cpuMs() - cpu0) / elapsed) * 100 : undefined;
          trials.push({ config: c?.id ?? null, round, workload: w, rate: r.rate, sentRate: r.sentRate, toolCpuPct });
          parts.push(`${w} ${fmtRate(r.rate)}`);
        }
        if (c && proc) {
          const stopped = await proc.stop();
          const check = checkFinal(c.kind, stopped);
          sessions.push({ config: c.id, round, ready: true, check });
          if (!check.ok) log(`  round ${round} ${c.id}: ${check.note}`);
        }
        log(`  round ${round} ${(c?.id ?? 'no tool').padEnd(40)} ${parts.join('  ')}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { trials, sessions };
}

export function fmtRate(r: number): string {
  if (!Number.isFinite(r)) return '—';
  if (r >= 1e9) return `${(r / 1e9).toFixed(2)} G`;
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)} M`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)} k`;
  return r.toFixed(0);
}

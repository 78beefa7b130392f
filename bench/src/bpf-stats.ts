/**
 * Why a tool costs what it costs: with kernel.bpf_stats_enabled=1 the kernel counts each program's
 * runs and run time. One session per configuration, apart from the throughput trials (the counting
 * itself adds cost): runs per packet and ns per run of every program the tool's process holds.
 * The sysctl is restored afterwards, also when the bench is interrupted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heldBy, run } from '@netstrata/test-harness';
import type { BenchLab } from './bench-lab.ts';
import type { BenchConfig } from './configs.ts';
import type { Knobs } from './knobs.ts';
import type { BpfStatsRow, ProgStat, Workload } from './model.ts';
import { runWorkload, startConfig } from './throughput.ts';

const SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

interface ProgInfo {
  id: number;
  name?: string;
  run_time_ns?: number;
  run_cnt?: number;
}

function progInfo(): Map<number, ProgInfo> {
  const all = JSON.parse(run('bpftool', ['-j', 'prog', 'show'], { allowFail: true }) || '[]') as ProgInfo[];
  return new Map(all.map((p) => [p.id, p]));
}

function snapshot(ids: readonly number[]): Map<number, ProgStat> {
  const info = progInfo();
  const out = new Map<number, ProgStat>();
  for (const id of ids) {
    const p = info.get(id);
    if (p) out.set(id, { name: p.name ?? `#${id}`, runs: p.run_cnt ?? 0, ns: p.run_time_ns ?? 0 });
  }
  return out;
}

function delta(a: Map<number, ProgStat>, b: Map<number, ProgStat>): ProgStat[] {
  const out: ProgStat[] = [];
  for (const [id, x] of b) {
    const y = a.get(id);
    out.push({ name: x.name, runs: x.runs - (y?.runs ?? 0), ns: x.ns - (y?.ns ?? 0) });
  }
  return out.sort((p, q) => q.ns - p.ns);
}

/** Programs a process holds; bpftrace keeps its programs' descriptors open as our tools do. */
function programsOf(pid: number, before: Set<number>): number[] {
  const held = [...heldBy(pid).prog].sort((a, b) => a - b);
  if (held.length) return held;
  // Not held as descriptors: the programs that appeared since it started
  return [...progInfo().keys()].filter((id) => !before.has(id));
}

export async function bpfStatsPhase(lab: BenchLab, configs: readonly BenchConfig[], k: Knobs, log: (m: string) => void): Promise<BpfStatsRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nstbench-stats-'));
  const old = readFileSync(SYSCTL, 'utf8').trim();
  const restore = () => writeFileSync(SYSCTL, old);
  // Lab's signal hooks end the process by re-raising the signal, which skips 'exit': listen to both,
  // once, so the re-raised signal finds no listener of ours and ends the process
  const events = ['exit', 'SIGINT', 'SIGTERM'] as const;
  for (const e of events) process.once(e, restore);
  const rows: BpfStatsRow[] = [];
  try {
    writeFileSync(SYSCTL, '1');
    for (const c of configs) {
      const before = new Set(progInfo().keys());
      let proc;
      try {
        proc = await startConfig(c, lab, dir);
      } catch (e) {
        log(`  ${c.id}: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      try {
        await new Promise((r) => setTimeout(r, k.settleSeconds * 1000));
        const ids = programsOf(proc.pid, before);
        for (const w of ['udp', 'drop'] as Workload[]) {
          const s0 = snapshot(ids);
          const t0 = performance.now();
          const r = await runWorkload(lab, w, k.trialSeconds, k.payload);
          const seconds = (performance.now() - t0) / 1000;
          const progs = delta(s0, snapshot(ids));
          rows.push({ config: c.id, workload: w, units: r.units, seconds, progs });
          const runs = progs.reduce((a, p) => a + p.runs, 0);
          const ns = progs.reduce((a, p) => a + p.ns, 0);
          log(`  ${c.id.padEnd(40)} ${w.padEnd(5)} ${(runs / r.units).toFixed(2)} runs/packet, ${(ns / r.units).toFixed(0)} ns/packet in BPF`);
        }
      } finally {
        await proc.stop();
      }
    }
  } finally {
    restore();
    for (const e of events) process.removeListener(e, restore);
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

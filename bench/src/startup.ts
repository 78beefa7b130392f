/**
 * Start-up phase: launch → ready, several launches per tool binary and per bpftrace script. The
 * same launches of `node -e 0` and `node BIN --duration -1` (refused before anything is loaded) split
 * it into Node's own start, loading the bundle, and the rest (BTF, open, load and attach).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchLab } from './bench-lab.ts';
import { checkFinal, type BenchConfig } from './configs.ts';
import type { Knobs } from './knobs.ts';
import type { StartupData, StartupRow } from './model.ts';
import { startConfig } from './throughput.ts';

function timed(cmd: string, args: string[], status = 0): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  const ms = performance.now() - t0;
  if (r.status !== status) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return ms;
}

/** One config per binary: filters do not change start-up. */
export function startupConfigs(configs: readonly BenchConfig[]): BenchConfig[] {
  const seen = new Set<string>();
  return configs.filter((c) => !seen.has(c.binary) && !!seen.add(c.binary));
}

export async function startupPhase(lab: BenchLab, configs: readonly BenchConfig[], k: Knobs, log: (m: string) => void): Promise<StartupData> {
  const dir = mkdtempSync(join(tmpdir(), 'nstbench-start-'));
  const rows: StartupRow[] = [];
  const nodeMs: number[] = [];
  try {
    for (let i = 0; i < k.launches; i++) nodeMs.push(timed(process.execPath, ['-e', '0']));
    for (const c of startupConfigs(configs)) {
      const row: StartupRow = { id: c.id, label: c.binary, readyMs: [], failures: [] };
      if (c.kind !== 'bpftrace') {
        const bin = c.command({ readyFile: '', sinkPid: 0 }).cmd[1]!;
        // Bad input is refused (exit 2) once the bundle is loaded and the options parsed, before any
        // BPF work; --help would add the rendering of the help text.
        row.loadMs = [];
        for (let i = 0; i < k.launches; i++) row.loadMs.push(timed(process.execPath, [bin, '--duration', '-1'], 2));
      }
      for (let i = 0; i < k.launches; i++) {
        try {
          const p = await startConfig(c, lab, dir);
          row.readyMs.push(p.readyMs);
          const check = checkFinal(c.kind, await p.stop());
          if (!check.ok) row.failures.push(check.note);
        } catch (e) {
          row.failures.push((e as Error).message.split('\n')[0]!);
        }
      }
      rows.push(row);
      log(`  ${c.binary.padEnd(34)} ready in ${row.readyMs.map((x) => x.toFixed(0)).join(', ')} ms${row.failures.length ? `; failures: ${row.failures.join('; ')}` : ''}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, nodeMs };
}

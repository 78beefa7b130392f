/**
 * Memory phase: every tool binary at once (details tools with filters that match the flood, so
 * their event paths work) and the bpftrace scripts, under the UDP and the dropped flood together;
 * after the chosen time, each process's resident memory and the BPF maps it holds.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heldBy, run } from '@netstrata/test-harness';
import { DROP_PORT, RX_IP, UDP_PORT, type BenchLab } from './bench-lab.ts';
import { checkFinal, type BenchConfig } from './configs.ts';
import type { Knobs } from './knobs.ts';
import type { MemoryData, MemoryRow } from './model.ts';
import { startConfig } from './throughput.ts';
import { processMemory } from './process-stats.ts';
import { type MeasuredProcess } from './tool-process.ts';

interface BpftoolMap {
  id: number;
  type: string;
  max_entries: number;
  bytes_memlock?: number;
}

/** One config per binary, preferring the one whose filters match the flood. */
export function memoryConfigs(configs: readonly BenchConfig[]): BenchConfig[] {
  const byBinary = new Map<string, BenchConfig>();
  for (const c of configs) if (!byBinary.has(c.binary) || c.id.endsWith('_match')) byBinary.set(c.binary, c);
  return [...byBinary.values()];
}

async function nodeBaselineKb(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 3000)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1000));
  const kb = processMemory(child.pid!).rssKb;
  child.kill('SIGKILL');
  return kb;
}

export async function memoryPhase(lab: BenchLab, configs: readonly BenchConfig[], k: Knobs, log: (m: string) => void): Promise<MemoryData> {
  const dir = mkdtempSync(join(tmpdir(), 'nstbench-mem-'));
  const running: [BenchConfig, MeasuredProcess][] = [];
  const rows: MemoryRow[] = [];
  try {
    for (const c of memoryConfigs(configs)) running.push([c, await startConfig(c, lab, dir)]);
    log(`  ${running.length} processes running; flooding for ${k.memorySeconds} s`);
    await Promise.all([
      lab.send(['send', RX_IP, String(UDP_PORT), String(k.payload), String(k.memorySeconds)]),
      lab.send(['send', RX_IP, String(DROP_PORT), String(k.payload), String(k.memorySeconds)]),
    ]);
    const maps = JSON.parse(run('bpftool', ['-j', 'map', 'show'], { allowFail: true }) || '[]') as BpftoolMap[];
    const byId = new Map(maps.map((m) => [m.id, m]));
    for (const [c, p] of running) {
      const mem = processMemory(p.pid);
      const held = [...heldBy(p.pid).map].map((id) => byId.get(id)).filter((m): m is BpftoolMap => !!m);
      rows.push({
        id: c.id,
        label: c.binary,
        ...mem,
        mapBytes: held.reduce((a, m) => a + (m.bytes_memlock ?? 0), 0),
        ringBytes: held.filter((m) => m.type === 'ringbuf').reduce((a, m) => a + m.max_entries, 0),
        maps: held.length,
        check: undefined,
      });
    }
    for (const [c, p] of running.splice(0)) {
      const row = rows.find((r) => r.id === c.id)!;
      row.check = checkFinal(c.kind, await p.stop());
      log(`  ${c.binary.padEnd(34)} RSS ${(row.rssKb / 1024).toFixed(1)} MiB, BPF maps ${(row.mapBytes / 1048576).toFixed(1)} MiB${row.check.ok ? '' : ` (${row.check.note})`}`);
    }
  } finally {
    for (const [, p] of running) await p.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return { seconds: k.memorySeconds, rows, nodeBaselineKb: await nodeBaselineKb() };
}

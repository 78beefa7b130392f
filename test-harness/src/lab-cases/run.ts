/**
 * Runs a lab case end to end: builds its lab, starts `netstrata diagnose` on it, injects the fault
 * once diagnose is attached, and returns diagnose's verdict beside the truth. The lab, what the case
 * started and diagnose itself are gone when it returns, throws, or the process is interrupted.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Lab, sweepStaleLabs } from '../lab.ts';
import type { LabCase, Truth } from './types.ts';

/** The parts of diagnose's verdict record (its last line with --output json) a lab reads. */
export interface VerdictFinding {
  kind: 'drops' | 'latency';
  reason: string | null;
  location: { symbol: string } | null;
  device: string | null;
  netns?: number | null;
  count: number;
  share: number | null;
  stage: string | null;
  direction?: 'rx' | 'tx';
  p99_us: number | null;
  p999_us: number | null;
  slow?: number;
  queues?: { queue: number; ring_size: number; full: number; xmits: number }[];
  flows: unknown[];
}

export interface Verdict {
  type: 'verdict';
  kind: 'drops' | 'latency' | 'healthy';
  findings: VerdictFinding[];
  benign: { reason: string; location: { symbol: string }; count: number }[];
  next?: string[];
}

export interface LabRun {
  /** diagnose's options as a user would type them (no --output or --ready-file). */
  command: string[];
  truth: Truth;
  verdict: Verdict;
  /** diagnose's exit status: 0 healthy, 3 a finding. */
  exitCode: number;
}

export interface LabRunOptions {
  /** Seconds diagnose measures (default: the case's). */
  duration?: number;
  /** false: --no-auto (layer 1 only). */
  auto?: boolean;
  /** The netstrata binary (default: the built one of packages/cli). */
  cli?: string;
}

/** packages/cli/dist/netstrata.js, found through the package as the agents are. */
export function netstrataPath(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@netstrata/cli/package.json')), 'dist', 'netstrata.js');
}

/** The run was stopped by SIGINT or SIGTERM. */
export class LabInterrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}: the lab is removed`);
  }
}

const lastLine = (s: string) => s.trim().split('\n').filter(Boolean).pop() ?? '';

export async function runLabCase(c: LabCase, o: LabRunOptions = {}): Promise<LabRun> {
  const cli = o.cli ?? netstrataPath();
  if (!existsSync(cli)) throw new Error(`netstrata is not built (${cli}): run npm run build`);
  const duration = o.duration ?? c.duration;
  sweepStaleLabs();
  using lab = Lab.create();
  const built = await c.build(lab);
  const dir = mkdtempSync(join(tmpdir(), 'nst-lab-'));
  const ready = join(dir, 'ready');
  const command = [...built.diagnoseArgs, '--duration', String(duration), ...(o.auto === false ? ['--no-auto'] : [])];
  // --verbose: its info records say when layer 2 starts, and the case's follow-up traffic starts then.
  const args = [cli, 'diagnose', ...command, '--output', 'json', '--ready-file', ready, '--verbose'];
  // Its own process group: an interrupt reaches it once, from here (twice, it would not stop its tools).
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  let stopFollow: (() => Promise<void>) | undefined;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    if (!stopFollow && built.follow && stdout.includes('"message":"layer 2: ')) stopFollow = built.follow();
  });
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString('utf8')));
  const exited = new Promise<number | null>((res) => child.once('close', (code) => res(code)));
  // An interrupt stops diagnose (once: twice, it would not stop its tools in order); the lab is
  // removed by its own handler, and the run ends as interrupted.
  let interrupted: NodeJS.Signals | undefined;
  const interrupt = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = sig;
    child.kill('SIGINT');
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    while (!existsSync(ready)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`netstrata diagnose exited before it was ready: ${lastLine(stderr) || `exit ${child.exitCode ?? child.signalCode}`}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const t0 = performance.now();
    const truth = await built.inject();
    const took = (performance.now() - t0) / 1000;
    if (took >= duration) throw new Error(`the traffic took ${took.toFixed(1)} s, more than --duration ${duration}: give a longer one`);
    const exitCode = await exited;
    await stopFollow?.();
    if (interrupted) throw new LabInterrupted(interrupted);
    const line = lastLine(stdout);
    const verdict = (line.startsWith('{') ? JSON.parse(line) : undefined) as Verdict | undefined;
    if (verdict?.type !== 'verdict') throw new Error(`netstrata diagnose gave no verdict (exit ${exitCode}): ${lastLine(stderr) || line}`);
    return { command, truth, verdict, exitCode: exitCode ?? 1 };
  } catch (err) {
    // What failed after an interrupt failed because of it (the lab went away under it).
    throw interrupted && !(err instanceof LabInterrupted) ? new LabInterrupted(interrupted) : err;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    await stopFollow?.();
    await built.stop?.();
  }
}

/**
 * The tools diagnose runs, each as its own process: `--output json` on stdout (NDJSON), a ready file,
 * SIGINT to stop (the tool prints its final record and detaches everything it attached). A child
 * never outlives diagnose: it is stopped on every exit path, and killed if it does not stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { STOP_WITH_PARENT, type Tool } from '@netstrata/bpf-common';
import { TOOLS } from '../registry.ts';

const require = createRequire(import.meta.url);

/** A tool's binary: its package's dist/<name>.js. */
export function toolBinary(name: string): string {
  const t = TOOLS.find((x) => x.name === name);
  if (!t) throw new Error(`no tool ${name}`);
  const p = join(dirname(require.resolve(`@netstrata/${t.domain}/package.json`)), 'dist', `${name}.js`);
  if (!existsSync(p)) throw new Error(`${name} is not built (${p})`);
  return p;
}

export const toolNamed = (name: string): Tool => TOOLS.find((t) => t.name === name)!;

export type Rec = Record<string, unknown> & { type: string };

/** Events kept per tool for what layer 2 says about them: enough for the flows and threads. */
export const EVENTS_KEPT = 10_000;

export interface ChildResult {
  name: string;
  args: string[];
  /** The last `final` record, if the tool printed one. */
  final?: Rec;
  /** Every record in order, but events beyond the first EVENTS_KEPT (a details tool on a flood). */
  records: Rec[];
  /** Events the tool printed, kept or not. */
  events: number;
  /** What the tool said to people (`info` records). */
  infos: string[];
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<ToolChild>();
let started = 0;
let hooked = false;

/** Children are stopped when diagnose exits by any path Node lets us see. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) c.kill();
  });
}

export class ToolChild {
  readonly result: Promise<ChildResult>;
  private readonly proc: ChildProcess;
  private readonly readyFile: string;
  private out = '';
  private err = '';
  private readonly records: Rec[] = [];
  private events = 0;

  private constructor(
    readonly name: string,
    readonly args: string[],
    dir: string,
  ) {
    this.readyFile = join(dir, `${name}.${++started}.ready`);
    hookExit();
    this.proc = spawn(process.execPath, [toolBinary(name), ...args, '--output', 'json', '--ready-file', this.readyFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // A diagnose killed outright (SIGKILL) cannot stop its tools: each stops itself once orphaned.
      env: { ...process.env, COLUMNS: '200', [STOP_WITH_PARENT]: '1' },
    });
    live.add(this);
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString('utf8');
      let nl: number;
      while ((nl = this.out.indexOf('\n')) >= 0) {
        const line = this.out.slice(0, nl);
        this.out = this.out.slice(nl + 1);
        if (!line.trim()) continue;
        if (line.startsWith('{"type":"event"')) {
          if (++this.events > EVENTS_KEPT) continue;
        }
        try {
          this.records.push(JSON.parse(line) as Rec);
        } catch {
          this.err += `${line}\n`;
        }
      }
    });
    this.proc.stderr!.on('data', (d: Buffer) => void (this.err = (this.err + d.toString('utf8')).slice(-20_000)));
    this.result = new Promise((resolve) => {
      this.proc.once('close', (code, signal) => {
        live.delete(this);
        resolve({
          name,
          args,
          final: [...this.records].reverse().find((r) => r.type === 'final'),
          records: this.records,
          events: this.events,
          infos: this.records.filter((r) => r.type === 'info').map((r) => String(r.message ?? '')),
          stderr: this.err,
          code,
          signal,
        });
      });
    });
  }

  static start(name: string, args: string[], dir: string): ToolChild {
    return new ToolChild(name, args, dir);
  }

  /** Resolves once the tool is attached; rejects with its own error line if it exits first. */
  async ready(signal?: AbortSignal): Promise<void> {
    while (!existsSync(this.readyFile)) {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        const r = await this.result;
        throw new Error(`${this.name} did not start: ${lastLine(r.stderr) || `exit ${r.code ?? r.signal}`}`);
      }
      if (signal?.aborted) throw new Error(`${this.name}: stopped before it was ready`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  /** Asks the tool to stop (it prints its final record); kills it if it has not ended in `graceS`. */
  async stop(graceS = 30): Promise<ChildResult> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGINT');
    const timer = setTimeout(() => this.kill(), graceS * 1000);
    const r = await this.result;
    clearTimeout(timer);
    return r;
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

export function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop() ?? '';
}

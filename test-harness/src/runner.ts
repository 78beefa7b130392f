/** Runs a real tool binary the way a user does, and reads what it printed. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ToolRecord {
  type: 'interval' | 'final' | 'event' | 'info';
  tool: string;
  time: string;
  [field: string]: unknown;
}

export interface ToolResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  records: ToolRecord[];
}

export function parseNdjson(text: string): ToolRecord[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as ToolRecord;
      } catch {
        throw new Error(`line ${i + 1} of the tool's output is not JSON: ${l.slice(0, 200)}`);
      }
    });
}

/**
 * A tool started by `startTool`. Hold it with `await using`: leaving the scope, by a failed
 * assertion too, stops a tool still running (SIGINT, then SIGKILL if it has not exited after
 * `DISPOSE_GRACE_MS`) and waits for its exit.
 */
export interface RunningTool extends AsyncDisposable {
  pid: number;
  /** Stops the tool (SIGINT by default) and returns what it printed. */
  stop(signal?: NodeJS.Signals): Promise<ToolResult>;
  /** Resolves once the tool has printed `n` interval records since it started (JSON output), with
   * them: a test sends its next batch after the tool has read the last one. */
  intervals(n: number): Promise<ToolRecord[]>;
  /** Resolves once the tool has printed `n` records of `type` (JSON output: `event` for a details
   * tool), with them. */
  records(type: string, n: number): Promise<ToolRecord[]>;
  readonly startedMs: number;
}

/** How long a disposed tool has to finish after SIGINT before it is killed. */
export const DISPOSE_GRACE_MS = 5_000;

/** Starts `node BIN --output json --ready-file F ARGS` and resolves once the ready file exists. */
export async function startTool(
  bin: string,
  args: readonly string[],
  opts: { timeoutMs?: number; json?: boolean; env?: Record<string, string> } = {},
): Promise<RunningTool> {
  const dir = mkdtempSync(join(tmpdir(), 'nst-ready-'));
  const ready = join(dir, 'ready');
  const t0 = Date.now();
  const child = spawn(process.execPath, [bin, ...(opts.json === false ? [] : ['--output', 'json']), '--ready-file', ready, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (!existsSync(ready)) {
    if (done) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`tool exited before it was ready: ${stderr.trim()}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`tool not ready after ${opts.timeoutMs ?? 30_000} ms: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const startedMs = Date.now() - t0;
  async function records(type: string, n: number): Promise<ToolRecord[]> {
    for (;;) {
      const got = parseNdjson(stdout.slice(0, stdout.lastIndexOf('\n') + 1)).filter((r) => r.type === type);
      if (got.length >= n) return got;
      if (done) throw new Error(`tool exited after ${got.length} of ${n} ${type} records: ${stderr.trim()}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        void exited.then(() => r());
      });
    }
  }
  return {
    pid: child.pid!,
    startedMs,
    intervals: (n: number) => records('interval', n),
    records: (type: string, n: number) => records(type, n),
    async stop(signal: NodeJS.Signals = 'SIGINT') {
      if (!done) child.kill(signal);
      const { code, signal: sig } = await exited;
      rmSync(dir, { recursive: true, force: true });
      return { exitCode: code, signal: sig, stdout, stderr, records: opts.json === false ? [] : parseNdjson(stdout) };
    },
    async [Symbol.asyncDispose]() {
      if (!done) {
        child.kill('SIGINT');
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), DISPOSE_GRACE_MS)));
        if ((await Promise.race([exited, grace])) === 'late') child.kill('SIGKILL');
        clearTimeout(timer);
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Tools started together and disposed together: each from the moment its start was asked for,
 * so a start that fails, or an assertion that fails between starts, leaves none running.
 */
export class ToolGroup implements AsyncDisposable {
  readonly #starts: Promise<RunningTool>[] = [];

  start(...args: Parameters<typeof startTool>): Promise<RunningTool> {
    const p = startTool(...args);
    this.#starts.push(p);
    return p;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const started = await Promise.allSettled(this.#starts);
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value[Symbol.asyncDispose]() : undefined)));
  }
}

/** A short-lived invocation (help, bad input): exit code and output. */
export function runToolOnce(
  bin: string,
  args: readonly string[],
  opts: { unprivileged?: boolean; env?: Record<string, string>; traceBpf?: boolean } = {},
): { exitCode: number | null; stdout: string; stderr: string; bpfCalls?: string[] } {
  // Unprivileged: every capability dropped from the bounding set (the files stay readable, so the
  // tool itself, not the file system, has to refuse).
  const pre = opts.unprivileged ? ['setpriv', '--bounding-set=-all', '--inh-caps=-all', '--'] : [];
  // traceBpf: every bpf(2) call the tool and its children make, as strace names the command
  // (BPF_PROG_LOAD, BPF_MAP_CREATE, ...): proof that nothing was loaded, even briefly.
  const dir = opts.traceBpf ? mkdtempSync(join(tmpdir(), 'nst-strace-')) : undefined;
  const trace = dir ? ['strace', '-f', '-qq', '-e', 'trace=bpf', '-o', join(dir, 'bpf')] : [];
  const [cmd, ...rest] = [...pre, ...trace, process.execPath, bin, ...args];
  const r = spawnSync(cmd!, rest, {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...opts.env },
  });
  if (r.error) throw r.error;
  let bpfCalls: string[] | undefined;
  if (dir) {
    const text = existsSync(join(dir, 'bpf')) ? readFileSync(join(dir, 'bpf'), 'utf8') : undefined;
    rmSync(dir, { recursive: true, force: true });
    if (text === undefined) throw new Error(`strace wrote no trace: ${r.stderr.trim()}`);
    bpfCalls = [...text.matchAll(/\bbpf\((BPF_[A-Z_]+)/g)].map((m) => m[1]!);
  }
  return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr, bpfCalls };
}

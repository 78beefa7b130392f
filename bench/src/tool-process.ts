/**
 * A measured process: a tool (ready when its --ready-file appears) or a bpftrace script (ready when
 * its BEGIN probe prints, which bpftrace runs once every probe is attached). Launch → ready is timed
 * from just before spawn; SIGINT stops it and its exit and final output are checked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export type Readiness = { kind: 'file'; path: string } | { kind: 'stdout'; line: string };

export interface Stopped {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Children still running, stopped with SIGINT if the bench itself ends first (a signal, a throw). */
const live = new Set<ChildProcess>();
let hooked = false;
function track(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    const stopAll = () => {
      for (const c of live) c.kill('SIGINT');
    };
    process.on('exit', stopAll);
    // once: Lab's hook re-raises the signal to end the process, which must then find no listener
    for (const e of ['SIGINT', 'SIGTERM'] as const) process.once(e, stopAll);
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** The last MiB or so of a stream, kept as chunks (no copying per chunk). */
class Tail {
  private chunks: Buffer[] = [];
  private bytes = 0;

  push(b: Buffer): void {
    this.chunks.push(b);
    this.bytes += b.length;
    while (this.bytes - this.chunks[0]!.length > 1 << 20) this.bytes -= this.chunks.shift()!.length;
  }

  tail(n: number): string {
    return this.text().slice(-n);
  }

  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

interface Io {
  stdout: Tail;
  stderr: Tail;
}

export class MeasuredProcess {
  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    readonly readyMs: number,
    private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
    private readonly io: Io,
    private readonly resendSigint: boolean,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  static async start(label: string, cmd: readonly string[], ready: Readiness, timeoutMs = 30_000): Promise<MeasuredProcess> {
    if (ready.kind === 'file') rmSync(ready.path, { force: true });
    const io: Io = { stdout: new Tail(), stderr: new Tail() };
    const t0 = performance.now();
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    // Only the tail is kept: a details tool matching a flood prints hundreds of MB, and what is
    // checked is its last (final) record
    let readySeen = false;
    child.stdout!.on('data', (d: Buffer) => {
      if (ready.kind === 'stdout' && !readySeen) readySeen = (io.stdout.tail(200) + d.toString()).split('\n').some((l) => l.trim() === ready.line);
      io.stdout.push(d);
    });
    child.stderr!.on('data', (d: Buffer) => io.stderr.push(d));
    let done = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
      child.once('exit', (code, signal) => {
        done = true;
        res({ code, signal });
      }),
    );
    const isReady = () => (ready.kind === 'file' ? existsSync(ready.path) : readySeen);
    for (;;) {
      if (isReady()) break;
      if (done) throw new Error(`${label} exited before it was ready: ${io.stderr.text().trim().slice(-2000)}`);
      if (performance.now() - t0 > timeoutMs) {
        child.kill('SIGKILL');
        throw new Error(`${label} was not ready after ${timeoutMs} ms: ${io.stderr.text().trim().slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    const readyMs = performance.now() - t0;
    return new MeasuredProcess(label, child, readyMs, exited, io, ready.kind === 'stdout');
  }

  /** SIGINT, then waits (SIGKILL after `timeoutMs`, which counts as a failure). */
  async stop(timeoutMs = 20_000): Promise<Stopped> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    // bpftrace 0.17 can miss a SIGINT that comes right after BEGIN: say it again until it exits.
    // Our tools are sent one only (a second one means "exit now" to a tool that is stopping).
    const again = this.resendSigint ? setInterval(() => this.child.kill('SIGINT'), 1000) : undefined;
    void this.exited.then(() => clearInterval(again));
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        r('timeout');
      }, timeoutMs);
    });
    const first = await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    const { code, signal } = first === 'timeout' ? await this.exited : first;
    if (first === 'timeout') throw new Error(`${this.label} did not stop within ${timeoutMs} ms of SIGINT`);
    return { code, signal, stdout: this.io.stdout.text(), stderr: this.io.stderr.text() };
  }

  /** User + system CPU time of the process so far, in ms. */
  cpuMs(): number {
    return cpuMsOf(this.pid);
  }
}

const HZ = 100; // USER_HZ on Linux: /proc/PID/stat counts in 1/100 s

export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / HZ;
}

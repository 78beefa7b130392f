/**
 * The bench's lab: two private namespaces joined by one veth pair, static neighbours, and a sink
 * that lives for the whole run (so a tool can be given its pid once). The sender runs on CPU 0 and
 * the sink on CPU 1 when there are two. Namespaces are named nstbench-* and removed on every exit
 * (Lab's exit and signal hooks).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, run, type Netns } from '@netstrata/test-harness';

export const BENCH_PREFIX = 'nstbench-';
const AGENTS = fileURLToPath(new URL('../agents/', import.meta.url));

export const TX_IP = '10.203.0.1';
export const RX_IP = '10.203.0.2';
export const UDP_PORT = 9000;
export const TCP_PORT = 9001;
/** UDP to this port is dropped by an nftables rule in the sink's namespace (NETFILTER_DROP). */
export const DROP_PORT = 9002;
/** A port no traffic uses: details tools filtered on it match nothing. */
export const UNUSED_PORT = 1;

/** Compiles the C agents into `dir`; returns their paths. */
export function compileAgents(dir: string): { flood: string; ringprod: string } {
  mkdirSync(dir, { recursive: true });
  const out = { flood: join(dir, 'flood'), ringprod: join(dir, 'ringprod') };
  for (const [name, bin] of Object.entries(out)) {
    const r = spawnSync('clang', ['-O2', '-Wall', '-o', bin, join(AGENTS, `${name}.c`)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`compiling agents/${name}.c failed (clang and libc6-dev installed?): ${r.stderr || r.error}`);
  }
  return out;
}

/** taskset arguments pinning to one CPU, or nothing on a single-CPU machine. */
export function pin(cpu: number): string[] {
  return cpus().length >= 2 ? ['taskset', '-c', String(cpu)] : [];
}

export interface SinkCounts {
  udp_packets: number;
  udp_bytes: number;
  tcp_bytes: number;
  tcp_connections: number;
}

export class BenchLab {
  readonly lab: Lab;
  readonly tx: Netns;
  readonly rx: Netns;
  private sink: ChildProcessWithoutNullStreams | undefined;
  private pending: ((line: string) => void)[] = [];
  private buf = '';

  private constructor(readonly flood: string) {
    this.lab = Lab.create(BENCH_PREFIX);
    this.tx = this.lab.netns('tx');
    this.rx = this.lab.netns('rx');
    const { aMac, bMac } = this.lab.veth(this.tx, 'va', this.rx, 'vb', { txqueuelen: 10000 });
    this.tx.addr('va', `${TX_IP}/24`);
    this.rx.addr('vb', `${RX_IP}/24`);
    this.tx.neigh('va', RX_IP, bMac);
    this.rx.neigh('vb', TX_IP, aMac);
    this.rx.nft(`table inet nstbench {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    udp dport ${DROP_PORT} counter drop\n  }\n}\n`);
  }

  static async create(flood: string, tmp: string): Promise<BenchLab> {
    const lab = new BenchLab(flood);
    try {
      await lab.startSink(tmp);
    } catch (e) {
      lab.destroy();
      throw e;
    }
    return lab;
  }

  get sinkPid(): number {
    if (!this.sink?.pid) throw new Error('the sink is not running');
    return this.sink.pid;
  }

  private async startSink(tmp: string): Promise<void> {
    const ready = join(tmp, 'sink.ready');
    // exec: the pid we hold is the sink itself (a tool that watches a process is pointed at it), not a wrapper
    const child = spawn('ip', ['netns', 'exec', this.rx.name, ...pin(1), this.flood, 'serve', RX_IP, String(UDP_PORT), String(TCP_PORT)], {
      env: { ...process.env, FLOOD_READY_FILE: ready },
    });
    this.sink = child;
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      this.buf += d.toString();
      for (let nl; (nl = this.buf.indexOf('\n')) >= 0; ) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.pending.shift()?.(line);
      }
    });
    const deadline = Date.now() + 5000;
    while (!existsSync(ready)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the flood sink did not start: ${err.trim()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The sink's totals so far. */
  counts(): Promise<SinkCounts> {
    const sink = this.sink;
    if (!sink) throw new Error('the sink is not running');
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the flood sink did not answer')), 5000);
      this.pending.push((line) => {
        clearTimeout(t);
        resolve(JSON.parse(line) as SinkCounts);
      });
      sink.stdin.write('\n');
    });
  }

  /** Waits until the sink's count stops moving (its socket drained), then returns the counts. */
  async settledCounts(key: keyof SinkCounts): Promise<SinkCounts> {
    let last = await this.counts();
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 30));
      const now = await this.counts();
      if (now[key] === last[key]) return now;
      last = now;
    }
    return last;
  }

  /** Packets the nftables rule in the sink's namespace has dropped so far. */
  droppedByRule(): number {
    const out = this.rx.exec('nft', ['-j', 'list', 'table', 'inet', 'nstbench']);
    const m = /"counter":\s*\{\s*"packets":\s*(\d+)/.exec(out);
    if (!m) throw new Error(`no counter in the lab's nftables rule: ${out.slice(0, 200)}`);
    return Number(m[1]);
  }

  /** Runs the flood agent in the sender's namespace on CPU 0 and returns its JSON line. */
  async send(args: string[]): Promise<Record<string, number>> {
    const child = spawn('ip', ['netns', 'exec', this.tx.name, ...pin(0), this.flood, ...args]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    if (code !== 0) throw new Error(`flood ${args.join(' ')} failed (${code}): ${err.trim()}`);
    return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
  }

  destroy(): void {
    if (this.sink && this.sink.exitCode === null) {
      this.sink.stdin.end();
      this.sink.kill('SIGKILL');
    }
    this.lab.destroy();
  }

  [Symbol.dispose](): void {
    this.destroy();
  }
}

/** Other network namespaces present: their traffic is noise the unfiltered tools also see. */
export function otherNamespaces(): string[] {
  return run('ip', ['netns', 'list'], { allowFail: true })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n && !n.startsWith(BENCH_PREFIX));
}

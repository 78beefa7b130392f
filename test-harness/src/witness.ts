/**
 * What the kernel did against what its BPF programs were shown of it, for transmissions.
 *
 * On some kernels a packet can leave a device without a BPF program on `net:net_dev_xmit` ever
 * running for it, and without the kernel counting a miss (`recursion_misses` stays 0). On this
 * project's development machine (6.18) a tbf that dequeues from its timer loses about one
 * transmission in 200 that way; bpftrace's count on the same tracepoint comes up short by the same
 * number, while ftrace's own event sees every one. No tool can count what it is never shown, so a
 * test whose truth is "every packet sent" first asks this witness how many transmissions the
 * kernel withheld, and holds the tool exact only when none were.
 *
 * The witness compares the devices' own counters (sent and dropped at transmit, in the lab's
 * namespaces and the host's) with the run count of the one program named `net_dev_xmit*`, which
 * runs for every transmission on every device. Run counts need the kernel's statistics on: start
 * the tool with `--bpf-stats`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { run } from './exec.ts';
import type { Lab } from './lab.ts';

interface ProgInfo {
  name?: string;
  run_cnt?: number;
}

/** Run count of the one loaded program whose name starts with `prefix`. */
function runsOf(prefix: string): number {
  const progs = (JSON.parse(run('bpftool', ['-j', 'prog', 'show']) || '[]') as ProgInfo[]).filter((p) => p.name?.startsWith(prefix));
  if (progs.length !== 1) throw new Error(`witness: expected one program named ${prefix}*, found ${progs.length}`);
  return progs[0]!.run_cnt ?? 0;
}

interface LinkStats {
  stats64?: { tx: { packets: number; dropped: number } };
}

const sum = (links: LinkStats[]) => links.reduce((n, l) => n + (l.stats64 ? l.stats64.tx.packets + l.stats64.tx.dropped : 0), 0);

function hostTransmits(): number {
  let n = 0;
  for (const dev of readdirSync('/sys/class/net')) {
    for (const f of ['tx_packets', 'tx_dropped']) {
      try {
        n += Number(readFileSync(`/sys/class/net/${dev}/statistics/${f}`, 'utf8'));
      } catch {
        // a device that went away meanwhile
      }
    }
  }
  return n;
}

export class XmitWitness {
  private readonly tx0: number;
  private readonly runs0: number;

  /** Take after the tool is ready (its program loaded) and before the traffic. */
  constructor(
    private readonly lab: Lab,
    private readonly prefix = 'net_dev_xmit',
  ) {
    this.tx0 = this.transmits();
    this.runs0 = runsOf(prefix);
  }

  private transmits(): number {
    let n = hostTransmits();
    for (const ns of this.lab.nets) n += sum(JSON.parse(ns.exec('ip', ['-s', '-j', 'link', 'show'])) as LinkStats[]);
    return n;
  }

  /** Transmissions since the start that no BPF program on net_dev_xmit was shown. */
  withheld(): number {
    const tx = this.transmits() - this.tx0;
    const runs = runsOf(this.prefix) - this.runs0;
    return Math.max(0, tx - runs);
  }
}

/** One stretch a thread spent off CPU, as the kernel's own `sched:sched_switch` event saw it. */
export interface Block {
  /** The thread's state when it left: S, D, R+ (preempted), … as ftrace prints it. */
  state: string;
  us: number;
}

const TRACEFS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/**
 * The context switches of one thread, recorded by ftrace in a tracefs instance of its own.
 *
 * On this project's development machine (a Firecracker guest, 6.18) a thread sometimes comes back
 * on its CPU without any `sched:sched_switch` for it: ftrace's event and every BPF program on the
 * tracepoint miss the same switch, and no miss is counted. A tool cannot time a block whose end it
 * is never shown, so the truth of an off-CPU test is the blocks this witness saw, not the sleeps
 * the thread made.
 */
export class SwitchWitness {
  private readonly dir: string;

  /** Starts recording now: take after the tool is ready and before the thread's workload. */
  constructor(private readonly tid: number) {
    const root = TRACEFS.find((d) => existsSync(`${d}/instances`));
    if (!root) throw new Error('witness: tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)');
    this.dir = `${root}/instances/nst-witness-${process.pid}-${tid}`;
    mkdirSync(this.dir);
    // The clock of bpf_ktime_get_ns(), so that the blocks are timed as the tools time them.
    writeFileSync(`${this.dir}/trace_clock`, 'mono');
    writeFileSync(`${this.dir}/events/sched/sched_switch/filter`, `prev_pid == ${tid} || next_pid == ${tid}`);
    writeFileSync(`${this.dir}/events/sched/sched_switch/enable`, '1');
  }

  /** Stops recording and returns each block whose leaving and coming back were both seen. */
  blocks(): Block[] {
    writeFileSync(`${this.dir}/events/sched/sched_switch/enable`, '0');
    const text = readFileSync(`${this.dir}/trace`, 'utf8');
    this.close();
    const out: Block[] = [];
    let left: { ts: number; state: string } | undefined;
    for (const line of text.split('\n')) {
      const m = / (\d+\.\d+): sched_switch: .*prev_pid=(\d+) .*prev_state=(\S+) ==> .*next_pid=(\d+) /.exec(line);
      if (!m) continue;
      const ts = Number(m[1]) * 1e6;
      if (Number(m[2]) === this.tid) left = { ts, state: m[3]! };
      else if (Number(m[4]) === this.tid) {
        if (left) out.push({ state: left.state, us: ts - left.ts });
        left = undefined;
      }
    }
    return out;
  }

  /** Removes the instance (idempotent). */
  close(): void {
    if (existsSync(this.dir)) rmdirSync(this.dir);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** The threads of PID 1 now. */
function initThreads(): Set<number> {
  return new Set(readdirSync('/proc/1/task').map(Number));
}

/**
 * The events of one tracepoint that fired while a thread of PID 1 was on the CPU. On this
 * project's development machine PID 1 is the VM's agent, and the kernel runs no BPF program in
 * the context of its threads (docs/kernel-support.md, "Packets no BPF program sees"): a softirq
 * that drops or sends a packet while one of them is interrupted is shown to ftrace, not to any
 * tool. Timer-driven work (neighbour probes, a qdisc's watchdog) lands in whatever thread runs.
 * A test whose truth is "every such packet" holds a tool to the truth less these.
 */
export class AgentContextWitness {
  private readonly dir: string;
  private readonly threads = initThreads();

  /** Starts recording `category:event` (e.g. skb:kfree_skb) where `filter` (a tracefs filter) holds. */
  constructor(event: string, filter: string) {
    const root = TRACEFS.find((d) => existsSync(`${d}/instances`));
    if (!root) throw new Error('witness: tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)');
    const [category, name] = event.split(':') as [string, string];
    this.dir = `${root}/instances/nst-agent-${process.pid}-${Date.now()}`;
    mkdirSync(this.dir);
    writeFileSync(`${this.dir}/events/${category}/${name}/filter`, filter);
    writeFileSync(`${this.dir}/events/${category}/${name}/enable`, '1');
    this.event = `${category}/${name}`;
  }

  private readonly event: string;

  /** Stops recording; the events that fired in the context of a thread of PID 1, and all of them. */
  counts(): { withheld: number; all: number } {
    writeFileSync(`${this.dir}/events/${this.event}/enable`, '0');
    const text = readFileSync(`${this.dir}/trace`, 'utf8');
    this.close();
    for (const t of initThreads()) this.threads.add(t);
    let withheld = 0;
    let all = 0;
    for (const line of text.split('\n')) {
      const m = /^\s*.+-(\d+)\s+\[\d+\]/.exec(line);
      if (!m || line.startsWith('#')) continue;
      all++;
      if (this.threads.has(Number(m[1]))) withheld++;
    }
    return { withheld, all };
  }

  close(): void {
    if (existsSync(this.dir)) rmdirSync(this.dir);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

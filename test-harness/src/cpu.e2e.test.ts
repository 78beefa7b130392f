/**
 * softirq_latency_summary and sched_latency_summary against known work: packets sent from a
 * pinned CPU make NET_RX run there; a thread woken on a schedule waits longer for its CPU when a
 * hog is pinned beside it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { octaveOf, type Histogram } from '@netstrata/bpf-common';
import type { LockRow, OffcpuRow, ThreadRow, VectorRow } from '@netstrata/cpu';
import { AgentContextWitness, Lab, release, requireRoot, runToolOnce, sendUdp, startTool, SwitchWitness, toolPath, twoHosts, type ToolRecord } from './index.ts';

const run = requireRoot('cpu tools end-to-end tests');
const SLEEPER = fileURLToPath(new URL('../agents/sleeper.py', import.meta.url));
const LOCKSTRESS = fileURLToPath(new URL('../agents/lockstress.c', import.meta.url));


/** Histograms as the tools print them (bpf-common), for the totals the tests compute. */
type Hist = Histogram;

const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final')!;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** Spawns `cmd` pinned to `cpu`, stdin piped: an agent waits there until it is released. */
function spawnPinned(cpu: number, cmd: string[]): ChildProcess {
  const c = spawn('taskset', ['-c', String(cpu), ...cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(c);
  return c;
}

/** Until the process `pid` has named itself `comm`. */
async function named(pid: number, comm: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`process ${pid} never named itself ${comm}`);
}

const exited = (c: ChildProcess) => new Promise<number | null>((res) => (c.exitCode !== null ? res(c.exitCode) : c.once('exit', (code) => res(code))));

/** Time the samples in a histogram could add up to, taking each at its bucket's middle. */
const total = (h: Hist) => h.buckets.reduce((s, b) => s + b.count * ((b.start + b.end) / 2), 0);

describe.runIf(run)('softirq_latency_summary', () => {
  it('packets sent from a pinned CPU make NET_RX run there, timed from raise to run and while running', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    const cpu = 1 % cpus().length;
    await using tool = await startTool(toolPath('softirqLatencySummary'), ['--vector', 'net_rx', '--cpu', String(cpu), '--interval', '3600']);
    // veth hands each packet to the sending CPU's backlog, and NET_RX delivers it there: each send
    // (the agent waits for one to leave before the next) raises and runs NET_RX at least once per
    // few packets.
    const N = 400;
    expect(sendUdp(a.ns, { dst: b.v4, dport: 40100, count: N, cpu }).sent).toBe(N);
    const rec = final((await tool.stop()).records);
    const rows = rec.vectors as VectorRow[];
    expect(rows.map((r) => r.vector)).toEqual(['NET_RX']); // --vector keeps one
    const netRx = rows[0]!;
    expect(netRx.cpus.map((c) => c.cpu)).toEqual([cpu]); // --cpu keeps one
    expect(netRx.runtime.count).toBeGreaterThanOrEqual(N / 4);
    expect(netRx.latency.count).toBeGreaterThanOrEqual(N / 4);
    expect(netRx.latency.count).toBeLessThanOrEqual(netRx.runtime.count + 1);
    // A run takes time; packets were delivered in it.
    expect(netRx.runtime.percentiles!.p50.low).toBeGreaterThan(0);
    console.log(`NET_RX on CPU ${cpu}: ${netRx.runtime.count} runs, wait p50 >= ${netRx.latency.percentiles!.p50.low} ns, run p50 >= ${netRx.runtime.percentiles!.p50.low} ns`);
  });

  it('without filters: the vectors the kernel runs, each with its per-CPU rows adding up', async () => {
    await using tool = await startTool(toolPath('softirqLatencySummary'), ['--interval', '3600']);
    await new Promise((r) => setTimeout(r, 2000));
    const rec = final((await tool.stop()).records);
    const rows = rec.vectors as VectorRow[];
    // A live kernel always runs timers and RCU callbacks.
    expect(rows.some((r) => r.vector === 'TIMER' || r.vector === 'RCU' || r.vector === 'SCHED')).toBe(true);
    for (const r of rows) expect(r.runtime.count).toBe(r.cpus.reduce((s, c) => s + c.runtime.count, 0));
  });

  it('bad input is one line naming the option, exit 2, before anything loads', () => {
    for (const [args, re] of [
      [['--vector', 'net_rxx'], /--vector: unknown softirq 'net_rxx'/],
      [['--cpu', '0-'], /--cpu: '0-' is not a CPU number or range/],
      [['--cpu', '4096'], /--cpu: CPU 4096 does not exist here/],
    ] as const) {
      const r = runToolOnce(toolPath('softirqLatencySummary'), [...args]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });
});

describe.runIf(run)('sched_latency_summary', () => {
  /** A sleeper pinned to `cpu`, timed by the tool chosen by its pid; with a hog on the same CPU or not. */
  async function measure(cpu: number, hog: boolean): Promise<{ threads: ThreadRow[]; withheld: number }> {
    // withheld: wakeups the tool could not see: in the VM agent's context, or runs the kernel
    // skipped because one of the tool's programs was already running on that CPU (its `missed`).
    // The hog runs at a higher priority (nice -10, about 9 times the weight): the sleeper's waits
    // grow by milliseconds, far above what other work on a test machine adds.
    const hogProc = hog ? spawnPinned(cpu, ['nice', '-n', '-10', 'sh', '-c', 'while :; do :; done']) : undefined;
    const sleeper = spawnPinned(cpu, ['python3', SLEEPER, 'nst-sleeper', '100', '5', '1']);
    await using tool = await startTool(toolPath('schedLatencySummary'), ['--pid', String(sleeper.pid), '--interval', '3600']);
    // The sleeper's timer wakes it from an interrupt, in whatever task the CPU was running: on this
    // machine no BPF program runs in the VM agent's (docs/kernel-support.md), and those wakeups are
    // not the tool's to see.
    using witness = new AgentContextWitness('sched:sched_wakeup', `pid == ${sleeper.pid}`);
    release(sleeper);
    expect(await exited(sleeper)).toBe(0);
    hogProc?.kill('SIGKILL');
    const rec = final((await tool.stop()).records);
    const threads = rec.threads as ThreadRow[];
    const { withheld } = witness.counts();
    const missed = Number(rec.missed ?? 0);
    if (withheld || missed) console.log(`${withheld} of the sleeper's wakeups happened where the kernel runs no BPF program; ${missed} runs skipped (missed)`);
    return { threads, withheld: withheld + missed };
  }

  it('a thread woken every 5 ms waits longer for its CPU with a hog pinned beside it', async () => {
    const cpu = 1 % cpus().length;
    const { threads: quiet, withheld: quietWithheld } = await measure(cpu, false);
    const { threads: busy, withheld: busyWithheld } = await measure(cpu, true);
    for (const [rows, withheld] of [[quiet, quietWithheld], [busy, busyWithheld]] as const) {
      // Only the chosen process: its one thread, named as it named itself, on the pinned CPU.
      expect(rows).toHaveLength(1);
      expect(rows[0]!.comm).toBe('nst-sleeper');
      expect(rows[0]!.cpus.map((c) => c.cpu)).toEqual([cpu]);
      // 100 wakeups from the loop (and the release's), each timed.
      expect(rows[0]!.wakeups).toBeGreaterThanOrEqual(100 - withheld);
      expect(rows[0]!.wait.count).toBe(rows[0]!.wakeups + rows[0]!.preempted);
    }
    const q = quiet[0]!.wait;
    const h = busy[0]!.wait;
    console.log(`wait for CPU ${cpu}: alone p99 >= ${q.percentiles!.p99.low} ns, total ~${Math.round(total(q) / 1e3)} us; with a hog p99 >= ${h.percentiles!.p99.low} ns, total ~${Math.round(total(h) / 1e3)} us`);
    expect(total(h)).toBeGreaterThan(5 * total(q));
    expect(h.percentiles!.p99.low).toBeGreaterThan(q.percentiles!.p99.low);
    expect(h.percentiles!.p99.low).toBeGreaterThanOrEqual(1_000_000); // milliseconds behind the hog
  });

  it('--comm chooses threads by name prefix', async () => {
    const cpu = 0;
    const sleeper = spawnPinned(cpu, ['python3', SLEEPER, 'nst-sleeper', '40', '5', '0']);
    await using tool = await startTool(toolPath('schedLatencySummary'), ['--comm', 'nst-sl*', '--interval', '3600']);
    using witness = new AgentContextWitness('sched:sched_wakeup', `pid == ${sleeper.pid}`);
    release(sleeper);
    expect(await exited(sleeper)).toBe(0);
    const rows = final((await tool.stop()).records).threads as ThreadRow[];
    expect(rows.map((r) => r.pid)).toEqual([sleeper.pid]);
    expect(rows[0]!.wakeups).toBeGreaterThanOrEqual(40 - witness.counts().withheld);
  });

  it('bad input is one line naming the option, exit 2, before anything loads', () => {
    for (const [args, re] of [
      [['--pid', '4194304'], /--pid: no process 4194304/],
      [['--tid', '0'], /--tid: '0' must be greater than 0/],
      [['--comm', 'vh*st'], /--comm: 'vh\*st' is not a name prefix/],
      [['--comm', 'a-name-longer-than-fifteen'], /--comm: .* longer than a thread name/],
    ] as const) {
      const r = runToolOnce(toolPath('schedLatencySummary'), [...args]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });
});

describe.runIf(run)('offcpu_summary', () => {
  for (const [flavour, env] of [['tp_btf', {}], ['the classic tracepoint', { NETSTRATA_DISABLE_FEATURES: 'tp_btf,raw_tp' }]] as const) {
    it(`a thread that sleeps 20 ms 50 times: that time, on a stack through the sleep (${flavour})`, async () => {
      // The loop starts when the tool is ready, in any flavour; the wait for the release is a
      // read, not a sleep, and mostly began before the tool attached. The sleeper runs at a
      // real-time priority so that other load on the CPU does not preempt it around its sleeps.
      const sleeper = spawnPinned(0, ['python3', SLEEPER, 'nst-offcpu', '50', '20', '0', '1']);
      let out = '';
      sleeper.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const maxUs = 100_000;
      // The tool reads the process's mappings when it starts: let taskset's exec of the sleeper
      // happen first (the sleeper names itself once it runs).
      await named(sleeper.pid!, 'nst-offcpu');
      await using tool = await startTool(toolPath('offcpuSummary'), ['--pid', String(sleeper.pid), '--min-block-us', '5000', '--max-block-us', String(maxUs), '--interval', '3600', '--bpf-stats'], { env });
      using witness = new SwitchWitness(sleeper.pid!);
      release(sleeper);
      expect(await exited(sleeper)).toBe(0);
      const rec = final((await tool.stop()).records);
      const rows = rec.rows as OffcpuRow[];
      // Only the chosen process.
      for (const r of rows) expect(r.pid).toBe(sleeper.pid);
      const sleeps = rows.filter((r) => r.state === 'S' && r.kernel_stack.some((f) => /^(do_nanosleep|hrtimer_nanosleep|__x64_sys_clock_nanosleep)\b/.test(f)));
      expect(sleeps.length).toBeGreaterThan(0);
      const count = sleeps.reduce((s, r) => s + r.count, 0);
      const total = sleeps.reduce((s, r) => s + r.total_us, 0);
      // The truth: the blocks off CPU in the tool's bounds that the kernel's own sched_switch event
      // showed, leaving and coming back (the witness). Each is counted, or counted as missed when
      // the kernel skipped the program, and timed as ftrace timed it.
      const blocks = witness.blocks().filter((b) => b.state === 'S' && b.us >= 5000 && b.us <= maxUs);
      const seen = blocks.reduce((s, b) => s + b.us, 0);
      expect(count).toBeLessThanOrEqual(blocks.length);
      expect(count + (rec.missed as number)).toBeGreaterThanOrEqual(blocks.length);
      // Each block timed as ftrace timed it, but for the order of the two on the tracepoint: the
      // tool reads the clock first and then walks the stacks, and ftrace's event may be written
      // after that; so the difference is at most the tool's own run time (--bpf-stats), plus
      // ftrace's rounding to the microsecond and its own probe's time.
      const ownUs = (rec.cost as { bpf_ns: number }).bpf_ns / 1000;
      expect(Math.abs(total - seen), `the tool's ${total} µs against ftrace's ${seen} µs over ${blocks.length} blocks (${count} counted), its programs ran ${ownUs} µs`).toBeLessThanOrEqual(ownUs + 5 * blocks.length);
      // The sleeper's own account: a sleep with one voluntary switch, no preemption and less than
      // --max-block-us in all is one such block. The kernel shows nearly all of them; the ones it
      // withholds (no sched_switch at all for the thread's return) are logged.
      const report = JSON.parse(out) as { sleeps: [number, number, number][] };
      const clean = report.sleeps.filter(([vol, invol, us]) => vol === 1 && invol === 0 && us < maxUs).length;
      if (clean !== blocks.length) console.log(`offcpu (${flavour}): ${clean} clean sleeps, ${blocks.length} blocks seen by ftrace: ${JSON.stringify(report.sleeps)}`);
      expect(blocks.length).toBeGreaterThanOrEqual(clean * 0.9);
      expect(total / count).toBeGreaterThanOrEqual(20_000);
      expect(total / count).toBeLessThan(40_000); // within one log2 bucket of 20 ms
      expect(sleeps[0]!.state).toBe('S');
      expect(sleeps[0]!.comm).toBe('nst-offcpu');
      // The user side of the same stack: the C library's sleep, named from its ELF symbols.
      expect(sleeps[0]!.user_stack.some((f) => /nanosleep/.test(f))).toBe(true);
      expect(rec.stack_failed).toBe(0);
      console.log(`offcpu (${flavour}): ${count} sleeps, ${Math.round(total / count)} µs each (${(total - seen).toFixed(1)} µs more than ftrace's blocks in all, the tool's programs ran ${ownUs.toFixed(1)} µs); kernel ${sleeps[0]!.kernel_stack.slice(0, 4).join(' <- ')}; user ${sleeps[0]!.user_stack.slice(0, 3).join(' <- ')}`);
    });
    }

    it('--folded prints one folded stack per line, the time in µs', async () => {
      const sleeper = spawnPinned(0, ['python3', SLEEPER, 'nst-offcpu', '20', '10', '0']);
      await using tool = await startTool(toolPath('offcpuSummary'), ['--pid', String(sleeper.pid), '--folded', '--interval', '3600'], { json: false });
      release(sleeper);
      expect(await exited(sleeper)).toBe(0);
      const res = await tool.stop();
      const lines = res.stdout.trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(/^[^ ;]+(;[^;]+)* \d+$/);
      expect(lines.some((l) => l.startsWith('nst-offcpu;') && /;do_nanosleep;/.test(l))).toBe(true);
    });

    it('bad input is one line naming the option, exit 2, before anything loads', () => {
      for (const [args, re] of [
        [['--state', 'X'], /--state: 'X' is not one of R, S, D, I, T, P/],
        [['--user-threads-only', '--kernel-threads-only'], /exclude each other/],
        [['--min-block-us', '100', '--max-block-us', '10'], /--max-block-us: 10 is below --min-block-us 100/],
        [['--pid', '4194304'], /--pid: no process 4194304/],
      ] as const) {
        const r = runToolOnce(toolPath('offcpuSummary'), [...args]);
        expect(r.exitCode).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(re);
      }
    });
  });

  describe.runIf(run)('lock_wait_summary', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });

    /** Builds the contention program (frame pointers kept, so the waiter's stack can be walked). */
    function buildLockstress(): string {
      dir = mkdtempSync(join(tmpdir(), 'nst-lock-'));
      const exe = join(dir, 'lockstress');
      execFileSync('clang', ['-O2', '-g', '-fno-omit-frame-pointer', '-pthread', '-o', exe, LOCKSTRESS]);
      return exe;
    }

    /** Starts it and resolves with its first line: the locks' addresses and the threads' ids. Its rounds wait for `release`. */
    async function startLockstress(exe: string, rounds: number, holdMs: number): Promise<{ proc: ChildProcess; info: { pid: number; holder_tid: number; waiter_tid: number; mutex: string; rwlock: string } }> {
      const proc = spawn(exe, [String(rounds), String(holdMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(proc);
      const line = await new Promise<string>((res, rej) => {
        let out = '';
        proc.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) res(out.split('\n')[0]!);
        });
        proc.once('exit', (code) => rej(new Error(`lockstress exited (${code})`)));
      });
      return { proc, info: JSON.parse(line) };
    }

    it('two threads on one mutex and one rwlock, held 20 ms 50 times: that lock, that count, that bucket', async () => {
      const exe = buildLockstress();
      const { proc, info } = await startLockstress(exe, 50, 20);
      await using tool = await startTool(toolPath('lockWaitSummary'), ['--pid', String(info.pid), '--top', '50', '--interval', '3600']);
      release(proc);
      expect(await exited(proc)).toBe(0);
      const rec = final((await tool.stop()).records);
      const rows = rec.rows as LockRow[];
      for (const r of rows) expect(r.pid).toBe(info.pid); // other processes are not reported
      const waiter = (lock: string, kind: string) => rows.find((r) => r.tid === info.waiter_tid && r.lock === lock && r.kind === kind);
      const twenty = octaveOf(20_000_000);
      for (const [lock, kind] of [[info.mutex, 'mutex'], [info.rwlock, 'rwlock_rd']] as const) {
        const r = waiter(lock, kind)!;
        expect(r, `${kind} ${lock}`).toBeDefined();
        expect(r.count).toBe(50);
        expect(r.uncontended).toBe(0); // it reached each lock while the holder held it
        // Each wait lasts the hold time: the median in 20 ms's bucket, the total about 50 × 20 ms.
        expect(octaveOf(r.wait.percentiles!.p50.low)).toBe(twenty);
        expect(r.total_us).toBeGreaterThanOrEqual(50 * 20_000);
        expect(r.total_us).toBeLessThan(50 * 40_000);
      }
      // Under the contended mutex, the kernel wait on the same word.
      expect(waiter(info.mutex, 'futex')!.count).toBeGreaterThanOrEqual(50);
      // The holder always finds the locks free: 50 uncontended calls each, not one wait, no time.
      for (const [lock, kind] of [[info.mutex, 'mutex'], [info.rwlock, 'rwlock_wr']] as const) {
        const holder = rows.find((r) => r.tid === info.holder_tid && r.lock === lock && r.kind === kind)!;
        expect(holder, `holder ${kind} ${lock}`).toBeDefined();
        expect([holder.count, holder.uncontended, holder.total_us, holder.max_us, holder.wait.count]).toEqual([0, 50, 0, 0, 0]);
      }
      // Nor does it wait in the kernel on either lock's words.
      const near = (a: string, b: string) => BigInt(a) >= BigInt(b) && BigInt(a) < BigInt(b) + 64n;
      expect(rows.filter((r) => r.tid === info.holder_tid && r.kind === 'futex' && (near(r.lock, info.mutex) || near(r.lock, info.rwlock)))).toEqual([]);
      // One lock, one waiter, its 50 waits; the holder's calls are uncontended.
      const locks = rec.locks as { lock: string; kind: string; waiters: number; count: number; uncontended: number }[];
      for (const [lock, kind, uncontended] of [[info.mutex, 'mutex', 50], [info.rwlock, 'rwlock_rd', 0], [info.rwlock, 'rwlock_wr', 50]] as const) {
        const l = locks.find((x) => x.lock === lock && x.kind === kind)!;
        expect(l, `${kind} ${lock}`).toBeDefined();
        expect([l.waiters, l.count, l.uncontended]).toEqual(kind === 'rwlock_wr' ? [0, 0, 50] : [1, 50, uncontended]);
      }
      expect(locks[0]!.lock).toMatch(new RegExp(`^(${info.mutex}|${info.rwlock})$`));
      console.log(`lock waits: mutex ${waiter(info.mutex, 'mutex')!.count} x ~${Math.round(waiter(info.mutex, 'mutex')!.total_us / 50)} µs, rwlock_rd ${waiter(info.rwlock, 'rwlock_rd')!.count}`);
    });

    it('--stack: the waiter\'s user stack, from the lock call through the thread function that made it', async () => {
      const exe = buildLockstress();
      const { proc, info } = await startLockstress(exe, 5, 10);
      await using tool = await startTool(toolPath('lockWaitSummary'), ['--pid', String(info.pid), '--stack', '--min-wait-us', '5000', '--interval', '3600']);
      release(proc);
      expect(await exited(proc)).toBe(0);
      const rows = final((await tool.stop()).records).rows as LockRow[];
      const r = rows.find((x) => x.tid === info.waiter_tid && x.kind === 'mutex')!;
      expect(r.count).toBe(5);
      expect(r.stack![0]).toMatch(/^(__)?pthread_mutex_lock\+0x0$/); // the probe sits on its first instruction
      expect(r.stack!.some((f) => /^waiter\+0x/.test(f))).toBe(true);
    });

    it('bad input is one line naming the option, exit 2, before anything loads', () => {
      for (const [args, re] of [
        [[], /--pid: required/],
        [['--pid', '4194304'], /--pid: no process 4194304/],
        // A kernel thread maps no library at all.
        [['--pid', '2'], /--pid: process 2 maps no library with pthread_mutex_lock/],
        [['--pid', 'x'], /--pid: 'x' is not a number/],
      ] as const) {
        const r = runToolOnce(toolPath('lockWaitSummary'), [...args]);
        expect(r.exitCode).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(re);
      }
    });
  });

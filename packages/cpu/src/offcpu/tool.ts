/** offcpu_summary: where do threads spend their time off CPU, and why? */
import { z } from 'zod';
import { createHash } from 'node:crypto';
import { KallsymsSymbolizer, KernelRows, UsageError, UserSymbolizer, defineSummary, keyId, lossFields, num, readStack, type Delta } from '@netstrata/bpf-common';
import object from '../../build/bpf/offcpu_summary.bpf.o';
import { offcpuHooks } from '../hooks.ts';
import { STATE_LETTERS, decodeOffcpu, offcpuKey, offcpuStart, offcpuVal, type OffcpuEntry } from '../layout.ts';
import { THREADS, threadRodata, threadSchema, withThreads } from '../options.ts';
import { foldedLine, largestFirst, offcpuRowOps, renderOffcpuText, type OffcpuRow } from './report.ts';
import { StackSweeper, stackIdsIn } from './stacks.ts';

/** A row with its stacks read when the row was: the user side deletes stacks no row refers to. */
type Entry = OffcpuEntry & { kips: BigUint64Array; uips: BigUint64Array; sig: string };

/** targ_threads: which threads are followed at all. */
const THREADS_ALL = 0;
const THREADS_USER = 1;
const THREADS_KERNEL = 2;

/** --state letters to their STATE_* numbers (bpf/cpu.h). */
const stateList = z
  .string()
  .optional()
  .transform((v, ctx): number[] | undefined => {
    if (v === undefined) return undefined;
    const out: number[] = [];
    for (const part of String(v).split(',')) {
      const i = (STATE_LETTERS as readonly string[]).indexOf(part.trim().toUpperCase());
      if (i < 0 || part.trim() === '?') {
        ctx.addIssue({ code: 'custom', message: `--state: '${part.trim()}' is not one of R, S, D, I, T, P` });
        return z.NEVER;
      }
      out.push(i);
    }
    return out;
  });

export const offcpuSummary = defineSummary({
  name: 'offcpu_summary',
  domain: 'cpu',
  describe: 'Where do threads spend their time off CPU, and why? Blocked time by thread, state and kernel and user stack, summed in the kernel.',
  examples: [
    ['$0 --pid 1234 --min-block-us 1000', 'what process 1234 waits on for a millisecond or more at a time'],
    ['$0 --comm ovs-vswitchd --state D', 'uninterruptible waits of OVS threads (I/O, locks in the kernel)'],
    ['$0 --pid 1234 --duration 30 --folded > offcpu.folded', 'folded stacks for a flame graph (flamegraph.pl --countname=us)'],
  ],
  epilog:
    'Measured at sched:sched_switch: the time from a thread leaving the CPU to its return, added to the stacks it left with. ' +
    'Kernel stacks from /proc/kallsyms, user stacks from the ELF symbol tables of the files the process maps (module+offset where there is no symbol). ' +
    'Stacks the kernel could not keep are counted as stack_failed. Output fields: docs/output-fields.md',
  hooks: offcpuHooks,
  uses: { interval: 5, top: 10 },
  options: (y) =>
    withThreads(y, 'threads whose name starts with this (a trailing * is allowed)')
      .option('user-threads-only', { type: 'boolean', default: false, describe: 'only threads of user processes', group: THREADS })
      .option('kernel-threads-only', { type: 'boolean', default: false, describe: 'only kernel threads', group: THREADS })
      .option('state', { type: 'string', describe: 'only time off CPU in these states, as /proc shows them: R (preempted), S, D, I, T, P; e.g. D or S,D', group: THREADS })
      .option('min-block-us', { type: 'number', default: 1, describe: 'ignore stretches off CPU shorter than this (µs)', group: THREADS })
      .option('max-block-us', { type: 'number', describe: 'ignore stretches off CPU longer than this (µs)', group: THREADS })
      .option('folded', { type: 'boolean', default: false, describe: 'print folded stacks for flame graphs (frames joined by ;, then the µs off CPU) instead of the report' }),
  schema: {
    ...threadSchema,
    userThreadsOnly: z.boolean(),
    kernelThreadsOnly: z.boolean(),
    state: stateList,
    minBlockUs: num('min-block-us', { min: 0 }),
    maxBlockUs: num('max-block-us', { positive: true }).optional(),
    folded: z.boolean(),
  },
  check: (o) => {
    if (o.userThreadsOnly && o.kernelThreadsOnly) throw new UsageError('--user-threads-only and --kernel-threads-only exclude each other');
    if (o.maxBlockUs !== undefined && o.maxBlockUs < o.minBlockUs) throw new UsageError(`--max-block-us: ${o.maxBlockUs} is below --min-block-us ${o.minBlockUs}`);
  },
  object,
  maps: { offcpu: { key: offcpuKey, value: offcpuVal } },
  rodata: (o) => ({
    ...threadRodata(o),
    targ_threads: o.userThreadsOnly ? THREADS_USER : o.kernelThreadsOnly ? THREADS_KERNEL : THREADS_ALL,
    targ_states: (o.state ?? []).reduce((m, s) => m | (1 << s), 0),
    targ_min_ns: BigInt(Math.round(o.minBlockUs * 1000)),
    targ_max_ns: BigInt(Math.round((o.maxBlockUs ?? 0) * 1000)),
  }),
  start: ({ o, obj, signal, info }) => {
    // The chosen process's mappings first: it may be gone by the time the kernel's symbols are read.
    const user = new UserSymbolizer();
    if (o.pid) user.remember(o.pid);
    // Read after attaching: ready sooner, and the kernel's symbols are what they are now.
    const kernel = KallsymsSymbolizer.fromProc();
    if (!kernel.available) info(`kernel stacks shown as addresses: ${kernel.reason}`);
    const stacks = obj.map('stacks');
    const offcpu = obj.map('offcpu');
    const starts = obj.map('starts');
    const toRow = ({ key: k, totalNs, count, kips, uips }: Entry): OffcpuRow => {
      const kstack = [...kips];
      const row: OffcpuRow = {
        pid: k.pid,
        tid: k.tid,
        comm: k.comm,
        state: k.state,
        total_us: totalNs / 1000,
        count,
        kernel_stack: kernel.available ? kernel.kernelStack(kstack) : kstack.map((a) => `0x${a.toString(16)}`),
        user_stack: user.stack(k.pid, [...uips]),
      };
      if (k.kstack < 0) row.kernel_stack_error = k.kstack;
      if (k.ustack < 0 && k.ustack !== -1) row.user_stack_error = k.ustack;
      return row;
    };
    // A process that exits before the next report takes its mappings with it: note each new
    // process's mappings within a quarter second of its first row (keys only are read).
    const pidAt = offcpuKey.offsetOf('pid');
    const watcher = setInterval(() => {
      for (const k of offcpu.keys()) user.remember(new DataView(k.buffer, k.byteOffset, k.byteLength).getUint32(pidAt, true));
    }, 250);
    watcher.unref();
    signal.addEventListener('abort', () => clearInterval(watcher), { once: true });
    // Each stack read once per read; its digest tells a row from a later one that got the same
    // stack id for another stack.
    // Frames are kept as 8 bytes each: rows removed from the kernel keep theirs until the end.
    let stackCache = new Map<number, { ips: BigUint64Array; sig: string }>();
    const stackOf = (id: number) => {
      let s = stackCache.get(id);
      if (!s) {
        const ips = BigUint64Array.from(readStack(stacks, id));
        s = { ips, sig: ips.length ? createHash('sha1').update(ips.join(',')).digest('base64') : String(id) };
        stackCache.set(id, s);
      }
      return s;
    };
    const decode = (k: Uint8Array, v: Uint8Array): Entry => {
      const e = decodeOffcpu(k, v);
      const ks = stackOf(e.key.kstack);
      const us = stackOf(e.key.ustack);
      return { ...e, kips: ks.ips, uips: us.ips, sig: `${ks.sig}/${us.sig}` };
    };
    const rows = new KernelRows<Entry>(offcpu, obj, { decode, id: (k, e) => `${keyId(k)}/${e.sig}`, ...offcpuRowOps<Entry>() });
    const sweeper = new StackSweeper(stacks, obj.map('stack_used'), obj.map('sweep'));
    const stackAt = [offcpuKey.offsetOf('kstack'), offcpuKey.offsetOf('ustack')];
    const startStackAt = [offcpuStart.offsetOf('kstack'), offcpuStart.offsetOf('ustack')];
    const sweepStacks = () =>
      sweeper.sweep(() => stackIdsIn([...starts.entries()].map(([, v]) => v), startStackAt, stackIdsIn(offcpu.keys(), stackAt, new Set())));
    // Between reads too: rows idle for a few seconds go (counted at the next read), then the stacks
    // nothing refers to any more.
    rows.sweepEvery(signal, () => {
      sweepStacks();
      // A deleted id may come back for another stack: read stacks afresh after every sweep.
      stackCache = new Map();
    });
    let whole: Entry[] = [];
    return {
      read: (tick): Delta<Entry> => {
        stackCache = new Map();
        const d = rows.read();
        // Mappings are read while the processes still run: a process gone by the final report
        // keeps the names it had.
        for (const e of d.interval) user.remember(e.key.pid);
        if (tick.type === 'final') whole = largestFirst(d.total);
        else sweepStacks();
        stackCache = new Map();
        return d;
      },
      losses: () => {
        const kernel = lossFields(obj);
        return { evicted: kernel.evicted + rows.evicted, stack_failed: kernel.stack_failed + sweeper.raced };
      },
      // Folded stacks are one profile for the whole run, printed once at the end (stop).
      record: (d, tick) => {
        if (o.folded) return undefined;
        const rows = largestFirst(tick.type === 'final' ? d.total : d.interval);
        return { total_us: rows.reduce((s, e) => s + e.totalNs, 0) / 1000, rows: rows.slice(0, o.top).map(toRow), more_rows: Math.max(0, rows.length - o.top) };
      },
      render: renderOffcpuText,
      stop: () => {
        clearInterval(watcher);
        if (o.folded) for (const e of whole) process.stdout.write(`${foldedLine(toRow(e))}\n`);
      },
    };
  },
});

/** lock_wait_summary: which user-space locks does a process wait on, and for how long? */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { KernelRows, UserSymbolizer, defineSummary, num, readStack, toHistogram, type Delta } from '@netstrata/bpf-common';
import object from '../../build/bpf/lock_wait_summary.bpf.o';
import { lockHooks } from '../hooks.ts';
import { decodeLock, lockKey, lockVal, type LockEntry } from '../layout.ts';
import { LOCK_FUNCTIONS, lockLibrary, type LockLibrary } from './library.ts';
import { lockRowOps, mostWaitedFirst, renderLockText, topLocks, type LockRow } from './report.ts';

/** uprobe programs by the C library function they time. */
const PROBES: Record<string, [string, string]> = {
  [LOCK_FUNCTIONS.mutex]: ['mutex_lock_enter', 'mutex_lock_return'],
  [LOCK_FUNCTIONS.rwlock_wr]: ['rwlock_wrlock_enter', 'rwlock_wrlock_return'],
  [LOCK_FUNCTIONS.rwlock_rd]: ['rwlock_rdlock_enter', 'rwlock_rdlock_return'],
};

/** Threads whose wait histograms the text report draws. */
const HISTOGRAMS = 3;

// Before anything loads, and before privileges are checked (so an unreadable map says why): the
// library whose lock functions the uprobes will hook.
const targetPid = num('pid', { int: true, positive: true })
  .optional()
  .superRefine((n, ctx) => {
    if (n === undefined) ctx.addIssue({ code: 'custom', message: '--pid: required (the process whose locks to watch)' });
    else if (!existsSync(`/proc/${n}`)) ctx.addIssue({ code: 'custom', message: `--pid: no process ${n}` });
    else {
      const library = lockLibrary(n);
      if (typeof library === 'string') ctx.addIssue({ code: 'custom', message: `--pid: ${library}` });
    }
  })
  .transform((n) => n!);

const libraryOf = (pid: number) => lockLibrary(pid) as LockLibrary;

export const lockWaitSummary = defineSummary({
  name: 'lock_wait_summary',
  domain: 'cpu',
  describe:
    'Which user-space locks does a process wait on, and for how long? pthread mutex and rwlock waits and the futex waits under them, by lock address and thread; calls that took the lock without blocking are counted apart as uncontended.',
  examples: [
    ['$0 --pid $(pidof ovs-vswitchd)', 'which OVS locks its threads wait on (the revalidator holding a rwlock, say)'],
    ['$0 --pid 1234 --min-wait-us 1000 --stack', 'waits of a millisecond or more, with the waiting code path'],
  ],
  epilog:
    'uprobes on pthread_mutex_lock, pthread_rwlock_wrlock and pthread_rwlock_rdlock in the library the process maps (found in /proc/PID/maps), ' +
    'for that process only, and the futex(2) wait tracepoints. A call is a wait only if the thread entered a futex wait on that lock before it returned; ' +
    'the others are counted as uncontended. A uprobe costs the traced thread a few microseconds on every call, contended or not: ' +
    'run it on a busy process for as long as you need, not for days. Output fields: docs/output-fields.md',
  hooks: lockHooks,
  uses: { interval: 5, top: 10 },
  options: (y) =>
    y
      .option('pid', { type: 'string', describe: 'the process whose lock waits to time (required)' })
      .option('min-wait-us', { type: 'number', default: 0, describe: "ignore calls that waited less than this (µs); an uncontended lock costs the probe's own few µs" })
      .option('stack', { type: 'boolean', default: false, describe: "group waits also by the waiter's user stack" }),
  schema: { pid: targetPid, minWaitUs: num('min-wait-us', { min: 0 }), stack: z.boolean() },
  object,
  ownPrograms: Object.values(PROBES).flat(),
  maps: { waits: { key: lockKey, value: lockVal } },
  rodata: (o) => ({ targ_pid: o.pid, targ_stack: o.stack, targ_min_ns: BigInt(Math.round(o.minWaitUs * 1000)) }),
  beforeLoad: (obj, o) => {
    const { functions } = libraryOf(o.pid);
    for (const [fn, progs] of Object.entries(PROBES)) if (!functions.includes(fn as never)) for (const p of progs) obj.program(p).autoload = false;
  },
  attach: (obj, o) => {
    const library = libraryOf(o.pid);
    for (const fn of library.functions) {
      const [enter, ret] = PROBES[fn]!;
      const offset = library.offsets[fn]!;
      obj.program(enter).attachUprobe({ binaryPath: library.path, pid: o.pid, offset });
      obj.program(ret).attachUprobe({ binaryPath: library.path, pid: o.pid, offset, retprobe: true });
    }
  },
  start: ({ o, obj, signal, info }) => {
    const library = libraryOf(o.pid);
    info(`timing ${library.functions.join(', ')} in ${library.shown} and futex waits, for pid ${o.pid}`);
    const user = new UserSymbolizer();
    user.remember(o.pid);
    const stacks = obj.map('stacks');
    const waits = new KernelRows(obj.map('waits'), obj, { decode: decodeLock, ...lockRowOps });
    waits.sweepEvery(signal);
    const toRow = (e: LockEntry): LockRow => {
      const row: LockRow = {
        pid: e.key.pid,
        tid: e.key.tid,
        lock: `0x${e.key.lock.toString(16)}`,
        kind: e.key.kind,
        count: e.count,
        uncontended: e.uncontended,
        total_us: e.totalNs / 1000,
        max_us: e.maxNs / 1000,
        wait: toHistogram(e.slots, 'ns'),
      };
      if (o.stack && e.key.ustack > 0) {
        // ustack is the stack id + 1 (0: none taken).
        const ips = readStack(stacks, e.key.ustack - 1);
        // The lock function, its caller (read at entry), then the callers' callers.
        if (e.key.caller && ips.length) ips.splice(1, 0, e.key.caller);
        row.stack = user.stack(o.pid, ips);
      }
      return row;
    };
    return {
      read: () => waits.read(),
      losses: () => ({ evicted: waits.evicted }),
      record: (d: Delta<LockEntry>, tick) => {
        const rows = mostWaitedFirst(tick.type === 'final' ? d.total : d.interval);
        return { pid: o.pid, library: library.shown, locks: topLocks(rows), rows: rows.slice(0, o.top).map(toRow), more_rows: Math.max(0, rows.length - o.top) };
      },
      render: (rec) => renderLockText(rec, HISTOGRAMS),
    };
  },
});

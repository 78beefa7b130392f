/** lock_wait_summary: which user-space locks does a process wait on, and for how long? */
import type { BpfObject } from '@netstrata/libbpf-ts';
import { Sink, UserSymbolizer, everyInterval, readLosses, programMisses, runLifecycle, stopSignal, toHistogram, tracepointDefined, type Hook, type ToolCommand } from '@netstrata/bpf-common';
import object from '../../build/bpf/lock_wait_summary.bpf.o';
import { decodeLockKey, decodeLockVal, decodeStack } from '../layout.ts';
import { lockOptions, lockSchema, type LockOptions } from '../options.ts';
import { LOCK_FUNCTIONS } from './library.ts';
import { lockDeltas, renderLockText, topLocks, type LockEntry, type LockRecord } from './report.ts';

export const LOCK_DESCRIBE =
  'Which user-space locks does a process wait on, and for how long? pthread mutex and rwlock waits and the futex waits under them, by lock address and thread; calls that took the lock without blocking are counted apart as uncontended.';

export const futexHook: Hook = {
  name: 'syscalls:sys_enter/exit_futex',
  flavours: [{ name: 'tracepoint', programs: ['sys_enter_futex_tp', 'sys_exit_futex_tp'], needs: 'tracepoint', available: () => tracepointDefined('syscalls/sys_enter_futex', 'tracefs') }],
};
export const lockHooks: Hook[] = [futexHook];

/** uprobe programs by the C library function they time. */
const PROBES: Record<string, [string, string]> = {
  [LOCK_FUNCTIONS.mutex]: ['mutex_lock_enter', 'mutex_lock_return'],
  [LOCK_FUNCTIONS.rwlock_wr]: ['rwlock_wrlock_enter', 'rwlock_wrlock_return'],
  [LOCK_FUNCTIONS.rwlock_rd]: ['rwlock_rdlock_enter', 'rwlock_rdlock_return'],
};

export const lockCommand: ToolCommand<typeof lockSchema> = {
  name: 'lock_wait_summary',
  describe: LOCK_DESCRIBE,
  examples: [
    ['$0 --pid $(pidof ovs-vswitchd)', 'which OVS locks its threads wait on (the revalidator holding a rwlock, say)'],
    ['$0 --pid 1234 --min-wait-us 1000 --stack', 'waits of a millisecond or more, with the waiting code path'],
  ],
  epilog:
    'uprobes on pthread_mutex_lock, pthread_rwlock_wrlock and pthread_rwlock_rdlock in the library the process maps (found in /proc/PID/maps), ' +
    'for that process only, and the futex(2) wait tracepoints. A call is a wait only if the thread entered a futex wait on that lock before it returned; ' +
    'the others are counted as uncontended. A uprobe costs the traced thread a few microseconds on every call, contended or not: ' +
    'run it on a busy process for as long as you need, not for days. Output fields: docs/output-fields.md',
  options: lockOptions,
  schema: lockSchema,
  handler: runLock,
};

function readEntries(obj: BpfObject): LockEntry[] {
  return [...obj.map('waits').entries()].map(([k, v]) => ({ key: decodeLockKey(k), ...decodeLockVal(v) }));
}

export async function runLock(o: LockOptions): Promise<void> {
  const name = 'lock_wait_summary';
  const signal = stopSignal();
  const sink = new Sink(o.output);
  const user = new UserSymbolizer();
  user.remember(o.pid);
  await runLifecycle(
    {
      name,
      object,
      hooks: lockHooks,
      rodata: { targ_pid: o.pid, targ_stack: o.stack, targ_min_ns: BigInt(Math.round(o.minWaitUs * 1000)) },
      beforeLoad: (obj) => {
        for (const [fn, progs] of Object.entries(PROBES)) if (!o.library.functions.includes(fn as never)) for (const p of progs) obj.program(p).autoload = false;
      },
      attach: (obj) => {
        for (const fn of o.library.functions) {
          const [enter, ret] = PROBES[fn]!;
          const offset = o.library.offsets[fn]!;
          obj.program(enter).attachUprobe({ binaryPath: o.library.path, pid: o.pid, offset });
          obj.program(ret).attachUprobe({ binaryPath: o.library.path, pid: o.pid, offset, retprobe: true });
        }
      },
      run: async ({ obj }) => {
        sink.info(name, `timing ${o.library.functions.join(', ')} in ${o.library.shown} and futex waits, for pid ${o.pid}`);
        const stacks = obj.map('stacks');
        const started = Date.now();
        let last = started;
        let previous: LockEntry[] | undefined;
        const report = (type: 'interval' | 'final') => {
          const now = Date.now();
          const entries = readEntries(obj);
          const deltas = lockDeltas(entries, type === 'final' ? undefined : previous);
          previous = entries;
          const losses = readLosses(obj.map('lost'));
          const rec: LockRecord = {
            type,
            tool: name,
            time: new Date(now).toISOString(),
            interval_s: Math.round((now - (type === 'final' ? started : last)) / 100) / 10,
            pid: o.pid,
            library: o.library.shown,
            locks: topLocks(deltas),
            rows: deltas.slice(0, o.top).map((e) => {
              const row: LockRecord['rows'][number] = {
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
                const v = stacks.lookup(new Uint8Array(new Uint32Array([e.key.ustack - 1]).buffer));
                const ips = v ? decodeStack(v) : [];
                // The lock function, its caller (read at entry), then the callers' callers.
                if (e.key.caller && ips.length) ips.splice(1, 0, e.key.caller);
                row.stack = user.stack(o.pid, ips);
              }
              return row;
            }),
            more_rows: Math.max(0, deltas.length - o.top),
            map_full: losses.map_full,
            stack_failed: losses.stack_failed,
            missed: programMisses(obj),
          };
          last = now;
          sink.record(rec, () => renderLockText(rec, 3));
        };
        await everyInterval({ intervalMs: o.interval * 1000, durationMs: o.duration * 1000, signal }, () => report('interval'));
        report('final');
      },
    },
    { signal, verbose: o.verbose, readyFile: o.readyFile, log: (m) => sink.info(name, m) },
  );
}

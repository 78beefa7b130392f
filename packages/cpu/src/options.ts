/** Options of the cpu tools: yargs declares them, zod validates them before anything loads. */
import { existsSync, readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { z } from 'zod';
import { Btf } from '@netstrata/libbpf-ts';
import { commonSchema, num, pickVectors, softirqVectors, withCommonOptions, type SoftirqVector } from '@netstrata/bpf-common';
import { CPU_MAX, STATE_LETTERS } from './layout.ts';
import { findLockLibrary } from './lock/library.ts';

/** CPUs this machine can have (/sys/devices/system/cpu/possible, e.g. "0-3"). */
function possibleCpus(): number {
  const f = '/sys/devices/system/cpu/possible';
  const text = existsSync(f) ? readFileSync(f, 'utf8').trim() : '0';
  return Math.max(...text.split(',').map((r) => Number(r.split('-').at(-1)))) + 1;
}

/** "0,2-3" → [0, 2, 3]: a CPU list as the kernel writes them (cpuset, taskset -c). */
export function parseCpuList(text: string, possible: number): number[] | string {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) return `'${part.trim()}' is not a CPU number or range (e.g. 0,2-3)`;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return `'${part.trim()}': the range runs backwards`;
    if (hi >= Math.min(possible, CPU_MAX)) return `CPU ${hi} does not exist here (CPUs 0-${possible - 1})`;
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

const cpuList = z
  .string()
  .optional()
  .transform((v, ctx): number[] | undefined => {
    if (v === undefined) return undefined;
    const r = parseCpuList(String(v), possibleCpus());
    if (typeof r === 'string') {
      ctx.addIssue({ code: 'custom', message: `--cpu: ${r}` });
      return z.NEVER;
    }
    return r;
  });

function withCpu<T>(y: Argv<T>) {
  return y.option('cpu', { type: 'string', describe: 'only these CPUs, e.g. 0,2-3', group: 'Filters (applied in the kernel):' });
}

export function softirqOptions<T>(y: Argv<T>) {
  return withCpu(withCommonOptions(y, { interval: 5 })).option('vector', {
    type: 'string',
    describe: 'only these softirqs, by the kernel\'s names, e.g. net_rx,timer',
    group: 'Filters (applied in the kernel):',
  });
}

export const softirqSchema = commonSchema.extend({
  cpu: cpuList,
  vector: z
    .string()
    .optional()
    .transform((v, ctx): SoftirqVector[] | undefined => {
      if (v === undefined) return undefined;
      const all = softirqVectors(Btf.vmlinux());
      const { picked, unknown } = pickVectors(all, String(v).split(','));
      if (unknown.length) {
        ctx.addIssue({ code: 'custom', message: `--vector: unknown softirq '${unknown[0]}' (this kernel has ${all.map((x) => x.name.toLowerCase()).join(', ')})` });
        return z.NEVER;
      }
      return picked;
    }),
});
export type SoftirqOptions = z.infer<typeof softirqSchema>;

export function schedOptions<T>(y: Argv<T>) {
  const g = 'Threads (chosen in the kernel):';
  return withCpu(withCommonOptions(y, { interval: 5 }))
    .option('pid', { type: 'string', describe: 'threads of this process', group: g })
    .option('tid', { type: 'string', describe: 'this thread only', group: g })
    .option('comm', { type: 'string', describe: 'threads whose name starts with this (a trailing * is allowed: vhost-*, ksoftirqd)', group: g })
    .option('preempted', { type: 'boolean', default: true, describe: 'also time the wait after a thread is preempted while it could run (--no-preempted: wakeups only)' });
}

/** A comm pattern: a prefix, optionally ending in `*`; thread names are at most 15 bytes. */
export function parseComm(v: string): string | { error: string } {
  const prefix = v.endsWith('*') ? v.slice(0, -1) : v;
  if (!prefix) return { error: 'is empty: give the start of a thread name' };
  if (/[*?[\]]/.test(prefix)) return { error: `'${v}' is not a name prefix: only a trailing * is understood` };
  if (Buffer.byteLength(prefix) > 15) return { error: `'${v}' is longer than a thread name (15 bytes)` };
  return prefix;
}

const processId = (option: string, what: (n: number) => string) =>
  num(option, { int: true, positive: true })
    .optional()
    .superRefine((n, ctx) => {
      if (n !== undefined && !existsSync(what(n))) ctx.addIssue({ code: 'custom', message: `--${option}: no ${option === 'pid' ? 'process' : 'thread'} ${n}` });
    });

export const schedSchema = commonSchema.extend({
  cpu: cpuList,
  pid: processId('pid', (n) => `/proc/${n}`),
  tid: processId('tid', (n) => `/proc/${n}/task/${n}`),
  comm: z
    .string()
    .optional()
    .transform((v, ctx): string | undefined => {
      if (v === undefined) return undefined;
      const r = parseComm(String(v));
      if (typeof r !== 'string') {
        ctx.addIssue({ code: 'custom', message: `--comm: ${r.error}` });
        return z.NEVER;
      }
      return r;
    }),
  preempted: z.boolean(),
});
export type SchedOptions = z.infer<typeof schedSchema>;

export function offcpuOptions<T>(y: Argv<T>) {
  const g = 'Threads (chosen in the kernel):';
  return withCommonOptions(y, { interval: 5, top: 10 })
    .option('pid', { type: 'string', describe: 'threads of this process', group: g })
    .option('tid', { type: 'string', describe: 'this thread only', group: g })
    .option('comm', { type: 'string', describe: 'threads whose name starts with this (a trailing * is allowed)', group: g })
    .option('user-threads-only', { type: 'boolean', default: false, describe: 'only threads of user processes', group: g })
    .option('kernel-threads-only', { type: 'boolean', default: false, describe: 'only kernel threads', group: g })
    .option('state', { type: 'string', describe: 'only time off CPU in these states, as /proc shows them: R (preempted), S, D, I, T, P; e.g. D or S,D', group: g })
    .option('min-block-us', { type: 'number', default: 1, describe: 'ignore stretches off CPU shorter than this (µs)', group: g })
    .option('max-block-us', { type: 'number', describe: 'ignore stretches off CPU longer than this (µs)', group: g })
    .option('folded', { type: 'boolean', default: false, describe: 'print folded stacks for flame graphs (frames joined by ;, then the µs off CPU) instead of the report' });
}

export const offcpuSchema = commonSchema
  .extend({
    pid: processId('pid', (n) => `/proc/${n}`),
    tid: processId('tid', (n) => `/proc/${n}/task/${n}`),
    comm: schedSchema.shape.comm,
    userThreadsOnly: z.boolean(),
    kernelThreadsOnly: z.boolean(),
    state: z
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
      }),
    minBlockUs: num('min-block-us', { min: 0 }),
    maxBlockUs: num('max-block-us', { positive: true }).optional(),
    folded: z.boolean(),
  })
  .superRefine((o, ctx) => {
    if (o.userThreadsOnly && o.kernelThreadsOnly) ctx.addIssue({ code: 'custom', message: '--user-threads-only and --kernel-threads-only exclude each other' });
    if (o.maxBlockUs !== undefined && o.maxBlockUs < o.minBlockUs) ctx.addIssue({ code: 'custom', message: `--max-block-us: ${o.maxBlockUs} is below --min-block-us ${o.minBlockUs}` });
  });
export type OffcpuOptions = z.infer<typeof offcpuSchema>;

export function lockOptions<T>(y: Argv<T>) {
  return withCommonOptions(y, { interval: 5, top: 10 })
    .option('pid', { type: 'string', describe: 'the process whose lock waits to time (required)' })
    .option('min-wait-us', { type: 'number', default: 0, describe: 'ignore calls that waited less than this (µs); an uncontended lock costs the probe\'s own few µs' })
    .option('stack', { type: 'boolean', default: false, describe: 'group waits also by the waiter\'s user stack' });
}

export const lockSchema = commonSchema.extend({
  pid: num('pid', { int: true, positive: true })
    .optional()
    .superRefine((n, ctx) => {
      if (n === undefined) ctx.addIssue({ code: 'custom', message: '--pid: required (the process whose locks to watch)' });
      else if (!existsSync(`/proc/${n}`)) ctx.addIssue({ code: 'custom', message: `--pid: no process ${n}` });
    })
    .transform((n) => n!),
  minWaitUs: num('min-wait-us', { min: 0 }),
  stack: z.boolean(),
}).transform((o, ctx) => {
  // Before anything loads: the library whose lock functions the uprobes will hook.
  const library = findLockLibrary(o.pid);
  if (typeof library === 'string') {
    ctx.addIssue({ code: 'custom', message: `--pid: ${library}` });
    return z.NEVER;
  }
  return { ...o, library };
});
export type LockOptions = z.infer<typeof lockSchema>;

/** The thread choice as the programs' rodata (bpf/threads.h). */
export function threadRodata(o: { pid?: number; tid?: number; comm?: string }): Record<string, number | Uint8Array> {
  const comm = new Uint8Array(16);
  if (o.comm) comm.set(new TextEncoder().encode(o.comm));
  return { targ_pid: o.pid ?? 0, targ_tid: o.tid ?? 0, targ_comm: comm, targ_comm_len: o.comm ? Buffer.byteLength(o.comm) : 0 };
}

/** Option pieces the cpu tools share: CPU lists, and threads chosen by pid, tid or name prefix. */
import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import { z } from 'zod';
import { num, numPossibleCpus } from '@netstrata/bpf-common';
import { CPU_MAX, encodeCpuMask } from './layout.ts';

export const FILTERS = 'Filters (applied in the kernel):';
export const THREADS = 'Threads (chosen in the kernel):';

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

export const cpuList = z
  .string()
  .optional()
  .transform((v, ctx): number[] | undefined => {
    if (v === undefined) return undefined;
    const r = parseCpuList(String(v), numPossibleCpus());
    if (typeof r === 'string') {
      ctx.addIssue({ code: 'custom', message: `--cpu: ${r}` });
      return z.NEVER;
    }
    return r;
  });

export function withCpu<T>(y: Argv<T>) {
  return y.option('cpu', { type: 'string', describe: 'only these CPUs, e.g. 0,2-3', group: FILTERS });
}

/** --cpu as rodata (bpf/cpu.h). */
export const cpuRodata = (cpus: readonly number[] | undefined) => ({ targ_cpu_filter: cpus !== undefined, targ_cpus: encodeCpuMask(cpus ?? []) });

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

/** --pid, --tid, --comm: the threads a tool follows (bpf/threads.h). */
export function withThreads<T>(y: Argv<T>, comm: string) {
  return y
    .option('pid', { type: 'string', describe: 'threads of this process', group: THREADS })
    .option('tid', { type: 'string', describe: 'this thread only', group: THREADS })
    .option('comm', { type: 'string', describe: comm, group: THREADS });
}

export const threadSchema = {
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
};

/** The thread choice as the programs' rodata (bpf/threads.h). */
export function threadRodata(o: { pid?: number; tid?: number; comm?: string }): Record<string, number | Uint8Array> {
  const comm = new Uint8Array(16);
  if (o.comm) comm.set(new TextEncoder().encode(o.comm));
  return { targ_pid: o.pid ?? 0, targ_tid: o.tid ?? 0, targ_comm: comm, targ_comm_len: o.comm ? Buffer.byteLength(o.comm) : 0 };
}

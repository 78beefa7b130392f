/** sched_latency_summary: how long do chosen threads wait for a CPU once they can run? */
import { z } from 'zod';
import { KernelRows, defineSummary, type Delta } from '@netstrata/bpf-common';
import object from '../../build/bpf/sched_latency_summary.bpf.o';
import { schedHooks } from '../hooks.ts';
import { decodeSched, schedKey, schedVal, type SchedEntry } from '../layout.ts';
import { cpuList, cpuRodata, threadRodata, threadSchema, withCpu, withThreads } from '../options.ts';
import { renderSchedText, schedRowOps, threadRows } from './report.ts';

/** Threads whose wait histograms the text report draws. */
const HISTOGRAMS = 3;

export const schedLatencySummary = defineSummary({
  name: 'sched_latency_summary',
  domain: 'cpu',
  describe: 'How long do chosen threads wait for a CPU once they can run? Per thread and CPU, the wait from wakeup (or preemption) to running, as histograms kept in the kernel.',
  examples: [
    ['$0 --comm ksoftirqd', 'how long the softirq threads wait to run, per CPU'],
    ['$0 --comm vhost-', 'the vhost workers of every VM'],
    ['$0 --pid 1234 --no-preempted --output json', 'wakeup latency of one process, as NDJSON'],
  ],
  epilog:
    'A wait starts at sched:sched_wakeup / sched_wakeup_new, or when a runnable thread is switched out (unless --no-preempted), and ends at sched:sched_switch onto a CPU. ' +
    'Without --pid, --tid or --comm every thread is timed. Output fields: docs/output-fields.md',
  hooks: schedHooks,
  uses: { interval: 5, top: 10 },
  options: (y) =>
    withThreads(withCpu(y), 'threads whose name starts with this (a trailing * is allowed: vhost-*, ksoftirqd)').option('preempted', {
      type: 'boolean',
      default: true,
      describe: 'also time the wait after a thread is preempted while it could run (--no-preempted: wakeups only)',
    }),
  schema: { cpu: cpuList, ...threadSchema, preempted: z.boolean() },
  object,
  maps: { waits: { key: schedKey, value: schedVal } },
  rodata: (o) => ({ ...threadRodata(o), targ_preempted: o.preempted, ...cpuRodata(o.cpu) }),
  start: ({ o, obj, signal }) => {
    const waits = new KernelRows(obj.map('waits'), obj, { decode: decodeSched, ...schedRowOps });
    waits.sweepEvery(signal);
    return {
      read: () => waits.read(),
      losses: () => ({ evicted: waits.evicted }),
      record: (d: Delta<SchedEntry>, tick) => {
        const rows = threadRows(tick.type === 'final' ? d.total : d.interval);
        return { threads: rows.slice(0, o.top), more_threads: Math.max(0, rows.length - o.top) };
      },
      render: (rec) => renderSchedText(rec, HISTOGRAMS),
    };
  },
});

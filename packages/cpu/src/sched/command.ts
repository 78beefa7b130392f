/** sched_latency_summary: how long do chosen threads wait for a CPU once they can run? */
import type { BpfObject } from '@netstrata/libbpf-ts';
import { Sink, everyInterval, readLosses, programMisses, runLifecycle, stopSignal, type ToolCommand } from '@netstrata/bpf-common';
import object from '../../build/bpf/sched_latency_summary.bpf.o';
import { schedHooks } from '../hooks.ts';
import { decodeSchedKey, decodeSchedVal, encodeCpuMask } from '../layout.ts';
import { schedOptions, schedSchema, threadRodata, type SchedOptions } from '../options.ts';
import { renderSchedText, threadRows, type SchedEntries, type SchedRecord } from './report.ts';

export const SCHED_DESCRIBE =
  'How long do chosen threads wait for a CPU once they can run? Per thread and CPU, the wait from wakeup (or preemption) to running, as histograms kept in the kernel.';

export const schedCommand: ToolCommand<typeof schedSchema> = {
  name: 'sched_latency_summary',
  describe: SCHED_DESCRIBE,
  examples: [
    ['$0 --comm ksoftirqd', 'how long the softirq threads wait to run, per CPU'],
    ['$0 --comm vhost-', 'the vhost workers of every VM'],
    ['$0 --pid 1234 --no-preempted --output json', 'wakeup latency of one process, as NDJSON'],
  ],
  epilog:
    'A wait starts at sched:sched_wakeup / sched_wakeup_new, or when a runnable thread is switched out (unless --no-preempted), and ends at sched:sched_switch onto a CPU. ' +
    'Without --pid, --tid or --comm every thread is timed. Output fields: docs/output-fields.md',
  options: schedOptions,
  schema: schedSchema,
  handler: runSched,
};

function readEntries(obj: BpfObject): SchedEntries {
  return [...obj.map('waits').entries()].map(([k, v]) => ({ key: decodeSchedKey(k), val: decodeSchedVal(v) }));
}

export async function runSched(o: SchedOptions): Promise<void> {
  const name = 'sched_latency_summary';
  const signal = stopSignal();
  const sink = new Sink(o.output);
  await runLifecycle(
    {
      name,
      object,
      hooks: schedHooks,
      rodata: {
        ...threadRodata(o),
        targ_preempted: o.preempted,
        targ_cpu_filter: o.cpu !== undefined,
        targ_cpus: encodeCpuMask(o.cpu ?? []),
      },
      run: async ({ obj }) => {
        const started = Date.now();
        let last = started;
        let previous: SchedEntries | undefined;
        const report = (type: 'interval' | 'final') => {
          const now = Date.now();
          const entries = readEntries(obj);
          const rows = threadRows(entries, type === 'final' ? undefined : previous);
          const rec: SchedRecord = {
            type,
            tool: name,
            time: new Date(now).toISOString(),
            interval_s: Math.round((now - (type === 'final' ? started : last)) / 100) / 10,
            threads: rows.slice(0, o.top),
            more_threads: Math.max(0, rows.length - o.top),
            map_full: readLosses(obj.map('lost')).map_full,
            missed: programMisses(obj),
          };
          previous = entries;
          last = now;
          sink.record(rec, () => renderSchedText(rec, 3));
        };
        await everyInterval({ intervalMs: o.interval * 1000, durationMs: o.duration * 1000, signal }, () => report('interval'));
        report('final');
      },
    },
    { signal, verbose: o.verbose, readyFile: o.readyFile, log: (m) => sink.info(name, m) },
  );
}

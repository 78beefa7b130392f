/** softirq_latency_summary: how late do softirqs run, and how long do they take? */
import { Btf, type BpfObject } from '@netstrata/libbpf-ts';
import { Sink, decodeSlots, everyInterval, perCpuEntries, programMisses, runLifecycle, softirqVectors, stopSignal, vectorMask, type ToolCommand } from '@netstrata/bpf-common';
import object from '../../build/bpf/softirq_latency_summary.bpf.o';
import { softirqHooks } from '../hooks.ts';
import { encodeCpuMask } from '../layout.ts';
import { softirqOptions, softirqSchema, type SoftirqOptions } from '../options.ts';
import { renderSoftirqText, vectorRows, type SoftirqRecord, type SoftirqSlots } from './report.ts';

export const SOFTIRQ_DESCRIBE =
  'How late do softirqs run, and how long do they take? Per vector and CPU: the wait from raise to run and the run time, as histograms kept in the kernel.';

export const softirqCommand: ToolCommand<typeof softirqSchema> = {
  name: 'softirq_latency_summary',
  describe: SOFTIRQ_DESCRIBE,
  examples: [
    ['$0', 'every vector on every CPU, every 5 seconds'],
    ['$0 --vector net_rx,net_tx --cpu 2-3', 'the network softirqs on the CPUs that take the NIC interrupts'],
    ['$0 --vector net_rx --interval 1 --output json', 'NET_RX wait and run time each second, as NDJSON'],
  ],
  epilog:
    'Wait: irq:softirq_raise -> irq:softirq_entry (from the first raise while the vector was not pending). Run time: softirq_entry -> softirq_exit. ' +
    'Histograms are log2 buckets in ns; percentiles name the bucket. Vector names come from the running kernel. Output fields: docs/output-fields.md',
  options: softirqOptions,
  schema: softirqSchema,
  handler: runSoftirq,
};

function readSlots(obj: BpfObject): SoftirqSlots {
  const out: SoftirqSlots = new Map();
  for (const [k, copies] of perCpuEntries(obj.map('hists'))) {
    out.set(new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true), copies.map((c) => decodeSlots([c])));
  }
  return out;
}

export async function runSoftirq(o: SoftirqOptions): Promise<void> {
  const name = 'softirq_latency_summary';
  const signal = stopSignal();
  const sink = new Sink(o.output);
  const vectors = o.vector ?? softirqVectors(Btf.vmlinux());
  await runLifecycle(
    {
      name,
      object,
      hooks: softirqHooks,
      rodata: {
        targ_vectors: o.vector ? vectorMask(o.vector) : 0,
        targ_cpu_filter: o.cpu !== undefined,
        targ_cpus: encodeCpuMask(o.cpu ?? []),
      },
      run: async ({ obj }) => {
        const started = Date.now();
        let last = started;
        let previous: SoftirqSlots | undefined;
        const report = (type: 'interval' | 'final') => {
          const now = Date.now();
          const slots = readSlots(obj);
          const rec: SoftirqRecord = {
            type,
            tool: name,
            time: new Date(now).toISOString(),
            interval_s: Math.round((now - (type === 'final' ? started : last)) / 100) / 10,
            vectors: vectorRows(slots, type === 'final' ? undefined : previous, vectors),
            missed: programMisses(obj),
          };
          previous = slots;
          last = now;
          sink.record(rec, () => renderSoftirqText(rec, o.top));
        };
        await everyInterval({ intervalMs: o.interval * 1000, durationMs: o.duration * 1000, signal }, () => report('interval'));
        report('final');
      },
    },
    { signal, verbose: o.verbose, readyFile: o.readyFile, log: (m) => sink.info(name, m) },
  );
}

/** softirq_latency_summary: how late do softirqs run, and how long do they take? */
import { z } from 'zod';
import { defineSummary, kernelBtf, pickVectors, softirqVectors, vectorMask, type SoftirqVector, type Delta } from '@netstrata/bpf-common';
import object from '../../build/bpf/softirq_latency_summary.bpf.o';
import { softirqHooks } from '../hooks.ts';
import { SQ_KINDS, SQ_VECS, nstHist } from '../layout.ts';
import { FILTERS, cpuList, cpuRodata, withCpu } from '../options.ts';
import { histDeltas, renderSoftirqText, vectorRows, type HistCell } from './report.ts';

const vectorList = z
  .string()
  .optional()
  .transform((v, ctx): SoftirqVector[] | undefined => {
    if (v === undefined) return undefined;
    const all = softirqVectors(kernelBtf());
    const { picked, unknown } = pickVectors(all, String(v).split(','));
    if (unknown.length) {
      ctx.addIssue({ code: 'custom', message: `--vector: unknown softirq '${unknown[0]}' (this kernel has ${all.map((x) => x.name.toLowerCase()).join(', ')})` });
      return z.NEVER;
    }
    return picked;
  });

export const softirqLatencySummary = defineSummary({
  name: 'softirq_latency_summary',
  domain: 'cpu',
  describe: 'How late do softirqs run, and how long do they take? Per vector and CPU: the wait from raise to run and the run time, as histograms kept in the kernel.',
  examples: [
    ['$0', 'every vector on every CPU, every 5 seconds'],
    ['$0 --vector net_rx,net_tx --cpu 2-3', 'the network softirqs on the CPUs that take the NIC interrupts'],
    ['$0 --vector net_rx --interval 1 --output json', 'NET_RX wait and run time each second, as NDJSON'],
  ],
  epilog:
    'Wait: irq:softirq_raise -> irq:softirq_entry (from the first raise while the vector was not pending). Run time: softirq_entry -> softirq_exit. ' +
    'Histograms are in ns, 8 buckets per power of two (within 12.5 %); percentiles name the bucket. Vector names come from the running kernel. Output fields: docs/output-fields.md',
  hooks: softirqHooks,
  uses: { interval: 5, top: 10 },
  options: (y) => withCpu(y).option('vector', { type: 'string', describe: "only these softirqs, by the kernel's names, e.g. net_rx,timer", group: FILTERS }),
  schema: { cpu: cpuList, vector: vectorList },
  object,
  maps: { hists: { key: 4, value: nstHist } },
  rodata: (o) => ({ targ_vectors: o.vector ? vectorMask(o.vector) : 0, ...cpuRodata(o.cpu) }),
  start: ({ o, obj }) => {
    const vectors = o.vector ?? softirqVectors(kernelBtf());
    const hists = obj.map('hists');
    const deltas = histDeltas();
    const cells = function* (): Generator<[string, HistCell]> {
      for (let index = 0; index < SQ_VECS * SQ_KINDS; index++) {
        const cpus = hists.lookupPerCpu(new Uint8Array(new Uint32Array([index]).buffer)).map((c) => nstHist.decode(c).slots);
        yield [String(index), { index, cpus }];
      }
    };
    return {
      read: () => deltas.update(cells()),
      record: (d: Delta<HistCell>, tick) => ({ vectors: vectorRows(tick.type === 'final' ? d.total : d.interval, vectors) }),
      render: (rec) => renderSoftirqText(rec, o.top),
    };
  },
});

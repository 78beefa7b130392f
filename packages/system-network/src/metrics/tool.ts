/** system_network_metrics_summary: how is the host's network doing? */
import { DropReasons, defineSummary, kernelBtf, lossFields, perCpuEntries } from '@netstrata/bpf-common';
import object from '../../build/bpf/system_network_metrics_summary.bpf.o';
import { metricsDropHook, metricsHooks, napiPollHook, qdiscDequeueHook, qdiscEnqueueHook, softirqEntryHook, softirqExitHook } from '../hooks.ts';
import { devKey, dropDevKey, nstHist, qdiscNapiStats, softirqStats, u32Key } from '../layout.ts';
import { KernelAggregator, type KernelReading } from './aggregate.ts';
import { readHost } from './cpus.ts';
import { readSelected } from './devices.ts';
import { metricsOptions, probeSchema, prometheusSchema } from './options.ts';
import { startPrometheus } from './prometheus.ts';
import { metricsFields, renderMetricsText, type MetricsTotals } from './render.ts';
import { VitalsAggregator, netSoftirqVectors, softirqMask, type SoftirqVector } from './vitals.ts';

const NAME = 'system_network_metrics_summary';

const baselines = new WeakMap<object, KernelReading>();

let vectors: SoftirqVector[] | undefined;
const netVectors = () => (vectors ??= netSoftirqVectors(kernelBtf()));
const NET_VECTORS = ['NET_RX', 'NET_TX'];

const readKernel = (filter: Parameters<typeof readSelected>[0]): KernelReading => ({ ...readSelected(filter), ...readHost(NET_VECTORS) });

/** Maps of probes a run does not use, shrunk to one entry before load (hash maps preallocate). */
const UNUSED = (o: { napi: boolean; softirqTime: boolean; qdiscSojourn: boolean }) => [
  ...(o.napi || o.qdiscSojourn ? [] : ['queues']),
  ...(o.qdiscSojourn ? [] : ['sessions', 'hists']),
  ...(o.softirqTime ? [] : ['softirqs']),
];

export const metricsSummary = defineSummary({
  name: NAME,
  domain: 'system-network',
  describe:
    "How is the host's network doing? Per interval: per-device packets, bytes and errors, qdisc statistics, drops by reason, conntrack per namespace, and per-CPU NET_RX/NET_TX softirqs and softnet_stat. Mostly the kernel's own counters: cheap enough to run for days.",
  examples: [
    ['$0', 'every device in this host, every 5 seconds'],
    ['$0 --netns blue --interval 1', 'the devices of namespace blue, every second'],
    ['$0 --interface eth0 --output json', 'one device, as NDJSON'],
    ['$0 --prometheus 9464', 'also serve http://127.0.0.1:9464/metrics for Prometheus'],
    ['$0 --napi --softirq-time', 'also count NAPI polls per device and time NET_RX/NET_TX softirqs (BPF runs per poll and per softirq)'],
    ['$0 --interface eth0 --qdisc-sojourn', "also measure the time packets wait in eth0's qdisc (two BPF runs per queued packet)"],
  ],
  epilog:
    "Per-device packets, bytes and errors, qdisc statistics, conntrack, /proc/softirqs and /proc/net/softnet_stat are the kernel's own counters, read every interval; " +
    'by default the only BPF program counts drops by reason (it runs once per dropped packet). --napi, --softirq-time and --qdisc-sojourn add probes that run per poll, per softirq or per queued packet. ' +
    'Output fields: docs/output-fields.md',
  hooks: metricsHooks,
  hooksFor: (o) => [
    metricsDropHook,
    ...(o.qdiscSojourn ? [qdiscEnqueueHook, qdiscDequeueHook] : []),
    ...(o.napi ? [napiPollHook] : []),
    ...(o.softirqTime ? [softirqEntryHook, softirqExitHook] : []),
  ],
  uses: { filter: 'device', interval: 5, top: 20 },
  options: metricsOptions,
  schema: { prometheus: prometheusSchema, ...probeSchema },
  object,
  maps: {
    queues: { key: devKey, value: qdiscNapiStats },
    hists: { key: devKey, value: nstHist },
    drops: { key: dropDevKey, value: 8 },
    softirqs: { key: 4, value: softirqStats },
  },
  rodata: (o) => ({ targ_softirq_mask: o.softirqTime ? softirqMask(netVectors()) : 0 }),
  beforeLoad: (obj, o) => {
    for (const m of UNUSED(o)) obj.map(m).setMaxEntries(1);
  },
  // The kernel's own counters when the tool is ready: "since start" counts from here.
  attach: (obj, _o, filter) => void baselines.set(obj, readKernel(filter)),
  start: async ({ o, obj, filter, cost }) => {
    const reasons = DropReasons.fromKernel();
    const baseline = baselines.get(obj);
    const read = (d: KernelAggregator, v: VitalsAggregator) => ({
      kernel: d.update(readKernel(filter)),
      vitals: v.update({
        queues: perCpuEntries(obj.map('queues')),
        hists: obj.map('hists').entries(),
        drops: obj.map('drops').entries(),
        softirqs: (vec) => (o.softirqTime ? obj.map('softirqs').lookupPerCpu(u32Key(vec)) : []),
      }),
    });
    // Prometheus wants totals since start, every row: fresh aggregators, so the intervals the
    // text and JSON outputs report are not disturbed by scrapes. Each scrape reads the maps afresh.
    const started = Date.now();
    const scrape = (): MetricsTotals => {
      const { kernel, vitals } = read(new KernelAggregator(baseline), new VitalsAggregator(reasons, netVectors()));
      const now = Date.now();
      return {
        type: 'final',
        tool: NAME,
        time: new Date(now).toISOString(),
        interval_s: (now - started) / 1000,
        ...metricsFields(kernel.total.devices, { top: Number.MAX_SAFE_INTEGER, vitals: vitals.total, counts: kernel.total, softirqTime: o.softirqTime }),
        ...lossFields(obj),
        cost: cost(),
      };
    };
    const prom = o.prometheus ? await startPrometheus(o.prometheus, scrape) : undefined;
    const devAgg = new KernelAggregator(baseline);
    const vitalsAgg = new VitalsAggregator(reasons, netVectors());
    return {
      read: () => read(devAgg, vitalsAgg),
      record: ({ kernel, vitals }, tick) => {
        const k = tick.type === 'final' ? kernel.total : kernel.interval;
        return metricsFields(k.devices, { top: o.top, vitals: tick.type === 'final' ? vitals.total : vitals.interval, counts: k, softirqTime: o.softirqTime });
      },
      render: renderMetricsText,
      stop: () => prom?.close(),
    };
  },
});

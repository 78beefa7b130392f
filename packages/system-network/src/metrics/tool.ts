/** system_network_metrics_summary: how is the host's network doing? */
import { DropReasons, defineSummary, kernelBtf, lossFields, perCpuEntries } from '@netstrata/bpf-common';
import object from '../../build/bpf/system_network_metrics_summary.bpf.o';
import { metricsHooks } from '../hooks.ts';
import { devKey, dropDevKey, nstHist, qdiscNapiStats, softirqStats, u32Key } from '../layout.ts';
import { DeviceAggregator } from './aggregate.ts';
import { readSelected, type DeviceRow } from './devices.ts';
import { prometheusOption, prometheusSchema } from './options.ts';
import { startPrometheus } from './prometheus.ts';
import { metricsFields, renderMetricsText, type MetricsTotals } from './render.ts';
import { VitalsAggregator, netSoftirqVectors, softirqMask, type SoftirqVector } from './vitals.ts';

const NAME = 'system_network_metrics_summary';

const baselines = new WeakMap<object, DeviceRow[]>();

let vectors: SoftirqVector[] | undefined;
const netVectors = () => (vectors ??= netSoftirqVectors(kernelBtf()));

export const metricsSummary = defineSummary({
  name: NAME,
  domain: 'system-network',
  describe:
    "How is the host's network doing? Per interval: per-device packets, bytes, qdisc sojourn, NAPI polls and drops by reason, and NET_RX/NET_TX softirq time per CPU. Kept in the kernel, cheap enough to run for days.",
  examples: [
    ['$0', 'every device in this host, every 5 seconds'],
    ['$0 --netns blue --interval 1', 'the devices of namespace blue, every second'],
    ['$0 --interface eth0 --output json', 'one device, as NDJSON'],
    ['$0 --prometheus 9464', 'also serve http://127.0.0.1:9464/metrics for Prometheus'],
  ],
  epilog:
    "Per-device packets, bytes and errors are the devices' own statistics, read from the kernel every interval (nothing is counted per packet for them). " +
    'Output fields: docs/output-fields.md',
  hooks: metricsHooks,
  uses: { filter: 'device', interval: 5, top: 20 },
  options: prometheusOption,
  schema: { prometheus: prometheusSchema },
  object,
  maps: {
    queues: { key: devKey, value: qdiscNapiStats },
    hists: { key: devKey, value: nstHist },
    drops: { key: dropDevKey, value: 8 },
    softirqs: { key: 4, value: softirqStats },
  },
  rodata: () => ({ targ_softirq_mask: softirqMask(netVectors()) }),
  // The devices' own counters when the tool is ready: "since start" counts from here.
  attach: (obj, _o, filter) => void baselines.set(obj, readSelected(filter)),
  start: async ({ o, obj, filter, cost }) => {
    const reasons = DropReasons.fromKernel();
    const baseline = baselines.get(obj) ?? [];
    const read = (d: DeviceAggregator, v: VitalsAggregator) => ({
      devices: d.update(readSelected(filter)),
      vitals: v.update({
        queues: perCpuEntries(obj.map('queues')),
        hists: obj.map('hists').entries(),
        drops: obj.map('drops').entries(),
        softirqs: (vec) => obj.map('softirqs').lookupPerCpu(u32Key(vec)),
      }),
    });
    // Prometheus wants totals since start, every row: fresh aggregators, so the intervals the
    // text and JSON outputs report are not disturbed by scrapes. Each scrape reads the maps afresh.
    const started = Date.now();
    const scrape = (): MetricsTotals => {
      const { devices, vitals } = read(new DeviceAggregator(baseline), new VitalsAggregator(reasons, netVectors()));
      const now = Date.now();
      return {
        type: 'final',
        tool: NAME,
        time: new Date(now).toISOString(),
        interval_s: (now - started) / 1000,
        ...metricsFields(devices.total, { top: Number.MAX_SAFE_INTEGER, vitals: vitals.total }),
        ...lossFields(obj),
        cost: cost(),
      };
    };
    const prom = o.prometheus ? await startPrometheus(o.prometheus, scrape) : undefined;
    const devAgg = new DeviceAggregator(baseline);
    const vitalsAgg = new VitalsAggregator(reasons, netVectors());
    return {
      read: () => read(devAgg, vitalsAgg),
      record: ({ devices, vitals }, tick) =>
        tick.type === 'final' ? metricsFields(devices.total, { top: o.top, vitals: vitals.total }) : metricsFields(devices.interval, { top: o.top, vitals: vitals.interval }),
      render: renderMetricsText,
      stop: () => prom?.close(),
    };
  },
});

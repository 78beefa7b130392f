/** system_network_metrics_summary: how many packets and bytes does each device receive and send? */
import { readFileSync } from 'node:fs';
import {
  DropReasons,
  Sink,
  encodeFilter,
  everyInterval,
  perCpuEntries,
  programMisses,
  readLosses,
  resolveFilter,
  runLifecycle,
  stopSignal,
  type ToolCommand,
} from '@netstrata/bpf-common';
import { Btf } from '@netstrata/libbpf-ts';
import object from '../../build/bpf/system_network_metrics_summary.bpf.o';
import { metricsHooks, unusedDropPrograms } from '../hooks.ts';
import { DEV_KEY_SIZE, DEV_STATS_SIZE, DROP_DEV_KEY_SIZE, QUEUE_STATS_SIZE, SOFTIRQ_STATS_SIZE } from '../layout.ts';
import { DeviceAggregator } from './aggregate.ts';
import { metricsOptions, metricsSchema, type MetricsOptions } from './options.ts';
import { metricsRecord, renderMetricsText, type MetricsRecord } from './render.ts';
import { netSoftirqVectors, softirqMask, VitalsAggregator } from './vitals.ts';
import { startPrometheus } from './prometheus.ts';

export const DESCRIBE =
  "How is the host's network doing? Per interval: per-device packets, bytes, qdisc sojourn, NAPI polls and drops by reason, and NET_RX/NET_TX softirq time per CPU. Kept in the kernel, cheap enough to run for days.";

export const metricsCommand: ToolCommand<typeof metricsSchema> = {
  name: 'system_network_metrics_summary',
  describe: DESCRIBE,
  examples: [
    ['$0', 'every device in this host, every 5 seconds'],
    ['$0 --netns blue --interval 1', 'the devices of namespace blue, every second'],
    ['$0 --interface eth0 --output json', 'one device, as NDJSON'],
    ['$0 --prometheus 9464', 'also serve http://127.0.0.1:9464/metrics for Prometheus'],
  ],
  epilog: 'Bytes count whole frames, as the devices own statistics do. Output fields: docs/output-fields.md',
  options: metricsOptions,
  schema: metricsSchema,
  handler: runMetrics,
};

export async function runMetrics(o: MetricsOptions): Promise<void> {
  const filter = resolveFilter(o);
  const signal = stopSignal();
  const sink = new Sink(o.output);
  // One parse of the kernel's BTF for both names: drop reasons and softirq vectors.
  const btf = Btf.parse(readFileSync('/sys/kernel/btf/vmlinux'));
  const reasons = DropReasons.fromBtf(btf);
  const vectors = netSoftirqVectors(btf);
  // Set once the maps exist: each scrape reads them afresh, so Prometheus sees totals of now.
  let scrape: (() => MetricsRecord) | undefined;
  const prom = o.prometheus ? await startPrometheus(o.prometheus, () => scrape?.()) : undefined;
  try {
    await runLifecycle(
      {
        name: 'system_network_metrics_summary',
        object,
        hooks: metricsHooks,
        rodata: { targ_filter: encodeFilter(filter), targ_softirq_mask: softirqMask(vectors) },
        beforeLoad: (obj) => {
          for (const p of obj.programs()) if (unusedDropPrograms.includes(p.name)) p.autoload = false;
        },
        run: async ({ obj, signal }) => {
          const devs = obj.map('devs');
          const expect = (name: string, key: number, value: number) => {
            const m = obj.map(name);
            if (m.keySize !== key || m.valueSize !== value) {
              throw new Error(`${name} map is ${m.keySize}/${m.valueSize} bytes in the object, decoder expects ${key}/${value}`);
            }
            return m;
          };
          expect('devs', DEV_KEY_SIZE, DEV_STATS_SIZE);
          const queues = expect('queues', DEV_KEY_SIZE, QUEUE_STATS_SIZE);
          const hists = obj.map('hists');
          const drops = expect('drops', DROP_DEV_KEY_SIZE, 8);
          const softirqs = expect('softirqs', 4, SOFTIRQ_STATS_SIZE);
          const agg = new DeviceAggregator();
          const vitals = new VitalsAggregator(reasons, vectors);
          const started = Date.now();
          let last = started;
          const read = (devAgg: DeviceAggregator, vitalsAgg: VitalsAggregator) => ({
            snap: devAgg.update(perCpuEntries(devs)),
            v: vitalsAgg.update({
              queues: perCpuEntries(queues),
              hists: hists.entries(),
              drops: drops.entries(),
              softirqs: (vec) => softirqs.lookupPerCpu(new Uint8Array(new Uint32Array([vec]).buffer)),
            }),
            lost: { ...readLosses(obj.map('lost')), missed: programMisses(obj) },
          });
          // Prometheus wants totals since start, every row: fresh aggregators, so the intervals the
          // text and JSON outputs report are not disturbed by scrapes.
          scrape = () => {
            const { snap, v, lost } = read(new DeviceAggregator(), new VitalsAggregator(reasons, vectors));
            const now = Date.now();
            return metricsRecord('final', snap.total, { time: new Date(now), top: Number.MAX_SAFE_INTEGER, mapFull: lost.map_full, lost, intervalS: (now - started) / 1000, vitals: v.total });
          };
          const report = (type: 'interval' | 'final') => {
            const now = Date.now();
            const { snap, v, lost } = read(agg, vitals);
            const rec = metricsRecord(type, type === 'final' ? snap.total : snap.interval, {
              time: new Date(now),
              top: o.top,
              mapFull: lost.map_full,
              lost,
              intervalS: Math.round((now - (type === 'final' ? started : last)) / 100) / 10,
              vitals: type === 'final' ? v.total : v.interval,
            });
            last = now;
            sink.record(rec, () => renderMetricsText(rec));
          };
          await everyInterval({ intervalMs: o.interval * 1000, durationMs: o.duration * 1000, signal }, () => report('interval'));
          report('final');
        },
      },
      { signal, verbose: o.verbose, readyFile: o.readyFile, log: (m) => sink.info('system_network_metrics_summary', m) },
    );
  } finally {
    await prom?.close();
  }
}

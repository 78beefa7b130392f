/** system_network_metrics_summary: how many packets and bytes does each device receive and send? */
import {
  Sink,
  encodeFilter,
  everyInterval,
  perCpuEntries,
  readLosses,
  resolveFilter,
  runLifecycle,
  stopSignal,
  type ToolCommand,
} from '@netstrata/bpf-common';
import object from '../../build/bpf/system_network_metrics_summary.bpf.o';
import { netDevXmitHook, netifReceiveSkbHook } from '../hooks.ts';
import { DEV_KEY_SIZE, DEV_STATS_SIZE } from '../layout.ts';
import { DeviceAggregator } from './aggregate.ts';
import { metricsOptions, metricsSchema, type MetricsOptions } from './options.ts';
import { metricsRecord, renderMetricsText } from './render.ts';

export const DESCRIBE =
  'How many packets and bytes does each device receive and send? Per-device counters kept in the kernel, per interval and since start.';

export const metricsCommand: ToolCommand<typeof metricsSchema> = {
  name: 'system_network_metrics_summary',
  describe: DESCRIBE,
  examples: [
    ['$0', 'every device in this host, every 5 seconds'],
    ['$0 --netns blue --interval 1', 'the devices of namespace blue, every second'],
    ['$0 --interface eth0 --output json', 'one device, as NDJSON'],
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
  await runLifecycle(
    {
      name: 'system_network_metrics_summary',
      object,
      hooks: [netifReceiveSkbHook, netDevXmitHook],
      rodata: { targ_filter: encodeFilter(filter) },
      run: async ({ obj, signal }) => {
        const devs = obj.map('devs');
        if (devs.keySize !== DEV_KEY_SIZE || devs.valueSize !== DEV_STATS_SIZE) {
          throw new Error(`device map is ${devs.keySize}/${devs.valueSize} bytes in the object, decoder expects ${DEV_KEY_SIZE}/${DEV_STATS_SIZE}`);
        }
        const agg = new DeviceAggregator();
        const started = Date.now();
        let last = started;
        const report = (type: 'interval' | 'final') => {
          const now = Date.now();
          const snap = agg.update(perCpuEntries(devs));
          const rec = metricsRecord(type, type === 'final' ? snap.total : snap.interval, {
            time: new Date(now),
            intervalS: Math.round((now - (type === 'final' ? started : last)) / 100) / 10,
            top: o.top,
            mapFull: readLosses(obj.map('lost')).map_full,
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
}

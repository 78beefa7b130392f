/** system_network_latency_details: which packets were slow in the host stack, and at which stage? */
import {
  KallsymsSymbolizer,
  Sink,
  WallClock,
  encodeFilter,
  perCpuEntries,
  programMisses,
  readLosses,
  resolveFilter,
  runLifecycle,
  stopSignal,
  untilStopped,
  type ToolCommand,
} from '@netstrata/bpf-common';
import { RingReader } from '@netstrata/libbpf-ts';
import object from '../../build/bpf/system_network_latency_details.bpf.o';
import { eventRecord, renderEventText, renderFinalText, type LatencyDetailsFinal } from './details-render.ts';
import { latencyHooks } from './hooks.ts';
import { packets, readCounts } from './aggregate.ts';
import { DIRECTIONS, decodeEvent } from './layout.ts';
import { detailsOptions, detailsSchema, type DetailsOptions } from './options.ts';
import { stagesInfo } from './stages-info.ts';
import { checkLayout, inFlight, keepOnly } from './summary-command.ts';

export const LATENCY_DETAILS_DESCRIBE =
  'Which packets were slow in the host stack, and at which stage? One event per packet whose path took at least the threshold, with every stage timed.';

export const latencyDetailsCommand: ToolCommand<typeof detailsSchema> = {
  name: 'system_network_latency_details',
  describe: LATENCY_DETAILS_DESCRIBE,
  examples: [
    ['$0 --latency-threshold-us 10000', 'every packet that spent 10 ms or more between device and socket read, or queue and wire'],
    ['$0 --direction tx --interface eth0 --latency-threshold-us 2000 --stack', 'slow sends on eth0, with the kernel stack where each one\'s slowest step ended'],
    ['$0 --netns blue --protocol tcp --dst-port 443 --output json', 'slow HTTPS segments in namespace blue, as NDJSON'],
  ],
  epilog:
    'Stage times are kept in the kernel; an event is submitted only at the last stage and only over the threshold. ' +
    'Lost events (ring buffer full) are counted and printed at exit. Output fields: docs/output-fields.md',
  options: detailsOptions,
  schema: detailsSchema,
  handler: runLatencyDetails,
};

export async function runLatencyDetails(o: DetailsOptions): Promise<void> {
  const name = 'system_network_latency_details';
  const filter = resolveFilter(o);
  const signal = stopSignal();
  const sink = new Sink(o.output);
  const clock = new WallClock();
  const hooks = latencyHooks(o.direction);
  await runLifecycle(
    {
      name,
      object,
      hooks,
      rodata: { targ_filter: encodeFilter(filter), targ_threshold_ns: BigInt(Math.round(o.latencyThresholdUs * 1000)), targ_stack: o.stack },
      beforeLoad: (obj) => {
        keepOnly(obj, hooks);
        obj.map('events').setMaxEntries(o.ringSize * 1024);
        obj.map('sessions').setMaxEntries(o.maxSessions);
        if (!o.stack) obj.map('slow_stacks').setMaxEntries(1);
      },
      run: async ({ obj, signal, choices }) => {
        checkLayout(obj);
        for (const line of stagesInfo(o.direction, choices)) sink.info(name, line);
        const symbols = o.stack ? KallsymsSymbolizer.fromProc() : undefined;
        if (symbols && !symbols.available) sink.info(name, 'stacks shown as addresses: kernel symbols unreadable');
        let events = 0;
        const reader = new RingReader(obj.map('events'), (data) => {
          const e = decodeEvent(data);
          const first = e.session.ts.find((t) => t > 0n) ?? 0n;
          const frames = symbols?.available ? symbols.kernelStack(e.stack) : e.stack.map((a) => `0x${a.toString(16)}`);
          const stack = o.stack ? { frames, stage: e.stackStage } : undefined;
          const rec = eventRecord(e.session, clock.toIso(first), stack);
          events++;
          sink.record(rec, () => renderEventText(rec));
        });
        reader.start();
        await untilStopped({ durationMs: o.duration * 1000, signal });
        reader.drain();
        reader.close();
        const losses = readLosses(obj.map('lost'));
        // Sessions let go (LRU table full, or a socket's FIFO out of step): by difference, as the summary counts them.
        const counts = readCounts(perCpuEntries(obj.map('counts')));
        const open = inFlight(obj);
        const evicted = DIRECTIONS.reduce((sum, d) => sum + packets(counts[d], open[d]).evicted, 0);
        const fin: LatencyDetailsFinal = {
          type: 'final',
          tool: name,
          time: new Date().toISOString(),
          events,
          lost: losses.lost,
          map_full: losses.map_full,
          evicted,
          stack_failed: losses.stack_failed,
          missed: programMisses(obj),
          threshold_us: o.latencyThresholdUs,
        };
        sink.record(fin, () => renderFinalText(fin));
      },
    },
    { signal, verbose: o.verbose, readyFile: o.readyFile, log: (m) => sink.info(name, m) },
  );
}

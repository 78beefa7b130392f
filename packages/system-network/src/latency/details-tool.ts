/** system_network_latency_details: which packets were slow in the host stack, and at which stage? */
import { z } from 'zod';
import { KallsymsSymbolizer, defineDetails, num, perCpuEntries } from '@netstrata/bpf-common';
import object from '../../build/bpf/system_network_latency_details.bpf.o';
import { decodeEvent } from '../layout.ts';
import { evicted, readCounts } from './aggregate.ts';
import { eventFields, renderEventText, renderFinalText } from './details-render.ts';
import { ALL_LATENCY_HOOKS, latencyHooks } from './hooks.ts';
import { latencyOptions, latencySchema } from './options.ts';
import { SESSION_MAPS, SessionKeeper, latencyKernelRodata, holdStampsFor } from './sessions.ts';
import { stagesInfo } from './stages-info.ts';

export const DEFAULT_THRESHOLD_US = 1000;

export const latencyDetails = defineDetails({
  name: 'system_network_latency_details',
  domain: 'system-network',
  describe: 'Which packets were slow in the host stack, and at which stage? One event per packet whose path took at least the threshold, with every stage timed.',
  examples: [
    ['$0 --latency-threshold-us 10000', 'every packet that spent 10 ms or more between device and socket read, or queue and wire'],
    ['$0 --direction tx --interface eth0 --latency-threshold-us 2000 --stages --stack', "slow sends on eth0, every stage timed, with the kernel stack where each one's slowest step ended"],
    ['$0 --netns blue --protocol tcp --dst-port 443 --output json', 'slow HTTPS segments in namespace blue, as NDJSON'],
  ],
  epilog:
    'Stage times are kept in the kernel; an event is submitted only at the last stage and only over the threshold. ' +
    'Default stages: device (the kernel RX timestamp, turned on while the tool runs) -> socket_queue -> read, socket_send -> dev_queue -> xmit; --stages times every stage. ' +
    'Lost events (ring buffer full) are counted and printed at exit. Output fields: docs/output-fields.md',
  hooks: ALL_LATENCY_HOOKS,
  hooksFor: (o) => latencyHooks(o.direction, o.stages),
  uses: { filter: 'packet' },
  options: (y) =>
    latencyOptions(y)
      .option('latency-threshold-us', { type: 'number', default: DEFAULT_THRESHOLD_US, describe: 'report packets whose path through the host took at least this long (µs)' })
      .option('stack', { type: 'boolean', default: false, describe: "add the kernel stack where the packet's slowest step ended (who finally moved it on: the read, the qdisc dequeue, ...)" }),
  schema: { ...latencySchema, latencyThresholdUs: num('latency-threshold-us', { min: 0, max: 1e9 }), stack: z.boolean() },
  object,
  kernelRodata: latencyKernelRodata,
  maps: SESSION_MAPS,
  rodata: (o) => ({ targ_threshold_ns: BigInt(Math.round(o.latencyThresholdUs * 1000)), targ_stack: o.stack, targ_stages: o.stages, targ_sample: o.sample }),
  beforeLoad: (obj, o) => {
    obj.map('sessions').setMaxEntries(o.maxSessions);
    if (!o.stack) obj.map('slow_stacks').setMaxEntries(1);
    holdStampsFor(obj, o);
  },
  attach: (obj) => SessionKeeper.prepare(obj),
  start: ({ o, obj, choices, clock, info }) => {
    for (const line of stagesInfo(o.direction, choices, o)) info(line);
    const keeper = new SessionKeeper(obj, o);
    // The clock offset each second, and the sweep of sessions timed out.
    const timer = setInterval(() => {
      keeper.setClock();
      keeper.sweep();
    }, 1000);
    timer.unref();
    const symbols = o.stack ? KallsymsSymbolizer.fromProc() : undefined;
    if (symbols && !symbols.available) info('stacks shown as addresses: kernel symbols unreadable');
    return {
      event: (data) => {
        const e = decodeEvent(data);
        const first = e.session.ts.find((t) => t > 0n) ?? 0n;
        const frames = symbols?.available ? symbols.kernelStack(e.stack) : e.stack.map((a) => `0x${a.toString(16)}`);
        return eventFields(e.session, clock.toIso(first), o.stack ? { frames, stage: e.stackStage } : undefined);
      },
      render: renderEventText,
      final: () => ({ threshold_us: o.latencyThresholdUs }),
      renderFinal: renderFinalText,
      // Sessions let go (LRU table full, or a socket's FIFO out of step): by difference, as the summary counts them.
      losses: () => {
        clearInterval(timer);
        keeper.sweep();
        const e = evicted(readCounts(perCpuEntries(obj.map('counts'))), keeper.inFlight(), keeper.timedOutBy());
        keeper[Symbol.dispose]();
        return { evicted: e };
      },
    };
  },
});

/** system_network_latency_summary: where in the host stack do packets spend their time? */
import { defineSummary, perCpuEntries } from '@netstrata/bpf-common';
import object from '../../build/bpf/system_network_latency_summary.bpf.o';
import { nstHist } from '../layout.ts';
import { LatencyAggregator, readCounts, readHists, type LatencySnapshot } from './aggregate.ts';
import { ALL_LATENCY_HOOKS, latencyHooks } from './hooks.ts';
import { latencyOptions, latencySchema } from './options.ts';
import { renderSummaryText } from './render.ts';
import { SESSION_MAPS, SessionKeeper, latencyKernelRodata, holdStampsFor } from './sessions.ts';
import { DEFAULT_STAGES, STAGES } from './stages.ts';
import { stagesInfo } from './stages-info.ts';

export const latencySummary = defineSummary({
  name: 'system_network_latency_summary',
  domain: 'system-network',
  describe: 'Where in the host stack do packets spend their time? Histograms between adjacent stages and end to end, per direction, kept in the kernel.',
  examples: [
    ['$0', 'both directions, every device, every 5 seconds: device -> socket queue -> read, send -> device queue -> xmit'],
    ['$0 --sample 100', 'the same for one packet in 100, for busy hosts'],
    ['$0 --direction tx --netns blue --interface eth0 --stages', 'every stage of the send path of one device: qdisc wait and driver time'],
    ['$0 --direction rx --protocol udp --dst-port 53 --output json', 'how long DNS queries wait before the server reads them, as NDJSON'],
  ],
  epilog:
    `Default stages: rx ${DEFAULT_STAGES.rx.join(' -> ')}; tx ${DEFAULT_STAGES.tx.join(' -> ')} (two BPF runs per packet and direction). ` +
    `--stages: rx ${STAGES.rx.map((s) => s.name).join(' -> ')}; tx ${STAGES.tx.map((s) => s.name).join(' -> ')}. ` +
    "By default the receive path's device time is the kernel's software RX timestamp: the tool turns those timestamps on while it runs (as tcpdump does). " +
    'IP and TCP/UDP function stages need fentry or kprobes; the tool says at start which stages it measures and why not the others (--verbose, or info records in JSON). ' +
    'Only packets that pass the filters where their session starts (the socket queue on receive, the device queue on send) are followed; ' +
    'each one ends completed, segmented, dropped (with the reason), timed out or evicted. Output fields: docs/output-fields.md',
  hooks: ALL_LATENCY_HOOKS,
  hooksFor: (o) => latencyHooks(o.direction, o.stages),
  uses: { filter: 'packet', interval: 5 },
  options: latencyOptions,
  schema: latencySchema,
  object,
  kernelRodata: latencyKernelRodata,
  maps: { ...SESSION_MAPS, hists: { key: 4, value: nstHist } },
  rodata: (o) => ({ targ_stages: o.stages, targ_sample: o.sample }),
  beforeLoad: (obj, o) => {
    obj.map('sessions').setMaxEntries(o.maxSessions);
    holdStampsFor(obj, o);
  },
  attach: (obj) => SessionKeeper.prepare(obj),
  start: ({ o, obj, choices, info }) => {
    for (const line of stagesInfo(o.direction, choices, o)) info(line);
    const agg = new LatencyAggregator(o.direction === 'both' ? ['rx', 'tx'] : [o.direction]);
    const keeper = new SessionKeeper(obj, o);
    // Sessions let go are known by difference, since start (packets.evicted of the total rows).
    let lostSessions = 0;
    return {
      read: () => {
        keeper.setClock();
        const state = keeper.state();
        return agg.update(readHists(perCpuEntries(obj.map('hists'))), readCounts(perCpuEntries(obj.map('counts'))), state);
      },
      record: (snap: LatencySnapshot, tick) => {
        const directions = tick.type === 'final' ? snap.total : snap.interval;
        lostSessions = snap.total.reduce((s, d) => s + d.packets.evicted, 0);
        return { directions };
      },
      render: renderSummaryText,
      losses: () => ({ evicted: lostSessions }),
      stop: () => keeper[Symbol.dispose](),
    };
  },
});

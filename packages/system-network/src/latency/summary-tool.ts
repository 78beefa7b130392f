/** system_network_latency_summary: where in the host stack do packets spend their time? */
import { defineSummary, perCpuEntries } from '@netstrata/bpf-common';
import object from '../../build/bpf/system_network_latency_summary.bpf.o';
import { nstHist } from '../layout.ts';
import { LatencyAggregator, readCounts, readHists, type LatencySnapshot } from './aggregate.ts';
import { ALL_LATENCY_HOOKS, latencyHooks } from './hooks.ts';
import { latencyOptions, latencySchema } from './options.ts';
import { renderSummaryText } from './render.ts';
import { SESSION_MAPS, inFlight } from './sessions.ts';
import { STAGES } from './stages.ts';
import { stagesInfo } from './stages-info.ts';

export const latencySummary = defineSummary({
  name: 'system_network_latency_summary',
  domain: 'system-network',
  describe: 'Where in the host stack do packets spend their time? Log2 histograms between adjacent stages and end to end, per direction, kept in the kernel.',
  examples: [
    ['$0', 'both directions, every device, every 5 seconds'],
    ['$0 --direction tx --netns blue --interface eth0', 'the send path of one device: qdisc wait and driver time'],
    ['$0 --direction rx --protocol udp --dst-port 53 --output json', 'how long DNS queries wait before the server reads them, as NDJSON'],
  ],
  epilog:
    `Stages: rx ${STAGES.rx.map((s) => s.name).join(' -> ')}; tx ${STAGES.tx.map((s) => s.name).join(' -> ')}. ` +
    'IP and TCP/UDP function stages need fentry or kprobes; the tool says at start which stages it measures and why not the others (--verbose, or info records in JSON). ' +
    'Only packets that pass the filters where their session starts (the device) are followed. Output fields: docs/output-fields.md',
  hooks: ALL_LATENCY_HOOKS,
  hooksFor: (o) => latencyHooks(o.direction),
  uses: { filter: 'packet', interval: 5 },
  options: latencyOptions,
  schema: latencySchema,
  object,
  maps: { ...SESSION_MAPS, hists: { key: 4, value: nstHist } },
  beforeLoad: (obj, o) => obj.map('sessions').setMaxEntries(o.maxSessions),
  start: ({ o, obj, choices, info }) => {
    for (const line of stagesInfo(o.direction, choices)) info(line);
    const agg = new LatencyAggregator(o.direction === 'both' ? ['rx', 'tx'] : [o.direction]);
    // Sessions let go are known by difference, since start (packets.evicted of the total rows).
    let lostSessions = 0;
    return {
      read: () => agg.update(readHists(perCpuEntries(obj.map('hists'))), readCounts(perCpuEntries(obj.map('counts'))), inFlight(obj)),
      record: (snap: LatencySnapshot, tick) => {
        const directions = tick.type === 'final' ? snap.total : snap.interval;
        lostSessions = snap.total.reduce((s, d) => s + d.packets.evicted, 0);
        return { directions };
      },
      render: renderSummaryText,
      losses: () => ({ evicted: lostSessions }),
    };
  },
});

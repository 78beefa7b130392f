/** system_network_latency_summary: where in the host stack do packets spend their time? */
import {
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
import type { BpfObject } from '@netstrata/libbpf-ts';
import object from '../../build/bpf/system_network_latency_summary.bpf.o';
import { LatencyAggregator, readCounts, readHists } from './aggregate.ts';
import { ALL_LATENCY_HOOKS, latencyHooks } from './hooks.ts';
import { DIRECTIONS, STAGES, fifoPending, LAT_FIFO_SIZE, LAT_KEY_SIZE, LAT_SESSION_SIZE, type Dir } from './layout.ts';
import { summaryOptions, summarySchema, type SummaryOptions } from './options.ts';
import { renderSummaryText, summaryRecord } from './render.ts';
import { stagesInfo } from './stages-info.ts';

export const LATENCY_SUMMARY_DESCRIBE =
  'Where in the host stack do packets spend their time? Log2 histograms between adjacent stages and end to end, per direction, kept in the kernel.';

export const latencySummaryCommand: ToolCommand<typeof summarySchema> = {
  name: 'system_network_latency_summary',
  describe: LATENCY_SUMMARY_DESCRIBE,
  examples: [
    ['$0', 'both directions, every device, every 5 seconds'],
    ['$0 --direction tx --netns blue --interface eth0', 'the send path of one device: qdisc wait and driver time'],
    ['$0 --direction rx --protocol udp --dst-port 53 --output json', 'how long DNS queries wait before the server reads them, as NDJSON'],
  ],
  epilog:
    `Stages: rx ${STAGES.rx.map((s) => s.name).join(' -> ')}; tx ${STAGES.tx.map((s) => s.name).join(' -> ')}. ` +
    'IP and TCP/UDP function stages need fentry or kprobes; the tool says at start which stages it measures and why not the others (--verbose, or info records in JSON). ' +
    'Only packets that pass the filters where their session starts (the device) are followed. Output fields: docs/output-fields.md',
  options: summaryOptions,
  schema: summarySchema,
  handler: runLatencySummary,
};

/** Programs of hooks this run does not use stay unloaded. */
export function keepOnly(obj: BpfObject, hooks: typeof ALL_LATENCY_HOOKS): void {
  const used = new Set(hooks.flatMap((h) => h.flavours.flatMap((f) => f.programs)));
  for (const p of obj.programs()) if (!used.has(p.name)) p.autoload = false;
}

/** Sessions still open, per direction: in the LRU map, and followed datagrams in socket FIFOs. */
export function inFlight(obj: BpfObject): Record<Dir, number> {
  const out: Record<Dir, number> = { rx: 0, tx: 0 };
  for (const k of obj.map('sessions').keys()) out[DIRECTIONS[new DataView(k.buffer, k.byteOffset, k.byteLength).getUint32(8, true)] ?? 'rx']++;
  for (const [, v] of obj.map('fifos').entries()) out.rx += fifoPending(v);
  // And the sessions each CPU is carrying (struct lat_carry: the skb first, 0 when empty).
  for (const [k, copies] of perCpuEntries(obj.map('carry'))) {
    const dir = DIRECTIONS[new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true)] ?? 'rx';
    for (const c of copies) if (new DataView(c.buffer, c.byteOffset, 8).getBigUint64(0, true) !== 0n) out[dir]++;
  }
  return out;
}

export function checkLayout(obj: BpfObject): void {
  const s = obj.map('sessions');
  const f = obj.map('fifos');
  if (s.keySize !== LAT_KEY_SIZE || s.valueSize !== LAT_SESSION_SIZE || f.valueSize !== LAT_FIFO_SIZE) {
    throw new Error(`session maps are ${s.keySize}/${s.valueSize}/${f.valueSize} bytes in the object, decoder expects ${LAT_KEY_SIZE}/${LAT_SESSION_SIZE}/${LAT_FIFO_SIZE}`);
  }
}

export async function runLatencySummary(o: SummaryOptions): Promise<void> {
  const name = 'system_network_latency_summary';
  const filter = resolveFilter(o);
  const signal = stopSignal();
  const sink = new Sink(o.output);
  const hooks = latencyHooks(o.direction);
  const dirs: Dir[] = o.direction === 'both' ? ['rx', 'tx'] : [o.direction];
  await runLifecycle(
    {
      name,
      object,
      hooks,
      rodata: { targ_filter: encodeFilter(filter) },
      beforeLoad: (obj) => {
        keepOnly(obj, hooks);
        obj.map('sessions').setMaxEntries(o.maxSessions);
      },
      run: async ({ obj, signal, choices }) => {
        checkLayout(obj);
        for (const line of stagesInfo(o.direction, choices)) sink.info(name, line);
        const agg = new LatencyAggregator(dirs);
        const started = Date.now();
        let last = started;
        const report = (type: 'interval' | 'final') => {
          const now = Date.now();
          const snap = agg.update(readHists(perCpuEntries(obj.map('hists'))), readCounts(perCpuEntries(obj.map('counts'))), inFlight(obj));
          const rec = summaryRecord(type, type === 'final' ? snap.total : snap.interval, {
            time: new Date(now),
            intervalS: Math.round((now - (type === 'final' ? started : last)) / 100) / 10,
            losses: { ...readLosses(obj.map('lost')), missed: programMisses(obj) },
          });
          last = now;
          sink.record(rec, () => renderSummaryText(rec));
        };
        await everyInterval({ intervalMs: o.interval * 1000, durationMs: o.duration * 1000, signal }, () => report('interval'));
        report('final');
      },
    },
    { signal, verbose: o.verbose, readyFile: o.readyFile, log: (m) => sink.info(name, m) },
  );
}

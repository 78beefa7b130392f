/**
 * The run of a tool, written once: resolve the filter, set up signals and output, go through the
 * lifecycle (open → rodata → flavours → load → attach → ready), then the interval loop or the
 * event reader, the final record with its losses, and disposal on every way out.
 */
import { RingReader, enableStats, recordView, type BpfObject, type RecordCallback } from '@netstrata/libbpf-ts';
import { stopSignal } from '../cli/signals.ts';
import { encodeFilter, resolveFilter, type ResolvedFilter } from '../filter/options.ts';
import { Sink, toJson } from '../output/sink.ts';
import { WallClock } from '../time/clock.ts';
import { everyInterval, untilStopped } from './interval-loop.ts';
import { runLifecycle, type ToolContext } from './lifecycle.ts';
import { CostMeter, kernelStatsOn, renderCost, type CostFields } from './cost.ts';
import { lossFields, renderLosses, type LossFields } from './losses.ts';
import type { DetailsRun, DetailsToolSpec, MapLayout, RunContext, SummaryToolSpec, Tick, ToolKind, Uses } from './tool.ts';

interface RunnerOptions {
  duration: number;
  output: 'text' | 'json';
  verbose: boolean;
  bpfStats?: boolean;
  readyFile?: string;
  interval?: number;
  ringSize?: number;
}

type AnySpec = (SummaryToolSpec<Uses, {}, unknown, unknown> | DetailsToolSpec<Uses, {}, unknown, unknown>) & { start: never };

const NO_FILTER: ResolvedFilter = { options: {}, family: 0, ifindex: 0, netns: 0 };

export async function runTool(kind: ToolKind, spec: AnySpec, o: RunnerOptions): Promise<void> {
  spec.check?.(o as never);
  const filter = spec.uses.filter ? resolveFilter(o as never) : NO_FILTER;
  const signal = stopSignal();
  const sink = new Sink(o.output);
  const clock = new WallClock();
  const info = (m: string) => sink.info(spec.name, m);
  const rodata = { ...spec.kernelRodata?.(), ...(spec.uses.filter ? { targ_filter: encodeFilter(filter) } : {}), ...spec.rodata?.(o as never, filter) };
  const hooks = spec.hooksFor?.(o as never) ?? spec.hooks;
  const events = kind === 'details' ? ((spec as DetailsToolSpec<Uses, {}, unknown, unknown>).events ?? 'events') : undefined;
  // Held until the tool exits; the kernel turns the statistics off when the last holder closes.
  using _stats = o.bpfStats ? enableStats() : undefined;
  let cost: CostMeter | undefined;
  await runLifecycle(
    {
      name: spec.name,
      object: spec.object,
      hooks,
      ownPrograms: spec.ownPrograms,
      rodata,
      beforeLoad: (obj) => {
        checkMaps(obj, spec.maps);
        if (events && o.ringSize) obj.map(events).setMaxEntries(o.ringSize * 1024);
        spec.beforeLoad?.(obj, o as never);
      },
      attach: (obj) => {
        spec.attach?.(obj, o as never, filter);
        // Counted from here, before the ready file: what runs once a test or a user sees it ready is
        // the tool's cost.
        cost = new CostMeter(obj, statsOn(o));
      },
      run: async (lc) => {
        const ctx: RunContext<never> = { o: o as never, obj: lc.obj, signal: lc.signal, choices: lc.choices, filter, clock, info, debug: lc.debug, cost: () => cost!.total() };
        if (kind === 'summary') await runSummary(spec as never, ctx, lc, sink, o, cost!);
        else await runDetails(spec as never, ctx, lc, sink, o, events!, cost!);
      },
    },
    { signal, verbose: o.verbose, readyFile: o.readyFile, log: info },
  );
}

async function runSummary(spec: SummaryToolSpec<Uses, {}, unknown, unknown>, ctx: RunContext<never>, lc: ToolContext, sink: Sink, o: RunnerOptions, cost: CostMeter): Promise<void> {
  const run = await spec.start(ctx);
  const started = Date.now();
  let last = started;
  const report = (type: Tick['type']) => {
    const now = Date.now();
    const tick: Tick = { type, time: new Date(now), intervalS: Math.round((now - (type === 'final' ? started : last)) / 100) / 10 };
    last = now;
    const fields = run.record(run.read(tick), tick);
    if (fields === undefined) return;
    const rec = { type, tool: spec.name, time: tick.time.toISOString(), interval_s: tick.intervalS, ...fields, ...lossFields(lc.obj, run.losses?.()), cost: cost.sample(type === 'final') };
    sink.record(rec, () => footer(run.render(rec as never), rec, o.verbose));
  };
  try {
    await everyInterval({ intervalMs: (o.interval ?? 1) * 1000, durationMs: o.duration * 1000, signal: lc.signal }, () => report('interval'));
    await run.finish?.();
    report('final');
  } finally {
    await run.stop?.();
  }
}

async function runDetails(
  spec: DetailsToolSpec<Uses, {}, unknown, unknown>,
  ctx: RunContext<never>,
  lc: ToolContext,
  sink: Sink,
  o: RunnerOptions,
  eventsMap: string,
  cost: CostMeter,
): Promise<void> {
  const run = await spec.start(ctx);
  const tool = spec.name;
  const events = detailsEvents(run, tool, sink);
  {
    using reader = new RingReader(lc.obj.map(eventsMap), events.onRecord);
    reader.start();
    const poll = run.poll?.bind(run);
    const timer = poll && setInterval(() => poll(events.emit, false), run.pollMs ?? POLL_MS);
    try {
      await untilStopped({ durationMs: o.duration * 1000, signal: lc.signal });
      await run.finish?.();
    } finally {
      clearInterval(timer);
    }
    reader.drain();
    poll?.(events.emit, true);
  }
  const count = events.count();
  const rec = { type: 'final' as const, tool, time: new Date().toISOString(), events: count, ...(run.final?.() ?? {}), ...lossFields(lc.obj, run.losses?.()), cost: cost.sample(true) };
  sink.record(rec, () => footer(run.renderFinal ? run.renderFinal(rec as never) : `${count} events`, rec, o.verbose));
}

/** How often a details tool's own poll runs (DetailsRun.poll), by default. */
const POLL_MS = 100;

/**
 * What the reader does with each ring record: the event's line, made with as little as possible
 * per event. In JSON, the envelope is one constant prefix and the fields come from the tool's
 * `json` (straight from the ring's bytes) when it has one, else from its record; in text, the
 * record rendered. Lines are gathered by the sink and written in large chunks.
 */
export function detailsEvents(
  run: DetailsRun<unknown, unknown>,
  tool: string,
  sink: Sink,
): { onRecord: RecordCallback; emit: (fields: { time: string }) => void; count: () => number } {
  let count = 0;
  const prefix = `{"type":"event","tool":${JSON.stringify(tool)},`;
  // An event the tool found itself (DetailsRun.poll), already decoded.
  const emit = (fields: { time: string }) => {
    count++;
    sink.event(sink.format === 'json' ? `${prefix}${toJson(fields).slice(1)}\n` : `${run.render({ type: 'event', tool, ...fields } as never)}\n`);
  };
  let onRecord: RecordCallback;
  if (sink.format === 'json' && run.json) {
    const json = run.json.bind(run);
    onRecord = (ring, offset, length) => {
      const members = json(ring, offset, length);
      if (members === undefined) return;
      count++;
      sink.event(`${prefix}${members}}\n`);
    };
  } else if (sink.format === 'json') {
    onRecord = (ring, offset, length) => {
      const fields = run.event(recordView(ring, offset, length));
      if (fields === undefined) return;
      count++;
      // `time` is always there: the object is never empty, and its members follow the envelope's.
      sink.event(`${prefix}${toJson(fields).slice(1)}\n`);
    };
  } else {
    onRecord = (ring, offset, length) => {
      const fields = run.event(recordView(ring, offset, length));
      if (fields === undefined) return;
      count++;
      sink.event(`${run.render({ type: 'event', tool, ...fields } as never)}\n`);
    };
  }
  return { onRecord, emit, count: () => count };
}

/** Whether the kernel counts program runs: this run holds the statistics on (--bpf-stats), or the
 * sysctl does (it shows only its own setting, not other holders). */
const statsOn = (o: RunnerOptions) => () => Boolean(o.bpfStats) || kernelStatsOn();

/** The tool's text; in the final report or when anything was lost, the one loss line; with
 * --verbose, what the tool cost. */
function footer(text: string, rec: { type: string; cost: CostFields } & LossFields, verbose: boolean): string {
  const lines = [text, renderLosses(rec, rec.type === 'final'), verbose ? renderCost(rec.cost) : ''];
  return lines.filter(Boolean).join('\n');
}

/** Map key and value sizes against the declared structs: a mismatch is a build that went wrong. */
function checkMaps(obj: BpfObject, maps: Readonly<Record<string, MapLayout>> | undefined): void {
  for (const [name, l] of Object.entries(maps ?? {})) {
    const m = obj.map(name);
    const size = (x: MapLayout['key']) => (typeof x === 'number' ? x : x?.size);
    const key = size(l.key);
    const value = size(l.value);
    if ((key !== undefined && m.keySize !== key) || (value !== undefined && m.valueSize !== value)) {
      throw new Error(`map ${name} is ${m.keySize}/${m.valueSize} bytes (key/value) in the object, the decoders expect ${key ?? m.keySize}/${value ?? m.valueSize}`);
    }
  }
}

/**
 * One descriptor per tool, and the runner that owns everything every tool does the same way:
 * options by capability, validation, signals, ready file, verbose log, output, the interval
 * schedule, the final record, one loss block, and disposal on every path. A tool supplies its
 * descriptor, its kernel object and hooks, and `read` / `record` / `render`.
 *
 *   export const fooSummary = defineSummary({
 *     name: 'foo_summary', domain: 'foo', describe: 'How long does X take?', examples: [...],
 *     hooks: [fooHook], uses: { filter: 'packet', interval: 1, top: 10 },
 *     object, rodata: (o) => ({ targ_x: o.x }),
 *     start: ({ obj }) => ({ read: () => ..., record: (snap, tick) => ({...}), render: (rec) => '...' }),
 *   });
 */
import type { Argv } from 'yargs';
import { z } from 'zod';
import type { BpfObject } from '@netstrata/libbpf-ts';
import { num } from '../cli/options.ts';
import type { ToolCommand } from '../cli/run-cli.ts';
import type { Hook, FlavourChoice } from '../features/flavours.ts';
import { deviceFilterSchema, filterSchema, flowFilterSchema, withDeviceFilterOptions, withFilterOptions, withFlowFilterOptions, type ResolvedFilter } from '../filter/options.ts';
import type { Envelope } from '../output/sink.ts';
import type { WallClock } from '../time/clock.ts';
import type { StructLayout, Fields } from '../layout/struct.ts';
import type { CostFields } from './cost.ts';
import type { LossFields } from './losses.ts';
import type { RodataValue } from './lifecycle.ts';
import { runTool } from './run.ts';

export type ToolKind = 'summary' | 'details';

/** Options the runner declares, validates and carries out for a tool that says it uses them. */
export interface Uses {
  /** Packet filters (addresses, ports, protocol, interface, netns), the same without --interface
   * (`flow`: a tool whose devices are options of its own), or only interface and netns; resolved
   * before load and set as the `targ_filter` rodata. */
  readonly filter?: 'packet' | 'flow' | 'device';
  /** Summary tools: seconds between reports (the default shown in --help). */
  readonly interval?: number;
  /** Rows shown per report (the default). */
  readonly top?: number;
}

/** What a tool is, as data: the cli registry, doctor, docs and test lists read this. */
export interface ToolDescriptor {
  /** Binary name, also the BPF object's stem. */
  readonly name: string;
  /** The package (domain) it ships in. */
  readonly domain: string;
  readonly kind: ToolKind;
  /** One sentence: the question the tool answers. */
  readonly describe: string;
  readonly examples: readonly (readonly [string, string])[];
  readonly epilog?: string;
  /** Every hook the tool may attach (a run may use fewer), flavours in order of preference. */
  readonly hooks: readonly Hook[];
  readonly uses: Uses;
}

/** The options every tool has, whatever it uses. */
const baseShape = {
  duration: num('duration', { min: 0 }),
  output: z.enum(['text', 'json']),
  verbose: z.boolean(),
  bpfStats: z.boolean(),
  readyFile: z.string().optional(),
};
const intervalShape = { interval: num('interval', { positive: true }) };
const topShape = { top: num('top', { int: true, min: 1 }) };
const ringShape = {
  ringSize: num('ring-size', { int: true, min: 64, max: 1 << 20 }).refine((v) => (v & (v - 1)) === 0, { message: '--ring-size: must be a power of two' }),
};

type Shape<U extends Uses, K extends ToolKind> = typeof baseShape &
  (U['interval'] extends number ? typeof intervalShape : {}) &
  (U['top'] extends number ? typeof topShape : {}) &
  (U['filter'] extends 'packet' ? typeof filterSchema.shape : U['filter'] extends 'flow' ? typeof flowFilterSchema.shape : U['filter'] extends 'device' ? typeof deviceFilterSchema.shape : {}) &
  (K extends 'details' ? typeof ringShape : {});

/** Parsed options: the runner's, the capabilities', the tool's own. */
export type ToolOptions<U extends Uses, K extends ToolKind, S extends z.ZodRawShape> = z.infer<z.ZodObject<Shape<U, K> & S>>;

export interface RunContext<O> {
  readonly o: O;
  readonly obj: BpfObject;
  readonly signal: AbortSignal;
  readonly choices: readonly FlavourChoice[];
  /** The resolved filter (all off when the tool uses none). */
  readonly filter: ResolvedFilter;
  /** Kernel time to wall-clock time, measured at start. */
  readonly clock: WallClock;
  /** A note for people: stderr in text mode, an `info` record in JSON. */
  info(message: string): void;
  /** Diagnostics shown with --verbose. */
  debug(message: string): void;
  /** What the tool has cost since it attached (for outputs beside the reports, such as a scrape). */
  cost(): CostFields;
}

/** One report: an interval, or the final one with totals since start. */
export interface Tick {
  readonly type: 'interval' | 'final';
  readonly time: Date;
  /** Seconds this report covers (since start for the final one), to a tenth. */
  readonly intervalS: number;
}

export type SummaryEnvelope = Envelope & { type: 'interval' | 'final'; interval_s: number } & LossFields & { cost: CostFields };
export type EventEnvelope = Envelope & { type: 'event' };
export type FinalEnvelope = Envelope & { type: 'final'; events: number } & LossFields & { cost: CostFields };

export interface SummaryRun<Snap, R> {
  /** Reads the kernel's maps (cumulative, never cleared). */
  read(tick: Tick): Snap;
  /** The record's own fields for this report; undefined prints nothing for it. Pure. */
  record(snap: Snap, tick: Tick): R | undefined;
  /** Text for people, from the whole record (envelope and losses included). Pure. */
  render(rec: SummaryEnvelope & R): string;
  /** Loss counters the tool measures itself (e.g. evicted by difference), added to the block. */
  losses?(): Partial<LossFields>;
  /** Once asked to stop, before the final record: time to finish what is in flight (a second
   * signal still exits at once). */
  finish?(): Promise<void>;
  /** After the final record (a tool's own printing, timers). */
  stop?(): void | Promise<void>;
}

export interface DetailsRun<R, F> {
  /** One ring record to the event's fields (its `time` included), or undefined to skip it. */
  event(data: DataView): (R & { time: string }) | undefined;
  /**
   * Optional, for `--output json` at high rates: the same event's fields as the members of a JSON
   * object without its braces (`"time":"…","cpu":0,…`), made straight from the record's bytes
   * (`length` bytes at `offset` of `ring`, the ring's whole data area) without building the record.
   * Must give exactly the text JSON of `event`'s fields would (a tool tests that it does), or
   * undefined where `event` skips.
   */
  json?(ring: DataView, offset: number, length: number): string | undefined;
  render(rec: EventEnvelope & R): string;
  /**
   * Optional: events found other than in the ring (what the user side decides from a table, such as
   * requests that timed out), handed to `emit` as `event` would return them. Called every
   * `pollMs` (default 100) while the tool runs, and once more with `last` after the ring's final
   * drain.
   */
  poll?(emit: (fields: R & { time: string }) => void, last: boolean): void;
  readonly pollMs?: number;
  /** Once asked to stop, before the last drain and poll: time to finish what is in flight. */
  finish?(): Promise<void>;
  /** Fields of the final record beyond `events` and the losses. */
  final?(): F;
  renderFinal?(rec: FinalEnvelope & F): string;
  losses?(): Partial<LossFields>;
}

/** A map whose key and value structs the runner checks against the object before load. */
export interface MapLayout {
  readonly key?: StructLayout<Fields> | number;
  readonly value?: StructLayout<Fields> | number;
}

interface ToolBase<U extends Uses, K extends ToolKind, S extends z.ZodRawShape> extends Omit<ToolDescriptor, 'uses' | 'kind'> {
  readonly uses: U;
  /** The tool's own options for yargs (capabilities' options are added by the runner). */
  readonly options?: <T>(y: Argv<T>) => Argv<T>;
  /** The tool's own options for zod, by their camel-case names. */
  readonly schema?: S;
  /** Checks that need several options, or the running system; UsageError before anything loads. */
  readonly check?: (o: ToolOptions<U, K, S>) => void;
  readonly object: Uint8Array;
  /** The hooks this run uses, when options choose among `hooks` (default: all of them). */
  readonly hooksFor?: (o: ToolOptions<U, K, S>) => readonly Hook[];
  /** Programs the tool attaches itself in `attach` (not part of a hook's flavours). */
  readonly ownPrograms?: readonly string[];
  readonly rodata?: (o: ToolOptions<U, K, S>, filter: ResolvedFilter) => Record<string, RodataValue>;
  /** Rodata this kernel decides, not the options (what the programs may use): set on every load,
   * the verifier tests' included. */
  readonly kernelRodata?: () => Record<string, RodataValue>;
  readonly maps?: Readonly<Record<string, MapLayout>>;
  readonly beforeLoad?: (obj: BpfObject, o: ToolOptions<U, K, S>) => void;
  /** After the hooks attach, before the ready file: links a tool makes itself, or readings that
   * "since start" counts from. */
  readonly attach?: (obj: BpfObject, o: ToolOptions<U, K, S>, filter: ResolvedFilter) => void;
  /** Whether the tool needs BPF privileges (default true). */
  readonly privileged?: boolean;
}

export interface SummaryToolSpec<U extends Uses, S extends z.ZodRawShape, Snap, R> extends ToolBase<U, 'summary', S> {
  /** After attach and the ready file: the tool's read, record and render. */
  readonly start: (ctx: RunContext<ToolOptions<U, 'summary', S>>) => SummaryRun<Snap, R> | Promise<SummaryRun<Snap, R>>;
}

export interface DetailsToolSpec<U extends Uses, S extends z.ZodRawShape, R, F> extends ToolBase<U, 'details', S> {
  /** The ring buffer map the events come through (default `events`); --ring-size sizes it. */
  readonly events?: string;
  readonly start: (ctx: RunContext<ToolOptions<U, 'details', S>>) => DetailsRun<R, F> | Promise<DetailsRun<R, F>>;
}

/** A tool: its descriptor, and the command runCli runs. */
// The default lets lists of tools with different options share one type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Tool<O = any> = ToolDescriptor & ToolCommand<z.ZodType<O>> & { readonly spec: ToolBase<Uses, ToolKind, z.ZodRawShape> };

export function defineSummary<const U extends Uses, S extends z.ZodRawShape = {}, Snap = unknown, R = unknown>(
  spec: SummaryToolSpec<U, S, Snap, R>,
): Tool<ToolOptions<U, 'summary', S>> {
  return makeTool('summary', spec as never) as never;
}

export function defineDetails<const U extends Uses, S extends z.ZodRawShape = {}, R = unknown, F = {}>(
  spec: DetailsToolSpec<U, S, R, F>,
): Tool<ToolOptions<U, 'details', S>> {
  return makeTool('details', spec as never) as never;
}

function makeTool(kind: ToolKind, spec: ToolBase<Uses, ToolKind, z.ZodRawShape> & { start: unknown }): Tool<never> {
  if (kind === 'details' && spec.uses.interval !== undefined) throw new Error(`${spec.name}: a details tool has no intervals`);
  const u = spec.uses;
  const schema = z.object({
    ...baseShape,
    ...(u.interval !== undefined ? intervalShape : {}),
    ...(u.top !== undefined ? topShape : {}),
    ...(u.filter === 'packet' ? filterSchema.shape : u.filter === 'flow' ? flowFilterSchema.shape : u.filter === 'device' ? deviceFilterSchema.shape : {}),
    ...(kind === 'details' ? ringShape : {}),
    ...spec.schema,
  });
  const tool = {
    name: spec.name,
    domain: spec.domain,
    kind,
    describe: spec.describe,
    examples: spec.examples.map(([a, b]) => [a, b] as [string, string]),
    epilog: spec.epilog,
    hooks: spec.hooks,
    uses: u,
    privileged: spec.privileged,
    spec,
    schema,
    options: (y: Argv) => toolOptions(kind, spec, y),
    handler: (o: never) => runTool(kind, spec as never, o),
  };
  return tool as unknown as Tool<never>;
}

function toolOptions(kind: ToolKind, spec: ToolBase<Uses, ToolKind, z.ZodRawShape>, y0: Argv): Argv<unknown> {
  const u = spec.uses;
  const g = 'Output:';
  let y: Argv = y0;
  if (u.filter === 'packet') y = withFilterOptions(y);
  if (u.filter === 'flow') y = withFlowFilterOptions(y);
  if (u.filter === 'device') y = withDeviceFilterOptions(y);
  if (spec.options) y = spec.options(y);
  if (u.interval !== undefined) y = y.option('interval', { type: 'number', default: u.interval, describe: 'seconds between reports', group: g });
  y = y.option('duration', { type: 'number', default: 0, describe: 'stop after this many seconds (0: until Ctrl-C)', group: g });
  if (u.top !== undefined) y = y.option('top', { type: 'number', default: u.top, describe: 'rows shown per report', group: g });
  y = y
    .option('output', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'text for people, json for one JSON object per line', group: g })
    .option('verbose', { type: 'boolean', default: false, describe: 'say which hooks were chosen, show what the tool costs in each report, print libbpf logs on failure', group: g })
    .option('bpf-stats', { type: 'boolean', default: false, describe: "count the tool's program runs and run time while it runs (turns on the kernel's BPF run-time statistics for every program until it exits)", group: g })
    .option('ready-file', { type: 'string', hidden: true, describe: 'written once everything is attached' });
  if (kind === 'details') y = y.option('ring-size', { type: 'number', default: 4096, describe: 'KiB of ring buffer between kernel and tool (power of two)', hidden: true });
  return y as Argv<unknown>;
}


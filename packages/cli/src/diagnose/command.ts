/**
 * `netstrata diagnose`: the three layers in one command.
 *
 * Layer 1 runs the summaries together for --duration (drops, device counters, host stack latency,
 * and the TAP rings and the OVS upcalls where this host has them), and decides a verdict. Layer 2
 * runs the details tool of each top finding for --details-duration with the finding's device,
 * reason, direction and threshold. Layer 3 runs the CPU tools on the threads layer 2 named. Every
 * tool is a child process that detaches all it attached when it stops; none outlives diagnose.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import { z } from 'zod';
import { once } from '../options.ts';
import {
  Sink,
  UsageError,
  checkFilter,
  filterSchema,
  helpWidth,
  networkNamespaces,
  num,
  resolveInterface,
  resolveNetns,
  toJson,
  withFilterOptions,
  wrapWords,
} from '@netstrata/bpf-common';
import { ToolChild, lastLine, toolNamed, type ChildResult } from './children.ts';
import { caught, commandLine, cpuSummary, flowArgs, layer2, layer3, type Caught, type Filters, type Step } from './follow.ts';
import { decide, type Layer1, type Verdict } from './verdict.ts';
import { renderDiagnosis } from './report.ts';
import { processOf, tapHolders, threadState } from './threads.ts';

export const DIAGNOSE_DESCRIBE = 'Is this host dropping or delaying packets, where, and why? The three layers in one command: summaries, then details with their findings as filters, then the CPU tools on the threads involved.';
export const DIAGNOSE_COMMAND = 'are packets dropped or delayed here, where and why: summaries, details and CPU tools in one run, with a verdict';

export function withDiagnoseOptions<T>(y: Argv<T>) {
  return withFilterOptions(y)
    .usage(`$0 diagnose [options]\n\n${wrapWords(DIAGNOSE_DESCRIBE, helpWidth() - 2)}`)
    .option('duration', { default: 10, requiresArg: true, describe: 'seconds layer 1 (the summaries) runs' })
    .option('auto', { type: 'boolean', default: true, describe: 'run layers 2 and 3 when there is a finding (--no-auto: only print their commands)' })
    .option('details-duration', { default: 5, requiresArg: true, describe: 'seconds each layer-2 details tool and layer-3 CPU tool runs' })
    .option('latency-ms', { default: 10, requiresArg: true, describe: "a stage whose tail (p99.9; an application's read or send: p99) reaches this is a latency finding" })
    .option('min-drops', { default: 1, requiresArg: true, describe: 'drops of one reason, location and device below this are shown but make no finding' })
    .option('output', { choices: ['text', 'json'] as const, default: 'text' as const, requiresArg: true, describe: 'text for people; json: NDJSON, the verdict last' })
    .option('ready-file', { type: 'string', requiresArg: true, describe: 'write this file once layer 1 is attached (start a workload then)' })
    .option('verbose', { type: 'boolean', default: false, describe: "show each tool's command line and notes" })
    .example('$0 diagnose', 'the whole host for 10 s, then details and CPU tools on what it finds')
    .example('$0 diagnose --netns vm-net --duration 30', 'one namespace, 30 s')
    .example('$0 diagnose --ip 10.0.0.5 --protocol tcp --output json', "one host's TCP traffic; the verdict as JSON")
    .example('$0 diagnose --no-auto --latency-ms 2', 'layer 1 only, a 2 ms tail counts; print the next commands')
    .epilog(
      wrapWords(
        'Verdict: drops (real drops: where, how many, their share), latency (no drops that matter, but a tail: which stage), or healthy. Drops every host has (frames for other hosts, neighbour discovery, multicast no socket joined) are shown apart and never make a verdict. Exit status: 0 healthy, 3 a finding, 1 a failure, 2 bad input. Method, fields and examples: docs/diagnose.md.',
        helpWidth() - 2,
      ),
    );
}

const schema = z.object({
  duration: once('duration', num('duration', { positive: true, max: 86_400 })),
  auto: z.boolean(),
  detailsDuration: once('details-duration', num('details-duration', { positive: true, max: 3600 })),
  latencyMs: once('latency-ms', num('latency-ms', { positive: true, max: 3_600_000 })),
  minDrops: once('min-drops', num('min-drops', { int: true, min: 1 })),
  output: once('output', z.enum(['text', 'json'])),
  readyFile: once('ready-file', z.string().min(1, '--ready-file: give a path')).optional(),
  verbose: z.boolean(),
});

export interface DiagnoseOptions extends z.infer<typeof schema> {
  filters: Filters;
  /** The --netns namespace's inode, when one was given. */
  netnsInode?: number;
}

/** Options → validated options; bad input is a UsageError naming the option (exit 2). */
export function parseDiagnoseOptions(argv: Record<string, unknown>): DiagnoseOptions {
  const r = schema.safeParse(argv);
  if (!r.success) throw new UsageError(r.error.issues[0]?.message ?? 'invalid options');
  const raw = ['ip', 'srcIp', 'dstIp', 'port', 'srcPort', 'dstPort', 'protocol', 'netns', 'interface'] as const;
  for (const k of raw) {
    if (Array.isArray(argv[k])) throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: given more than once`);
  }
  const f = filterSchema.safeParse(Object.fromEntries(raw.map((k) => [k, argv[k]])));
  if (!f.success) throw new UsageError(f.error.issues[0]?.message ?? 'invalid filter');
  checkFilter(f.data);
  const filters: Filters = Object.fromEntries(raw.filter((k) => argv[k] !== undefined).map((k) => [k, argv[k]])) as Filters;
  let netnsInode: number | undefined;
  if (filters.netns) {
    const ns = resolveNetns(filters.netns);
    netnsInode = ns.inode;
    if (filters.interface) resolveInterface(filters.interface, ns.path, filters.netns);
  } else if (filters.interface) {
    resolveInterface(filters.interface);
  }
  return { ...r.data, filters, netnsInode };
}

/** The filter options a tool takes, from what the user gave. */
function filterArgs(tool: string, f: Filters): string[] {
  const kind = toolNamed(tool).uses.filter;
  const dev = [...(f.netns ? ['--netns', f.netns] : []), ...(f.interface ? ['--interface', f.interface] : [])];
  if (kind === 'packet') return [...flowArgs(f), ...dev];
  if (kind === 'flow') return [...flowArgs(f), ...(f.netns ? ['--netns', f.netns] : [])];
  if (kind === 'device') return dev;
  return [];
}

/** TAP/TUN devices in the namespaces in scope: tun_ring_summary runs only where there are some. */
function hasTunDevices(netnsInode?: number): boolean {
  for (const ns of networkNamespaces()) {
    if (netnsInode !== undefined && ns.inode !== netnsInode) continue;
    try {
      // Every device with its kind: `ip link show type tun` lists every device on some versions.
      const out = execFileSync('nsenter', [`--net=${ns.path}`, 'ip', '-d', '-j', 'link', 'show'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      if ((JSON.parse(out || '[]') as { linkinfo?: { info_kind?: string } }[]).some((l) => l.linkinfo?.info_kind === 'tun')) return true;
    } catch {
      /* a namespace gone meanwhile, or ip without -j: no TAPs seen there */
    }
  }
  return false;
}

/** Named namespaces (ip netns) by inode, so the next commands name them as people do. */
function netnsNames(): Map<number, string> {
  return new Map(networkNamespaces().filter((n) => n.path.startsWith('/run/netns/')).map((n) => [n.inode, n.path.slice('/run/netns/'.length)]));
}

/** Layer 1's tools on this host: the three that always apply, and the VM path's where it exists. */
export function layer1Plan(o: DiagnoseOptions): Step[] {
  const long = ['--interval', '86400'];
  const steps: Step[] = [
    { tool: 'packet_drop_summary', args: ['--group-by', 'reason,location,device,flow', '--top', '100000', ...long], why: 'drops by reason, location, device and flow', finding: -1 },
    { tool: 'system_network_metrics_summary', args: ['--top', '100000', ...long], why: "the devices' own packet counters, for each drop's share", finding: -1 },
    { tool: 'system_network_latency_summary', args: [...long], why: 'time between the stages of the host stack', finding: -1 },
  ];
  if (hasTunDevices(o.netnsInode)) steps.push({ tool: 'tun_ring_summary', args: ['--top', '100000', ...long], why: 'TAP rings: occupancy and full-ring drops per queue', finding: -1 });
  if (existsSync('/sys/module/openvswitch')) steps.push({ tool: 'ovs_upcall_latency_summary', args: [...long], why: 'OVS upcalls and their wait for ovs-vswitchd', finding: -1 });
  for (const s of steps) s.args.push(...filterArgs(s.tool, o.filters));
  return steps;
}

export interface LayerRun {
  step: Step;
  command: string;
  /** Why it did not run or gave no record. */
  error?: string;
}

export interface Diagnosis extends Verdict {
  layer1: LayerRun[];
  layer2: (LayerRun & { caught?: Caught })[];
  layer3: (LayerRun & { lines?: string[] })[];
  next: string[];
}

/** Starts the steps together, waits until all are attached (or failed), runs them for `seconds`. */
async function runTogether(steps: readonly Step[], seconds: number, dir: string, signal: AbortSignal, onReady?: () => void): Promise<(ChildResult | Error)[]> {
  const children = steps.map((s) => ToolChild.start(s.tool, s.args, dir));
  try {
    const ready = await Promise.all(children.map((c) => c.ready(signal).then(() => undefined, (e: Error) => e)));
    onReady?.();
    if (ready.some((r) => r === undefined)) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, seconds * 1000);
        signal.addEventListener('abort', () => (clearTimeout(t), res()), { once: true });
      });
    }
    const results = await Promise.all(children.map((c) => c.stop()));
    return results.map((r, i) => ready[i] ?? r);
  } finally {
    for (const c of children) c.kill();
  }
}

const finalOf = (r: ChildResult | Error | undefined) => (r && !(r instanceof Error) ? r.final : undefined);

function describeFailure(r: ChildResult | Error): string {
  if (r instanceof Error) return r.message;
  if (!r.final) return `${r.name} gave no final record: ${lastLine(r.stderr) || `exit ${r.code ?? r.signal}`}`;
  return '';
}

/** Layer 1's final records as the verdict reads them. */
export function layer1Input(steps: readonly Step[], results: readonly (ChildResult | Error)[], durationS: number): Layer1 {
  const by = (tool: string) => finalOf(results[steps.findIndex((s) => s.tool === tool)]) as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  const drops = by('packet_drop_summary');
  const metrics = by('system_network_metrics_summary');
  const latency = by('system_network_latency_summary');
  const tun = by('tun_ring_summary');
  const ovs = by('ovs_upcall_latency_summary');
  return {
    durationS,
    drops: drops && { total_drops: drops.total_drops, rows: drops.rows, more_drops: drops.more_drops, lost: drops.lost, missed: drops.missed },
    devices: metrics?.devices,
    latency: latency?.directions,
    tun: tun?.queues,
    ovs: ovs && { upcalls: ovs.upcalls, executed: ovs.executed, failed: ovs.failed, unanswered: ovs.unanswered, latency: ovs.latency },
  };
}

export async function runDiagnose(o: DiagnoseOptions, signal: AbortSignal, log: (line: string) => void): Promise<Diagnosis> {
  const dir = mkdtempSync(join(tmpdir(), 'netstrata-diagnose-'));
  try {
    const plan = layer1Plan(o);
    for (const s of plan) log(`layer 1: ${commandLine(s)}  (${s.why})`);
    const r1 = await runTogether(plan, o.duration, dir, signal, () => {
      if (o.readyFile) writeFileSync(o.readyFile, `${process.pid}\n`);
      log(`layer 1: attached; measuring for ${o.duration} s`);
    });
    const layer1 = plan.map((step, i) => ({ step, command: commandLine(step), error: describeFailure(r1[i]!) || undefined }));
    if (layer1[0]!.error) throw new Error(`layer 1: ${layer1[0]!.error}`);
    const verdict = decide(layer1Input(plan, r1, o.duration), { latencyUs: o.latencyMs * 1000, minDrops: o.minDrops });

    const steps2 = layer2(verdict.findings, o.filters, o.latencyMs * 1000, netnsNames());
    const layer2Runs: Diagnosis['layer2'] = steps2.map((step) => ({ step, command: commandLine(step, o.detailsDuration) }));
    const layer3Runs: Diagnosis['layer3'] = [];
    if (o.auto && steps2.length && !signal.aborted) {
      for (const s of steps2) log(`layer 2: ${commandLine(s)}  (${s.why})`);
      const r2 = await runTogether(steps2, o.detailsDuration, dir, signal);
      r2.forEach((r, i) => {
        if (r instanceof Error) layer2Runs[i]!.error = r.message;
        else layer2Runs[i]!.caught = caught(r.name, r.records, r.events);
        // A reader that stalled before the tool started was never seen reading: the processes
        // holding the TAP open are its readers.
        const c = layer2Runs[i]!.caught;
        const dev = verdict.findings[steps2[i]!.finding]?.device;
        if (c && c.tool === 'tun_ring_details' && !c.threads.length && dev) {
          for (const t of tapHolders(dev)) c.threads.push({ ...t, role: 'TAP queue reader', count: c.events });
          if (c.threads.length) c.notes.push(`the reader${c.threads.length > 1 ? 's' : ''} named by the processes holding ${dev} open`);
        }
      });
      // Each thread's state as layer 2 ends: a reader stopped or asleep in the kernel says why at once.
      for (const c of layer2Runs.map((x) => x.caught)) {
        for (const t of c?.threads ?? []) {
          const st = threadState(t.pid);
          if (st) c!.notes.push(`${t.comm} (pid ${t.pid}) is ${st}`);
        }
      }
      const steps3 = layer3(layer2Runs.map((x) => x.caught).filter((c): c is Caught => !!c), verdict.findings, processOf);
      if (steps3.length && !signal.aborted) {
        for (const s of steps3) log(`layer 3: ${commandLine(s)}  (${s.why})`);
        const r3 = await runTogether(steps3, o.detailsDuration, dir, signal);
        steps3.forEach((step, i) => {
          const r = r3[i]!;
          layer3Runs.push({ step, command: commandLine(step, o.detailsDuration), error: describeFailure(r) || undefined, lines: cpuSummary(step.tool, finalOf(r)) });
        });
      }
    }
    const next = layer2Runs.map((x) => x.command);
    return { ...verdict, layer1, layer2: layer2Runs, layer3: layer3Runs, next };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Exit status: 0 healthy, 3 a finding. */
export const diagnoseStatus = (d: Pick<Diagnosis, 'kind'>) => (d.kind === 'healthy' ? 0 : 3);

export async function diagnoseCommand(o: DiagnoseOptions, signal: AbortSignal): Promise<number> {
  const sink = new Sink(o.output);
  const log = (line: string) => {
    if (o.verbose) sink.info('netstrata diagnose', line);
  };
  const d = await runDiagnose(o, signal, log);
  const rec = { ...d, tool: 'netstrata diagnose', time: new Date().toISOString() };
  process.stdout.write(o.output === 'json' ? `${toJson(rec)}\n` : `${renderDiagnosis(d)}\n`);
  return diagnoseStatus(d);
}

/**
 * What the bench runs: every summary tool in the registry unfiltered (the whole host), every
 * details tool with filters that match nothing and with filters that match the flood, and two
 * bpftrace scripts that answer the same questions as packet_drop_summary and one stage of
 * system_network_latency_summary.
 */
import { TOOL_LIST, longInterval, requiredArgs, toolPath, type ListedTool } from '@netstrata/test-harness';
import { RX_IP, UNUSED_PORT } from './bench-lab.ts';
import type { Readiness, Stopped } from './tool-process.ts';

export type ConfigKind = 'summary' | 'details' | 'bpftrace';

export interface BenchConfig {
  id: string;
  /** The binary (or bpftrace) and what differs from the defaults, for the report. */
  label: string;
  kind: ConfigKind;
  /** The tool binary's name, for start-up and memory rows (one per binary). */
  binary: string;
  /** For a tool with a bpftrace equivalent: that config's id. */
  bpftrace?: string;
  /** The workload its comparison with bpftrace is made on. */
  compareOn?: 'udp' | 'drop';
  command(ctx: { readyFile: string; sinkPid: number }): { cmd: string[]; ready: Readiness };
}

/** The hidden options every tool run gets: no report during a trial, NDJSON, a ready file. */
function tool(t: ListedTool, extra: (ctx: { sinkPid: number }) => string[] = () => []) {
  return (ctx: { readyFile: string; sinkPid: number }) => ({
    cmd: [process.execPath, toolPath(t.key), ...longInterval(t), '--output', 'json', '--ready-file', ctx.readyFile, ...extra(ctx)],
    ready: { kind: 'file', path: ctx.readyFile } as Readiness,
  });
}

/** bpftrace's BEGIN probe runs once every other probe is attached: its line is the ready signal. */
export const BPFTRACE_READY = 'nstbench-ready';

export const BPFTRACE_DROPS = `BEGIN { printf("${BPFTRACE_READY}\\n"); } tracepoint:skb:kfree_skb { @drops[args->reason, ksym(args->location)] = count(); }`;

export const BPFTRACE_DEV_QUEUE = [
  `BEGIN { printf("${BPFTRACE_READY}\\n"); }`,
  'tracepoint:net:net_dev_queue { @start[args->skbaddr] = nsecs; }',
  'tracepoint:net:net_dev_xmit /@start[args->skbaddr]/ { @us = hist((nsecs - @start[args->skbaddr]) / 1000); delete(@start[args->skbaddr]); }',
].join(' ');

function bpftrace(script: string) {
  return () => ({ cmd: ['bpftrace', '-B', 'line', '-e', script], ready: { kind: 'stdout', line: BPFTRACE_READY } as Readiness });
}

/** Filters the details tools get: a port nobody uses, or the flood's destination. */
const NO_MATCH = ['--port', String(UNUSED_PORT)];
const MATCH = ['--ip', RX_IP];

/** Modes of system_network_latency_summary measured beside its default. */
const LATENCY_MODES = [['--stages'], ['--sample', '10']];

/** Summary tools compared with a bpftrace script that answers the same question, and on what. */
const PAIRED: Record<string, Pick<BenchConfig, 'bpftrace' | 'compareOn'>> = {
  packet_drop_summary: { bpftrace: 'bpftrace_drops', compareOn: 'drop' },
  system_network_latency_summary: { bpftrace: 'bpftrace_dev_queue', compareOn: 'udp' },
};

/** What a tool needs to run at all; a process to watch is the UDP sink (shown as SINK). */
const needs = (t: ListedTool) => (c: { sinkPid: number }) => requiredArgs(t.name, () => c.sinkPid);
const needsLabel = (t: ListedTool) => needs(t)({ sinkPid: -1 }).join(' ').replace('-1', 'SINK');

export const CONFIGS: readonly BenchConfig[] = [
  ...TOOL_LIST.filter((t) => t.kind === 'summary').map(
    (t): BenchConfig => ({
      id: t.name,
      label: `${t.name} ${needsLabel(t)}`.trim(),
      kind: 'summary',
      binary: t.name,
      ...PAIRED[t.name],
      command: tool(t, needs(t)),
    }),
  ),
  // The latency summary's other modes: every stage, and one packet in 10 followed.
  ...TOOL_LIST.filter((t) => t.name === 'system_network_latency_summary').flatMap((t): BenchConfig[] =>
    LATENCY_MODES.map((extra) => ({
      id: `${t.name}_${extra[0]!.slice(2)}`,
      label: `${t.name} ${extra.join(' ')}`,
      kind: 'summary',
      binary: t.name,
      command: tool(t, () => extra),
    })),
  ),
  // The details tools that follow packets: with a filter no packet matches, and one every packet does.
  ...TOOL_LIST.filter((t) => t.kind === 'details' && t.packetFilters).flatMap((t): BenchConfig[] => [
    { id: `${t.name}_nomatch`, label: `${t.name} ${[...needs(t)({ sinkPid: -1 }), ...NO_MATCH].join(' ')}`, kind: 'details', binary: t.name, command: tool(t, (c) => [...needs(t)(c), ...NO_MATCH]) },
    { id: `${t.name}_match`, label: `${t.name} ${[...needs(t)({ sinkPid: -1 }), ...MATCH].join(' ')}`, kind: 'details', binary: t.name, command: tool(t, (c) => [...needs(t)(c), ...MATCH]) },
  ]),
  // Details tools of one protocol (pings): what they cost the rest of the host's traffic.
  ...TOOL_LIST.filter((t) => t.name === 'icmp_rtt_details').map(
    (t): BenchConfig => ({ id: t.name, label: `${t.name} ${needsLabel(t)}`, kind: 'details', binary: t.name, command: tool(t, needs(t)) }),
  ),
  { id: 'bpftrace_drops', label: 'bpftrace: kfree_skb count by reason, location', kind: 'bpftrace', binary: 'bpftrace (drops)', command: bpftrace(BPFTRACE_DROPS) },
  { id: 'bpftrace_dev_queue', label: 'bpftrace: net_dev_queue → net_dev_xmit hist', kind: 'bpftrace', binary: 'bpftrace (dev_queue → xmit)', command: bpftrace(BPFTRACE_DEV_QUEUE) },
];

export interface FinalCheck {
  ok: boolean;
  /** What went wrong, or for details tools the events and losses of the final record. */
  note: string;
  events?: number;
  lost?: number;
}

/**
 * A stopped run must have exited 0 on SIGINT and, for our tools, ended its output with a `final`
 * record; bpftrace prints its maps at exit.
 */
export function checkFinal(kind: ConfigKind, s: Stopped): FinalCheck {
  if (s.code !== 0) return { ok: false, note: `exit ${s.code ?? s.signal}: ${s.stderr.trim().split('\n').slice(-3).join(' ').slice(0, 300)}` };
  if (kind === 'bpftrace') {
    return s.stdout.includes('@') ? { ok: true, note: '' } : { ok: true, note: 'printed no map (nothing counted)' };
  }
  const lines = s.stdout.trim().split('\n').filter(Boolean);
  let last: Record<string, unknown>;
  try {
    last = JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>;
  } catch {
    return { ok: false, note: 'last line is not JSON' };
  }
  if (last.type !== 'final') return { ok: false, note: `last record is ${String(last.type)}, not final` };
  const events = typeof last.events === 'number' ? last.events : undefined;
  const lost = typeof last.lost === 'number' ? last.lost : undefined;
  const note = kind === 'details' ? `${events ?? '?'} events, ${lost ?? '?'} lost` : '';
  return { ok: true, note, events, lost };
}

/** What the bench measures, as plain data: the phases fill it in, the report renders it. */
import type { FinalCheck } from './configs.ts';

export const WORKLOADS = ['udp', 'tcp', 'drop'] as const;
export type Workload = (typeof WORKLOADS)[number];

export const WORKLOAD_TEXT: Record<Workload, { name: string; unit: string }> = {
  udp: { name: 'UDP flood, delivered', unit: 'packets/s received' },
  tcp: { name: 'TCP stream', unit: 'bytes/s received' },
  drop: { name: 'UDP flood, dropped by nftables', unit: 'packets/s dropped' },
};

export interface Machine {
  kernel: string;
  cpu: string;
  nproc: number;
  memMiB: number;
  node: string;
  libbpf: string;
  bpftrace: string;
  clang: string;
  commit: string;
  date: string;
  otherNamespaces: string[];
}

/** One workload run within a session of a configuration (or of no tool). */
export interface Trial {
  config: string | null;
  round: number;
  workload: Workload;
  /** Units per second at the receiving end (see WORKLOAD_TEXT). */
  rate: number;
  /** Packets (or bytes) the sender sent per second. */
  sentRate: number;
  /** CPU time of the tool's process over the trial, % of one CPU. */
  toolCpuPct?: number;
}

export interface SessionEnd {
  config: string;
  round: number;
  ready: boolean;
  check: FinalCheck;
}

export interface ThroughputData {
  trials: Trial[];
  sessions: SessionEnd[];
}

export interface ProgStat {
  name: string;
  runs: number;
  ns: number;
}

export interface BpfStatsRow {
  config: string;
  workload: Workload;
  /** Packets (or bytes for tcp) the workload moved during the window. */
  units: number;
  seconds: number;
  progs: ProgStat[];
}

export interface StartupRow {
  id: string;
  label: string;
  readyMs: number[];
  /** `node BIN --duration -1` wall time (refused, exit 2, before anything is loaded): Node's start
   * plus loading the bundle and parsing the options, before any BPF work. */
  loadMs?: number[];
  failures: string[];
}

export interface StartupData {
  rows: StartupRow[];
  /** `node -e 0` wall time. */
  nodeMs: number[];
}

/** 'tool': everything packet_drop_details --output json does per event; 'decode': RingReader and the struct decoder only. */
export type PipelinePath = 'tool' | 'decode';

export interface PipelineRun {
  path: PipelinePath;
  /** Target events/s; 0 = as fast as the kernel produces; -1 = bursts: the ring filled while the
   * reader waits, then drained (seconds are then the time spent draining). */
  target: number;
  seconds: number;
  produced: number;
  delivered: number;
  lost: number;
  /** Producer ticks that overran their millisecond (the pace slipped). */
  lateTicks: number;
  /** CPU the reading process used (every thread), in % of one core over the run. */
  cpuPct: number;
  /** That CPU time per delivered event. */
  cpuNsPerEvent: number;
}

export interface PipelineData {
  ringBytes: number;
  eventBytes: number;
  runs: PipelineRun[];
  /** ns per event of each step of the user side on one captured event, in a tight loop. */
  stepsNs: { step: string; ns: number }[];
}

export interface MemoryRow {
  id: string;
  label: string;
  rssKb: number;
  hwmKb: number;
  anonKb: number;
  mapBytes: number;
  /** Ring buffer data bytes among the maps (mapped twice into the process). */
  ringBytes: number;
  maps: number;
  check: FinalCheck | undefined;
}

export interface MemoryData {
  seconds: number;
  rows: MemoryRow[];
  /** RSS of a bare `node` that only waits, KiB: the floor under every tool. */
  nodeBaselineKb: number;
}

/** A shaped TCP stream watched by the latency summary and by bpftrace, against the qdisc's counters. */
export interface AccountingData {
  device: string;
  rateMbit: number;
  seconds: number;
  toolCommand: string;
  bpftraceScript: string;
  qdisc: { sent: number; dropped: number; requeues: number };
  /** The TX direction's `packets` block of the tool's final record, and its end-to-end sample count. */
  tool: { ok: boolean; packets: Record<string, number>; endToEnd: number; tail: string };
  /** bpftrace's histogram: its samples, and those at or above `staleUs` (matches on a reused skb address). */
  bpftrace: { samples: number; staleUs: number; stale: number; buckets: { start: number; end: number; count: number }[] };
}

export interface BenchReport {
  machine: Machine;
  commands: string[];
  knobsLine: string;
  trialSeconds: number;
  rounds: number;
  payload: number;
  durationS: number;
  configs: { id: string; label: string; kind: string; bpftrace?: string; compareOn?: Workload }[];
  throughput?: ThroughputData;
  bpfStats?: BpfStatsRow[];
  startup?: StartupData;
  pipeline?: PipelineData;
  memory?: MemoryData;
  accounting?: AccountingData;
  notes: string[];
}

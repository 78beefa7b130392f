/**
 * What a tool costs while it runs, in every report: its programs' runs and run time as the kernel
 * counts them (while run-time statistics are on), and its own CPU time and memory. The cost model
 * of these tools is program runs per packet: a user who leaves one running can see it.
 */
import { readFileSync } from 'node:fs';
import type { BpfObject } from '@netstrata/libbpf-ts';

export interface CostFields {
  /** Whether the kernel counted program runs over the whole span (sysctl kernel.bpf_stats_enabled,
   * or --bpf-stats); without, the bpf_* fields are null. */
  bpf_stats: boolean;
  bpf_runs: number | null;
  bpf_ns: number | null;
  bpf_ns_per_run: number | null;
  /** This process's CPU time (user + system) in the span, and as a share of one core. */
  cpu_s: number;
  cpu_pct: number;
  /** Resident memory now. */
  rss_mb: number;
}

interface Reading {
  at: number;
  runs: number;
  ns: number;
  cpuUs: number;
  stats: boolean;
}

export function kernelStatsOn(path = '/proc/sys/kernel/bpf_stats_enabled'): boolean {
  try {
    return readFileSync(path, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

export class CostMeter {
  private readonly start: Reading;
  private last: Reading;

  constructor(
    private readonly obj: BpfObject,
    private readonly statsOn: () => boolean = kernelStatsOn,
  ) {
    this.start = this.read();
    this.last = this.start;
  }

  private read(): Reading {
    let runs = 0;
    let ns = 0;
    for (const p of this.obj.programs()) {
      if (!p.autoload) continue;
      const s = p.stats();
      runs += s.runs;
      ns += s.runNs;
    }
    const cpu = process.cpuUsage();
    return { at: performance.now(), runs, ns, cpuUs: cpu.user + cpu.system, stats: this.statsOn() };
  }

  /** The cost since start, leaving the interval's reading as it is (a scrape between reports). */
  total(): CostFields {
    return costBetween(this.start, this.read(), process.memoryUsage.rss());
  }

  /** The cost since the last sample, or since start for the final report. */
  sample(sinceStart: boolean): CostFields {
    const now = this.read();
    const from = sinceStart ? this.start : this.last;
    this.last = now;
    return costBetween(from, now, process.memoryUsage.rss());
  }
}

/** The cost between two readings (pure). */
export function costBetween(from: Reading, to: Reading, rssBytes: number): CostFields {
  const stats = from.stats && to.stats;
  const runs = to.runs - from.runs;
  const ns = to.ns - from.ns;
  const cpuS = (to.cpuUs - from.cpuUs) / 1e6;
  const wallS = (to.at - from.at) / 1000;
  return {
    bpf_stats: stats,
    bpf_runs: stats ? runs : null,
    bpf_ns: stats ? ns : null,
    bpf_ns_per_run: stats ? (runs ? Math.round(ns / runs) : 0) : null,
    cpu_s: Math.round(cpuS * 1000) / 1000,
    cpu_pct: wallS > 0 ? Math.round((cpuS / wallS) * 1000) / 10 : 0,
    rss_mb: Math.round(rssBytes / 2 ** 20),
  };
}

/** The cost line of a text report (shown with --verbose). */
export function renderCost(c: CostFields): string {
  const bpf = c.bpf_stats
    ? `bpf ${c.bpf_runs} runs, ${c.bpf_ns_per_run} ns/run (${((c.bpf_ns ?? 0) / 1e9).toFixed(3)} s)`
    : 'bpf runs not counted (run-time statistics off: --bpf-stats or sysctl kernel.bpf_stats_enabled=1)';
  return `  cost: ${bpf}; cpu ${c.cpu_s.toFixed(3)} s (${c.cpu_pct.toFixed(1)} % of a core); rss ${c.rss_mb} MB`;
}

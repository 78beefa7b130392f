/** Pure analysis of the measured data: throughput rows, BPF cost per packet, the targets. */
import type { BenchReport, BpfStatsRow, PipelineData, PipelinePath, StartupRow, Trial, Workload } from './model.ts';
import { WORKLOADS } from './model.ts';
import { alternatingRatios, costPct, spread, type Spread } from './stats.ts';

export interface ThroughputRow {
  config: string;
  workload: Workload;
  ratio: Spread;
  rate: Spread;
  toolCpuPct: Spread;
  /** Median throughput cost, percent. */
  cost: number;
}

/** Per workload: the no-tool rates, and each configuration's ratios to its neighbouring no-tool runs. */
export function throughputRows(trials: readonly Trial[]): { baseline: Record<Workload, Spread>; rows: ThroughputRow[] } {
  const baseline = {} as Record<Workload, Spread>;
  const rows: ThroughputRow[] = [];
  for (const w of WORKLOADS) {
    const seq = trials.filter((t) => t.workload === w);
    baseline[w] = spread(seq.filter((t) => t.config === null).map((t) => t.rate));
    const ratios = alternatingRatios(seq.map((t) => ({ ...t, baseline: t.config === null, value: t.rate })));
    const ids = [...new Set(seq.filter((t) => t.config !== null).map((t) => t.config!))];
    for (const id of ids) {
      const mine = ratios.filter((r) => r.run.config === id);
      const ratio = spread(mine.map((r) => r.ratio));
      rows.push({
        config: id,
        workload: w,
        ratio,
        rate: spread(mine.map((r) => r.run.rate)),
        toolCpuPct: spread(mine.map((r) => r.run.toolCpuPct ?? NaN)),
        cost: costPct(ratio.median),
      });
    }
  }
  return { baseline, rows };
}

export interface BpfCost {
  config: string;
  workload: Workload;
  programs: number;
  runsPerUnit: number;
  nsPerRun: number;
  nsPerUnit: number;
  top: { name: string; runsPerUnit: number; nsPerUnit: number }[];
}

export function bpfCost(r: BpfStatsRow): BpfCost {
  const runs = r.progs.reduce((a, p) => a + p.runs, 0);
  const ns = r.progs.reduce((a, p) => a + p.ns, 0);
  const u = r.units || NaN;
  return {
    config: r.config,
    workload: r.workload,
    programs: r.progs.length,
    runsPerUnit: runs / u,
    nsPerRun: runs ? ns / runs : 0,
    nsPerUnit: ns / u,
    top: r.progs
      .filter((p) => p.runs > 0)
      .slice(0, 3)
      .map((p) => ({ name: p.name, runsPerUnit: p.runs / u, nsPerUnit: p.ns / u })),
  };
}

/**
 * The cost BPF run time alone predicts: the sender's CPU carries the whole path of a packet over
 * veth (send, the peer's receive in softirq, the drop or the socket queue), so at the no-tool rate
 * it spends 1e9 / rate ns per packet; the programs add their ns per packet to that.
 */
export function predictedCostPct(nsPerUnit: number, baselineRate: number): number {
  if (!(baselineRate > 0)) return NaN;
  const budget = 1e9 / baselineRate;
  return (100 * nsPerUnit) / (budget + nsPerUnit);
}

export interface TargetRow {
  target: string;
  subject: string;
  measured: string;
  met: boolean | undefined;
  by: string;
  why: string;
}

const pct = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} %` : '—');
const ms = (x: number) => `${x.toFixed(0)} ms`;

function costWhy(r: BenchReport, config: string, workload: Workload, baselineRate: number): string {
  const stat = r.bpfStats?.find((s) => s.config === config && s.workload === (workload === 'tcp' ? 'udp' : workload));
  if (!stat) return 'no BPF statistics pass in this run';
  const c = bpfCost(stat);
  const top = c.top.map((t) => `${t.name} ${t.runsPerUnit.toFixed(2)}×/pkt ${t.nsPerUnit.toFixed(0)} ns`).join(', ');
  const basis = workload === 'tcp' ? ' (UDP figures; TCP moves 64 KiB per write, so far fewer packets per byte)' : '';
  return (
    `BPF runs ${c.runsPerUnit.toFixed(2)} programs per packet at ${c.nsPerRun.toFixed(0)} ns each = ${c.nsPerUnit.toFixed(0)} ns per packet ` +
    `against ${(1e9 / baselineRate).toFixed(0)} ns per packet without a tool: predicts ${pct(predictedCostPct(c.nsPerUnit, baselineRate))}${basis}; top: ${top || 'none ran'}`
  );
}

/** BPF run time's prediction for the worst of udp and drop, as a check on noisy measured costs. */
function predictedText(r: BenchReport, config: string, baseline: Record<Workload, Spread>): string {
  const p = (['udp', 'drop'] as const)
    .map((w) => {
      const st = r.bpfStats?.find((s) => s.config === config && s.workload === w);
      return st ? { w, cost: predictedCostPct(bpfCost(st).nsPerUnit, baseline[w].median) } : undefined;
    })
    .filter((x): x is { w: 'udp' | 'drop'; cost: number } => !!x && Number.isFinite(x.cost));
  if (!p.length) return '';
  const worst = p.reduce((a, b) => (b.cost > a.cost ? b : a));
  return `; BPF run time alone: ${pct(worst.cost)} (${worst.w})`;
}

/** Throughput cost limits other than the 1 % every summary tool aims at. */
export const COST_LIMITS: Record<string, number> = { system_network_metrics_summary: 5 };

/** Rows of the targets table: every target the report is measured against. */
export function targets(r: BenchReport): TargetRow[] {
  const out: TargetRow[] = [];
  const label = (id: string) => r.configs.find((c) => c.id === id)?.label ?? id;
  if (r.throughput) {
    const { baseline, rows } = throughputRows(r.throughput.trials);
    for (const c of r.configs.filter((x) => x.kind === 'summary')) {
      const mine = rows.filter((x) => x.config === c.id && Number.isFinite(x.cost));
      if (!mine.length) continue;
      const worst = mine.reduce((a, b) => (b.cost > a.cost ? b : a));
      const limit = COST_LIMITS[c.id] ?? 1;
      const met = worst.cost <= limit;
      const noise = !met && 1 - worst.ratio.max <= 0.01 ? ' Its best run was within 1 %: partly noise.' : '';
      out.push({
        target: `throughput cost ≤ ${limit} %`,
        subject: label(c.id),
        measured: `${pct(worst.cost)} (worst workload: ${worst.workload}; ${mine.map((x) => `${x.workload} ${pct(x.cost)}`).join(', ')})${predictedText(r, c.id, baseline)}`,
        met,
        by: met ? '—' : `${(worst.cost - limit).toFixed(2)} points over`,
        why: met ? '' : costWhy(r, c.id, worst.workload, baseline[worst.workload === 'tcp' ? 'udp' : worst.workload].median) + noise,
      });
    }
    for (const c of r.configs.filter((x) => x.bpftrace && x.compareOn)) {
      const w = c.compareOn!;
      const tool = rows.find((x) => x.config === c.id && x.workload === w);
      const bt = rows.find((x) => x.config === c.bpftrace && x.workload === w);
      if (!tool || !bt) continue;
      const toolStat = r.bpfStats?.find((s) => s.config === c.id && s.workload === w);
      const btStat = r.bpfStats?.find((s) => s.config === c.bpftrace && s.workload === w);
      const v = versusBpftrace(tool, bt, toolStat && bpfCost(toolStat).nsPerUnit, btStat && bpfCost(btStat).nsPerUnit);
      out.push({
        target: 'throughput cost ≤ ½ of bpftrace’s',
        subject: `${label(c.id)} vs ${label(c.bpftrace!)} (${w})`,
        measured: v.measured,
        met: v.met,
        by: v.met ? '—' : v.by,
        why: v.met ? v.basis : `${v.basis} ${costWhy(r, c.id, w, baseline[w].median)}`,
      });
    }
  }
  if (r.bpfStats) out.push(...runTargets(r));
  if (r.startup) {
    const node = spread(r.startup.nodeMs).median;
    // No slower than bpftrace on the same machine in the same run: its fastest script's median
    // (300 ms when bpftrace was not measured).
    const bt = r.startup.rows.filter((row) => !row.loadMs).map((row) => spread(row.readyMs)).filter((s) => s.n);
    const limit = bt.length ? Math.min(...bt.map((s) => s.median)) : 300;
    const target = bt.length ? 'ready no later than bpftrace' : 'ready ≤ 300 ms';
    for (const row of r.startup.rows) {
      const s = spread(row.readyMs);
      if (!s.n || !row.loadMs) continue;
      const met = s.median <= limit;
      out.push({
        target,
        subject: row.label,
        measured: `${ms(s.median)} (bpftrace ${ms(limit)}, node ${ms(node)})`,
        met,
        by: met ? '—' : `${ms(s.median - limit)} over`,
        why: met ? '' : startupWhy(row, node),
      });
    }
  }
  if (r.pipeline) out.push(...pipelineTargets(r.pipeline));
  if (r.memory) {
    for (const m of r.memory.rows) {
      const mb = (m.rssKb * 1024) / 1e6;
      const met = mb <= 70;
      out.push({
        target: 'RSS ≤ 70 MB',
        subject: m.label,
        measured: `${mb.toFixed(1)} MB`,
        met,
        by: met ? '—' : `${(mb - 70).toFixed(1)} MB over`,
        why: met
          ? ''
          : r.configs.find((c) => c.id === m.id)?.kind === 'bpftrace'
            ? `bpftrace carries LLVM and clang to compile its script at start; anonymous memory ${((m.anonKb * 1024) / 1e6).toFixed(1)} MB`
            : `a bare node process is ${((r.memory.nodeBaselineKb * 1024) / 1e6).toFixed(1)} MB; ${m.ringBytes ? `its ring buffer adds ${((2 * m.ringBytes) / 1e6).toFixed(1)} MB once read (mapped twice); ` : ''}anonymous memory ${((m.anonKb * 1024) / 1e6).toFixed(1)} MB`,
      });
    }
  }
  return out;
}

/**
 * BPF program runs per packet, where the cost model sets a limit: a packet of the UDP flood crosses
 * this host twice (sent in one namespace, received in the other), so a limit per direction is twice
 * that per packet of the flood.
 */
export const RUN_LIMITS: Record<string, { perPacket: number; text: string }> = {
  system_network_latency_summary: { perPacket: 4, text: '≤ 2 BPF runs per packet per direction' },
  system_network_metrics_summary: { perPacket: 1, text: '≤ 1 BPF run per packet' },
};

function runTargets(r: BenchReport): TargetRow[] {
  const out: TargetRow[] = [];
  for (const [id, limit] of Object.entries(RUN_LIMITS)) {
    const stat = r.bpfStats?.find((s) => s.config === id && s.workload === 'udp');
    if (!stat) continue;
    const c = bpfCost(stat);
    const met = c.runsPerUnit <= limit.perPacket + 1e-9;
    const top = c.top.map((t) => `${t.name} ${t.runsPerUnit.toFixed(2)}×`).join(', ');
    out.push({
      target: limit.text,
      subject: r.configs.find((x) => x.id === id)?.label ?? id,
      measured: `${c.runsPerUnit.toFixed(2)} runs per flood packet (${c.nsPerUnit.toFixed(0)} ns)`,
      met,
      by: met ? '—' : `${(c.runsPerUnit - limit.perPacket).toFixed(2)} runs over`,
      why: met ? '' : `top programs: ${top || 'none ran'}`,
    });
  }
  return out;
}

/**
 * A tool against its bpftrace equivalent. The measured costs decide when bpftrace's cost stands out
 * of the noise (every bpftrace run more than 1 % below its no-tool neighbours); otherwise the BPF
 * run time per packet of both decides, since a difference inside the noise is no evidence.
 */
export function versusBpftrace(
  tool: ThroughputRow,
  bt: ThroughputRow,
  toolNs: number | undefined,
  btNs: number | undefined,
): { met: boolean; measured: string; by: string; basis: string } {
  const nsText = toolNs !== undefined && btNs !== undefined ? `BPF run time ${toolNs.toFixed(0)} vs ${btNs.toFixed(0)} ns per packet` : '';
  const resolved = bt.ratio.max < 0.99;
  if (resolved || toolNs === undefined || btNs === undefined || !(btNs > 0)) {
    const met = tool.cost <= bt.cost / 2;
    return {
      met,
      measured: `cost ${pct(tool.cost)} vs ${pct(bt.cost)}${nsText ? `; ${nsText}` : ''}`,
      by: `${(tool.cost - bt.cost / 2).toFixed(2)} points over half of bpftrace’s`,
      basis: `Decided by measured throughput${resolved ? '' : ' (bpftrace’s cost is within the noise and no BPF statistics were taken)'}.`,
    };
  }
  const met = toolNs <= btNs / 2;
  return {
    met,
    measured: `${nsText} (${((100 * toolNs) / btNs).toFixed(0)} % of bpftrace’s); measured cost ${pct(tool.cost)} vs ${pct(bt.cost)}`,
    by: `${((100 * toolNs) / btNs - 50).toFixed(0)} points over 50 % of bpftrace’s BPF time`,
    basis: `Decided by BPF run time: some of bpftrace’s runs were within 1 % of the no-tool runs, so its measured cost is not resolved from the noise.`,
  };
}

function startupWhy(row: StartupRow, nodeMs: number): string {
  const load = spread(row.loadMs ?? []).median;
  const ready = spread(row.readyMs).median;
  return `Node starts in ${ms(nodeMs)}; loading the bundle and parsing the options takes ${ms(load - nodeMs)} more; the kernel's BTF, probes, open, load and attach the remaining ${ms(ready - load)}`;
}

export function pipelineRates(p: PipelineData) {
  return p.runs.map((x) => ({ ...x, producedRate: x.produced / x.seconds, decodedRate: x.delivered / x.seconds, lossPct: x.produced ? (100 * x.lost) / x.produced : 0 }));
}

/** The highest rate delivered without loss, the highest delivered at all (paced and unpaced runs),
 * and the rate of draining a filled ring (bursts) with the CPU time per event it took. */
export function pipelineCapacity(p: PipelineData, path: PipelinePath): { bestClean: number; maxDecoded: number; drain: number; drainNs: number } {
  const runs = pipelineRates(p).filter((x) => x.path === path);
  const burst = runs.find((x) => x.target < 0);
  return {
    bestClean: runs.filter((x) => x.lost === 0 && x.target > 0).reduce((a, b) => Math.max(a, b.decodedRate), 0),
    maxDecoded: runs.filter((x) => x.target >= 0).reduce((a, b) => Math.max(a, b.decodedRate), 0),
    drain: burst?.decodedRate ?? 0,
    drainNs: burst?.cpuNsPerEvent ?? 0,
  };
}

const mps = (r: number) => `${(r / 1e6).toFixed(2)} M/s`;

function pipelineTargets(p: PipelineData): TargetRow[] {
  const runs = pipelineRates(p).filter((x) => x.path === 'tool');
  const tool = pipelineCapacity(p, 'tool');
  const decode = pipelineCapacity(p, 'decode');
  const maxCpu = pipelineRates(p).reduce((a, x) => Math.max(a, x.cpuPct), 0);
  const steps = p.stepsNs.map((s) => `${s.step} ${s.ns.toFixed(0)} ns`).join(', ');
  const ringEvents = Math.floor(p.ringBytes / (p.eventBytes + 8));
  const drained = (c: typeof tool) => `a filled ring drains at ${mps(c.drain)} (${c.drainNs.toFixed(0)} ns of CPU per event)`;
  const out: TargetRow[] = [];
  const met = tool.bestClean >= 1e6;
  out.push({
    target: '≥ 1 M events/s to NDJSON without loss, on one core',
    subject: 'packet_drop_details --output json',
    measured: `${mps(tool.bestClean)} without loss; at most ${mps(tool.maxDecoded)} delivered; ${drained(tool)}; at most ${maxCpu.toFixed(0)} % of a core`,
    met: met && maxCpu <= 100.5,
    by: met ? (maxCpu <= 100.5 ? '—' : `${(maxCpu - 100).toFixed(0)} % of a core over`) : `${((1e6 - tool.bestClean) / 1e6).toFixed(2)} M/s short`,
    why: met
      ? ''
      : `one event costs ${tool.drainNs.toFixed(0)} ns of CPU through the whole path, ${mps(tool.drainNs ? 1e9 / tool.drainNs : 0)} on a whole core (steps in a tight loop: ${steps}); the ring and decoder alone: ${drained(decode)}${maxCpu < 90 ? `; the reader got at most ${maxCpu.toFixed(0)} % of its core, the rest went to other work on the machine` : ''}`,
  });
  const at1m = runs.find((x) => x.target === 1e6);
  if (at1m) {
    const ok = at1m.lost === 0;
    out.push({
      target: 'no loss at 1 M events/s',
      subject: 'packet_drop_details --output json',
      measured: `${at1m.lost} lost of ${at1m.produced} (produced = delivered + lost ${at1m.produced === at1m.delivered + at1m.lost ? 'holds' : 'does not hold'}); ${at1m.cpuPct.toFixed(0)} % of a core`,
      met: ok,
      by: ok ? '—' : `${at1m.lossPct.toFixed(3)} % lost`,
      why: ok
        ? ''
        : `the whole path takes ${tool.drainNs.toFixed(0)} ns of CPU per event (${drained(tool)}); the ${p.ringBytes >> 20} MiB ring holds ${ringEvents} events = ${((ringEvents / 1e6) * 1e3).toFixed(1)} ms at 1 M/s, so any pause longer than that (another process on the core, a garbage collection) loses events`,
    });
  }
  const dmet = decode.drain >= 3e6;
  out.push({
    target: '≥ 3 M events/s ring reader + decoder',
    subject: 'RingReader + struct decoder of drop_event',
    measured: `${drained(decode)}; ${mps(decode.bestClean)} without loss at the producer's paced rates (one CPU of BPF_PROG_TEST_RUN makes at most ${mps(decode.maxDecoded)})`,
    met: dmet,
    by: dmet ? '—' : `${((3e6 - decode.drain) / 1e6).toFixed(2)} M/s short`,
    why: dmet ? '' : `${decode.drainNs.toFixed(0)} ns of CPU per event (${mps(decode.drainNs ? 1e9 / decode.drainNs : 0)} on a whole core): reading the record's members (three u64 as bigints, two names, two byte views) and the ring's headers`,
  });
  return out;
}

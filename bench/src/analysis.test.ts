import { describe, expect, it } from 'vitest';
import { bpfCost, pipelineCapacity, predictedCostPct, targets, throughputRows, versusBpftrace, type ThroughputRow } from './analysis.ts';
import type { BenchReport, Trial } from './model.ts';

const trial = (config: string | null, workload: Trial['workload'], rate: number, round = 1): Trial => ({ config, round, workload, rate, sentRate: rate });

describe('throughputRows', () => {
  it('compares each tool with the no-tool runs around it, per workload', () => {
    const trials = [
      trial(null, 'udp', 100),
      trial('a', 'udp', 99),
      trial(null, 'udp', 100),
      trial('b', 'udp', 45),
      trial(null, 'udp', 80),
    ];
    const { baseline, rows } = throughputRows(trials);
    expect(baseline.udp.median).toBe(100);
    expect(rows.map((r) => [r.config, r.ratio.median, Math.round(r.cost * 100) / 100])).toEqual([
      ['a', 0.99, 1],
      ['b', 0.5, 50],
    ]);
  });
});

describe('BPF cost', () => {
  const row = { config: 'a', workload: 'udp' as const, units: 1000, seconds: 1, progs: [{ name: 'p', runs: 2000, ns: 300_000 }, { name: 'q', runs: 0, ns: 0 }] };

  it('gives runs and ns per packet, and the programs that ran, most expensive first', () => {
    const c = bpfCost(row);
    expect([c.programs, c.runsPerUnit, c.nsPerRun, c.nsPerUnit]).toEqual([2, 2, 150, 300]);
    expect(c.top.map((t) => t.name)).toEqual(['p']);
  });

  it('predicts the cost as the share of the per-packet time BPF adds', () => {
    // 100 k packets/s: 10 µs per packet; 1 µs of BPF makes it 11 µs, 9.09 % fewer packets
    expect(predictedCostPct(1000, 100_000)).toBeCloseTo(9.0909, 3);
    expect(predictedCostPct(1000, 0)).toBeNaN();
  });
});

describe('versusBpftrace', () => {
  const r = (median: number, min: number, max: number): ThroughputRow => ({
    config: 'x',
    workload: 'udp',
    ratio: { n: 3, median, min, max },
    rate: { n: 3, median: 1, min: 1, max: 1 },
    toolCpuPct: { n: 0, median: NaN, min: NaN, max: NaN },
    cost: (1 - median) * 100,
  });

  it('decides by measured cost when bpftrace’s cost stands out of the noise', () => {
    const v = versusBpftrace(r(0.93, 0.92, 0.94), r(0.9, 0.88, 0.95), 100, 200);
    expect(v.met).toBe(false);
    expect(v.by).toBe('2.00 points over half of bpftrace’s');
    expect(versusBpftrace(r(0.97, 0.96, 0.98), r(0.9, 0.88, 0.95), 300, 200).met).toBe(true);
  });

  it('decides by BPF run time when bpftrace’s runs are within the noise', () => {
    const v = versusBpftrace(r(1.05, 1, 1.1), r(0.98, 0.9, 1.02), 1748, 685);
    expect(v.met).toBe(false);
    expect(v.measured).toContain('255 % of bpftrace’s');
    expect(versusBpftrace(r(0.9, 0.9, 0.9), r(0.98, 0.9, 1.02), 100, 685).met).toBe(true);
  });
});

function report(): BenchReport {
  return {
    machine: { kernel: '6.18', cpu: 'cpu', nproc: 2, memMiB: 1024, node: 'v20', libbpf: '1.1', bpftrace: 'v0.17.0', clang: 'clang 14', commit: 'abc', date: '2026-01-01T00:00:00Z', otherNamespaces: [] },
    commands: ['cmd'],
    knobsLine: 'npm run bench',
    trialSeconds: 2,
    rounds: 1,
    payload: 64,
    durationS: 60,
    configs: [
      { id: 'pds', label: 'packet_drop_summary', kind: 'summary', bpftrace: 'bt', compareOn: 'drop' },
      { id: 'bt', label: 'bpftrace drops', kind: 'bpftrace' },
    ],
    throughput: {
      trials: [trial(null, 'drop', 100), trial('pds', 'drop', 98), trial(null, 'drop', 100), trial('bt', 'drop', 90), trial(null, 'drop', 100)],
      sessions: [],
    },
    bpfStats: [{ config: 'pds', workload: 'drop', units: 1000, seconds: 1, progs: [{ name: 'kfree_skb_tp_btf', runs: 1000, ns: 250_000 }] }],
    startup: { nodeMs: [40, 40, 40], rows: [{ id: 'pds', label: 'packet_drop_summary', readyMs: [400, 410, 390], loadMs: [100, 100, 100], failures: [] }, { id: 'bt', label: 'bpftrace (drops)', readyMs: [350, 340, 360], failures: [] }] },
    pipeline: {
      ringBytes: 4 << 20,
      eventBytes: 480,
      stepsNs: [{ step: 'decode', ns: 300 }, { step: 'record', ns: 2500 }, { step: 'json', ns: 2200 }],
      runs: [
        { path: 'tool', target: 100_000, seconds: 1, produced: 100_000, delivered: 100_000, lost: 0, lateTicks: 0, cpuPct: 40, cpuNsPerEvent: 4000 },
        { path: 'tool', target: 1_000_000, seconds: 1, produced: 1_000_000, delivered: 200_000, lost: 800_000, lateTicks: 0, cpuPct: 99, cpuNsPerEvent: 4950 },
        { path: 'tool', target: -1, seconds: 0.5, produced: 100_000, delivered: 100_000, lost: 0, lateTicks: 0, cpuPct: 100, cpuNsPerEvent: 5000 },
        { path: 'decode', target: 1_000_000, seconds: 1, produced: 1_000_000, delivered: 1_000_000, lost: 0, lateTicks: 0, cpuPct: 50, cpuNsPerEvent: 500 },
        { path: 'decode', target: -1, seconds: 0.05, produced: 100_000, delivered: 100_000, lost: 0, lateTicks: 0, cpuPct: 100, cpuNsPerEvent: 500 },
      ],
    },
    memory: {
      seconds: 30,
      nodeBaselineKb: 40_000,
      rows: [{ id: 'pds', label: 'packet_drop_summary', rssKb: 80_000, hwmKb: 90_000, anonKb: 50_000, mapBytes: 1 << 20, ringBytes: 0, maps: 3, check: { ok: true, note: '' } }],
    },
    notes: [],
  };
}

describe('targets', () => {
  const rows = targets(report());
  const row = (target: string) => rows.find((t) => t.target === target)!;

  it('says by how much a missed target is missed, and why, from the data', () => {
    const tp = row('throughput cost ≤ 1 %');
    expect(tp.met).toBe(false);
    expect(tp.by).toBe('1.00 points over');
    expect(tp.why).toContain('1.00 programs per packet at 250 ns each');
    expect(tp.measured).toContain('BPF run time alone');
    const start = row('ready no later than bpftrace');
    expect([start.met, start.by, start.measured]).toEqual([false, '50 ms over', '400 ms (bpftrace 350 ms, node 40 ms)']);
    expect(start.why).toContain('Node starts in 40 ms; loading the bundle and parsing the options takes 60 ms more');
    expect(rows.filter((t) => t.target === 'ready no later than bpftrace').map((t) => t.subject)).toEqual(['packet_drop_summary']);
    const rss = row('RSS ≤ 70 MB');
    expect([rss.met, rss.measured]).toEqual([false, '81.9 MB']);
  });

  it('judges the pipeline on the tool’s whole path and names the ring-only capacity', () => {
    const ndjson = row('≥ 1 M events/s to NDJSON without loss, on one core');
    expect([ndjson.met, ndjson.by]).toEqual([false, '0.90 M/s short']);
    expect(ndjson.why).toContain('ring and decoder alone: a filled ring drains at 2.00 M/s (500 ns of CPU per event)');
    expect(row('no loss at 1 M events/s').measured).toBe('800000 lost of 1000000 (produced = delivered + lost holds); 99 % of a core');
    const decode = row('≥ 3 M events/s ring reader + decoder');
    expect([decode.met, decode.by]).toEqual([false, '1.00 M/s short']);
    expect(pipelineCapacity(report().pipeline!, 'tool')).toEqual({ bestClean: 100_000, maxDecoded: 200_000, drain: 200_000, drainNs: 5000 });
  });

  it('holds start-up to the bpftrace start measured in the same run, when there is one', () => {
    const r = report();
    r.startup!.rows.push({ id: 'bt', label: 'bpftrace drops', readyMs: [120, 130, 125], failures: [] });
    const start = targets(r).filter((t) => t.target === 'ready no later than bpftrace');
    expect(start.map((t) => [t.subject, t.met, t.by])).toEqual([['packet_drop_summary', false, '275 ms over']]);
    expect(start[0]!.measured).toBe('400 ms (bpftrace 125 ms, node 40 ms)');
  });

  it('counts BPF runs per flood packet against the limits the cost model sets', () => {
    const r = report();
    r.configs.push({ id: 'system_network_latency_summary', label: 'latency', kind: 'summary' }, { id: 'system_network_metrics_summary', label: 'metrics', kind: 'summary' });
    r.bpfStats!.push(
      { config: 'system_network_latency_summary', workload: 'udp', units: 1000, seconds: 1, progs: [{ name: 'a', runs: 2000, ns: 1 }, { name: 'b', runs: 2000, ns: 1 }] },
      { config: 'system_network_metrics_summary', workload: 'udp', units: 1000, seconds: 1, progs: [{ name: 'napi_poll', runs: 1500, ns: 1 }] },
    );
    const rows = targets(r);
    const lat = rows.find((t) => t.target === '≤ 2 BPF runs per packet per direction')!;
    expect([lat.met, lat.measured]).toEqual([true, '4.00 runs per flood packet (0 ns)']);
    const met = rows.find((t) => t.target === '≤ 1 BPF run per packet')!;
    expect([met.met, met.by, met.why]).toEqual([false, '0.50 runs over', 'top programs: napi_poll 1.50×']);
  });

  it('compares with bpftrace', () => {
    const v = row('throughput cost ≤ ½ of bpftrace’s');
    expect(v.met).toBe(true);
    expect(v.subject).toBe('packet_drop_summary vs bpftrace drops (drop)');
  });
});

export { report as sampleReport };

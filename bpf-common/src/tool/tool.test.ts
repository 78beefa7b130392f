/** Options by capability: what a descriptor declares is what its command accepts (nothing loads). */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseArgs } from '../cli/run-cli.ts';
import { costBetween, renderCost } from './cost.ts';
import { renderLosses } from './losses.ts';
import { defineDetails, defineSummary } from './tool.ts';

const common = { domain: 'test', examples: [['$0', 'run it']] as [string, string][], hooks: [], object: new Uint8Array() };
const summary = defineSummary({
  ...common,
  name: 'x_summary',
  describe: 'How much?',
  uses: { filter: 'packet', interval: 5, top: 3 },
  options: (y) => y.option('level', { type: 'number', default: 1 }),
  schema: { level: z.number() },
  start: () => ({ read: () => 0, record: () => ({}), render: () => '' }),
});
const details = defineDetails({
  ...common,
  name: 'x_details',
  describe: 'Which ones?',
  uses: { filter: 'device' },
  start: () => ({ event: () => undefined, render: () => '' }),
});

describe('a tool accepts the options it declares, and only those', () => {
  it('summary: capabilities with their defaults, and its own options', async () => {
    const o = await parseArgs(summary, ['--dst-port', '53', '--level', '2']);
    expect(o).toMatchObject({ interval: 5, top: 3, duration: 0, output: 'text', verbose: false, dstPort: 53, level: 2 });
  });

  it('details: no --interval or --top, device filters only, a ring size', async () => {
    expect(await parseArgs(details, ['--interface', 'eth0'])).toMatchObject({ interface: 'eth0', ringSize: 4096 });
    await expect(parseArgs(details, ['--interval', '5'])).rejects.toThrow(/^unknown option --interval$/);
    await expect(parseArgs(details, ['--top', '5'])).rejects.toThrow(/^unknown option --top$/);
    await expect(parseArgs(details, ['--dst-port', '53'])).rejects.toThrow(/^unknown option --dst-port$/);
  });

  it('bad values name the option', async () => {
    await expect(parseArgs(summary, ['--interval', '0'])).rejects.toThrow(/^--interval: '0' must be greater than 0$/);
    await expect(parseArgs(summary, ['--src-ip', '10.0.0.300'])).rejects.toThrow(/^--src-ip: '10\.0\.0\.300'/);
  });

  it('the descriptor is data the registry can list', () => {
    expect([summary.name, summary.kind, summary.domain, summary.describe]).toEqual(['x_summary', 'summary', 'test', 'How much?']);
    expect(details.kind).toBe('details');
  });
});

describe('the loss line', () => {
  const none = { lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0 };
  it('in the final report always, in an interval only when something was lost', () => {
    expect(renderLosses(none, false)).toBe('');
    expect(renderLosses({ ...none, missed: 2 }, false)).toBe(
      '  losses: lost 0 (ring buffer full), map_full 0 (map full, not counted), stack_failed 0, evicted 0, missed by the kernel 2',
    );
    expect(renderLosses(none, true)).toMatch(/^ {2}losses: lost 0 /);
  });
});

describe('the cost block', () => {
  const at = (t: number, runs: number, ns: number, cpuUs: number, stats = true) => ({ at: t, runs, ns, cpuUs, stats });
  it('runs and run time between two readings, with CPU as a share of one core', () => {
    const c = costBetween(at(0, 100, 50_000, 0), at(2000, 1100, 350_000, 500_000), 80 * 2 ** 20);
    expect(c).toEqual({ bpf_stats: true, bpf_runs: 1000, bpf_ns: 300_000, bpf_ns_per_run: 300, cpu_s: 0.5, cpu_pct: 25, rss_mb: 80 });
    expect(renderCost(c)).toBe('  cost: bpf 1000 runs, 300 ns/run (0.000 s); cpu 0.500 s (25.0 % of a core); rss 80 MB');
  });

  it('says the runs were not counted when the kernel statistics were off for any of the span', () => {
    const c = costBetween(at(0, 0, 0, 0, false), at(1000, 0, 0, 1000), 0);
    expect([c.bpf_stats, c.bpf_runs, c.bpf_ns, c.bpf_ns_per_run]).toEqual([false, null, null, null]);
    expect(renderCost(c)).toMatch(/bpf runs not counted \(run-time statistics off: --bpf-stats or sysctl kernel\.bpf_stats_enabled=1\)/);
  });
});

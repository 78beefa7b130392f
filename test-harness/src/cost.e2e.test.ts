/**
 * What a tool costs, shown in its own reports: with --bpf-stats the kernel counts its programs'
 * runs while it runs (the statistics are held by a file descriptor the kernel lets go at exit);
 * without statistics the block says the runs were
 * not counted. Every tool's reports carry the block (the runner adds it).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CostFields } from '@netstrata/bpf-common';
import { Lab, requireRoot, sendUdp, startTool, toolPath, twoHosts, type ToolRecord } from './index.ts';

const run = requireRoot('cost tests');
const SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';
const statsOn = () => readFileSync(SYSCTL, 'utf8').trim() === '1';

type Cost = CostFields;

const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final')!;

describe.runIf(run)('the cost block', () => {
  it('--bpf-stats: the program runs of every drop the tool counted, and their time', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    await using tool = await startTool(toolPath('packetDropSummary'), ['--netns', b.ns.name, '--bpf-stats', '--interval', '3600']);
    const N = 100;
    sendUdp(a.ns, { dst: b.v4, dport: 40000, count: N });
    const rec = final((await tool.stop()).records);
    expect(rec.drops).toBe(N);
    const cost = rec.cost as Cost;
    // The hook runs for every drop on the host: at least the N of the lab, each timed.
    expect(cost.bpf_stats).toBe(true);
    expect(cost.bpf_runs!).toBeGreaterThanOrEqual(N);
    expect(cost.bpf_ns!).toBeGreaterThan(0);
    expect(cost.bpf_ns_per_run).toBe(Math.round(cost.bpf_ns! / cost.bpf_runs!));
    expect(cost.cpu_s).toBeGreaterThan(0);
    expect(cost.rss_mb).toBeGreaterThan(10);
  });

  it('without --bpf-stats the runs are counted only if the kernel counts them anyway, and the block says which', async () => {
    // The sysctl is 0 unless something on the host turned it on (CI: 0); either way the block says so.
    const counted = statsOn();
    await using tool = await startTool(toolPath('softirqLatencySummary'), ['--interval', '3600']);
    const rec = final((await tool.stop()).records);
    const cost = rec.cost as Cost;
    expect(cost.bpf_stats).toBe(counted);
    if (counted) expect(cost.bpf_runs).toBeGreaterThan(0);
    else expect([cost.bpf_runs, cost.bpf_ns, cost.bpf_ns_per_run]).toEqual([null, null, null]);
    expect(cost.rss_mb).toBeGreaterThan(10);
  });

  it('--verbose shows the cost in text, after the losses', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    await using tool = await startTool(toolPath('packetDropDetails'), ['--netns', b.ns.name, '--verbose', '--bpf-stats'], { json: false });
    sendUdp(a.ns, { dst: b.v4, dport: 40000, count: 3 });
    const { stdout } = await tool.stop();
    expect(stdout).toMatch(/^3 drop events\n {2}losses: lost 0 .*\n {2}cost: bpf \d+ runs, \d+ ns\/run \([\d.]+ s\); cpu [\d.]+ s \([\d.]+ % of a core\); rss \d+ MB$/m);
  });
});

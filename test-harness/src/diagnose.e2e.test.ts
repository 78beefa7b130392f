/**
 * netstrata diagnose on the lab cases (src/lab-cases/): each case's lab is built, diagnose runs on
 * it (layer 1: --no-auto), the problem is injected once diagnose is attached, and the verdict is
 * held to the truth the case measured with the kernel's own counters (nftables counters, SNMP
 * counters, the TAP's tx_dropped, ping's replies). And the `lab` binary's list and bad input.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { faults } from './lab-cases/faults.ts';
import { healthy } from './lab-cases/healthy.ts';
import { LAB_CASES, compare, runLabCase, type TruthItem, type VerdictFinding } from './lab-cases/index.ts';
import { latencyTail } from './lab-cases/latency-tail.ts';
import { tapRing } from './lab-cases/tap-ring.ts';
import { bpfState, requireRoot, runToolOnce, until, waitForNoLeftovers } from './index.ts';
import { netstrataPath } from './lab-cases/run.ts';
import { publish } from './examples.ts';
import type { Diagnosis } from '@netstrata/cli';
import { renderDiagnosis } from '@netstrata/cli/src/diagnose/report.ts';

const run = requireRoot('netstrata diagnose end-to-end tests');
const LAB = fileURLToPath(new URL('../dist/lab.js', import.meta.url));

/** The report as people see it, published; the lab's namespaces named as in the docs. */
const example = (name: string, command: readonly string[], d: Diagnosis) => {
  const docs = (t: string) => t.replace(/nstlab[0-9a-f]{6}-/g, 'lab-');
  publish(name, docs(`netstrata diagnose ${command.join(' ')}`), docs(renderDiagnosis(d)));
};

const where = (f: VerdictFinding) => `${f.reason} @ ${f.location?.symbol}`;
const injected = (it: TruthItem) => `${it.reason} @ ${it.location}`;

describe.runIf(run)('netstrata diagnose on the lab cases', () => {
  it('faults: verdict drops, one finding per fault with its exact count, the closed port (200) on top', async () => {
    const { verdict, truth, command } = await runLabCase(faults, { auto: false });
    expect(truth.items.map((x) => x.count)).toEqual([200, 150, 100, 50]);
    expect(verdict.kind).toBe('drops');
    expect(verdict.findings[0]).toMatchObject({ kind: 'drops', reason: 'NO_SOCKET', location: { symbol: '__udp4_lib_rcv' }, device: 'eth0', count: 200 });
    // Every fault, in the order of its count, and nothing else.
    expect(verdict.findings.map((f) => [where(f), f.count])).toEqual(truth.items.map((x) => [injected(x), x.count]));
    expect(compare(truth, verdict).ok).toBe(true);
    example('netstrata_diagnose', command, verdict as unknown as Diagnosis);
  });

  it('latency-tail: verdict latency, the tx stage dev_queue -> xmit, exactly the held datagrams slow, p99.9 in their bucket', async () => {
    const { verdict, truth } = await runLabCase(latencyTail, { auto: false });
    // 600 datagrams out r's rb, numgen 0..599: those at 0, 100, ..., 500 were held.
    expect(truth.items[0]!.count).toBe(6);
    expect(verdict.kind, JSON.stringify(verdict.findings)).toBe('latency');
    expect(verdict.findings, JSON.stringify(verdict.findings)).toHaveLength(1);
    const [top] = verdict.findings;
    expect(top).toMatchObject({ kind: 'latency', stage: 'dev_queue -> xmit', direction: 'tx', slow: truth.items[0]!.count });
    // Held 344 ms (1290 bytes at 30 kbit/s) or a little more, less than the slowest ping's round
    // trip; 6 of r's 1800 transmits: more than 1 in 1000, fewer than 1 in 100.
    expect(top!.p999_us).toBeGreaterThanOrEqual(300_000);
    expect(top!.p999_us).toBeLessThanOrEqual(truth.items[0]!.maxUs!);
    expect(top!.p99_us).toBeLessThan(10_000);
    expect(compare(truth, verdict).ok).toBe(true);
  });

  it('tap-ring: verdict drops, FULL_RING at tun_net_xmit on the TAP, queue 0, the exact count of packets past the ring', async () => {
    const { verdict, truth } = await runLabCase(tapRing, { auto: false });
    // 300 sent to a ring of 64: at least 236 dropped (a few more where slots the reader emptied last are not yet cleared).
    expect(truth.items[0]!.count).toBeGreaterThanOrEqual(300 - 64);
    expect(verdict.kind).toBe('drops');
    expect(verdict.findings).toHaveLength(1);
    expect(verdict.findings[0]).toMatchObject({ reason: 'FULL_RING', location: { symbol: 'tun_net_xmit' }, device: 'tap0', count: truth.items[0]!.count });
    expect(verdict.findings[0]!.queues).toEqual([expect.objectContaining({ queue: 0, ring_size: 64, full: truth.items[0]!.count })]);
    expect(compare(truth, verdict).ok).toBe(true);
  });

  it('tap-ring, all three layers: the details of the full ring name the stalled reader, and the CPU tools look at it', async () => {
    const { verdict, truth, command } = await runLabCase(tapRing);
    const d = verdict as unknown as Diagnosis;
    expect(d.findings[0]).toMatchObject({ reason: 'FULL_RING', count: truth.items[0]!.count });
    const reader = truth.threads![0]!;
    // Layer 2: tun_ring_details on the TAP, with the drops of the follow-up traffic (never counted above).
    expect(d.layer2.map((r) => r.step.tool)).toEqual(['tun_ring_details']);
    const caught = d.layer2[0]!.caught!;
    expect(caught.events).toBeGreaterThan(0);
    expect(caught.threads).toEqual([expect.objectContaining({ pid: reader.pid, role: 'TAP queue reader' })]);
    // Layer 3: the CPU tools on that reader, each with a record.
    expect(d.layer3.map((r) => r.command.replace(/ --duration \d+$/, ''))).toEqual([`offcpu_summary --pid ${reader.pid}`, `sched_latency_summary --pid ${reader.pid}`]);
    for (const r of d.layer3) expect(r.error).toBeUndefined();
    example('netstrata_diagnose_tap_ring', command, d);
  });

  it('healthy: verdict healthy, no finding', async () => {
    const { verdict, truth, exitCode } = await runLabCase(healthy, { auto: false });
    expect(truth.kind).toBe('healthy');
    expect(verdict.findings, JSON.stringify(verdict.findings)).toEqual([]);
    expect(verdict.kind).toBe('healthy');
    expect(exitCode).toBe(0);
  });
});

/** The pids of a process's children (the tools diagnose runs). */
const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.runIf(run)('netstrata diagnose stopped', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGKILL'] as const)('by %s in layer 1: its tools end, nothing of theirs is left in the kernel', async (sig) => {
    const before = bpfState();
    const dir = mkdtempSync(join(tmpdir(), 'nst-diag-'));
    const ready = join(dir, 'ready');
    const child = spawn(process.execPath, [netstrataPath(), 'diagnose', '--duration', '300', '--ip', '10.250.0.0/16', '--output', 'json', '--ready-file', ready], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => void (stdout += d.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
    try {
      await until(() => existsSync(ready) || child.exitCode !== null, 'diagnose to be ready');
      const tools = childrenOf(child.pid!);
      expect(tools.length).toBeGreaterThanOrEqual(3);
      child.kill(sig);
      const end = await exited;
      if (sig === 'SIGKILL') {
        expect(end.signal).toBe('SIGKILL');
      } else {
        // A verdict from what layer 1 saw until then (nothing in 10.250/16: healthy), exit 0.
        expect(end.code).toBe(0);
        expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ type: 'verdict', kind: 'healthy' });
      }
      // Orphaned, each tool stops itself (NETSTRATA_STOP_WITH_PARENT): none outlives diagnose for long.
      await until(() => !tools.some(alive), 'the tools to end');
      expect(await waitForNoLeftovers(before)).toEqual({ prog: [], link: [], map: [] });
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lab', () => {
  it('list: every case, one line each', () => {
    const r = runToolOnce(LAB, ['list']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(LAB_CASES.map((c) => c.name));
  });

  it.each([
    [['run', 'nosuch'], new RegExp(`^lab: CASE: no case 'nosuch' \\(cases: ${LAB_CASES.map((c) => c.name).join(', ')}\\)$`)],
    [['run', 'faults', '--duration', 'soon'], /^lab: --duration: /],
    [['run', 'faults', '--output', 'xml'], /^lab: --output: /],
    [['run', 'faults', '--speed', '2'], /^lab: unknown option --speed$/],
  ])('bad input %j: one line naming it, exit 2', (args, line) => {
    const r = runToolOnce(LAB, args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(line);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

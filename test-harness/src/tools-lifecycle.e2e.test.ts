/**
 * Every tool beyond packet-drop as a process (packet-drop has its own, with bad-input corpus):
 * SIGINT and SIGTERM print the final record and exit 0, SIGKILL and kills during start-up leave no
 * BPF program, link or map behind, an unprivileged user is refused before anything loads, and
 * --help shows examples.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfState, programsAddedSince, requireRoot, runToolOnce, startTool, tools, waitForNoLeftovers } from './index.ts';

const run = requireRoot('tool lifecycle tests');

// lock_wait_summary needs a process mapping the C library: a sleep that outlives the tests.
let target: ChildProcess | undefined;
beforeAll(() => {
  if (run) target = spawn('sleep', ['600'], { stdio: 'ignore' });
});
afterAll(() => {
  target?.kill('SIGKILL');
});

const TOOLS: { name: keyof typeof tools; args: () => string[]; question: RegExp }[] = [
  { name: 'systemNetworkMetrics', args: () => [], question: /How is the host's network doing\?/ },
  { name: 'systemNetworkLatency', args: () => [], question: /Where in the host stack do packets spend their time\?/ },
  { name: 'systemNetworkLatencyDetails', args: () => [], question: /Which packets were slow in the host stack/ },
  { name: 'softirqLatency', args: () => [], question: /How late do softirqs run/ },
  { name: 'schedLatency', args: () => [], question: /How long do chosen threads wait for a CPU/ },
  { name: 'offcpu', args: () => [], question: /Where do threads spend their time off CPU/ },
  { name: 'lockWait', args: () => ['--pid', String(target!.pid)], question: /Which user-space locks does a process wait on/ },
];

describe.runIf(run)('every tool: stopping leaves nothing behind', () => {
  for (const t of TOOLS) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      it(`${t.name}: ${signal} prints the final record, exits 0 and detaches everything`, async () => {
        const before = bpfState();
        const tool = await startTool(tools[t.name], [...t.args(), '--interval', '3600']);
        const res = await tool.stop(signal);
        expect(res.exitCode).toBe(0);
        expect(res.records.filter((r) => r.type === 'final')).toHaveLength(1);
        expect(await waitForNoLeftovers(before)).toEqual({ prog: [], link: [], map: [] });
      });
    }

    it(`${t.name}: SIGKILL while running, and kills during start-up, leave nothing`, async () => {
      const before = bpfState();
      const tool = await startTool(tools[t.name], t.args());
      await tool.stop('SIGKILL');
      for (const delay of [30, 120, 250]) {
        for (const signal of ['SIGINT', 'SIGKILL'] as const) {
          const child = spawn(process.execPath, [tools[t.name], ...t.args(), '--output', 'json'], { stdio: 'ignore' });
          await new Promise((r) => setTimeout(r, delay));
          child.kill(signal);
          await new Promise((r) => child.once('exit', r));
        }
      }
      expect(await waitForNoLeftovers(before)).toEqual({ prog: [], link: [], map: [] });
    });

    it(`${t.name}: refused without privileges before anything loads; --help shows examples`, () => {
      const before = bpfState();
      const r = runToolOnce(tools[t.name], [...t.args(), '--duration', '1'], { unprivileged: true });
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      // lock_wait_summary reads the target's memory map while checking --pid, before the privilege check.
      expect(r.stderr).toMatch(t.name === 'lockWait' ? /--pid: cannot read the memory map of process \d+ \(permission denied\): run as root/ : /needs root \(or CAP_BPF and CAP_PERFMON\)/);
      expect(programsAddedSince(before)).toEqual([]);
      const help = runToolOnce(tools[t.name], ['--help']);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toMatch(t.question);
      expect(help.stdout).toMatch(/Examples:/);
    });
  }
});

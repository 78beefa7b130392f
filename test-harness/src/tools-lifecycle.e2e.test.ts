/**
 * Every tool beyond packet-drop as a process (packet-drop-cli.e2e.test.ts has its own): SIGINT and
 * SIGTERM print the final record, exit 0 and leave no BPF program, link or map behind, and --help
 * shows examples. Every tool, packet-drop included: with the preferred hook flavours forced off,
 * it falls back or says in one line what is missing. (Kills at random moments:
 * leftovers.e2e.test.ts; bad input and missing privileges: bad-input.e2e.test.ts.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfState, longInterval, programsAddedSince, requireRoot, requiredArgs, runToolOnce, runsHere, startTool, TOOL_LIST, toolPath, waitForNoLeftovers } from './index.ts';

const run = requireRoot('tool lifecycle tests');

// lock_wait_summary needs a process mapping the C library: a sleep that outlives the tests.
let target: ChildProcess | undefined;
beforeAll(() => {
  if (run) target = spawn('sleep', ['600'], { stdio: 'ignore' });
});
afterAll(() => {
  target?.kill('SIGKILL');
});

/** Every tool in the registry; its question is the first sentence of what it answers. */
const TOOLS = TOOL_LIST.map((t) => ({
  ...t,
  args: () => requiredArgs(t.name, () => target!.pid!),
  // --help wraps the sentence at word boundaries.
  question: new RegExp(`${t.describe.split('?')[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+')}\\?`),
}));
const interval = (key: string) => longInterval(TOOL_LIST.find((t) => t.key === key)!);

describe.runIf(run)('packet-drop tools: with the BTF flavours off they fall back to classic tracepoints', () => {
  // packet_drop_summary's fallbacks, each counted exactly: packet-drop-summary.e2e.test.ts.
  for (const name of ['packetDropSummary', 'packetDropDetails'] as const) {
    it(`${name}: falls back to the classic tracepoint and detaches everything`, async () => {
      const before = bpfState();
      await using tool = await startTool(toolPath(name), ['--verbose', ...interval(name)], { env: { NETSTRATA_DISABLE_FEATURES: 'tp_btf,raw_tp' } });
      const res = await tool.stop();
      expect(res.exitCode).toBe(0);
      const chosen = res.records.filter((r) => r.type === 'info' && /: using /.test(String(r.message))).map((r) => String(r.message));
      expect(chosen).toEqual(['hook skb:kfree_skb: using tracepoint']);
      expect(await waitForNoLeftovers(before)).toEqual({ prog: [], link: [], map: [] });
    });

    // packet_drop_summary says the same: packet-drop-summary.e2e.test.ts.
    if (name === 'packetDropDetails') it(`${name}: with no flavour left, says in one line what is missing, exit 2`, () => {
      const r = runToolOnce(toolPath(name), ['--duration', '1'], { env: { NETSTRATA_DISABLE_FEATURES: 'tp_btf,raw_tp,tracepoint' } });
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(/^packet_drop_details: cannot hook skb:kfree_skb on this kernel \(tp_btf: disabled by NETSTRATA_DISABLE_FEATURES; raw_tp: disabled by NETSTRATA_DISABLE_FEATURES; tracepoint: disabled by NETSTRATA_DISABLE_FEATURES; fentry: .*; kprobe: .*\)$/);
    });
  }
});

describe.runIf(run)('every tool: stopping leaves nothing behind', () => {
  // The drop tools' stops (and a reader going away): packet-drop-cli.e2e.test.ts.
  for (const t of TOOLS.filter((x) => x.name !== 'packet_drop_summary' && x.name !== 'packet_drop_details')) {
    const here = run ? runsHere(t.name) : true;
    if (here !== true) {
      // Its hooks are not on this kernel (the guest tier runs it): it says so in one line, before
      // it loads anything of its own. (It asks the kernel first with tiny probe programs, which go
      // with the process: those of BPF trampolines a moment after it.)
      it(`${t.name}: on this kernel, says in one line which hook it cannot have, exit 2, nothing loaded`, async () => {
        const before = bpfState();
        const r = runToolOnce(toolPath(t.key), [...t.args(), '--duration', '1']);
        expect(r.exitCode).toBe(2);
        expect(r.stderr.trim()).toBe(`${t.name}: ${here}`);
        expect(programsAddedSince(before).filter((name) => !name.startsWith('probe'))).toEqual([]);
        expect(await waitForNoLeftovers(before)).toEqual({ prog: [], link: [], map: [] });
      });
    }
    if (here === true) for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      it(`${t.name}: ${signal} prints the final record, exits 0 and detaches everything`, async () => {
        const before = bpfState();
        await using tool = await startTool(toolPath(t.key), [...t.args(), ...longInterval(t)]);
        const res = await tool.stop(signal);
        expect(res.exitCode).toBe(0);
        expect(res.records.filter((r) => r.type === 'final')).toHaveLength(1);
        expect(await waitForNoLeftovers(before)).toEqual({ prog: [], link: [], map: [] });
      });
    }

    if (here === true) it(`${t.name}: with the BTF flavours off it falls back to classic tracepoints, or says in one line what is missing`, async () => {
      const env = { NETSTRATA_DISABLE_FEATURES: 'tp_btf,raw_tp' };
      if (t.classic) {
        const before = bpfState();
        await using tool = await startTool(toolPath(t.key), [...t.args(), '--verbose', ...longInterval(t)], { env });
        const res = await tool.stop();
        expect(res.exitCode).toBe(0);
        const chosen = res.records.filter((r) => r.type === 'info' && /: using /.test(String(r.message))).map((r) => String(r.message));
        expect(chosen.length).toBeGreaterThan(0);
        for (const m of chosen) expect(m).toMatch(/: using tracepoint$/);
        expect(await waitForNoLeftovers(before)).toEqual({ prog: [], link: [], map: [] });
      } else {
        const r = runToolOnce(toolPath(t.key), [...t.args(), '--duration', '1'], { env });
        expect(r.exitCode).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/cannot hook sched:\S+ on this kernel \(tp_btf: disabled by NETSTRATA_DISABLE_FEATURES; raw_tp: disabled by NETSTRATA_DISABLE_FEATURES\)/);
      }
    });

    it(`${t.name}: --help shows examples`, () => {
      const help = runToolOnce(toolPath(t.key), ['--help']);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toMatch(t.question);
      expect(help.stdout).toMatch(/Examples:/);
    });
  }
});

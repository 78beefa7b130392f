/**
 * No leftovers: every tool, stopped by SIGINT, SIGTERM or SIGKILL at a random moment — while it
 * loads, while it attaches, once it runs — leaves the kernel's lists of BPF programs, links and
 * maps as they were. The moments are drawn from [0, 1.5 × the tool's launch-to-ready time] (most
 * land in start-up) plus a few after ready; the seed is printed, and NETSTRATA_TEST_SEED replays it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpfState, everyDetailArgs, longInterval, requireRoot, requiredArgs, runsHere, startTool, TOOL_LIST, toolPath, waitForNoLeftovers } from './index.ts';

const run = requireRoot('leftover tests');

const SEED = process.env.NETSTRATA_TEST_SEED ? Number(process.env.NETSTRATA_TEST_SEED) : Math.floor(Math.random() * 2 ** 31);
if (run) console.log(`leftovers: seed ${SEED} (replay with NETSTRATA_TEST_SEED=${SEED})`);

/** mulberry32: a small seeded generator, so a failing draw can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// lock_wait_summary needs a process mapping the C library: a sleep that outlives the tests.
let target: ChildProcess | undefined;
beforeAll(() => {
  if (run) target = spawn('sleep', ['600'], { stdio: 'ignore' });
});
afterAll(() => {
  target?.kill('SIGKILL');
});

/** Every tool in the registry that runs on this kernel (tools-lifecycle.e2e.test.ts checks what the
 * others say); details tools in their most expensive mode (every on/off option on). */
const TOOLS = TOOL_LIST.filter((t) => !run || runsHere(t.name) === true).map((t) => ({ ...t, args: () => [...requiredArgs(t.name, () => target!.pid!), ...everyDetailArgs(t.name)] }));

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const;
/** Kills per signal during start-up (drawn from [0, 1.5 × ready]) and after ready. */
const DURING_START = 3;
const AFTER_READY = 1;

/** How a stopped tool ended: 0 (a signal it caught: final record, detach) or killed by that signal. */
function stoppedCleanly(signal: NodeJS.Signals, code: number | null, by: NodeJS.Signals | null): boolean {
  return code === 0 || by === signal;
}

describe.runIf(run)('no leftovers after a signal at a random moment', () => {
  TOOLS.forEach((t, index) => {
    it(`${t.name}: SIGINT, SIGTERM and SIGKILL while loading, attaching and running`, { timeout: 120_000 }, async () => {
      const rand = random(SEED + index);
      const before = bpfState();
      // Launch to ready, once (its own stop is a SIGKILL in steady state).
      await using first = await startTool(toolPath(t.key), [...t.args(), ...longInterval(t)]);
      const readyMs = first.startedMs;
      const firstEnd = await first.stop('SIGKILL');
      expect(firstEnd.signal).toBe('SIGKILL');
      const outcomes: string[] = [];
      for (const signal of SIGNALS) {
        for (let i = 0; i < DURING_START; i++) {
          const delay = Math.round(rand() * 1.5 * readyMs);
          const child = spawn(process.execPath, [toolPath(t.key), ...t.args(), '--output', 'json', ...longInterval(t)], { stdio: 'ignore' });
          const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('exit', (code, by) => r([code, by])));
          await new Promise((r) => setTimeout(r, delay));
          child.kill(signal);
          const [code, by] = await exited;
          outcomes.push(`${signal}@${delay}ms:${code ?? by}`);
          expect(stoppedCleanly(signal, code, by), `${signal} after ${delay} ms (ready takes ${readyMs} ms; seed ${SEED}): exit ${code}, signal ${by}`).toBe(true);
        }
        for (let i = 0; i < AFTER_READY; i++) {
          await using tool = await startTool(toolPath(t.key), [...t.args(), ...longInterval(t)]);
          const delay = Math.round(rand() * 300);
          await new Promise((r) => setTimeout(r, delay));
          const res = await tool.stop(signal);
          outcomes.push(`${signal}@ready+${delay}ms:${res.exitCode ?? res.signal}`);
          expect(stoppedCleanly(signal, res.exitCode, res.signal), `${signal} ${delay} ms after ready (seed ${SEED}): exit ${res.exitCode}, signal ${res.signal}`).toBe(true);
          // A caught signal ends with the final record.
          if (signal !== 'SIGKILL') expect(res.records.filter((r) => r.type === 'final')).toHaveLength(1);
        }
      }
      console.log(`${t.name}: ready in ${readyMs} ms; ${outcomes.join(' ')}`);
      expect(await waitForNoLeftovers(before), `seed ${SEED}`).toEqual({ prog: [], link: [], map: [] });
    });
  });
});

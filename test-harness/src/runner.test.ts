/** The runner's disposal, with stand-in tools: no root, no BPF. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DISPOSE_GRACE_MS, startTool, ToolGroup } from './runner.ts';

const dir = mkdtempSync(join(tmpdir(), 'nst-runner-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in tool: writes its ready file, then waits; on SIGINT it prints a final record and exits, or ignores it. */
function fakeTool(name: string, onSigint: 'exit' | 'ignore'): string {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(
    path,
    [
      "import { writeFileSync } from 'node:fs';",
      "const ready = process.argv[process.argv.indexOf('--ready-file') + 1];",
      onSigint === 'exit'
        ? "process.on('SIGINT', () => { console.log(JSON.stringify({ type: 'final', tool: 'fake', time: '' })); process.exit(0); });"
        : "process.on('SIGINT', () => {});",
      "setInterval(() => {}, 1000);",
      "writeFileSync(ready, '');",
    ].join('\n'),
  );
  return path;
}

/** Whether the process still runs (a zombie or a reaped pid does not). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('RunningTool', () => {
  it('await using stops a tool still running when the scope is left by a throw', async () => {
    let pid = 0;
    await expect(
      (async () => {
        await using tool = await startTool(fakeTool('polite', 'exit'), []);
        pid = tool.pid;
        throw new Error('an assertion failed');
      })(),
    ).rejects.toThrow('an assertion failed');
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });

  it('a tool that ignores SIGINT is killed after the grace period', { timeout: DISPOSE_GRACE_MS + 10_000 }, async () => {
    let pid = 0;
    const t0 = Date.now();
    {
      await using tool = await startTool(fakeTool('stubborn', 'ignore'), []);
      pid = tool.pid;
    }
    expect(Date.now() - t0).toBeGreaterThanOrEqual(DISPOSE_GRACE_MS);
    expect(alive(pid)).toBe(false);
  });

  it('disposing a stopped tool does nothing more', async () => {
    await using tool = await startTool(fakeTool('stopped', 'exit'), []);
    const res = await tool.stop();
    expect(res.exitCode).toBe(0);
    expect(res.records.map((r) => r.type)).toEqual(['final']);
  });

  it('a ToolGroup disposes every tool it started', async () => {
    const pids: number[] = [];
    {
      await using group = new ToolGroup();
      const started = await Promise.all([group.start(fakeTool('a', 'exit'), []), group.start(fakeTool('b', 'exit'), [])]);
      pids.push(...started.map((t) => t.pid));
    }
    expect(pids.map(alive)).toEqual([false, false]);
  });
});

/**
 * The packet-drop tools as processes: SIGINT and SIGTERM print the final record and detach
 * everything, and a reader that goes away ends them quietly. (Bad input: bad-input.e2e.test.ts;
 * kills at random moments: leftovers.e2e.test.ts.)
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Lab, bpfState, requireRoot, runToolOnce, sendUdp, startTool, toolPath, twoHosts, waitForNoLeftovers } from './index.ts';

const run = requireRoot('packet-drop process tests');

describe.runIf(run)('packet-drop tools: help', () => {
  it('--help shows examples and exits 0', () => {
    const r = runToolOnce(toolPath('packetDropDetails'), ['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Which packets does the kernel drop\?/);
    expect(r.stdout).toMatch(/Examples:/);
  });
});

describe.runIf(run)('packet-drop tools: nothing left behind', () => {
  for (const bin of ['packetDropSummary', 'packetDropDetails'] as const) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      it(`${bin}: ${signal} prints the final record, exits 0 and detaches everything`, async () => {
        using lab = Lab.create();
        const { a, b } = twoHosts(lab);
        const before = bpfState();
        await using tool = await startTool(toolPath(bin), ['--netns', b.ns.name, '--dst-port', '40000']);
        sendUdp(a.ns, { dst: b.v4, dport: 40000, count: 5 });
        const res = await tool.stop(signal);
        expect(res.exitCode).toBe(0);
        expect(res.records.filter((r) => r.type === 'final')).toHaveLength(1);
        expect(await waitForNoLeftovers(before)).toEqual({ prog: [], link: [], map: [] });
      });
    }

    it(`${bin}: a reader that goes away (tool | head -1) ends it quietly with nothing left`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      const before = bpfState();
      // Details tools have no intervals (and refuse --interval): they print per drop.
      const interval = bin === 'packetDropSummary' ? ['--interval', '0.1'] : [];
      const child = spawn(process.execPath, [toolPath(bin), '--netns', b.ns.name, ...interval], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let exited = false;
      child.once('exit', () => (exited = true));
      // Details prints only on drops, and any tool learns the reader left on its next write:
      // keep making drops in the lab until it has exited.
      const poke = setInterval(() => {
        if (!exited) sendUdp(a.ns, { dst: b.v4, dport: 40000, count: 1 });
      }, 200);
      await new Promise((r) => child.stdout.once('data', r));
      child.stdout.destroy();
      const code = exited ? child.exitCode : await new Promise((r) => child.once('exit', r));
      clearInterval(poke);
      expect(code).toBe(0);
      expect(stderr).not.toMatch(/EPIPE|Error/);
      expect(await waitForNoLeftovers(before)).toEqual({ prog: [], link: [], map: [] });
    });
  }
});

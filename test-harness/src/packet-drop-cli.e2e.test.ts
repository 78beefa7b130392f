/**
 * The tools as processes: bad input is one line and exit 2 with nothing loaded; every way of
 * stopping (SIGINT, SIGTERM, SIGKILL, at any moment) leaves no BPF program, link or map behind.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Lab, bpfState, programsAddedSince, requireRoot, runToolOnce, sendUdp, startTool, tools, twoHosts, waitForNoLeftovers } from './index.ts';

const run = requireRoot('packet-drop process tests');
// Programs of the packet-drop tools and of the feature probes they run before loading.
const OURS = /^(kfree_skb_|probe_)/;

const BAD: [string[], RegExp][] = [
  [['--src-ip', '10.0.0.300'], /--src-ip: '10\.0\.0\.300' is not an IPv4 or IPv6 address/],
  [['--dst-ip', 'fd00::/129'], /--dst-ip: .*prefix length 129, IPv6 allows 1-128/],
  [['--ip', '10.0.0.0/abc'], /--ip: .*malformed prefix length/],
  [['--src-ip', '10.0.0.1', '--dst-ip', 'fd00::1'], /mix IPv4 and IPv6/],
  [['--src-port', '70000'], /--src-port: '70000' must be at most 65535/],
  [['--dst-port', '0'], /--dst-port: '0' must be at least 1/],
  [['--port', 'http'], /--port: 'NaN' is not a number|--port: 'http' is not a number/],
  [['--protocol', 'sctp'], /--protocol: 'sctp' is not one of tcp, udp, icmp/],
  [['--protocol', 'icmp', '--dst-port', '53'], /ICMP has no ports/],
  [['--interface', 'nosuchdev0'], /--interface: no device 'nosuchdev0'/],
  [['--netns', 'nosuchns'], /--netns: no network namespace 'nosuchns'/],
  [['--interval', '-1'], /--interval: '-1' must be greater than 0/],
  [['--interval', 'soon'], /--interval: .* is not a number/],
  [['--duration', '-5'], /--duration: '-5' must be at least 0/],
  [['--top', '0'], /--top: '0' must be at least 1/],
  [['--output', 'xml'], /--output: .*xml.* is not one of/],
  [['--reason', 'NOT_A_REASON'], /--reason: 'NOT_A_REASON' is not a drop reason of this kernel/],
  [['--no-such-flag'], /unknown option --no-such-flag/],
  [['extra-positional'], /unexpected argument 'extra-positional'/],
];

describe.runIf(run)('packet-drop tools: bad input', () => {
  for (const bin of ['packetDropSummary', 'packetDropDetails'] as const) {
    for (const [args, message] of BAD) {
      it(`${bin} ${args.join(' ')}: one line, exit 2`, () => {
        const before = bpfState();
        const r = runToolOnce(tools[bin], args);
        expect(r.exitCode).toBe(2);
        const lines = r.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(message);
        expect(r.stdout).toBe('');
        expect(programsAddedSince(before).filter((n) => OURS.test(n))).toEqual([]);
      });
    }
  }

  it('packet_drop_summary --group-by bogus: names the key', () => {
    const r = runToolOnce(tools.packetDropSummary, ['--group-by', 'reason,bogus']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe("packet_drop_summary: --group-by: 'bogus' is not one of reason, location, stack, device, flow");
  });

  it('a user without privileges is told so, before anything loads', () => {
    for (const bin of [tools.packetDropSummary, tools.packetDropDetails]) {
      const before = bpfState();
      const r = runToolOnce(bin, ['--duration', '1'], { unprivileged: true });
      expect(r.exitCode).toBe(2);
      expect(programsAddedSince(before).filter((n) => OURS.test(n))).toEqual([]);
      expect(r.stderr.trim()).toMatch(/needs root \(or CAP_BPF and CAP_PERFMON\)/);
    }
  });

  it('--help shows examples and exits 0', () => {
    const r = runToolOnce(tools.packetDropDetails, ['--help']);
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
        const tool = await startTool(tools[bin], ['--netns', b.ns.name, '--dst-port', '40000']);
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
      const child = spawn(process.execPath, [tools[bin], '--netns', b.ns.name, '--interval', '0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
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

    it(`${bin}: SIGKILL while running leaves nothing (the kernel closes what the process held)`, async () => {
      const before = bpfState();
      const tool = await startTool(tools[bin], []);
      await tool.stop('SIGKILL');
      expect(await waitForNoLeftovers(before)).toEqual({ prog: [], link: [], map: [] });
    });

    it(`${bin}: killed at random moments during start-up leaves nothing`, async () => {
      const before = bpfState();
      for (const delay of [20, 60, 120, 200, 350]) {
        for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
          const child = spawn(process.execPath, [tools[bin], '--output', 'json'], { stdio: 'ignore' });
          await new Promise((r) => setTimeout(r, delay));
          child.kill(signal);
          await new Promise((r) => child.once('exit', r));
        }
      }
      expect(await waitForNoLeftovers(before)).toEqual({ prog: [], link: [], map: [] });
    });
  }
});

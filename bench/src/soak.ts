/**
 * npm run soak: every summary tool at once, for an hour by default, under steady lab traffic.
 * Samples each tool's resident memory and BPF maps (size, and keys held by keyed maps) every
 * --sample-seconds into a CSV, then stops the tools with SIGINT, checks their final records and
 * that nothing is left in the kernel, and writes the result as the soak block of docs/benchmarks.md.
 *
 * Churn as on a busy host: --thread-churn short-lived threads a second (each sleeps 1 ms and exits)
 * and --flow-churn new flows a minute to closed ports, so the thread-, flow- and stack-keyed tables
 * must make room for new keys; the final records show what they lost doing it (map_full, evicted).
 *
 *   node bench/dist/soak.js [--minutes 60] [--sample-seconds 30] [--thread-churn 50] [--flow-churn 1200]
 *                           [--csv docs/soak.csv] [--doc docs/benchmarks.md]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { agentPath, bpfState, Lab, requireRoot, run, sendUdp, startTool, TOOL_LIST, requiredArgs, toolPath, waitForNoLeftovers, type Netns, type RunningTool } from '@netstrata/test-harness';
import { heldMaps, processMemory } from './process-stats.ts';
import { lossesOf, replaceSoakBlock, soakBlock, soakCsv, summarizeSoak, type SoakSample, type SoakToolEnd } from './soak-report.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TRAFFIC = agentPath('traffic.mjs');
const PACED = agentPath('paced.py');
const THREADS = agentPath('threads.py');

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    'sample-seconds': { type: 'string', default: '30' },
    'thread-churn': { type: 'string', default: '50' },
    'flow-churn': { type: 'string', default: '1200' },
    csv: { type: 'string', default: 'docs/soak.csv' },
    doc: { type: 'string', default: 'docs/benchmarks.md' },
  },
});
const minutes = Number(args.minutes);
const sampleSeconds = Number(args['sample-seconds']);
const threadChurn = Number(args['thread-churn']);
const flowChurn = Number(args['flow-churn']);
for (const [name, v] of [['--minutes', minutes], ['--sample-seconds', sampleSeconds]] as const) {
  if (!(v > 0)) {
    console.error(`soak: ${name}: '${v}' must be a number greater than 0`);
    process.exit(2);
  }
}
for (const [name, v] of [['--thread-churn', threadChurn], ['--flow-churn', flowChurn]] as const) {
  if (!(v >= 0) || !Number.isInteger(v)) {
    console.error(`soak: ${name}: '${v}' must be a whole number, 0 or more`);
    process.exit(2);
  }
}
const csvPath = new URL(args.csv!, `file://${ROOT}`).pathname;
const docPath = new URL(args.doc!, `file://${ROOT}`).pathname;
if (!requireRoot('the soak')) process.exit(2);

/** A long-running child whose pid we need (sinks, paced senders): `ip netns exec` execs into it. */
function inNetns(ns: Netns, cmd: string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns.name, ...cmd], { stdio: ['ignore', 'pipe', 'inherit'] });
}
function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`sink exited (${code}) before listening`)));
  });
}

// --- the lab: a — veth — b, v4 and v6, static neighbours; addresses of its own (10.250/16) --------
using lab = Lab.create('nstsoak');
const a = lab.netns('a');
const b = lab.netns('b');
const { aMac, bMac } = lab.veth(a, 'eth0', b, 'eth0', { txqueuelen: 10000 });
const A = { v4: '10.250.0.1', v6: 'fd00:250::1' };
const B = { v4: '10.250.0.2', v6: 'fd00:250::2' };
for (const [ns, me, peer, mac] of [[a, A, B, bMac], [b, B, A, aMac]] as const) {
  ns.addr('eth0', `${me.v4}/24`);
  ns.addr('eth0', `${me.v6}/64`);
  ns.neigh('eth0', peer.v4, mac);
  ns.neigh('eth0', peer.v6, mac);
}

const children: ChildProcess[] = [];
const sinks = [
  inNetns(b, [process.execPath, TRAFFIC, JSON.stringify({ mode: 'udp-sink', bind: B.v4, port: 7000 })]),
  inNetns(b, [process.execPath, TRAFFIC, JSON.stringify({ mode: 'udp-sink', bind: B.v6, port: 7001 })]),
  inNetns(b, [process.execPath, TRAFFIC, JSON.stringify({ mode: 'tcp-sink', bind: B.v4, port: 7002 })]),
];
children.push(...sinks);
await Promise.all(sinks.map(listening));

// --- the tools, unfiltered, as a user leaves them running ------------------------------------------
/** Every summary tool in the registry; these need arguments to run unfiltered as a user would. */
const ARGS: Record<string, string[]> = {
  packet_drop_summary: ['--group-by', 'reason,location,flow'],
};
// A tool that watches a process watches the UDP sink: a Node process, whose libc's pthread locks it hooks.
const TOOLS: [string, string, string[]][] = TOOL_LIST.filter((t) => t.kind === 'summary').map((t) => [
  t.name,
  toolPath(t.key),
  [...(ARGS[t.name] ?? []), ...requiredArgs(t.name, () => sinks[0]!.pid!)],
]);
// The code the tools run is the code checked out now, whatever is committed while they run.
const commit = run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { allowFail: true }).trim() || 'unknown';
const before = bpfState();
const running: [string, RunningTool][] = [];
for (const [name, bin, extra] of TOOLS) running.push([name, await startTool(bin, [...extra, '--interval', '60'])]);

// --- steady traffic: a UDP flow each way of v4/v6, a paced TCP stream, a trickle of drops, and
// every minute a burst of new flows to closed ports (keys that keep coming, as on a real host) ----
const seconds = minutes * 60;
const paced = (spec: object) => inNetns(a, ['python3', PACED, JSON.stringify({ mode: 'sender', size: 200, ...spec })]);
children.push(
  paced({ protocol: 'udp', dst: B.v4, dport: 7000, gap_ms: 1, count: seconds * 1000 }),
  paced({ protocol: 'udp', dst: B.v6, dport: 7001, gap_ms: 2, count: seconds * 500 }),
  paced({ protocol: 'tcp', dst: B.v4, dport: 7002, gap_ms: 2, count: seconds * 500 }),
  paced({ protocol: 'udp', dst: B.v4, dport: 7999, gap_ms: 20, count: seconds * 50 }),
);
let burst = 0;
const bursts = setInterval(() => {
  burst++;
  sendUdp(a, { dst: burst % 2 ? B.v4 : B.v6, dport: 20000, dportCount: 300, count: 300 });
}, 60_000);
// Churn: new flows every 15 s (a new source port each burst makes every flow new), and short-lived
// threads every second in a process of their own.
const flowBursts = flowChurn
  ? setInterval(() => sendUdp(a, { dst: B.v4, dport: 30000, dportCount: Math.ceil(flowChurn / 4), count: Math.ceil(flowChurn / 4) }), 15_000)
  : undefined;
const threadMaker = threadChurn ? spawn('python3', [THREADS], { stdio: ['pipe', 'ignore', 'inherit'] }) : undefined;
if (threadMaker) children.push(threadMaker);
const threadTicks = threadMaker ? setInterval(() => threadMaker.stdin!.write(`${threadChurn}\n`), 1000) : undefined;

// --- sampling -------------------------------------------------------------------------------------
const samples: SoakSample[] = [];
writeFileSync(csvPath, soakCsv([]));
const t0 = Date.now();
const traffic =
  'UDP v4 at ~1000 pkt/s and v6 at ~500 pkt/s to sinks, a TCP stream of 200-byte writes every 2 ms, 50 drops/s to a closed port, and 300 new flows to closed ports every minute' +
  `; churn: ${flowChurn} more new flows a minute and ${threadChurn} short-lived threads a second`;
console.log(`soak: ${minutes} min, a sample every ${sampleSeconds} s into ${csvPath}`);
for (;;) {
  const elapsedS = Math.round((Date.now() - t0) / 1000);
  const batch: SoakSample[] = [];
  for (const [tool, t] of running) {
    const mem = processMemory(t.pid);
    batch.push({ elapsedS, tool, rssKb: mem.rssKb, hwmKb: mem.hwmKb, maps: heldMaps(t.pid, { countEntries: true }) });
  }
  samples.push(...batch);
  appendFileSync(csvPath, soakCsv(batch).split('\n').slice(1).join('\n'));
  console.log(`${String(elapsedS).padStart(6)} s  ${batch.map((s) => `${s.tool.replace(/_summary$/, '')} ${(s.rssKb / 1024).toFixed(0)}M`).join('  ')}`);
  if (elapsedS >= seconds) break;
  // The next sample on its schedule, or at once when this one took longer than the period.
  const next = Math.min((Math.floor((Date.now() - t0) / 1000 / sampleSeconds) + 1) * sampleSeconds, seconds);
  await new Promise((r) => setTimeout(r, Math.max(0, next * 1000 - (Date.now() - t0))));
}

// --- the end: traffic off, tools stopped as a user stops them, nothing left ------------------------
clearInterval(bursts);
clearInterval(flowBursts);
clearInterval(threadTicks);
for (const c of children) c.kill('SIGKILL');
const ends: SoakToolEnd[] = [];
for (const [tool, t] of running) {
  const res = await t.stop('SIGINT');
  const fin = res.records.find((r) => r.type === 'final');
  ends.push({ tool, exitCode: res.exitCode, finalRecord: !!fin, losses: fin ? lossesOf(fin) : {} });
}
const left = await waitForNoLeftovers(before);
lab.destroy();
const rows = summarizeSoak(samples, ends);
const block = soakBlock(
  {
    date: new Date().toISOString().slice(0, 10),
    commit,
    kernel: release(),
    minutes,
    sampleSeconds,
    traffic,
    csv: args.csv!,
  },
  rows,
);
writeFileSync(docPath, replaceSoakBlock(existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n', block));
console.log(`\n${block}\n`);
const leaks = Object.entries(left).filter(([, ids]) => ids.length);
if (leaks.length) {
  console.error(`soak: BPF objects left behind: ${leaks.map(([k, ids]) => `${k} ${ids.join(',')}`).join('; ')}`);
  process.exit(1);
}
if (rows.some((r) => !r.end || r.end.exitCode !== 0 || !r.end.finalRecord || r.overfull.length)) process.exit(1);

/**
 * npm run bench: the cost of every tool, side by side in one run, written to docs/benchmarks.md.
 *
 *   throughput  a UDP flood, a TCP stream and a UDP flood dropped by nftables between two
 *               namespaces over veth, with no tool and with each configuration in turn (A B A B …);
 *               each run as a ratio to the no-tool runs next to it
 *   bpf-stats   runs and ns per packet of every BPF program of each configuration (why a cost is
 *               what it is), in separate sessions with kernel.bpf_stats_enabled=1
 *   startup     launch → ready file (bpftrace: BEGIN printed) per tool
 *   pipeline    events/s packet_drop_details' user side decodes, and its loss when outrun
 *   memory      every tool at once under the flood: resident memory and BPF map bytes
 *
 * Options: node bench/dist/bench.js --help. The raw data of the last run is kept in
 * bench/build/bench/last.json; BENCH_RENDER_FROM=FILE renders a report from such a file.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, runsHere, sweepStaleLabs } from '@netstrata/test-harness';
import { BENCH_PREFIX, BenchLab, compileAgents } from './bench-lab.ts';
import { benchmarkDocument } from './benchmark-doc.ts';
import { accountingPhase } from './accounting.ts';
import { bpfStatsPhase } from './bpf-stats.ts';
import { CONFIGS } from './configs.ts';
import { KnobError, knobsCommand, parseKnobs, type Knobs } from './knobs.ts';
import { machine } from './machine.ts';
import { memoryPhase } from './memory.ts';
import type { BenchReport } from './model.ts';
import { pipelinePhase } from './pipeline.ts';
import { renderReport } from './render.ts';
import { startupPhase } from './startup.ts';
import { throughputPhase } from './throughput.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LAST = join(ROOT, 'bench/build/bench/last.json');

const log = (m: string) => console.log(m);

function writeDoc(out: string, report: BenchReport): void {
  const path = resolve(ROOT, out);
  const previous = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, benchmarkDocument(renderReport(report), previous));
  log(`wrote ${path}`);
}


async function main(): Promise<void> {
  let k: Knobs;
  try {
    k = parseKnobs(process.argv.slice(2), process.env);
  } catch (e) {
    if (!(e instanceof KnobError)) throw e;
    console.error(e.message);
    process.exit(e.message.startsWith('usage') ? 0 : 2);
  }
  if (process.env.BENCH_RENDER_FROM) {
    writeDoc(k.out, JSON.parse(readFileSync(process.env.BENCH_RENDER_FROM, 'utf8')) as BenchReport);
    return;
  }
  if (process.getuid?.() !== 0) throw new Error('the bench builds network namespaces and loads BPF programs: run it as root');
  for (const cmd of ['ip', 'nft', 'bpftool', 'bpftrace', 'clang', 'taskset']) {
    if (spawnOk(cmd)) continue;
    throw new Error(`${cmd} not found (bash .ci/setup.sh installs it)`);
  }
  const t0 = Date.now();
  sweepStaleLabs(BENCH_PREFIX);
  const tmp = mkdtempSync(join(tmpdir(), 'nstbench-'));
  const report: BenchReport = {
    machine: machine(ROOT),
    commands: [],
    knobsLine: knobsCommand(k),
    trialSeconds: k.trialSeconds,
    rounds: k.rounds,
    payload: k.payload,
    durationS: 0,
    configs: [],
    notes: [],
  };
  // A tool that cannot run on this kernel (its hooks are functions of a module it lacks) is named
  // in the report, not measured.
  const configs = CONFIGS.filter((c) => {
    const runs = c.kind === 'bpftrace' ? true : runsHere(c.binary);
    if (runs !== true) report.notes.push(`${c.id} not measured on this kernel: ${runs}`);
    return runs === true;
  });
  report.configs = configs.map((c) => ({ id: c.id, label: c.label, kind: c.kind, bpftrace: c.bpftrace, compareOn: c.compareOn }));
  try {
    const agents = compileAgents(join(tmp, 'agents'));
    using lab = await BenchLab.create(agents.flood, tmp);
    report.commands = commands(lab, k);
    log(`bench: lab ${lab.tx.name} → ${lab.rx.name}, sink pid ${lab.sinkPid}; ${knobsCommand(k)}`);
    if (report.machine.otherNamespaces.length) log(`bench: other namespaces present (${report.machine.otherNamespaces.length}): their traffic is noise the unfiltered tools see too`);
    const phase = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
      const s = Date.now();
      log(`bench: ${name}`);
      const r = await f();
      log(`bench: ${name} done in ${((Date.now() - s) / 1000).toFixed(0)} s`);
      return r;
    };
    if (k.phases.includes('throughput')) report.throughput = await phase('throughput', () => throughputPhase(lab, configs, k, log));
    if (k.phases.includes('bpf-stats')) report.bpfStats = await phase('bpf-stats', () => bpfStatsPhase(lab, configs, k, log));
    if (k.phases.includes('startup')) report.startup = await phase('startup', () => startupPhase(lab, configs, k, log));
    if (k.phases.includes('pipeline')) report.pipeline = await phase('pipeline', () => pipelinePhase(agents.ringprod, k, log));
    if (k.phases.includes('memory')) report.memory = await phase('memory', () => memoryPhase(lab, configs, k, log));
    if (k.phases.includes('accounting')) report.accounting = await phase('accounting', () => accountingPhase(agents.flood, log));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  report.durationS = (Date.now() - t0) / 1000;
  mkdirSync(dirname(LAST), { recursive: true });
  writeFileSync(LAST, JSON.stringify(report, null, 1));
  writeDoc(k.out, report);
  log(`bench: finished in ${(report.durationS / 60).toFixed(1)} min`);
}

function spawnOk(cmd: string): boolean {
  return run('sh', ['-c', `command -v ${cmd}`], { allowFail: true }).trim() !== '';
}

/** The exact commands of the run, for the report. */
function commands(lab: BenchLab, k: Knobs): string[] {
  return [
    `lab: ip netns ${lab.tx.name} (10.203.0.1, veth va) ↔ ${lab.rx.name} (10.203.0.2, veth vb), permanent neighbours, txqueuelen 10000`,
    `sink (CPU 1, whole run): ip netns exec ${lab.rx.name} taskset -c 1 flood serve 10.203.0.2 9000 9001`,
    `nftables in ${lab.rx.name}: udp dport 9002 counter drop`,
    `udp (CPU 0): ip netns exec ${lab.tx.name} taskset -c 0 flood send 10.203.0.2 9000 ${k.payload} ${k.trialSeconds}`,
    `tcp (CPU 0): ip netns exec ${lab.tx.name} taskset -c 0 flood tcp-send 10.203.0.2 9001 ${k.trialSeconds}`,
    `drop (CPU 0): ip netns exec ${lab.tx.name} taskset -c 0 flood send 10.203.0.2 9002 ${k.payload} ${k.trialSeconds}`,
    `tools: node packages/<pkg>/dist/<tool>.js --interval 3600 --output json --ready-file F [filters], stopped with SIGINT`,
    `bpftrace: bpftrace -B line -e '<script>', ready when BEGIN prints, stopped with SIGINT`,
    `accounting: a → r → b (own lab); in r: tc qdisc add dev rb root tbf rate 50mbit burst 32kbit latency 400ms; flood tcp-send a → b for 4 s, watched by system_network_latency_summary --direction tx --interface rb --netns r and bpftrace's net_dev_queue → net_dev_xmit one-liner at once`,
    `pipeline: ringprod RATE ${k.pipelineSeconds} (CPU 0, BPF_PROG_TEST_RUN of bench_ring.bpf.o every 1 ms) → RingReader + the runner's event lines with packet_drop_details' JSON + the sink to /dev/null (CPU 1), both at nice -19`,
  ];
}

main().catch((e: unknown) => {
  console.error(`bench: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});

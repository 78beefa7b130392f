/**
 * Details pipeline phase: the user side of packet_drop_details exactly as the runner drives it
 * (RingReader on the mmapped ring, the tool's own run from its descriptor, the runner's event
 * lines, the JSON sink writing to a descriptor as it writes stdout) fed by a BPF program that
 * produces its events at a set rate (bpf/bench_ring.bpf.c run by agents/ringprod.c through
 * BPF_PROG_TEST_RUN on CPU 0, this process on CPU 1). For each rate: events produced, delivered
 * and lost (reserve failures), produced = delivered + lost must hold exactly, and the CPU this
 * process used. All libbpf calls stay on this thread.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DropReasons, KallsymsSymbolizer, Sink, WallClock, detailsEvents, layoutMismatches, toJson, type DetailsRun, type DetailsToolSpec } from '@netstrata/bpf-common';
import { BpfObject, RingReader, recordView, type BpfMap } from '@netstrata/libbpf-ts';
import object from '../build/bpf/bench_ring.bpf.o';
import { pin } from './bench-lab.ts';
import type { Knobs } from './knobs.ts';
import type { PipelineData, PipelinePath, PipelineRun } from './model.ts';
import { DROP_EVENT_NO_STACK_SIZE, decodeDropEvent, dropEvent, dropEventNoStack, dropEventJson, eventFields, kernelResolver, packetDropDetails } from '@netstrata/packet-drop';

/** packet_drop_details' default --ring-size (KiB): the ring the tool reads. */
const RING_KIB = 4096;
/** Where the events say the packet was dropped: a real kernel function, so symbolizing works. */
const LOCATION_SYMBOL = '__udp4_lib_rcv';
const LOCATION_OFFSET = 0x4bcn;

function kernelAddress(symbol: string): bigint {
  const m = new RegExp(`^([0-9a-f]+) [tT] ${symbol}$`, 'm').exec(readFileSync('/proc/kallsyms', 'utf8'));
  const a = m ? BigInt(`0x${m[1]}`) : 0n;
  return a;
}

function sumPerCpu(map: BpfMap, key: number): number {
  const k = new Uint8Array(new Uint32Array([key]).buffer);
  return map.lookupPerCpu(k).reduce((a, v) => a + Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true)), 0);
}

/** Nice value of every thread of this process (Linux keeps one per thread). Both sides of the
 * pipeline run at -19 for the phase: on a machine busy with other work, the reader and the producer
 * keep their cores, so rates measure this code and not the other work (CPU % shows what it took). */
function setNice(value: number): void {
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) spawnSync('renice', ['-n', String(value), '-p', tid], { stdio: 'ignore' });
}
const NICE = ['nice', '-n', '-19'];

/** This process's CPU affinity, set for the phase and given back after (taskset, every thread). */
function setAffinity(list: string): void {
  spawnSync('taskset', ['-a', '-p', '-c', list, String(process.pid)], { stdio: 'ignore' });
}
function affinity(): string {
  const out = spawnSync('taskset', ['-p', '-c', String(process.pid)], { encoding: 'utf8' }).stdout ?? '';
  return /: (.+)$/m.exec(out)?.[1]?.trim() ?? `0-${cpus().length - 1}`;
}

interface Ctx {
  /** packet_drop_details' run, from its descriptor, as the runner starts it (JSON, no stacks). */
  run: DetailsRun<unknown, unknown>;
  reasons: DropReasons;
  resolver: ReturnType<typeof kernelResolver>;
  clock: WallClock;
  location: bigint;
  reason: number;
}

function openProducer(ctx: Ctx): BpfObject {
  const obj = BpfObject.open(object, 'bench_ring');
  try {
    // bpf/bench_ring.h copies the tool's event; a copy that fell behind would be decoded as garbage.
    const wrong = layoutMismatches(dropEvent, obj.btf());
    if (wrong.length) throw new Error(`bench_ring's struct drop_event is not the one packet_drop_details decodes: ${wrong.join('; ')}`);
    obj.setRodata('targ_location', ctx.location);
    obj.setRodata('targ_reason', ctx.reason);
    obj.map('events').setMaxEntries(RING_KIB * 1024);
    obj.load();
  } catch (e) {
    obj.close();
    throw e;
  }
  return obj;
}

/** Runs the producer once: RATE events/s for SECONDS (0: back to back), on CPU 0. */
async function produce(ringprod: string, obj: BpfObject, target: number, seconds: number): Promise<{ runs: number; seconds: number; late_ticks: number }> {
  const cmd = [...NICE, ...pin(0), ringprod, String(target), String(seconds)];
  const child = spawn(cmd[0]!, cmd.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe', obj.program('produce').fd],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  if (code !== 0) throw new Error(`ringprod ${target} ${seconds} failed (${code}): ${stderr.trim()}`);
  return JSON.parse(stdout.trim()) as { runs: number; seconds: number; late_ticks: number };
}

/** Seconds of one burst: about half the ring at the unpaced producer's rate. */
const BURST_SECONDS = 0.002;
const BURSTS = 40;

/**
 * One path at one rate. `target` > 0 or 0 (unpaced): the reader runs as the tool's does while the
 * producer keeps the rate. 'burst': the reader waits while the producer fills part of the ring, then
 * drains it in one go, BURSTS times: what one core can take when events are waiting (the producer
 * on one CPU cannot outrun it).
 */
async function runRate(ringprod: string, ctx: Ctx, path: PipelinePath, target: number | 'burst', seconds: number): Promise<PipelineRun> {
  using obj = openProducer(ctx);
  const fd = openSync('/dev/null', 'w');
  const sink = new Sink('json', fd);
  // 'tool': the runner's own event handler around the tool's run, as `packet_drop_details --output
  // json` does; 'decode': the ring and the struct decoder only (every member of every event read).
  const tool = detailsEvents(ctx.run, 'packet_drop_details', sink);
  let decoded = 0;
  const reader = new RingReader(
    obj.map('events'),
    path === 'tool'
      ? tool.onRecord
      : (ring, offset, length) => {
          if (length !== DROP_EVENT_NO_STACK_SIZE) throw new Error(`event of ${length} bytes`);
          dropEventNoStack.read(ring, offset);
          decoded++;
        },
  );
  let runs = 0;
  let late = 0;
  let agentSeconds = 0;
  let cpuUs = 0;
  let wallMs = 0;
  const measure = (f: () => void) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    const c = process.cpuUsage(c0);
    cpuUs += c.user + c.system;
    wallMs += performance.now() - t0;
  };
  if (target === 'burst') {
    for (let i = 0; i < BURSTS; i++) {
      const agent = await produce(ringprod, obj, 0, BURST_SECONDS);
      runs += agent.runs;
      measure(() => {
        reader.drain();
        sink.flush();
      });
    }
    agentSeconds = wallMs / 1000;
  } else {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    reader.start();
    const agent = await produce(ringprod, obj, target, seconds);
    reader.drain();
    sink.flush();
    const c = process.cpuUsage(c0);
    cpuUs = c.user + c.system;
    wallMs = performance.now() - t0;
    runs = agent.runs;
    late = agent.late_ticks;
    agentSeconds = agent.seconds;
  }
  reader.close();
  closeSync(fd);
  const events = path === 'tool' ? tool.count() : decoded;
  const produced = sumPerCpu(obj.map('produced'), 0);
  const lost = sumPerCpu(obj.map('lost'), 0);
  if (produced !== runs) throw new Error(`the producer ran ${runs} times but counted ${produced}`);
  if (produced !== events + lost) throw new Error(`produced ${produced} ≠ delivered ${events} + lost ${lost}: an event went missing uncounted`);
  return {
    path,
    target: target === 'burst' ? -1 : target,
    seconds: agentSeconds,
    produced,
    delivered: events,
    lost,
    lateTicks: late,
    cpuPct: cpuUs / 10 / wallMs,
    cpuNsPerEvent: events ? (cpuUs * 1000) / events : 0,
  };
}

/** CPU ns per event of each user-side step, on events like the producer's, in a tight loop (no
 * ring, no kernel); CPU time, not wall time, so other work on the machine counts less. */
function stepCosts(ctx: Ctx): { step: string; ns: number }[] {
  const bytes = new Uint8Array(DROP_EVENT_NO_STACK_SIZE);
  const v = new DataView(bytes.buffer);
  v.setBigUint64(0, 1_000_000_000n, true);
  v.setBigUint64(8, ctx.location, true);
  v.setUint32(24, ctx.reason, true);
  bytes.set(new TextEncoder().encode('ringprod'), 40);
  bytes.set(new TextEncoder().encode('lo'), 64);
  v.setUint32(80, 64, true);
  v.setUint16(84, 0x0800, true);
  v.setUint16(86, 64, true);
  // Ethernet / IPv4 / UDP, as the producer's test packet
  bytes.set([2, 0x4e, 0x53, 0, 0, 2, 2, 0x4e, 0x53, 0, 0, 1, 8, 0, 0x45, 0, 0, 0x32, 0, 1, 0x40, 0, 0x40, 0x11, 0, 0, 10, 99, 0, 1, 10, 99, 0, 2, 0x9c, 0x40, 0, 9, 0, 0x1e, 0, 0], 96);
  const json = dropEventJson(ctx.clock, ctx.resolver);
  const n = 200_000;
  let id = 0;
  const time = (f: () => void) => {
    for (let i = 0; i < 20_000; i++) f();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      // A new IP id each time, as the producer's events have.
      v.setUint16(96 + 18, id++ & 0xffff);
      f();
    }
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) * 1000) / n;
  };
  const read = time(() => void dropEventNoStack.read(v, 0));
  const fast = time(() => void json(v, 0, DROP_EVENT_NO_STACK_SIZE).length);
  const decode = time(() => void decodeDropEvent(v));
  const record = time(() => void eventFields(decodeDropEvent(v), ctx.clock, ctx.resolver, false));
  const stringify = time(() => void toJson(eventFields(decodeDropEvent(v), ctx.clock, ctx.resolver, false)));
  return [
    { step: 'struct decoder (every member of the event read)', ns: read },
    { step: 'JSON line straight from the record (the tool’s json, what --output json runs)', ns: fast },
    { step: 'decodeDropEvent (record path: text output, --stack)', ns: decode },
    { step: 'eventFields: headers, symbol, reason name, time (record path)', ns: record - decode },
    { step: 'JSON.stringify of the record (record path)', ns: stringify - record },
  ];
}

export async function pipelinePhase(ringprod: string, k: Knobs, log: (m: string) => void): Promise<PipelineData> {
  const reasons = DropReasons.fromKernel();
  const symbols = KallsymsSymbolizer.fromProc();
  const base = kernelAddress(LOCATION_SYMBOL);
  const spec = packetDropDetails.spec as unknown as DetailsToolSpec<{}, {}, unknown, unknown>;
  const run = await spec.start({ o: { stack: false, output: 'json' }, clock: new WallClock(), info: () => {} } as never);
  const ctx: Ctx = {
    run,
    reasons,
    resolver: kernelResolver(reasons, symbols),
    clock: new WallClock(),
    location: base ? base + LOCATION_OFFSET : 0n,
    reason: reasons.code('NO_SOCKET') ?? 2,
  };
  const saved = affinity();
  const runs: PipelineRun[] = [];
  try {
    if (cpus().length >= 2) setAffinity('1');
    setNice(-19);
    for (const path of ['tool', 'decode'] as const) {
      for (const target of [...k.pipelineRates, 'burst' as const]) {
        const r = await runRate(ringprod, ctx, path, target, k.pipelineSeconds);
        runs.push(r);
        log(`  ${path} ${target === 'burst' ? 'bursts' : target ? `target ${(target / 1e6).toFixed(2)} M/s` : 'unpaced'}: produced ${(r.produced / r.seconds / 1e6).toFixed(2)} M/s, delivered ${(r.delivered / r.seconds / 1e6).toFixed(2)} M/s, lost ${r.lost} (produced ${r.produced} = delivered ${r.delivered} + lost ${r.lost}), CPU ${r.cpuPct.toFixed(0)} %, ${r.cpuNsPerEvent.toFixed(0)} ns/event`);
      }
    }
  } finally {
    setNice(0);
    setAffinity(saved);
  }
  return { ringBytes: RING_KIB * 1024, eventBytes: DROP_EVENT_NO_STACK_SIZE, runs, stepsNs: stepCosts(ctx) };
}

/**
 * Details pipeline phase: the user side of packet_drop_details (RingReader on the mmapped ring,
 * decodeDropEvent, eventRecord, the JSON sink) fed by a BPF program that produces its events at a
 * set rate (bpf/bench_ring.bpf.c run by agents/ringprod.c through BPF_PROG_TEST_RUN on CPU 0,
 * this process on CPU 1). For each rate: events produced, delivered and lost (reserve failures),
 * and produced = delivered + lost must hold exactly. All libbpf calls stay on this thread.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DropReasons, KallsymsSymbolizer, Sink, WallClock, layoutMismatches } from '@netstrata/bpf-common';
import { BpfObject, RingReader, type BpfMap } from '@netstrata/libbpf-ts';
import object from '../build/bpf/bench_ring.bpf.o';
import { pin } from './bench-lab.ts';
import type { Knobs } from './knobs.ts';
import type { PipelineData, PipelinePath, PipelineRun } from './model.ts';
import { DROP_EVENT_SIZE, decodeDropEvent, dropEvent, eventFields, kernelResolver, renderEventText } from '@netstrata/packet-drop';

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

/** This process's CPU affinity, set for the phase and given back after (taskset, every thread). */
function setAffinity(list: string): void {
  spawnSync('taskset', ['-a', '-p', '-c', list, String(process.pid)], { stdio: 'ignore' });
}
function affinity(): string {
  const out = spawnSync('taskset', ['-p', '-c', String(process.pid)], { encoding: 'utf8' }).stdout ?? '';
  return /: (.+)$/m.exec(out)?.[1]?.trim() ?? `0-${cpus().length - 1}`;
}

interface Ctx {
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

async function runRate(ringprod: string, ctx: Ctx, path: PipelinePath, target: number, seconds: number): Promise<PipelineRun> {
  using obj = openProducer(ctx);
  const out = createWriteStream('/dev/null');
  const sink = new Sink('json', out);
  let events = 0;
  // 'tool': the tool's callback, as in packet_drop_details' run; 'decode': the ring and the decoder only
  const reader = new RingReader(
    obj.map('events'),
    path === 'tool'
      ? (data) => {
          const e = decodeDropEvent(data);
          const rec = { type: 'event' as const, tool: 'packet_drop_details', ...eventFields(e, ctx.clock, ctx.resolver, false) };
          events++;
          sink.record(rec, () => renderEventText(rec));
        }
      : (data) => {
          decodeDropEvent(data);
          events++;
        },
  );
  reader.start();
  const cmd = [...pin(0), ringprod, String(target), String(seconds)];
  const child = spawn(cmd[0]!, cmd.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe', obj.program('produce').fd],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  if (code !== 0) throw new Error(`ringprod ${target} ${seconds} failed (${code}): ${stderr.trim()}`);
  reader.drain();
  reader.close();
  sink.flush();
  await new Promise<void>((r) => out.end(() => r()));
  const agent = JSON.parse(stdout.trim()) as { runs: number; seconds: number; late_ticks: number };
  const produced = sumPerCpu(obj.map('produced'), 0);
  const lost = sumPerCpu(obj.map('lost'), 0);
  if (produced !== agent.runs) throw new Error(`the producer ran ${agent.runs} times but counted ${produced}`);
  if (produced !== events + lost) throw new Error(`produced ${produced} ≠ delivered ${events} + lost ${lost}: an event went missing uncounted`);
  return { path, target, seconds: agent.seconds, produced, delivered: events, lost, lateTicks: agent.late_ticks };
}

/** ns per event of each user-side step, on one event, in a tight loop (no ring, no kernel). */
function stepCosts(ctx: Ctx): { step: string; ns: number }[] {
  const bytes = new Uint8Array(DROP_EVENT_SIZE);
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
  const n = 200_000;
  const time = (f: () => void) => {
    for (let i = 0; i < 10_000; i++) f();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    return ((performance.now() - t0) * 1e6) / n;
  };
  const decode = time(() => void decodeDropEvent(v));
  const record = time(() => void eventFields(decodeDropEvent(v), ctx.clock, ctx.resolver, false));
  const json = time(() => void JSON.stringify(eventFields(decodeDropEvent(v), ctx.clock, ctx.resolver, false)));
  return [
    { step: 'decodeDropEvent', ns: decode },
    { step: 'eventRecord (headers, symbol, reason name, time)', ns: record - decode },
    { step: 'JSON line', ns: json - record },
  ];
}

export async function pipelinePhase(ringprod: string, k: Knobs, log: (m: string) => void): Promise<PipelineData> {
  const reasons = DropReasons.fromKernel();
  const symbols = KallsymsSymbolizer.fromProc();
  const base = kernelAddress(LOCATION_SYMBOL);
  const ctx: Ctx = {
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
    for (const path of ['tool', 'decode'] as const) {
      for (const target of k.pipelineRates) {
        const r = await runRate(ringprod, ctx, path, target, k.pipelineSeconds);
        runs.push(r);
        log(`  ${path} target ${target ? `${(target / 1e6).toFixed(2)} M/s` : 'unpaced'}: produced ${(r.produced / r.seconds / 1e6).toFixed(2)} M/s, decoded ${(r.delivered / r.seconds / 1e6).toFixed(2)} M/s, lost ${r.lost} (produced ${r.produced} = delivered ${r.delivered} + lost ${r.lost})`);
      }
    }
  } finally {
    setAffinity(saved);
  }
  return { ringBytes: RING_KIB * 1024, eventBytes: DROP_EVENT_SIZE, runs, stepsNs: stepCosts(ctx) };
}

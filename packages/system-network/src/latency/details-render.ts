/** Pure renderers of system_network_latency_details records. */
import { timeOfDay, formatFlow, type EventEnvelope, type Flow } from '@netstrata/bpf-common';
import type { Dir, LatSession } from '../layout.ts';
import { stageName } from './stages.ts';

export interface StageDelta {
  from: string;
  to: string;
  delta_us: number;
}

/** An event's own fields (the runner adds type and tool). */
export interface LatencyEventFields {
  time: string;
  direction: Dir;
  flow: Flow | null;
  tcp?: { seq: number; flags: string; payload: number };
  ip_id?: number;
  icmp?: { id: number; seq: number };
  device: string;
  ifindex: number;
  netns: number;
  len: number;
  first: { stage: string; cpu: number; pid: number; comm: string };
  last: { stage: string; cpu: number; pid: number; comm: string };
  stages: StageDelta[];
  total_us: number;
  stack?: string[];
  /** The stage the stack was taken at: the end of the packet's slowest step. */
  stack_stage?: string;
}

export type LatencyEventRecord = EventEnvelope & LatencyEventFields;

/** The final record's own fields beyond `events` and the loss block. */
export interface LatencyDetailsFinal {
  threshold_us: number;
}

const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

export function tcpFlags(f: number): string {
  return TCP_FLAGS.filter((_, i) => f & (1 << i)).join(',') || 'none';
}

const us = (ns: bigint) => Number(ns) / 1000;

/** The record of one slow packet; time is the wall-clock time of its first stage. */
export function eventFields(s: LatSession, time: string, stack?: { frames: string[]; stage: number }): LatencyEventFields {
  const present = s.ts.map((t, i) => [i, t] as const).filter(([, t]) => t > 0n);
  const stages: StageDelta[] = [];
  for (let i = 1; i < present.length; i++) {
    const [a, ta] = present[i - 1]!;
    const [b, tb] = present[i]!;
    stages.push({ from: stageName(s.dir, a), to: stageName(s.dir, b), delta_us: us(tb - ta) });
  }
  const [f, tf] = present[0] ?? [0, 0n];
  const [l, tl] = present.at(-1) ?? [0, 0n];
  const rec: LatencyEventFields = {
    time,
    direction: s.dir,
    flow: s.flow,
    device: s.dev,
    ifindex: s.ifindex,
    netns: s.netns,
    len: s.len,
    first: { stage: stageName(s.dir, f), cpu: s.first.cpu, pid: s.first.pid, comm: s.first.comm },
    last: { stage: stageName(s.dir, l), cpu: s.last.cpu, pid: s.last.pid, comm: s.last.comm },
    stages,
    total_us: us(tl - tf),
  };
  if (s.flow?.protocol === 'TCP') rec.tcp = { seq: s.tcpSeq, flags: tcpFlags(s.tcpFlags), payload: s.l4Payload };
  else if (s.flow?.protocol === 'ICMP' || s.flow?.protocol === 'ICMPv6') rec.icmp = { id: s.icmpId, seq: s.icmpSeq };
  if (s.flow && s.flow.protocol !== 'ARP' && !s.flow.src.includes(':')) rec.ip_id = s.ipId;
  if (stack) {
    rec.stack = stack.frames;
    rec.stack_stage = stageName(s.dir, stack.stage);
  }
  return rec;
}

const fmt = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(3)} ms` : `${v.toFixed(1)} us`);

export function renderEventText(e: LatencyEventRecord): string {
  const clock = timeOfDay(e.time, true);
  const id = e.tcp ? ` seq ${e.tcp.seq} [${e.tcp.flags}] len ${e.tcp.payload}` : e.icmp ? ` id ${e.icmp.id} seq ${e.icmp.seq}` : e.ip_id !== undefined ? ` ip id ${e.ip_id}` : '';
  const lines = [
    `${clock} ${e.direction.toUpperCase()} ${fmt(e.total_us)} ${e.flow ? formatFlow(e.flow) : 'non-IP'}${id} dev ${e.device || e.ifindex} netns ${e.netns}`,
    `    ${e.stages.map((s) => `${s.from}->${s.to} ${fmt(s.delta_us)}`).join('  ')}`,
    `    first CPU${e.first.cpu} pid ${e.first.pid} (${e.first.comm})  last CPU${e.last.cpu} pid ${e.last.pid} (${e.last.comm})`,
  ];
  if (e.stack) lines.push(`    stack at ${e.stack_stage}${e.stack.length ? ':' : ': not captured'}`);
  for (const f of e.stack ?? []) lines.push(`        ${f}`);
  return lines.join('\n');
}

export function renderFinalText(f: { events: number } & LatencyDetailsFinal): string {
  return `${f.events} packets at or over ${f.threshold_us} us`;
}

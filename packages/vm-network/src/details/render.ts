/** vm_network_latency_details records: one slow packet each, every stage of its path timed. */
import { formatFlow, formatValue, timeOfDay, type EventEnvelope, type Flow, type WallClock } from '@netstrata/bpf-common';
import { STAGES, pathEnds, stageSpans, type Direction, type PathEvent, type Stage } from '../layout.ts';
import { STAGE_TEXT } from '../summary/report.ts';

export interface PathEventFields {
  time: string;
  vm_interface: string;
  ifindex: number;
  direction: Direction;
  flow: Flow | null;
  /** The stages the packet went through, in order, µs. */
  stages: { stage: Stage; us: number }[];
  total_us: number;
  /** Where the path ended: the CPU and the task (rx: the VM's reader; tx: whichever task the softirq ran in). */
  end: { cpu: number; pid: number; tid: number; comm: string };
}

export type PathEventRecord = EventEnvelope & PathEventFields;

export function eventFields(e: PathEvent, clock: WallClock, vmName: (ifindex: number) => string): PathEventFields {
  const spans = stageSpans(e.ts);
  const { first, done } = pathEnds(e.ts);
  const stages = STAGES.filter((stage) => spans[stage] !== undefined).map((stage) => ({ stage, us: Number(spans[stage]!) / 1000 }));
  return {
    time: clock.toIso(done),
    vm_interface: vmName(e.vmIfindex),
    ifindex: e.vmIfindex,
    direction: e.dir,
    flow: e.flow ?? null,
    stages,
    total_us: Number(done - first) / 1000,
    end: { cpu: e.cpu, pid: e.pid, tid: e.tid, comm: e.comm },
  };
}

const us = (v: number) => formatValue(Math.round(v * 1000), 'ns');

export function renderEventText(r: PathEventRecord): string {
  const flow = r.flow ? formatFlow(r.flow) : 'not IP';
  const worst = r.stages.reduce((a, b) => (b.us > a.us ? b : a), r.stages[0]!);
  const lines = [`${timeOfDay(r.time, true)} ${r.vm_interface} ${r.direction} ${flow}: ${us(r.total_us)}, most in ${STAGE_TEXT[r.direction][worst.stage]} (ended in ${r.end.comm}(${r.end.tid}) on CPU ${r.end.cpu})`];
  for (const s of r.stages) lines.push(`    ${STAGE_TEXT[r.direction][s.stage].padEnd(34)} ${us(s.us)}`);
  return lines.join('\n');
}

export function renderFinalText(f: { events: number; threshold_us?: number }): string {
  return `${f.events} slow packet${f.events === 1 ? '' : 's'}`;
}

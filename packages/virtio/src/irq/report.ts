/** virtnet_irq_summary records: per virtio-net interrupt, from the kernel's per-CPU rows. */
import { spanHeading, textTable, type RowsOptions, type SummaryEnvelope } from '@netstrata/bpf-common';
import { queueId, type IrqEntry, type QueueKey, type QueueState } from '../layout.ts';
import { formatState, stateField, type StateField } from '../state.ts';
import type { IrqRole, VirtioIrq } from './irqs.ts';

export interface IrqRow {
  irq: number;
  /** The handler's name, as /proc/interrupts shows it (virtio2-input.0). */
  name: string;
  /** The virtio device and, when it is in a namespace the tool can see, its network device. */
  virtio: string;
  device: string | null;
  /** rx/tx: one queue's vector; config; shared: every queue on one vector. */
  role: IrqRole;
  queue: number | null;
  /** Handler runs. */
  runs: number;
  /** Runs that returned IRQ_NONE (nothing for the handler: the queue had no new used buffers). */
  irq_none: number;
  /** irq_none / runs. */
  irq_none_share: number;
  /** Runs per CPU ("0": n, ...): the CPUs the interrupt is delivered to. */
  cpus: Record<string, number>;
  /** For a queue's vector: the queue's interrupts as the driver left them after its last poll. */
  state: StateField | null;
}

export interface IrqFields {
  runs: number;
  irq_none: number;
  interrupts: IrqRow[];
  more_interrupts: number;
}

export type IrqRecord = SummaryEnvelope & IrqFields;

export const irqRowOps: Pick<RowsOptions<IrqEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: ({ key, val }, { val: b }) => ({ key, val: { runs: val.runs - b.runs, none: val.none - b.none } }),
  add: (a, { key, val }) => ({ key, val: { runs: a.val.runs + val.runs, none: a.val.none + val.none } }),
  isEmpty: ({ val }) => !val.runs,
};

/** Where each interrupt's queue is: the device's ifindex and namespace, when the tool found it. */
export interface IrqContext {
  irqs: readonly VirtioIrq[];
  /** virtioN -> the network device over it. */
  devices: ReadonlyMap<string, { ifname: string; ifindex: number; netns: number }>;
  states: ReadonlyMap<string, { key: QueueKey; state: QueueState }>;
}

export function irqFields(entries: readonly IrqEntry[], c: IrqContext, o: { top: number; nowNs: bigint }): IrqFields {
  const byIrq = new Map<number, { runs: number; none: number; cpus: Record<string, number> }>();
  for (const { key, val } of entries) {
    const r = byIrq.get(key.irq) ?? { runs: 0, none: 0, cpus: {} };
    r.runs += val.runs;
    r.none += val.none;
    if (val.runs) r.cpus[String(key.cpu)] = (r.cpus[String(key.cpu)] ?? 0) + val.runs;
    byIrq.set(key.irq, r);
  }
  const rows = c.irqs
    .map((i): IrqRow => {
      const r = byIrq.get(i.irq) ?? { runs: 0, none: 0, cpus: {} };
      const dev = c.devices.get(i.virtio);
      let state: StateField | null = null;
      if (dev && (i.role === 'rx' || i.role === 'tx') && i.queue !== null) {
        const st = c.states.get(queueId({ ifindex: dev.ifindex, netns: dev.netns, dir: i.role, queue: i.queue }));
        state = st ? stateField(st.state, o.nowNs) : null;
      }
      return {
        irq: i.irq,
        name: i.name,
        virtio: i.virtio,
        device: dev?.ifname ?? null,
        role: i.role,
        queue: i.queue,
        runs: r.runs,
        irq_none: r.none,
        irq_none_share: r.runs ? r.none / r.runs : 0,
        cpus: r.cpus,
        state,
      };
    })
    .filter((r) => r.runs || r.state?.stalled)
    .sort((a, b) => Number(b.state?.stalled ?? false) - Number(a.state?.stalled ?? false) || b.runs - a.runs || a.irq - b.irq);
  return {
    runs: rows.reduce((n, r) => n + r.runs, 0),
    irq_none: rows.reduce((n, r) => n + r.irq_none, 0),
    interrupts: rows.slice(0, o.top),
    more_interrupts: Math.max(0, rows.length - o.top),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(x && x < 0.01 ? 2 : 0)}%`;

export function renderIrqText(rec: IrqRecord): string {
  const lines = [`${spanHeading(rec)}: ${rec.runs} interrupt${rec.runs === 1 ? '' : 's'}, ${rec.irq_none} IRQ_NONE`];
  if (rec.interrupts.length) {
    const header = ['IRQ', 'NAME', 'DEVICE', 'QUEUE', 'RUNS', 'IRQ_NONE', 'SHARE', 'CPUS', 'INTERRUPTS'];
    const body = rec.interrupts.map((r) => [
      String(r.irq),
      r.name,
      r.device ?? '-',
      r.queue === null ? r.role : `${r.role}${r.queue}`,
      String(r.runs),
      String(r.irq_none),
      pct(r.irq_none_share),
      Object.entries(r.cpus).map(([cpu, n]) => `${cpu}:${n}`).join(' ') || '-',
      formatState(r.state),
    ]);
    lines.push(...textTable(header, body, new Set([1, 2, 3, 7, 8])));
    if (rec.more_interrupts) lines.push(`  ... and ${rec.more_interrupts} more (--top)`);
  }
  return lines.join('\n');
}

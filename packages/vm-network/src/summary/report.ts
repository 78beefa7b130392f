/** vm_network_latency_summary records: per VM interface and direction, from the kernel's cumulative rows. */
import { addCounts, diffSlots, formatBounds, renderHistogram, spanHeading, textTable, toHistogram, type Histogram, type RowsOptions, type SummaryEnvelope } from '@netstrata/bpf-common';
import { STAGES, type Direction, type PathEntry, type Stage } from '../layout.ts';

export interface PathRow {
  /** The VM's interface (its TAP) and the direction: tx from the VM, rx to it. */
  vm_interface: string;
  ifindex: number;
  direction: Direction;
  /** Packets whose path began (tx: received on the VM's interface; rx: queued to it from a physical interface). */
  started: number;
  /** Of which came out at the far end (tx: the physical interface's driver took it; rx: the VM's reader copied it). */
  completed: number;
  /** Of which the kernel dropped on the way. */
  dropped: number;
  /** Packets that came out with their start forgotten (the session table let it go): not timed. */
  lost: number;
  /** Each stage, ns, over the packets that went through it. */
  stages: Record<Stage, Histogram>;
  /** First stamp -> done, ns. */
  total: Histogram;
}

export interface VmNetworkFields {
  paths: PathRow[];
}

export type VmNetworkRecord = SummaryEnvelope & VmNetworkFields;

export const pathRowOps: Pick<RowsOptions<PathEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: ({ key, val }, { val: b }) => ({
    key,
    val: {
      started: val.started - b.started,
      completed: val.completed - b.completed,
      dropped: val.dropped - b.dropped,
      lost: val.lost - b.lost,
      stages: Object.fromEntries(STAGES.map((s) => [s, diffSlots(val.stages[s], b.stages[s])])) as Record<Stage, bigint[]>,
      total: diffSlots(val.total, b.total),
    },
  }),
  add: (a, { key, val }) => ({
    key,
    val: {
      started: a.val.started + val.started,
      completed: a.val.completed + val.completed,
      dropped: a.val.dropped + val.dropped,
      lost: a.val.lost + val.lost,
      stages: Object.fromEntries(STAGES.map((s) => [s, addCounts(a.val.stages[s], val.stages[s])])) as Record<Stage, bigint[]>,
      total: addCounts(a.val.total, val.total),
    },
  }),
  isEmpty: ({ val }) => !val.started && !val.completed && !val.dropped && !val.lost,
};

/** Rows per VM interface, tx before rx; every interface asked for appears, with or without traffic. */
export function pathRows(entries: readonly PathEntry[], vms: readonly { name: string; ifindex: number }[]): PathRow[] {
  const rows: PathRow[] = [];
  for (const vm of vms) {
    for (const direction of ['tx', 'rx'] as const) {
      const e = entries.find((x) => x.key.vmIfindex === vm.ifindex && x.key.dir === direction);
      rows.push({
        vm_interface: vm.name,
        ifindex: vm.ifindex,
        direction,
        started: e?.val.started ?? 0,
        completed: e?.val.completed ?? 0,
        dropped: e?.val.dropped ?? 0,
        lost: e?.val.lost ?? 0,
        stages: Object.fromEntries(STAGES.map((s) => [s, toHistogram(e?.val.stages[s] ?? [], 'ns')])) as Record<Stage, Histogram>,
        total: toHistogram(e?.val.total ?? [], 'ns'),
      });
    }
  }
  return rows;
}

/** What each stage is, by direction, for people. */
export const STAGE_TEXT: Record<Direction, Record<Stage | 'total', string>> = {
  tx: { backlog: 'backlog (netif_rx -> receive)', forward: 'VM interface -> physical queue', upcall: 'OVS upcall (ovs-vswitchd)', qdisc: 'physical qdisc', out: 'physical driver', total: 'VM interface -> physical driver' },
  rx: { backlog: 'backlog (netif_rx -> receive)', forward: 'physical interface -> VM queue', upcall: 'OVS upcall (ovs-vswitchd)', qdisc: 'VM interface qdisc', out: 'TAP ring -> read by the VM', total: 'physical interface -> read by the VM' },
};

export function renderVmNetworkText(rec: VmNetworkRecord, histograms: boolean): string {
  const active = rec.paths.filter((p) => p.started || p.completed || p.dropped || p.lost);
  const lines = [`${spanHeading(rec)}: ${active.length} VM path${active.length === 1 ? '' : 's'} with packets`];
  const header = ['VM IF', 'DIR', 'STARTED', 'DONE', 'DROPPED', 'LOST', ...STAGES.map((s) => `${s.toUpperCase()} P99`), 'TOTAL P50', 'TOTAL P99'];
  const body = rec.paths.map((p) => [
    p.vm_interface,
    p.direction,
    String(p.started),
    String(p.completed),
    String(p.dropped),
    String(p.lost),
    ...STAGES.map((s) => (p.stages[s].count ? formatBounds(p.stages[s].percentiles?.p99, 'ns') : '-')),
    formatBounds(p.total.percentiles?.p50, 'ns'),
    formatBounds(p.total.percentiles?.p99, 'ns'),
  ]);
  lines.push(...textTable(header, body, new Set([0, 1])));
  if (histograms) {
    for (const p of active) {
      for (const s of [...STAGES, 'total'] as const) {
        const h = s === 'total' ? p.total : p.stages[s];
        if (h.count) lines.push(renderHistogram(h, { title: `  ${p.vm_interface} ${p.direction}: ${STAGE_TEXT[p.direction][s]}`, width: 30 }));
      }
    }
  }
  return lines.join('\n');
}

/** vhost_signal_summary records: per virtqueue and per worker, from the kernel's cumulative rows. */
import { spanHeading, addCounts, diffSlots, formatBounds, textTable, toHistogram, type Histogram, type RowsOptions, type SummaryEnvelope } from '@netstrata/bpf-common';
import type { VqEntry, WorkerEntry } from '../layout.ts';

export interface VqRow {
  /** The vhost device (one per VM NIC queue pair for vhost-net), as the kernel's address of it. */
  device: string;
  /** The virtqueue's index in the device; for vhost-net, even is RX (to the guest), odd TX. */
  queue: number;
  role: 'rx' | 'tx';
  /** The worker thread that last ran the queue's handler: comm vhost-<pid of the VM's process>. */
  worker: { tid: number; pid: number; comm: string } | null;
  /** The virtqueue's size (descriptors). */
  ring_size: number;
  /** The guest's kicks: notifications that it posted buffers (TX: packets to send; RX: buffers to fill). */
  kicks: number;
  /** Handler runs (handle_rx / handle_tx). */
  runs: number;
  /** Used entries added: buffers given back to the guest (one per packet unless RX buffers are merged). */
  used: number;
  /** Used entries added by each run. */
  used_per_run: Histogram;
  /** Times the worker published used entries and checked whether to signal the guest. */
  signal_checks: number;
  /** Of which signalled the guest (an interrupt, through the queue's call eventfd). */
  signals: number;
  /** Of which the guest's notification flags suppressed (NO_INTERRUPT, or EVENT_IDX's used_event). */
  suppressed: number;
  /** Times the worker found the ring empty and turned the guest's kicks back on: on RX, no buffer
   * for a packet that waits (the guest has not refilled); on TX, nothing more to send. */
  empty: number;
}

export interface WorkerRow {
  tid: number;
  pid: number;
  comm: string;
  /** Waits for a CPU: from its wakeup (or preemption while runnable) to running. */
  waits: number;
  wait: Histogram;
}

export interface VhostFields {
  queues: VqRow[];
  more_queues: number;
  workers: WorkerRow[];
}

export type VhostRecord = SummaryEnvelope & VhostFields;

export const vqRowOps: Pick<RowsOptions<VqEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: ({ key, val }, { val: b }) => ({
    key,
    val: { ...val, kicks: val.kicks - b.kicks, runs: val.runs - b.runs, used: val.used - b.used, checks: val.checks - b.checks, signals: val.signals - b.signals, empty: val.empty - b.empty, usedPerRun: diffSlots(val.usedPerRun, b.usedPerRun) },
  }),
  add: (a, { key, val }) => ({
    key,
    val: { ...val, kicks: a.val.kicks + val.kicks, runs: a.val.runs + val.runs, used: a.val.used + val.used, checks: a.val.checks + val.checks, signals: a.val.signals + val.signals, empty: a.val.empty + val.empty, usedPerRun: addCounts(a.val.usedPerRun, val.usedPerRun) },
  }),
  isEmpty: ({ val }) => !val.kicks && !val.runs && !val.used && !val.checks && !val.empty,
};

export const workerRowOps: Pick<RowsOptions<WorkerEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: ({ key, val }, { val: b }) => ({ key, val: { ...val, waits: val.waits - b.waits, wait: diffSlots(val.wait, b.wait) } }),
  add: (a, { key, val }) => ({ key, val: { ...val, waits: a.val.waits + val.waits, wait: addCounts(a.val.wait, val.wait) } }),
  isEmpty: ({ val }) => !val.waits,
};

/** Virtqueue rows, the busiest first (used entries, then kicks). */
export function vqRows(entries: readonly VqEntry[]): VqRow[] {
  return entries
    .filter(({ val }) => val.kicks || val.runs || val.used || val.checks || val.empty)
    .map(({ key, val }) => ({
      device: `0x${key.dev.toString(16)}`,
      queue: key.vq,
      role: key.vq % 2 ? ('tx' as const) : ('rx' as const),
      worker: val.workerTid ? { tid: val.workerTid, pid: val.workerPid, comm: val.workerComm } : null,
      ring_size: val.ringSize,
      kicks: val.kicks,
      runs: val.runs,
      used: val.used,
      used_per_run: toHistogram(val.usedPerRun, 'buffers'),
      signal_checks: val.checks,
      signals: val.signals,
      suppressed: Math.max(0, val.checks - val.signals),
      empty: val.empty,
    }))
    .sort((a, b) => b.used - a.used || b.kicks - a.kicks || a.device.localeCompare(b.device) || a.queue - b.queue);
}

export function workerRows(entries: readonly WorkerEntry[]): WorkerRow[] {
  return entries
    .filter(({ val }) => val.waits)
    .map(({ key, val }) => ({ tid: key.tid, pid: val.pid, comm: val.comm, waits: val.waits, wait: toHistogram(val.wait, 'ns') }))
    .sort((a, b) => (b.wait.percentiles?.p99.high ?? 0) - (a.wait.percentiles?.p99.high ?? 0) || a.tid - b.tid);
}

export function renderVhostText(rec: VhostRecord): string {
  const total = rec.queues.length + rec.more_queues;
  const devices = new Set(rec.queues.map((q) => q.device)).size;
  const lines = [`${spanHeading(rec)}: ${total} virtqueue${total === 1 ? '' : 's'} active${devices ? ` on ${devices} vhost device${devices === 1 ? '' : 's'}` : ''}`];
  if (rec.queues.length) {
    const header = ['WORKER', 'QUEUE', 'RING', 'KICKS', 'RUNS', 'USED', 'USED/RUN P50', 'USED/RUN P99', 'SIGNALS', 'SUPPRESSED', 'EMPTY'];
    const body = rec.queues.map((q) => {
      const p = q.used_per_run.percentiles;
      return [
        q.worker ? `${q.worker.comm}(${q.worker.tid})` : '-',
        `${q.role} ${q.queue}`,
        q.ring_size ? String(q.ring_size) : '-',
        String(q.kicks),
        String(q.runs),
        String(q.used),
        formatBounds(p?.p50, 'buffers'),
        formatBounds(p?.p99, 'buffers'),
        String(q.signals),
        String(q.suppressed),
        String(q.empty),
      ];
    });
    lines.push(...textTable(header, body, new Set([0, 1])));
    if (rec.more_queues) lines.push(`  ... and ${rec.more_queues} more virtqueues (--top)`);
  }
  if (rec.workers.length) {
    lines.push('  workers, waiting for a CPU:');
    const body = rec.workers.map((w) => [`${w.comm}(${w.tid})`, String(w.waits), formatBounds(w.wait.percentiles?.p50, 'ns'), formatBounds(w.wait.percentiles?.p99, 'ns'), formatBounds(w.wait.percentiles?.p999, 'ns')]);
    lines.push(...textTable(['WORKER', 'WAITS', 'P50', 'P99', 'P99.9'], body, new Set([0])).map((l) => `  ${l}`));
  }
  return lines.join('\n');
}

/** kvm_irqfd_summary records: per VM and MSI, per VM and GSI, per vCPU, from the kernel's cumulative rows. */
import { spanHeading, addCounts, diffSlots, formatBounds, textTable, toHistogram, type Histogram, type RowsOptions, type SummaryEnvelope } from '@netstrata/bpf-common';
import type { GsiEntry, MsiEntry, VcpuEntry } from './layout.ts';

/** The VM's process: pid, and its comm when it still runs (qemu-system-x86, say). */
export interface Vm {
  pid: number;
  comm: string | null;
}

export interface MsiRow {
  /** The VM (null: not known, an injection in a work item seen with no irqfd hook). */
  vm: Vm | null;
  /** The GSI last seen carrying this MSI (null: not known without the irqfd hooks). */
  gsi: number | null;
  /** Destination APIC id (0xff in physical mode is a broadcast), vector, and how the MSI delivers. */
  dest: number;
  vector: number;
  delivery: string;
  dest_mode: 'physical' | 'logical';
  /** Interrupts injected: delivered in the signalling context, or by the irqfd's work item. */
  injected: number;
  /** Delivered to a LAPIC in the signalling context (irqfd's fast path, or KVM_SIGNAL_MSI). */
  fast: number;
  /** Injected by the irqfd's work item (irqfd_inject), after the fast path could not deliver. */
  deferred: number;
  /** Tried in the signalling context and not delivered there (irqfd defers these to its work item). */
  fast_missed: number;
  /** LAPIC accepts that followed the injections: one per vCPU each reached. */
  accepted: number;
  /** The thread that last signalled it in its own context: a vhost worker, a QEMU thread, the
   * thread a VFIO interrupt came in on. */
  source: { tid: number; pid: number; comm: string } | null;
}

export interface GsiRow {
  vm: Vm | null;
  gsi: number;
  /** The irqfd's eventfd signalled (irqfd_wakeup; 0 without the function hooks). */
  wakeups: number;
  /** The GSI raised by kvm_set_irq: the irqfd's work item, or the VMM's KVM_IRQ_LINE. */
  set_irq: number;
  /** The irqfd's signals that reached a LAPIC. */
  delivered: number;
  /** From the signal (irqfd_wakeup) to the first LAPIC accept. */
  delay: Histogram;
}

export interface VcpuRow {
  vm: Vm | null;
  vcpu: number;
  vector: number;
  /** MSIs its LAPIC accepted. */
  accepted: number;
}

export interface KvmFields {
  msis: MsiRow[];
  more_msis: number;
  gsis: GsiRow[];
  vcpus: VcpuRow[];
}

export type KvmRecord = SummaryEnvelope & KvmFields;

/** A process's name by pid (null when gone): the tool reads /proc; tests give their own. */
export type Names = (pid: number) => string | null;

const DELIVERY = ['fixed', 'lowest', 'smi', 'reserved', 'nmi', 'init', 'startup', 'extint'];

const vmOf = (pid: number, names: Names): Vm | null => (pid ? { pid, comm: names(pid) } : null);

export const msiRowOps: Pick<RowsOptions<MsiEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: ({ key, val }, { val: b }) => ({ key, val: { ...val, direct: val.direct - b.direct, fast: val.fast - b.fast, deferred: val.deferred - b.deferred, accepted: val.accepted - b.accepted } }),
  add: (a, { key, val }) => ({ key, val: { ...val, direct: a.val.direct + val.direct, fast: a.val.fast + val.fast, deferred: a.val.deferred + val.deferred, accepted: a.val.accepted + val.accepted } }),
  isEmpty: ({ val }) => !val.direct && !val.deferred && !val.accepted,
};

export const gsiRowOps: Pick<RowsOptions<GsiEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: ({ key, val }, { val: b }) => ({ key, val: { wakeups: val.wakeups - b.wakeups, setIrq: val.setIrq - b.setIrq, delivered: val.delivered - b.delivered, delay: diffSlots(val.delay, b.delay) } }),
  add: (a, { key, val }) => ({ key, val: { wakeups: a.val.wakeups + val.wakeups, setIrq: a.val.setIrq + val.setIrq, delivered: a.val.delivered + val.delivered, delay: addCounts(a.val.delay, val.delay) } }),
  isEmpty: ({ val }) => !val.wakeups && !val.setIrq && !val.delivered,
};

export const vcpuRowOps: Pick<RowsOptions<VcpuEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: ({ key, val }, { val: b }) => ({ key, val: { accepted: val.accepted - b.accepted } }),
  add: (a, { key, val }) => ({ key, val: { accepted: a.val.accepted + val.accepted } }),
  isEmpty: ({ val }) => !val.accepted,
};

/** MSI rows, the busiest first. */
export function msiRows(entries: readonly MsiEntry[], names: Names): MsiRow[] {
  return entries
    .filter(({ val }) => val.direct || val.deferred || val.accepted)
    .map(({ key, val }) => ({
      vm: vmOf(key.pid, names),
      gsi: val.gsi,
      dest: key.dest,
      vector: key.vector,
      delivery: DELIVERY[key.mode] ?? String(key.mode),
      dest_mode: key.logical ? ('logical' as const) : ('physical' as const),
      injected: val.fast + val.deferred,
      fast: val.fast,
      deferred: val.deferred,
      fast_missed: Math.max(0, val.direct - val.fast),
      accepted: val.accepted,
      source: val.sourceTid ? { tid: val.sourceTid, pid: val.sourcePid, comm: val.sourceComm } : null,
    }))
    .sort((a, b) => b.injected - a.injected || b.fast_missed - a.fast_missed || (a.vm?.pid ?? 0) - (b.vm?.pid ?? 0) || a.vector - b.vector || a.dest - b.dest);
}

export function gsiRows(entries: readonly GsiEntry[], names: Names): GsiRow[] {
  return entries
    .filter(({ val }) => val.wakeups || val.setIrq || val.delivered)
    .map(({ key, val }) => ({ vm: vmOf(key.pid, names), gsi: key.gsi, wakeups: val.wakeups, set_irq: val.setIrq, delivered: val.delivered, delay: toHistogram(val.delay, 'ns') }))
    .sort((a, b) => (a.vm?.pid ?? 0) - (b.vm?.pid ?? 0) || a.gsi - b.gsi);
}

export function vcpuRows(entries: readonly VcpuEntry[], names: Names): VcpuRow[] {
  return entries
    .filter(({ val }) => val.accepted)
    .map(({ key, val }) => ({ vm: vmOf(key.pid, names), vcpu: key.vcpu, vector: key.vector, accepted: val.accepted }))
    .sort((a, b) => (a.vm?.pid ?? 0) - (b.vm?.pid ?? 0) || a.vcpu - b.vcpu || a.vector - b.vector);
}

const vmText = (vm: Vm | null) => (vm ? `${vm.comm ?? '?'}(${vm.pid})` : '-');

export function renderKvmText(rec: KvmRecord): string {
  const total = rec.msis.length + rec.more_msis;
  const vms = new Set(rec.msis.map((m) => m.vm?.pid ?? 0)).size;
  const injected = rec.msis.reduce((s, m) => s + m.injected, 0);
  const lines = [`${spanHeading(rec)}: ${injected} interrupt${injected === 1 ? '' : 's'} injected, ${total} MSI${total === 1 ? '' : 's'}${vms ? ` of ${vms} VM${vms === 1 ? '' : 's'}` : ''}`];
  if (rec.msis.length) {
    const header = ['VM', 'GSI', 'DEST', 'VECTOR', 'MODE', 'INJECTED', 'FAST', 'DEFERRED', 'FAST MISSED', 'ACCEPTED', 'SIGNALLED BY'];
    const body = rec.msis.map((m) => [
      vmText(m.vm),
      m.gsi === null ? '-' : String(m.gsi),
      `${m.dest}${m.dest_mode === 'logical' ? ' log' : ''}`,
      String(m.vector),
      m.delivery,
      String(m.injected),
      String(m.fast),
      String(m.deferred),
      String(m.fast_missed),
      String(m.accepted),
      m.source ? `${m.source.comm}(${m.source.tid})` : '-',
    ]);
    lines.push(...textTable(header, body, new Set([0, 4, 10])));
    if (rec.more_msis) lines.push(`  ... and ${rec.more_msis} more MSIs (--top)`);
  }
  if (rec.gsis.length) {
    lines.push('  irqfds, from the signal to the LAPIC:');
    const body = rec.gsis.map((g) => {
      const p = g.delay.percentiles;
      return [vmText(g.vm), String(g.gsi), String(g.wakeups), String(g.set_irq), String(g.delivered), formatBounds(p?.p50, 'ns'), formatBounds(p?.p99, 'ns')];
    });
    lines.push(...textTable(['VM', 'GSI', 'WAKEUPS', 'SET_IRQ', 'DELIVERED', 'DELAY P50', 'DELAY P99'], body, new Set([0])).map((l) => `  ${l}`));
  }
  if (rec.vcpus.length) {
    lines.push('  vCPUs, MSIs their LAPIC accepted:');
    const body = rec.vcpus.map((v) => [vmText(v.vm), String(v.vcpu), String(v.vector), String(v.accepted)]);
    lines.push(...textTable(['VM', 'VCPU', 'VECTOR', 'ACCEPTED'], body, new Set([0])).map((l) => `  ${l}`));
  }
  return lines.join('\n');
}

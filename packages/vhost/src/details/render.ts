/** vhost_queue_details records: one notable virtqueue event each. */
import { timeOfDay, formatValue, type EventEnvelope, type WallClock } from '@netstrata/bpf-common';
import type { VhostEvent } from '../layout.ts';

export interface VhostEventFields {
  time: string;
  /** rx_empty: an RX ring found empty while a packet waited (the guest did not refill its buffers);
   * tx_full: a TX run began with the guest's whole ring posted and waiting (its transmit queue
   * stopped); suppressed: used entries given back with no signal to the guest for at least the threshold. */
  kind: VhostEvent['kind'];
  /** The vhost device, as the kernel's address of it (vhost_signal_summary's `device`). */
  device: string;
  queue: number;
  role: 'rx' | 'tx';
  worker: { tid: number; pid: number; comm: string };
  /** The queue's indexes (each mod 2^16): vhost's next avail descriptor, the guest's avail index as
   * vhost last read it (tx_full: as the guest wrote it), vhost's next used entry, the used index at its last signal, and its flags to
   * the guest (1: VRING_USED_F_NO_NOTIFY, kicks off). */
  ring: { size: number; last_avail_idx: number; avail_idx: number; last_used_idx: number; signalled_used: number; used_flags: number };
  /** Time since the queue's last signal to the guest, µs (null: none seen since the tool started). */
  since_signal_us: number | null;
  /** Signal checks without a signal since the last signal. */
  suppressed: number;
}

export type VhostEventRecord = EventEnvelope & VhostEventFields;

export function eventFields(e: VhostEvent, clock: WallClock): VhostEventFields | undefined {
  if (e.kind === 'unknown') return undefined;
  return {
    time: clock.toIso(e.tsNs),
    kind: e.kind,
    device: `0x${e.dev.toString(16)}`,
    queue: e.vq,
    role: e.vq % 2 ? 'tx' : 'rx',
    worker: { tid: e.tid, pid: e.pid, comm: e.comm },
    ring: { size: e.num, last_avail_idx: e.lastAvailIdx, avail_idx: e.availIdx, last_used_idx: e.lastUsedIdx, signalled_used: e.signalledUsed, used_flags: e.usedFlags },
    since_signal_us: e.sinceSignalNs ? e.sinceSignalNs / 1000 : null,
    suppressed: e.suppressed,
  };
}

export function renderEventText(r: VhostEventRecord): string {
  const t = timeOfDay(r.time, true);
  const ring = `ring ${r.ring.size}: avail ${r.ring.avail_idx}, last_avail ${r.ring.last_avail_idx}, used ${r.ring.last_used_idx}, signalled at ${r.ring.signalled_used}, flags ${r.ring.used_flags}`;
  const what =
    r.kind === 'rx_empty'
      ? 'RX ring empty with a packet waiting: the guest has not refilled its buffers'
      : r.kind === 'tx_full'
        ? `TX ring full: all ${r.ring.size} descriptors posted by the guest wait for vhost (the guest cannot send)`
        : `${r.suppressed} signal${r.suppressed === 1 ? '' : 's'} suppressed by the guest, ${r.since_signal_us === null ? 'none signalled since start' : `${formatValue(Math.round(r.since_signal_us * 1000), 'ns')} since the last`}`;
  return `${t} ${r.worker.comm}(${r.worker.tid}) ${r.role} ${r.queue} ${r.device}: ${what}; ${ring}`;
}

export function renderFinalText(f: { events: number }): string {
  return `${f.events} queue event${f.events === 1 ? '' : 's'}`;
}

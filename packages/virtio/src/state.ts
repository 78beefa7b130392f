/** A queue's interrupt state after its last poll, as both tools report it. */
import type { QueueKey, QueueState } from './layout.ts';

/** How long a queue may sit with its interrupts off and buffers waiting before it counts as stalled. */
export const STALL_MS = 1000;

export interface StateField {
  /** The driver's callbacks after the queue's last poll: 'off' while NAPI (or a busy poller) owns
   * the queue, 'on' once it completed; 'unknown' where the ring's structs are not in BTF. */
  interrupts: 'on' | 'off' | 'unknown';
  /** Buffers the device had returned and the driver had not taken, at that poll (split rings). */
  pending: number;
  /** Since that poll, at the report. */
  last_poll_ms_ago: number;
  /** Interrupts off, buffers waiting and no poll for STALL_MS: nothing will take them until a
   * poller comes back (the seed's busy-polling case). */
  stalled: boolean;
}

export function stateField(s: QueueState, nowNs: bigint): StateField | null {
  if (!s.lastNs) return null;
  const ago = Number(nowNs - s.lastNs) / 1e6;
  const interrupts = s.known ? (s.irqOff ? 'off' : 'on') : 'unknown';
  return { interrupts, pending: s.pending, last_poll_ms_ago: Math.max(0, Math.round(ago)), stalled: interrupts === 'off' && s.pending > 0 && ago >= STALL_MS };
}

/** "eth1 rx0": a queue as the text reports name it. */
export function queueName(device: string, k: Pick<QueueKey, 'dir' | 'queue'>): string {
  return `${device} ${k.dir}${k.queue < 0 ? '?' : k.queue}`;
}

/** "on", "off (3 waiting, 2.1 s ago)", "STALLED: off, 3 waiting, no poll for 4.0 s". */
export function formatState(s: StateField | null): string {
  if (!s) return '-';
  const ago = s.last_poll_ms_ago >= 1000 ? `${(s.last_poll_ms_ago / 1000).toFixed(1)} s` : `${s.last_poll_ms_ago} ms`;
  if (s.stalled) return `STALLED: off, ${s.pending} waiting, no poll for ${ago}`;
  if (s.interrupts === 'off') return `off (${s.pending} waiting, last poll ${ago} ago)`;
  return s.interrupts;
}

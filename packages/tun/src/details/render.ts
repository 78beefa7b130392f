/** tun_ring_details records: one packet a TAP dropped (or, with --all, sent into its ring) each. */
import { formatFlow, formatValue, locationText, timeOfDay, type EventEnvelope, type Flow, type WallClock } from '@netstrata/bpf-common';
import type { TunEvent } from '../layout.ts';

export interface TunEventFields {
  time: string;
  /** drop: the device dropped the packet; xmit (--all): a transmit into the TAP, before the ring. */
  kind: 'drop' | 'xmit';
  device: string;
  ifindex: number;
  netns: number;
  queue: number;
  /** Queues with a reader attached. */
  queues: number;
  /** drop: the kernel's reason and where it dropped (null for xmit). */
  reason: string | null;
  reason_code: number | null;
  location: { symbol: string; offset: number; address: string } | null;
  /** The queue's ptr_ring as it was: size (0: no reader attached at this queue, so no ring),
   * producer and consumer positions, packets in it, and whether the producer's slot was taken. */
  ring: { size: number; producer: number; consumer_head: number; consumer_tail: number; packets: number; full: boolean };
  flow: Flow | null;
  len: number;
  /** The task running when the packet was sent into the TAP (a softirq runs in whichever task it interrupted). */
  sender: { pid: number; tid: number; comm: string; cpu: number };
  /** The queue's reader: the task that last read from it, and how long before this event
   * (null: no read seen since the tool started). */
  reader: { pid: number; tid: number; comm: string; last_read_us: number } | null;
}

export type TunEventRecord = EventEnvelope & TunEventFields;

export interface Resolve {
  reasonName(code: number): string;
  location(addr: bigint): { symbol: string; offset: number } | undefined;
}

export function eventFields(e: TunEvent, clock: WallClock, r: Resolve): TunEventFields | undefined {
  if (e.kind === 'unknown') return undefined;
  const drop = e.kind === 'drop';
  const loc = drop ? r.location(e.location) : undefined;
  return {
    time: clock.toIso(e.tsNs),
    kind: e.kind,
    device: e.dev,
    ifindex: e.ifindex,
    netns: e.netns,
    queue: e.queue,
    queues: e.numqueues,
    reason: drop ? r.reasonName(e.reason) : null,
    reason_code: drop ? e.reason : null,
    location: drop ? { symbol: loc?.symbol ?? '?', offset: loc?.offset ?? 0, address: `0x${e.location.toString(16)}` } : null,
    ring: { size: e.ring.size, producer: e.ring.producer, consumer_head: e.ring.consumerHead, consumer_tail: e.ring.consumerTail, packets: e.ring.count, full: e.ring.full },
    flow: e.flow ?? null,
    len: e.len,
    sender: e.sender,
    reader: e.reader ? { pid: e.reader.pid, tid: e.reader.tid, comm: e.reader.comm, last_read_us: e.tsNs > e.reader.tsNs ? Number(e.tsNs - e.reader.tsNs) / 1000 : 0 } : null,
  };
}

export function renderEventText(r: TunEventRecord): string {
  const where = r.location && r.location.symbol !== '?' ? ` at ${locationText(r.location)}` : '';
  const what = r.kind === 'drop' ? `${r.reason} drop${where}` : 'xmit';
  const ring = r.ring.size
    ? `ring ${r.ring.packets}/${r.ring.size}${r.ring.full ? ' full' : ''} (producer ${r.ring.producer}, consumer ${r.ring.consumer_head}/${r.ring.consumer_tail})`
    : 'no reader attached at this queue';
  const reader = r.reader ? `reader ${r.reader.comm}(${r.reader.tid}) last read ${formatValue(Math.round(r.reader.last_read_us * 1000), 'ns')} before` : 'no read seen';
  const flow = r.flow ? formatFlow(r.flow) : 'not IP';
  return `${timeOfDay(r.time, true)} ${r.device} q${r.queue} ${what}: ${ring}; ${flow} len ${r.len}, sent by ${r.sender.comm}(${r.sender.tid}) on CPU ${r.sender.cpu}; ${reader}`;
}

export function renderFinalText(f: { events: number }): string {
  return `${f.events} TAP event${f.events === 1 ? '' : 's'}`;
}

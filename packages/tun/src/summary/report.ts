/** tun_ring_summary records: per TAP queue, from the kernel's cumulative rows. */
import { spanHeading, addCounts, diffSlots, formatBounds, renderHistogram, textTable, toHistogram, type Histogram, type RowsOptions, type SummaryEnvelope } from '@netstrata/bpf-common';
import type { DropEntry, QueueEntry } from '../layout.ts';

export interface QueueRow {
  device: string;
  ifindex: number;
  netns: number;
  queue: number;
  /** The queue's ring size (packets). */
  ring_size: number;
  /** Transmits into the TAP on this queue. */
  xmits: number;
  /** Of which found the ring full (tun_net_xmit then drops them: FULL_RING). */
  full: number;
  /** Of which found no reader attached to this queue. */
  no_queue: number;
  /** Packets already in the ring at each transmit. */
  occupancy: Histogram;
  /** --dwell: transmit into the TAP -> copied out by the reader, ns. */
  dwell: Histogram | null;
  /** --dwell: the task that last read from the queue. */
  reader: { pid: number; comm: string } | null;
  /** Drops by this device on this queue, by the kernel's reason, most first. */
  drops: { reason: string; reason_code: number; count: number }[];
}

export interface TunFields {
  queues: QueueRow[];
  more_queues: number;
}

export type TunRecord = SummaryEnvelope & TunFields;

export const queueRowOps: Pick<RowsOptions<QueueEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: ({ key, val }, { val: b }) => ({
    key,
    val: { ...val, xmits: val.xmits - b.xmits, full: val.full - b.full, noQueue: val.noQueue - b.noQueue, reads: val.reads - b.reads, occupancy: diffSlots(val.occupancy, b.occupancy), dwell: diffSlots(val.dwell, b.dwell) },
  }),
  add: (a, { key, val }) => ({
    key,
    val: { ...val, xmits: a.val.xmits + val.xmits, full: a.val.full + val.full, noQueue: a.val.noQueue + val.noQueue, reads: a.val.reads + val.reads, occupancy: addCounts(a.val.occupancy, val.occupancy), dwell: addCounts(a.val.dwell, val.dwell) },
  }),
  isEmpty: ({ val }) => !val.xmits && !val.reads,
};

export const dropRowOps: Pick<RowsOptions<DropEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: (now, before) => ({ key: now.key, count: now.count - before.count }),
  add: (a, b) => ({ key: b.key, count: a.count + b.count }),
  isEmpty: (d) => !d.count,
};

const queueId = (k: { ifindex: number; netns: number; queue: number }) => `${k.netns}/${k.ifindex}/${k.queue}`;

/** Queues (and drops by queue) to rows: the queues that dropped most, then the fullest. */
export function queueRows(queues: readonly QueueEntry[], drops: readonly DropEntry[], reasonName: (code: number) => string, dwell: boolean): QueueRow[] {
  const rows = new Map<string, QueueRow>();
  for (const { key, val } of queues) {
    if (!val.xmits && !val.reads) continue;
    rows.set(queueId(key), {
      device: val.dev,
      ifindex: key.ifindex,
      netns: key.netns,
      queue: key.queue,
      ring_size: val.ringSize,
      xmits: val.xmits,
      full: val.full,
      no_queue: val.noQueue,
      occupancy: toHistogram(val.occupancy, 'packets'),
      dwell: dwell ? toHistogram(val.dwell, 'ns') : null,
      reader: dwell && val.readerPid ? { pid: val.readerPid, comm: val.readerComm } : null,
      drops: [],
    });
  }
  for (const { key, count } of drops) {
    if (!count) continue;
    const id = queueId(key);
    let row = rows.get(id);
    if (!row) {
      // A drop on a queue with no transmit this interval (the receive path, say).
      row = { device: key.dev, ifindex: key.ifindex, netns: key.netns, queue: key.queue, ring_size: 0, xmits: 0, full: 0, no_queue: 0, occupancy: toHistogram([], 'packets'), dwell: dwell ? toHistogram([], 'ns') : null, reader: null, drops: [] };
      rows.set(id, row);
    }
    row.drops.push({ reason: reasonName(key.reason), reason_code: key.reason, count });
  }
  const dropped = (r: QueueRow) => r.drops.reduce((s, d) => s + d.count, 0);
  for (const r of rows.values()) r.drops.sort((a, b) => b.count - a.count || a.reason_code - b.reason_code);
  return [...rows.values()].sort((a, b) => dropped(b) - dropped(a) || b.full - a.full || (b.occupancy.percentiles?.p99.high ?? 0) - (a.occupancy.percentiles?.p99.high ?? 0) || b.xmits - a.xmits);
}

export function renderTunText(rec: TunRecord, histograms: number): string {
  const total = rec.queues.length + rec.more_queues;
  const lines = [`${spanHeading(rec)}: ${total} TAP/TUN queue${total === 1 ? '' : 's'} active`];
  if (!rec.queues.length) return lines.join('\n');
  const dwell = rec.queues.some((q) => q.dwell);
  const header = ['DEVICE', 'QUEUE', 'RING', 'XMITS', 'FULL', 'OCC P50', 'OCC P99', ...(dwell ? ['DWELL P50', 'DWELL P99', 'READER'] : []), 'DROPS'];
  const body = rec.queues.map((q) => {
    const o = q.occupancy.percentiles;
    const d = q.dwell?.percentiles;
    return [
      q.device || `ifindex ${q.ifindex}`,
      String(q.queue),
      q.ring_size ? String(q.ring_size) : '-',
      String(q.xmits),
      String(q.full),
      formatBounds(o?.p50, 'packets'),
      formatBounds(o?.p99, 'packets'),
      ...(dwell ? [formatBounds(d?.p50, 'ns'), formatBounds(d?.p99, 'ns'), q.reader ? `${q.reader.comm}(${q.reader.pid})` : '-'] : []),
      q.drops.map((x) => `${x.reason} ${x.count}`).join(', ') || '-',
    ];
  });
  lines.push(...textTable(header, body, new Set([0, header.length - 1, ...(dwell ? [header.length - 2] : [])])));
  if (rec.more_queues) lines.push(`  ... and ${rec.more_queues} more queues (--top)`);
  for (const q of rec.queues.slice(0, histograms)) {
    if (q.occupancy.count) lines.push(renderHistogram(q.occupancy, { title: `  ${q.device} queue ${q.queue}: packets in the ring at transmit`, width: 30 }));
    if (q.dwell?.count) lines.push(renderHistogram(q.dwell, { title: `  ${q.device} queue ${q.queue}: transmit -> read by ${q.reader?.comm ?? 'the reader'}`, width: 30 }));
  }
  return lines.join('\n');
}

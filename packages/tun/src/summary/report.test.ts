import { describe, expect, it } from 'vitest';
import { SLOTS } from '@netstrata/bpf-common';
import type { DropEntry, QueueEntry } from '../layout.ts';
import { queueRowOps, queueRows, renderTunText, type TunRecord } from './report.ts';

const slots = (counts: Record<number, number>) => {
  const s = new Array<bigint>(SLOTS).fill(0n);
  for (const [k, v] of Object.entries(counts)) s[Number(k)] = BigInt(v);
  return s;
};

const queue = (queue: number, o: Partial<QueueEntry['val']>): QueueEntry => ({
  key: { ifindex: 7, netns: 4026531840, queue },
  val: { dev: 'tap0', ringSize: 16, readerPid: 0, readerComm: '', xmits: 0, full: 0, noQueue: 0, reads: 0, occupancy: slots({}), dwell: slots({}), ...o },
});
const drop = (queue: number, reason: number, count: number, dev = 'tap0'): DropEntry => ({ key: { ifindex: 7, netns: 4026531840, queue, reason, dev }, count });
const names = (c: number) => ({ 80: 'FULL_RING', 64: 'QDISC_DROP' })[c] ?? `UNKNOWN_${c}`;

describe('queueRows', () => {
  it('puts each queue its drops by reason, the queue that dropped most first', () => {
    const rows = queueRows(
      [queue(0, { xmits: 10, occupancy: slots({ 0: 10 }) }), queue(1, { xmits: 40, full: 24, occupancy: slots({ 16: 24, 3: 16 }) })],
      [drop(1, 80, 24), drop(1, 64, 2)],
      names,
      false,
    );
    expect(rows.map((r) => r.queue)).toEqual([1, 0]);
    expect(rows[0]).toMatchObject({ device: 'tap0', ring_size: 16, xmits: 40, full: 24, dwell: null, reader: null });
    expect(rows[0]!.drops).toEqual([
      { reason: 'FULL_RING', reason_code: 80, count: 24 },
      { reason: 'QDISC_DROP', reason_code: 64, count: 2 },
    ]);
    expect(rows[0]!.occupancy.count).toBe(40);
    expect(rows[1]!.drops).toEqual([]);
  });

  it('shows a queue that only dropped (no transmit: no reader, no carrier), named from the drop', () => {
    const [r] = queueRows([], [drop(0, 64, 12, 'tap9')], names, true);
    expect(r).toMatchObject({ device: 'tap9', xmits: 0, ring_size: 0, drops: [{ reason: 'QDISC_DROP', count: 12 }], reader: null });
    expect(r!.dwell!.count).toBe(0);
  });

  it('with --dwell, the wait and the last reader', () => {
    const [r] = queueRows([queue(0, { xmits: 3, reads: 3, readerPid: 42, readerComm: 'vhost-41', dwell: slots({ 200: 3 }) })], [], names, true);
    expect(r!.reader).toEqual({ pid: 42, comm: 'vhost-41' });
    expect(r!.dwell!.count).toBe(3);
  });

  it('an interval is the difference of two reads, histograms included', () => {
    const a = queue(0, { xmits: 5, full: 1, occupancy: slots({ 0: 4, 16: 1 }) });
    const b = queue(0, { xmits: 9, full: 2, occupancy: slots({ 0: 7, 16: 2 }) });
    const d = queueRowOps.sub(b, a);
    expect(d.val).toMatchObject({ xmits: 4, full: 1 });
    expect(d.val.occupancy[0]).toBe(3n);
    expect(queueRowOps.isEmpty(queueRowOps.sub(a, a))).toBe(true);
  });
});

describe('renderTunText', () => {
  it('a table with the drops, then the histograms', () => {
    const queues = queueRows([queue(0, { xmits: 40, full: 24, occupancy: slots({ 0: 1, 15: 15, 16: 24 }) })], [drop(0, 80, 24)], names, false);
    const rec = { type: 'final', tool: 'tun_ring_summary', time: '2026-12-06T10:00:00Z', interval_s: 1, queues, more_queues: 0 } as unknown as TunRecord;
    const text = renderTunText(rec, 1);
    expect(text).toMatch(/1 TAP\/TUN queue active/);
    expect(text).toMatch(/tap0\s+0\s+16\s+40\s+24\s+\[16, 18\)\s+\[16, 18\)\s+FULL_RING 24/);
    expect(text).toMatch(/packets in the ring at transmit/);
  });
});

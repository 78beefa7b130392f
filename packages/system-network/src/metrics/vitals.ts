/**
 * The vital signs beyond packet counters: qdisc sojourn and NAPI per device, drops by device and
 * reason, NET_RX/NET_TX softirq time per CPU. The kernel's maps are cumulative and never cleared;
 * an interval is the difference from the previous read.
 */
import { decodeSlots, diffSlots, pickVectors, softirqVectors, toHistogram, vectorMask, type DropReasons, type Histogram, type SoftirqVector } from '@netstrata/bpf-common';
import type { Btf } from '@netstrata/libbpf-ts';
import { decodeDevKey, decodeDropDevKey, decodeSoftirqStats, QUEUE_COUNTERS, sumQueueStats, type QueueStats } from '../layout.ts';

export interface QueueRow extends Omit<QueueStats, 'name'> {
  device: string;
  ifindex: number;
  netns: number;
  /** Time from qdisc enqueue to dequeue, log2 buckets in microseconds. */
  qdisc_sojourn_us: Histogram;
}

export interface DropRow {
  device: string;
  ifindex: number;
  netns: number;
  reason: string;
  reason_code: number;
  count: number;
}

export interface SoftirqRow {
  cpu: number;
  vector: string;
  count: number;
  time_us: number;
}

export interface Vitals {
  queues: QueueRow[];
  drops: DropRow[];
  softirqs: SoftirqRow[];
}

export type { SoftirqVector };

/** NET_RX / NET_TX, by number from the kernel's BTF: never a number in our code. */
export function netSoftirqVectors(btf: Btf): SoftirqVector[] {
  const { picked, unknown } = pickVectors(softirqVectors(btf), ['NET_RX', 'NET_TX']);
  if (unknown.length) throw new Error(`this kernel's BTF has no ${unknown.join(', ')} softirq: cannot tell which vector to time`);
  return picked;
}

export const softirqMask = vectorMask;

/** The raw maps, as read: [key, per-CPU copies] for per-CPU maps, [key, value] otherwise. */
export interface VitalMaps {
  queues: Iterable<[Uint8Array, Uint8Array[]]>;
  hists: Iterable<[Uint8Array, Uint8Array]>;
  drops: Iterable<[Uint8Array, Uint8Array]>;
  /** Per vector: one copy per CPU. */
  softirqs: (vec: number) => Uint8Array[];
}

type Cum = { queue: Map<string, QueueStats & { slots: bigint[] }>; drops: Map<string, number>; softirq: Map<string, { count: number; time_ns: number }> };

export class VitalsAggregator {
  private previous: Cum = { queue: new Map(), drops: new Map(), softirq: new Map() };

  constructor(
    private readonly reasons: DropReasons,
    private readonly vectors: readonly SoftirqVector[],
  ) {}

  /** Reads the cumulative maps; returns totals since start and the interval since the last call. */
  update(m: VitalMaps): { interval: Vitals; total: Vitals } {
    const cur: Cum = { queue: new Map(), drops: new Map(), softirq: new Map() };
    const slots = new Map<string, bigint[]>();
    for (const [k, v] of m.hists) {
      const key = decodeDevKey(k);
      slots.set(`${key.netns}/${key.ifindex}`, decodeSlots([v]));
    }
    const keys = new Map<string, { ifindex: number; netns: number }>();
    for (const [k, copies] of m.queues) {
      const key = decodeDevKey(k);
      const id = `${key.netns}/${key.ifindex}`;
      keys.set(id, key);
      cur.queue.set(id, { ...sumQueueStats(copies), slots: slots.get(id) ?? new Array<bigint>(65).fill(0n) });
    }
    const dropKeys = new Map<string, ReturnType<typeof decodeDropDevKey>>();
    for (const [k, v] of m.drops) {
      const key = decodeDropDevKey(k);
      const id = `${key.netns}/${key.ifindex}/${key.reason}`;
      dropKeys.set(id, key);
      cur.drops.set(id, Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true)));
    }
    for (const { vec, name } of this.vectors) {
      m.softirqs(vec).forEach((b, cpu) => cur.softirq.set(`${cpu}/${name}`, decodeSoftirqStats(b)));
    }

    const build = (prev: Cum | undefined): Vitals => {
      const queues: QueueRow[] = [];
      for (const [id, q] of cur.queue) {
        const p = prev?.queue.get(id);
        const row = { device: q.name, ...keys.get(id)! } as QueueRow;
        for (const c of QUEUE_COUNTERS) row[c] = q[c] - (p?.[c] ?? 0);
        row.qdisc_sojourn_us = toHistogram(diffSlots(q.slots, p?.slots), 'us');
        if (!prev || QUEUE_COUNTERS.some((c) => row[c] > 0)) queues.push(row);
      }
      const drops: DropRow[] = [];
      for (const [id, n] of cur.drops) {
        const count = n - (prev?.drops.get(id) ?? 0);
        const k = dropKeys.get(id)!;
        if (prev && count <= 0) continue;
        drops.push({ device: k.name, ifindex: k.ifindex, netns: k.netns, reason: this.reasons.name(k.reason), reason_code: k.reason, count });
      }
      const softirqs: SoftirqRow[] = [];
      for (const [id, s] of cur.softirq) {
        const p = prev?.softirq.get(id);
        const count = s.count - (p?.count ?? 0);
        if (count <= 0) continue;
        const [cpu, vector] = id.split('/') as [string, string];
        softirqs.push({ cpu: Number(cpu), vector, count, time_us: Math.round((s.time_ns - (p?.time_ns ?? 0)) / 1000) });
      }
      queues.sort((a, b) => b.qdisc_dequeued + b.napi_packets - (a.qdisc_dequeued + a.napi_packets));
      drops.sort((a, b) => b.count - a.count);
      softirqs.sort((a, b) => a.vector.localeCompare(b.vector) || a.cpu - b.cpu);
      return { queues, drops, softirqs };
    };
    const result = { interval: build(this.previous), total: build(undefined) };
    this.previous = cur;
    return result;
  }
}

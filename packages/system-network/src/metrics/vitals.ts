/**
 * The vital signs beyond packet counters: qdisc sojourn and NAPI per device, drops by device and
 * reason, NET_RX/NET_TX softirq time per CPU. The kernel's maps are cumulative and never cleared;
 * an interval is the difference from the previous read.
 */
import { Deltas, SLOTS, decodeSlots, diffSlots, keyId, pickVectors, softirqVectors, toHistogram, vectorMask, type Btf, type DropReasons, type Histogram, type SoftirqVector } from '@netstrata/bpf-common';
import { QUEUE_COUNTERS, decodeSoftirqStats, devKey, dropDevKey, sumQueueStats, u64, type DevKey, type DropDevKey, type QueueStats } from '../layout.ts';

export interface QueueRow extends Omit<QueueStats, 'name'> {
  device: string;
  ifindex: number;
  netns: number;
  /** Time from qdisc enqueue to dequeue, in microseconds. */
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

interface Queue {
  key: DevKey;
  stats: QueueStats;
  slots: bigint[];
}
interface Drop {
  key: DropDevKey;
  count: number;
}
interface Softirq {
  cpu: number;
  vector: string;
  count: number;
  time_ns: number;
}

export class VitalsAggregator {
  private readonly queues = new Deltas<Queue>(
    (now, before) => {
      const stats = { ...now.stats };
      for (const c of QUEUE_COUNTERS) stats[c] -= before.stats[c];
      return { key: now.key, stats, slots: diffSlots(now.slots, before.slots) };
    },
    (d) => !QUEUE_COUNTERS.some((c) => d.stats[c] > 0),
  );
  private readonly drops = new Deltas<Drop>((now, before) => ({ key: now.key, count: now.count - before.count }), (d) => d.count <= 0);
  private readonly softirqs = new Deltas<Softirq>((now, before) => ({ ...now, count: now.count - before.count, time_ns: now.time_ns - before.time_ns }), (d) => d.count <= 0);

  constructor(
    private readonly reasons: DropReasons,
    private readonly vectors: readonly SoftirqVector[],
  ) {}

  /** Reads the cumulative maps; returns totals since start and the interval since the last call. */
  update(m: VitalMaps): { interval: Vitals; total: Vitals } {
    const slots = new Map<string, bigint[]>();
    for (const [k, v] of m.hists) slots.set(keyId(k), decodeSlots([v]));
    const queues: [string, Queue][] = [];
    for (const [k, copies] of m.queues) {
      const id = keyId(k);
      queues.push([id, { key: devKey.decode(k), stats: sumQueueStats(copies), slots: slots.get(id) ?? new Array<bigint>(SLOTS).fill(0n) }]);
    }
    const drops: [string, Drop][] = [];
    for (const [k, v] of m.drops) drops.push([keyId(k), { key: dropDevKey.decode(k), count: u64(v) }]);
    const softirqs: [string, Softirq][] = [];
    for (const { vec, name } of this.vectors) {
      m.softirqs(vec).forEach((b, cpu) => softirqs.push([`${cpu}/${name}`, { cpu, vector: name, ...decodeSoftirqStats(b) }]));
    }
    const q = this.queues.update(queues);
    const d = this.drops.update(drops);
    const s = this.softirqs.update(softirqs);
    return {
      interval: this.vitals(q.interval, d.interval, s.interval),
      total: this.vitals(q.total, d.total, s.total.filter((x) => x.count > 0)),
    };
  }

  private vitals(queues: Queue[], drops: Drop[], softirqs: Softirq[]): Vitals {
    return {
      queues: queues
        .map((q): QueueRow => {
          const { name, ...counters } = q.stats;
          return { device: name, ifindex: q.key.ifindex, netns: q.key.netns, ...counters, qdisc_sojourn_us: toHistogram(q.slots, 'us') };
        })
        .sort((a, b) => b.qdisc_dequeued + b.napi_packets - (a.qdisc_dequeued + a.napi_packets)),
      drops: drops
        .map(({ key: k, count }): DropRow => ({ device: k.name, ifindex: k.ifindex, netns: k.netns, reason: this.reasons.name(k.reason), reason_code: k.reason, count }))
        .sort((a, b) => b.count - a.count),
      softirqs: softirqs
        .map(({ cpu, vector, count, time_ns }): SoftirqRow => ({ cpu, vector, count, time_us: Math.round(time_ns / 1000) }))
        .sort((a, b) => a.vector.localeCompare(b.vector) || a.cpu - b.cpu),
    };
  }
}

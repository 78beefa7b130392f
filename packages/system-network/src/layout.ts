/** Decoders mirroring bpf/system_network.h (sizes checked by _Static_assert there). */
import { cString } from '@netstrata/bpf-common';
export const DEV_KEY_SIZE = 8;
export const DEV_STATS_SIZE = 56;

export interface DevKey {
  ifindex: number;
  netns: number;
}

export interface DevStats {
  name: string;
  rx_packets: number;
  rx_bytes: number;
  tx_packets: number;
  tx_bytes: number;
  tx_errors: number;
}

export const COUNTERS = ['rx_packets', 'rx_bytes', 'tx_packets', 'tx_bytes', 'tx_errors'] as const;
export type Counter = (typeof COUNTERS)[number];

export function decodeDevKey(b: Uint8Array): DevKey {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { ifindex: v.getUint32(0, true), netns: v.getUint32(4, true) };
}

/** Sums the per-CPU copies of struct dev_stats; the name comes from whichever CPU set it. */
export function sumDevStats(perCpu: readonly Uint8Array[]): DevStats {
  const out: DevStats = { name: '', rx_packets: 0, rx_bytes: 0, tx_packets: 0, tx_bytes: 0, tx_errors: 0 };
  for (const b of perCpu) {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    COUNTERS.forEach((c, i) => (out[c] += Number(v.getBigUint64(i * 8, true))));
    if (!out.name) out.name = cString(b.subarray(40, 56));
  }
  return out;
}

export const QUEUE_STATS_SIZE = 56;
export const DROP_DEV_KEY_SIZE = 28;
export const SOFTIRQ_STATS_SIZE = 24;

/** struct qdisc_napi_stats, summed over CPUs. */
export interface QueueStats {
  name: string;
  qdisc_dequeued: number;
  qdisc_unmatched: number;
  napi_polls: number;
  napi_packets: number;
  napi_exhausted: number;
}

export const QUEUE_COUNTERS = ['qdisc_dequeued', 'qdisc_unmatched', 'napi_polls', 'napi_packets', 'napi_exhausted'] as const;


export function sumQueueStats(perCpu: readonly Uint8Array[]): QueueStats {
  const out: QueueStats = { name: '', qdisc_dequeued: 0, qdisc_unmatched: 0, napi_polls: 0, napi_packets: 0, napi_exhausted: 0 };
  for (const b of perCpu) {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    QUEUE_COUNTERS.forEach((c, i) => (out[c] += Number(v.getBigUint64(i * 8, true))));
    if (!out.name) out.name = cString(b.subarray(40, 56));
  }
  return out;
}

/** struct drop_dev_key. */
export interface DropDevKey {
  ifindex: number;
  netns: number;
  reason: number;
  name: string;
}

export function decodeDropDevKey(b: Uint8Array): DropDevKey {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { ifindex: v.getUint32(0, true), netns: v.getUint32(4, true), reason: v.getUint32(8, true), name: cString(b.subarray(12, 28)) };
}

/** struct softirq_stats of one CPU (start_ns is the kernel's scratch, not reported). */
export function decodeSoftirqStats(b: Uint8Array): { count: number; time_ns: number } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { count: Number(v.getBigUint64(0, true)), time_ns: Number(v.getBigUint64(8, true)) };
}

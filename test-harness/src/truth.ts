/** Ground truth in the tools' terms: which log2 bucket a known latency falls in, and percentiles. */
import { slotOf } from '@netstrata/bpf-common';
import type { Host } from './topology.ts';

/** The log2 slot a latency of `us` microseconds is counted in (slot k: [2^(k-1), 2^k) µs). */
export const bucketOf = (us: number): number => slotOf(Math.max(0, Math.floor(us)));

/** The sample of rank ceil(q × n) of ascending samples, as the tools' percentiles pick it. */
export const rank = (sorted: readonly number[], q: number): number => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;

/**
 * What a tbf at `rateBps` bytes/s with `burst` bytes of bucket does to n back-to-back frames of
 * `frame` bytes: packet i leaves ((i + 1) × frame − burst) / rate after the first. Waits in µs,
 * ascending.
 */
export function tbfWaitsUs(o: { n: number; frame: number; burst: number; rateBps: number }): number[] {
  return Array.from({ length: o.n }, (_, i) => Math.max(0, ((i + 1) * o.frame - o.burst) / o.rateBps) * 1e6).sort((x, y) => x - y);
}

/**
 * A tbf root qdisc on the host's device, `rateBps` bytes/s with `burst` bytes of bucket and room
 * for a long queue: back-to-back packets wait a predictable time, given by `waitsUs`.
 */
export function shapeTbf(host: Host, o: { rateBps: number; burst: number }): { waitsUs: (n: number, frame: number) => number[] } {
  host.ns.tc('qdisc', 'add', 'dev', host.dev, 'root', 'tbf', 'rate', `${o.rateBps * 8}bit`, 'burst', String(o.burst), 'limit', '1000000');
  return { waitsUs: (n, frame) => tbfWaitsUs({ n, frame, burst: o.burst, rateBps: o.rateBps }) };
}

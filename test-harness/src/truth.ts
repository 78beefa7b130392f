/** Ground truth in the tools' terms: which power of two a known latency falls in, and percentiles. */
import { octaveOf } from '@netstrata/bpf-common';
import type { Host } from './topology.ts';

/**
 * The power of two a latency of `us` microseconds is in (k: [2^(k-1), 2^k) µs, 0 for below 1 µs).
 * Tests that compare a measured latency with a predicted one allow a power of two of timing noise;
 * the histograms' own buckets are finer (an eighth of one).
 */
export const bucketOf = (us: number): number => octaveOf(us);

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

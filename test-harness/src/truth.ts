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
 * What a tbf at `rateBps` bytes/s with `burst` bytes of bucket does to n frames of `frame` bytes
 * that reach it at `arrivalsUs` (µs, any origin; absent: all at once, when packet i leaves
 * ((i + 1) × frame − burst) / rate after the first). The bucket refills at the rate up to
 * `burst`; a frame leaves when it holds a frame's worth, in order. Waits in µs, ascending.
 *
 * A sender preempted between two sends lets the queue drain meanwhile: tests that need each wait
 * take the arrivals the sender measured rather than assume back-to-back sends.
 */
export function tbfWaitsUs(o: { n: number; frame: number; burst: number; rateBps: number; arrivalsUs?: readonly number[] }): number[] {
  const at = o.arrivalsUs ?? new Array<number>(o.n).fill(0);
  const usPerByte = 1e6 / o.rateBps;
  let clock = at[0] ?? 0;
  let tokens = o.burst;
  const waits: number[] = [];
  for (let i = 0; i < o.n; i++) {
    const t = Math.max(at[i]!, clock);
    tokens = Math.min(o.burst, tokens + (t - clock) / usPerByte);
    clock = t;
    if (tokens < o.frame) {
      clock += (o.frame - tokens) * usPerByte;
      tokens = o.frame;
    }
    tokens -= o.frame;
    waits.push(clock - at[i]!);
  }
  return waits.sort((x, y) => x - y);
}

/**
 * A tbf root qdisc on the host's device, `rateBps` bytes/s with `burst` bytes of bucket and room
 * for a long queue: packets wait a predictable time, given by `waitsUs` (from their arrivals).
 */
export function shapeTbf(host: Host, o: { rateBps: number; burst: number }): { waitsUs: (n: number, frame: number, arrivalsUs?: readonly number[]) => number[] } {
  host.ns.tc('qdisc', 'add', 'dev', host.dev, 'root', 'tbf', 'rate', `${o.rateBps * 8}bit`, 'burst', String(o.burst), 'limit', '1000000');
  return { waitsUs: (n, frame, arrivalsUs) => tbfWaitsUs({ n, frame, burst: o.burst, rateBps: o.rateBps, arrivalsUs }) };
}

/** Ground truth in the tools' terms: which log2 bucket a known latency falls in, and percentiles. */
import { slotOf } from '@netstrata/bpf-common';

/** The log2 slot a latency of `us` microseconds is counted in (slot k: [2^(k-1), 2^k) µs). */
export const bucketOf = (us: number): number => slotOf(Math.max(0, Math.floor(us)));

/** The sample of rank ceil(q × n) of ascending samples, as the tools' percentiles pick it. */
export const rank = (sorted: readonly number[], q: number): number => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;

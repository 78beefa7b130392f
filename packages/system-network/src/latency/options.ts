/** Options of the latency tools: yargs declares them, zod validates them before anything loads. */
import type { Argv } from 'yargs';
import { z } from 'zod';
import { commonSchema, filterSchema, num, withCommonOptions, withFilterOptions } from '@netstrata/bpf-common';

function withDirection<T>(y: Argv<T>) {
  return y.option('direction', { choices: ['rx', 'tx', 'both'] as const, default: 'both' as const, describe: 'receive path, send path, or both' });
}

/** Sessions in flight the kernel keeps (LAT_SESSIONS_MAX in bpf/system_network_latency.h). */
export const LAT_SESSIONS_MAX = 65536;

/** Hidden: a smaller session table, to see evictions counted without 64k packets in flight. */
function withMaxSessions<T>(y: Argv<T>) {
  return y.option('max-sessions', { type: 'number', default: LAT_SESSIONS_MAX, describe: 'packets followed at once (size of the session table)', hidden: true });
}

const maxSessions = num('max-sessions', { int: true, min: 64, max: 1 << 20 });

export function summaryOptions<T>(y: Argv<T>) {
  return withMaxSessions(withDirection(withFilterOptions(withCommonOptions(y, { interval: 5 }))));
}

export const summarySchema = commonSchema.extend(filterSchema.shape).extend({ direction: z.enum(['rx', 'tx', 'both']), maxSessions });
export type SummaryOptions = z.infer<typeof summarySchema>;

export const DEFAULT_THRESHOLD_US = 1000;

export function detailsOptions<T>(y: Argv<T>) {
  return withMaxSessions(withDirection(withFilterOptions(withCommonOptions(y))))
    .option('latency-threshold-us', { type: 'number', default: DEFAULT_THRESHOLD_US, describe: 'report packets whose path through the host took at least this long (µs)' })
    .option('stack', { type: 'boolean', default: false, describe: 'add the kernel stack where the packet\'s slowest step ended (who finally moved it on: the read, the qdisc dequeue, ...)' })
    .option('ring-size', { type: 'number', default: 4096, describe: 'KiB of ring buffer between kernel and tool (power of two)', hidden: true });
}

export const detailsSchema = commonSchema.extend(filterSchema.shape).extend({
  direction: z.enum(['rx', 'tx', 'both']),
  maxSessions,
  latencyThresholdUs: num('latency-threshold-us', { min: 0, max: 1e9 }),
  stack: z.boolean(),
  ringSize: num('ring-size', { int: true, min: 64, max: 1 << 20 }).refine((v) => (v & (v - 1)) === 0, { message: '--ring-size: must be a power of two' }),
});
export type DetailsOptions = z.infer<typeof detailsSchema>;

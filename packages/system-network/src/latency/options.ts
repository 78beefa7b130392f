/** Options both latency tools have: which direction, every stage or the default ones, sampling,
 * and the size of the session table. */
import type { Argv } from 'yargs';
import { z } from 'zod';
import { num } from '@netstrata/bpf-common';

/** Sessions in flight the kernel keeps (LAT_SESSIONS_MAX in bpf/system_network_latency.h). */
export const LAT_SESSIONS_MAX = 65536;

export function latencyOptions<T>(y: Argv<T>) {
  return (
    y
      .option('direction', { choices: ['rx', 'tx', 'both'] as const, default: 'both' as const, describe: 'receive path, send path, or both' })
      .option('stages', {
        type: 'boolean',
        default: false,
        describe: 'time every stage (IP layer, qdisc enqueue and dequeue, driver start, frees) instead of the default device -> socket queue -> read and send -> device queue -> xmit; costs several times more per packet',
      })
      .option('sample', { type: 'number', default: 1, describe: 'follow one packet in N of those that pass the filters (the others cost one check at the first stage)' })
      // Hidden: a smaller session table, to see evictions counted without 64k packets in flight.
      .option('max-sessions', { type: 'number', default: LAT_SESSIONS_MAX, describe: 'packets followed at once (size of the session table)', hidden: true })
  );
}

export const latencySchema = {
  direction: z.enum(['rx', 'tx', 'both']),
  stages: z.boolean(),
  sample: num('sample', { int: true, min: 1, max: 1 << 30 }),
  maxSessions: num('max-sessions', { int: true, min: 64, max: 1 << 20 }),
};

/** Options of packet_drop_details. */
import type { Argv } from 'yargs';
import { z } from 'zod';
import { commonSchema, filterSchema, num, withCommonOptions, withFilterOptions } from '@netstrata/bpf-common';

export function detailsOptions<T>(y: Argv<T>) {
  return withFilterOptions(withCommonOptions(y))
    .option('reason', { type: 'string', describe: 'only drops with this reason (kernel name, e.g. NO_SOCKET)' })
    .option('stack', { type: 'boolean', default: false, describe: 'add the kernel stack of each drop' })
    .option('ring-size', { type: 'number', default: 4096, describe: 'KiB of ring buffer between kernel and tool (power of two)', hidden: true });
}

export const detailsSchema = commonSchema.extend(filterSchema.shape).extend({
  reason: z.string().optional(),
  stack: z.boolean(),
  ringSize: num('ring-size', { int: true, min: 64, max: 1 << 20 }).refine((v) => (v & (v - 1)) === 0, { message: '--ring-size: must be a power of two' }),
});

export type DetailsOptions = z.infer<typeof detailsSchema>;

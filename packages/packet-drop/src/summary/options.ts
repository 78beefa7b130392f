/** Options of packet_drop_summary: yargs declares them, zod validates them before anything loads. */
import type { Argv } from 'yargs';
import { z } from 'zod';
import { filterSchema, withCommonOptions, withFilterOptions, commonSchema } from '@netstrata/bpf-common';
import { GROUP_KEYS, type GroupKey } from './render.ts';

export function summaryOptions<T>(y: Argv<T>) {
  return withFilterOptions(withCommonOptions(y, { interval: 1 }))
    .option('group-by', {
      type: 'string',
      default: 'reason,location',
      describe: `keys to count drops by, comma separated: ${GROUP_KEYS.join(', ')}`,
    })
    .option('reason', {
      type: 'string',
      describe: 'only drops with this reason (kernel name, e.g. NO_SOCKET)',
    });
}

const groupBy = z.string().transform((s, ctx): GroupKey[] => {
  const keys = s.split(',').map((k) => k.trim()).filter(Boolean);
  if (!keys.length) {
    ctx.addIssue({ code: 'custom', message: `--group-by: give at least one of ${GROUP_KEYS.join(', ')}` });
    return z.NEVER;
  }
  for (const k of keys) {
    if (!(GROUP_KEYS as readonly string[]).includes(k)) {
      ctx.addIssue({ code: 'custom', message: `--group-by: '${k}' is not one of ${GROUP_KEYS.join(', ')}` });
      return z.NEVER;
    }
  }
  return [...new Set(keys)] as GroupKey[];
});

export const summarySchema = commonSchema.extend(filterSchema.shape).extend({
  groupBy,
  reason: z.string().optional(),
});

export type SummaryOptions = z.infer<typeof summarySchema>;

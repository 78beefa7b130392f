/** Options every tool shares, declared for yargs and validated by zod with one-line messages. */
import type { Argv } from 'yargs';
import { z } from 'zod';

/** A finite number with bounds, whose error names the option and the value given. */
export function num(option: string, o: { min?: number; max?: number; int?: boolean; positive?: boolean } = {}) {
  return z.any().transform((v, ctx): number => {
    const n = typeof v === 'number' ? v : Number(v);
    const fail = (why: string) => {
      ctx.addIssue({ code: 'custom', message: `--${option}: '${v}' ${why}` });
      return z.NEVER;
    };
    if (typeof v === 'string' && v.trim() === '') return fail('is not a number');
    if (!Number.isFinite(n)) return fail('is not a number');
    if (o.int && !Number.isInteger(n)) return fail('is not a whole number');
    if (o.positive && n <= 0) return fail('must be greater than 0');
    if (o.min !== undefined && n < o.min) return fail(`must be at least ${o.min}`);
    if (o.max !== undefined && n > o.max) return fail(`must be at most ${o.max}`);
    return n;
  });
}

export function withCommonOptions<T>(y: Argv<T>, defaults: { interval?: number; top?: number } = {}) {
  return y
    .option('interval', { type: 'number', default: defaults.interval ?? 1, describe: 'seconds between reports', group: 'Output:' })
    .option('duration', { type: 'number', default: 0, describe: 'stop after this many seconds (0: until Ctrl-C)', group: 'Output:' })
    .option('top', { type: 'number', default: defaults.top ?? 10, describe: 'rows shown per report', group: 'Output:' })
    .option('output', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'text for people, json for one JSON object per line', group: 'Output:' })
    .option('verbose', { type: 'boolean', default: false, describe: 'say which hooks were chosen and print libbpf logs on failure', group: 'Output:' })
    .option('ready-file', { type: 'string', hidden: true, describe: 'written once everything is attached' });
}

export const commonSchema = z.object({
  interval: num('interval', { positive: true }),
  duration: num('duration', { min: 0 }),
  top: num('top', { int: true, min: 1 }),
  output: z.enum(['text', 'json']),
  verbose: z.boolean(),
  readyFile: z.string().optional(),
});

export type CommonOptions = z.infer<typeof commonSchema>;

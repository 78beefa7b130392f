/** Option helpers the netstrata commands share. */
import { z } from 'zod';

/** An option given once: yargs makes an array of one given twice, which is a usage error. */
export const once = <T extends z.ZodType>(option: string, inner: T) =>
  z
    .any()
    .transform((v, ctx) => {
      if (!Array.isArray(v)) return v as unknown;
      ctx.addIssue({ code: 'custom', message: `--${option}: given more than once` });
      return z.NEVER;
    })
    .pipe(inner);

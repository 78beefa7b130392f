/** --prometheus [ADDR:]PORT, the one option of system_network_metrics_summary beyond the runner's. */
import { isIP } from 'node:net';
import type { Argv } from 'yargs';
import { z } from 'zod';

export function prometheusOption<T>(y: Argv<T>) {
  return y.option('prometheus', {
    type: 'string',
    describe: 'also serve Prometheus metrics on [ADDR:]PORT at /metrics (ADDR defaults to 127.0.0.1)',
    group: 'Output:',
  });
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** `PORT`, `ADDR:PORT` or `[V6ADDR]:PORT`; only a port means loopback, so nothing is exposed by accident. */
export function parseListen(v: string): ListenAddress | string {
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]+)):)?(\d+)$/.exec(v.trim());
  if (!m) return 'is not [ADDR:]PORT';
  const host = m[1] ?? m[2] ?? '127.0.0.1';
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return 'has a port out of range 1..65535';
  if (!isIP(host)) return `has '${host}', which is not an IPv4 or IPv6 address`;
  if (m[2] === undefined && m[1] !== undefined && isIP(host) !== 6) return 'brackets only an IPv6 address';
  return { host, port };
}

export const prometheusSchema = z
  .any()
  .optional()
  .transform((v, ctx): ListenAddress | undefined => {
    if (v === undefined) return undefined;
    const r = parseListen(String(v));
    if (typeof r === 'string') {
      ctx.addIssue({ code: 'custom', message: `--prometheus: '${v}' ${r}` });
      return z.NEVER;
    }
    return r;
  });

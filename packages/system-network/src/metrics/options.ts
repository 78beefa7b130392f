/** The options of system_network_metrics_summary beyond the runner's: --prometheus [ADDR:]PORT, and
 * the per-packet probes a user turns on for what the kernel does not count itself. */
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

/** Probes that run per packet or per softirq, off by default: by default the tool reads what the
 * kernel already counts (softnet_stat, /proc/softirqs, /proc/stat, tc qdisc statistics). */
export function probeOptions<T>(y: Argv<T>) {
  return y
    .option('napi', {
      type: 'boolean',
      default: false,
      describe: 'also count NAPI polls, packets and budget-exhausted polls per device (napi:napi_poll: one BPF run per poll)',
      group: 'Probes:',
    })
    .option('softirq-time', {
      type: 'boolean',
      default: false,
      describe: 'also time NET_RX/NET_TX softirqs per CPU (irq:softirq_entry/exit: two BPF runs per softirq)',
      group: 'Probes:',
    })
    .option('qdisc-sojourn', {
      type: 'boolean',
      default: false,
      describe: 'also measure qdisc sojourn per device (qdisc:qdisc_enqueue/dequeue: two BPF runs per queued packet)',
      group: 'Probes:',
    });
}

export const metricsOptions = <T>(y: Argv<T>) => probeOptions(prometheusOption(y));

export const probeSchema = { napi: z.boolean().default(false), softirqTime: z.boolean().default(false), qdiscSojourn: z.boolean().default(false) };

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

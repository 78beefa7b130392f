/** icmp_rtt_details' options: the interfaces a ping goes through, the address filters, the
 * threshold and the timeout; the checks and the rodata they make. */
import { UsageError, checkFilter, currentNetns, encodeFilter, filterSchema, num, resolveInterfaces, resolveNetns, type RodataValue } from '@netstrata/bpf-common';
import type { Argv } from 'yargs';
import { z } from 'zod';

export const DEFAULT_TIMEOUT_MS = 1000;

export function withPingOptions<T>(y: Argv<T>) {
  const f = 'Filters (applied in the kernel):';
  return y
    .option('tx-interface', { type: 'string', describe: 'where requests leave this host (and replies come back): a device name or index (required)' })
    .option('rx-interface', { type: 'string', describe: 'where forwarded requests enter (and their replies leave): a device name or index; without it, pings this host sends itself' })
    .option('netns', { type: 'string', describe: 'the network namespace the interfaces are in: a name from ip netns or a path (default this one)' })
    .option('src-ip', { type: 'string', describe: 'the pinger: address or prefix (IPv4 or IPv6) of the requests\' source', group: f })
    .option('dst-ip', { type: 'string', describe: 'the target: address or prefix of the requests\' destination', group: f })
    .option('ip', { type: 'string', describe: 'address or prefix of either end', group: f })
    .option('latency-threshold-us', { type: 'number', default: 0, describe: 'report a ping whose round trip (request in -> reply out of this host) took at least this long (µs; 0: every ping)' })
    .option('timeout-ms', { type: 'number', default: DEFAULT_TIMEOUT_MS, describe: 'a ping with no reply after this long counts as unanswered' });
}

const addresses = filterSchema.pick({ srcIp: true, dstIp: true, ip: true });

export const pingSchema = {
  ...addresses.shape,
  txInterface: z.string().optional(),
  rxInterface: z.string().optional(),
  netns: z.string().optional(),
  latencyThresholdUs: num('latency-threshold-us', { min: 0, max: 1e9 }),
  timeoutMs: num('timeout-ms', { min: 1, max: 600_000 }),
};

export interface PingOptions {
  txInterface?: string;
  rxInterface?: string;
  netns?: string;
  srcIp?: z.infer<typeof addresses>['srcIp'];
  dstIp?: z.infer<typeof addresses>['dstIp'];
  ip?: z.infer<typeof addresses>['ip'];
  latencyThresholdUs: number;
  timeoutMs: number;
}

export interface Device {
  name: string;
  ifindex: number;
}

export interface PingInterfaces {
  netns: number;
  rx: Device | undefined;
  tx: Device;
}

const resolved = new WeakMap<object, PingInterfaces>();

/** The options' interfaces as this kernel's indexes, looked up once per run; usage errors name the option. */
export function pingInterfaces(o: PingOptions): PingInterfaces {
  let i = resolved.get(o);
  if (!i) resolved.set(o, (i = resolve(o)));
  return i;
}

function one(spec: string, option: string, path: string | undefined, netns: string | undefined): Device {
  if (spec.split(',').filter((s) => s.trim()).length > 1) throw new UsageError(`${option}: one device, not a list`);
  return resolveInterfaces([spec], option, path, netns)[0]!;
}

function resolve(o: PingOptions): PingInterfaces {
  if (o.txInterface === undefined) throw new UsageError('--tx-interface: required (where requests leave this host, such as eth0)');
  checkFilter({ srcIp: o.srcIp, dstIp: o.dstIp, ip: o.ip });
  const ns = o.netns === undefined ? undefined : resolveNetns(o.netns);
  if (ns && !ns.path) throw new UsageError(`--netns: cannot look up interfaces in namespace inode ${o.netns}; give --netns as a name or path`);
  const tx = one(o.txInterface, '--tx-interface', ns?.path, o.netns);
  const rx = o.rxInterface === undefined ? undefined : one(o.rxInterface, '--rx-interface', ns?.path, o.netns);
  return { netns: ns?.inode ?? currentNetns(), rx, tx };
}

export function pingRodata(o: PingOptions): Record<string, RodataValue> {
  const i = pingInterfaces(o);
  const family = o.srcIp?.family ?? o.dstIp?.family ?? o.ip?.family ?? 0;
  return {
    targ_filter: encodeFilter({ options: { srcIp: o.srcIp, dstIp: o.dstIp, ip: o.ip }, family, ifindex: 0, netns: 0 }),
    targ_rx_ifindex: i.rx?.ifindex ?? 0,
    targ_tx_ifindex: i.tx.ifindex,
    targ_netns: i.netns,
    targ_threshold_ns: BigInt(Math.round(o.latencyThresholdUs * 1000)),
    targ_timeout_ns: BigInt(Math.round(o.timeoutMs * 1e6)),
  };
}

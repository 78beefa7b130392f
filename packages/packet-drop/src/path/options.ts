/** The path tracers' own options: the two interfaces a request passes, and how long to wait. */
import { UsageError, currentNetns, resolveInterfaces, resolveNetns, type RodataValue } from '@netstrata/bpf-common';
import type { Argv } from 'yargs';
import { z } from 'zod';

export interface PathOptions {
  rxInterface?: string;
  txInterface?: string;
  timeoutMs: number;
  netns?: string;
}

export interface PathInterfaces {
  rx: { name: string; ifindex: number };
  tx: { name: string; ifindex: number };
  netns: number;
}

export function withPathOptions<T>(y: Argv<T>) {
  return y
    .option('rx-interface', { type: 'string', describe: 'where requests enter this host (and their replies leave): a name or index, in --netns if given (required)' })
    .option('tx-interface', { type: 'string', describe: 'where requests leave toward their peer (and replies come back): a name or index (required)' })
    .option('timeout-ms', { type: 'number', default: 1000, describe: 'a request with no reply out after this long is classified by the last point it passed' });
}

export const pathSchema = {
  rxInterface: z.string().optional(),
  txInterface: z.string().optional(),
  timeoutMs: z.number().int('--timeout-ms: must be a whole number of milliseconds').min(10, '--timeout-ms: at least 10').max(600_000, '--timeout-ms: at most 600000 (10 minutes)'),
};

const resolved = new WeakMap<PathOptions, PathInterfaces>();

/** The two interfaces as this kernel's indexes, looked up once per run; usage errors name the option. */
export function pathInterfaces(o: PathOptions): PathInterfaces {
  let i = resolved.get(o);
  if (!i) resolved.set(o, (i = resolve(o)));
  return i;
}

function resolve(o: PathOptions): PathInterfaces {
  if (o.rxInterface === undefined) throw new UsageError('--rx-interface: required (where requests enter this host)');
  if (o.txInterface === undefined) throw new UsageError('--tx-interface: required (where requests leave toward their peer)');
  const ns = o.netns === undefined ? undefined : resolveNetns(o.netns);
  if (ns && !ns.path) throw new UsageError(`--netns: cannot look up interfaces in namespace inode ${o.netns}; give --netns as a name or path`);
  const one = (spec: string, option: string) => {
    const list = resolveInterfaces([spec], option, ns?.path, o.netns);
    if (list.length !== 1) throw new UsageError(`${option}: one device (a path enters by one and leaves by another)`);
    return list[0]!;
  };
  const rx = one(o.rxInterface, '--rx-interface');
  const tx = one(o.txInterface, '--tx-interface');
  if (rx.ifindex === tx.ifindex) throw new UsageError(`--tx-interface: ${tx.name} is also the --rx-interface; a path enters by one device and leaves by another`);
  return { rx, tx, netns: ns?.inode ?? currentNetns() };
}

export function pathRodata(i: PathInterfaces): Record<string, RodataValue> {
  return { targ_rx: i.rx.ifindex, targ_tx: i.tx.ifindex, targ_netns: i.netns };
}

export const PATH_EPILOG =
  'A request enters on --rx-interface (net:netif_receive_skb) and leaves on --tx-interface (net:net_dev_start_xmit: handed to its driver); its reply comes back in on --tx-interface and goes out on --rx-interface. ' +
  'Requests are matched to replies by ICMP echo identifier and sequence; for TCP a segment carrying data, SYN or FIN is a request and the ACK that covers its end its reply; ' +
  'for UDP a datagram from the rx side is a request and the next datagram of the flow coming back the reply to the oldest request waiting. ' +
  'After --timeout-ms a request is complete (its reply went out), internal_drop_request (it entered and never left), external_drop (it left and no reply came back) or internal_drop_reply (the reply came in and never went out). ' +
  "Where the kernel dropped it on our watch (skb:kfree_skb), the reason and location are attached. Both device tracepoints run for every packet of every device (two BPF runs per forwarded packet); addresses must not be translated (NAT) between the two interfaces.";

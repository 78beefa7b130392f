/** tcp_health_summary: How healthy are this host's TCP connections: round-trip time, handshakes,
 * retransmissions, resets and drops, per flow and per host? */
import { DropReasons, KernelRows, UsageError, defineSummary, perCpuEntries, type Delta } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/tcp_health_summary.bpf.o';
import { ALL_TCP_HEALTH_HOOKS, resetReasons, tcpHealthHooks, tcpHealthKernelRodata } from './hooks.ts';
import { decodeDrop, decodeFlow, decodeHost, decodeReason, emptyHost, tcpDropKey, tcpFlowKey, tcpFlowStats, tcpHostStats, tcpReasonKey, type DropEntry, type FlowEntry, type HostVal, type ReasonEntry } from './layout.ts';
import { countRowOps, flowHealth, flowRowOps, hostDelta, hostHealth, renderTcpHealthText } from './report.ts';

export const DESCRIBE = "How healthy are this host's TCP connections: round-trip time, handshakes, retransmissions, resets and drops, per flow and per host?";

interface Snapshot {
  host: { total: HostVal; interval: HostVal };
  flows: Delta<FlowEntry>;
  drops: Delta<DropEntry>;
  reasons: Delta<ReasonEntry>;
}

export const tcpHealthSummary = defineSummary({
  name: 'tcp_health_summary',
  domain: 'system-network',
  describe: DESCRIBE,
  examples: [
    ['$0', 'every TCP connection of the host, every 5 seconds: the host line, the flows in most trouble, the histograms'],
    ['$0 --netns blue --port 443 --top 5', "namespace blue's connections from or to port 443, the five in most trouble"],
    ['$0 --ip 10.0.0.0/8 --window', 'connections with peers in 10/8, with their congestion windows and packets in flight (one BPF run per segment received)'],
    ['$0 --interval 60 --output json', 'once a minute, as NDJSON (docs/output-fields.md)'],
  ],
  epilog:
    'Handshakes: active opens are timed from SYN sent to established (sock:inet_sock_set_state); passive opens by the round trip of their SYN-ACK as the kernel measured it. ' +
    'Retransmissions (tcp:tcp_retransmit_skb, in segments, as the kernel counts RetransSegs; tcp:tcp_retransmit_synack) by kind: syn, synack, timeout (after an RTO), fast (fast recovery), probe (tail loss probe). ' +
    'Resets sent by the kernel\'s reason (tcp:tcp_send_reset) and received (tcp:tcp_receive_reset); drops of TCP packets by the kernel\'s drop reason (skb:kfree_skb). ' +
    'RTT is the smoothed RTT the kernel keeps per socket, sampled as a connection opens and closes and when it is read or written (tcp:tcp_rcv_space_adjust, tcp:tcp_sendmsg_locked), at most every 10 ms per flow. ' +
    'Cost: one BPF run per state change, retransmission, reset and dropped packet, and one per chunk an application reads from or writes to a TCP socket (each received skb read, each skb of up to 64 KiB a send call fills: about one per segment received where the device does no GRO). ' +
    '--window adds tcp:tcp_probe, one BPF run for every segment every established socket receives (the per-packet cost of a busy host): the congestion window and packets in flight. ' +
    'Flows are as the local socket sees them: --src-ip/--src-port match the local end, --dst-ip/--dst-port the remote end. Output fields: docs/output-fields.md',
  hooks: ALL_TCP_HEALTH_HOOKS,
  hooksFor: (o) => tcpHealthHooks(o.window),
  uses: { filter: 'flow', interval: 5, top: 10 },
  options: (y) =>
    y.option('window', {
      type: 'boolean',
      default: false,
      describe: 'also sample the congestion window and packets in flight at every segment received (tcp:tcp_probe: one BPF run per packet)',
    }),
  schema: { window: z.boolean() },
  check: (o) => {
    if (o.protocol !== undefined && o.protocol !== 6) throw new UsageError('--protocol: tcp_health_summary follows TCP only (leave it out, or give tcp)');
  },
  object,
  kernelRodata: tcpHealthKernelRodata,
  maps: {
    flows: { key: tcpFlowKey, value: tcpFlowStats },
    host: { key: 4, value: tcpHostStats },
    drops: { key: tcpDropKey, value: 8 },
    reasons: { key: tcpReasonKey, value: 8 },
  },
  rodata: (o) => ({ targ_window: o.window }),
  start: ({ o, obj, signal }) => {
    const drop = DropReasons.fromKernel();
    const names = { drop: (c: number) => drop.name(c), reset: resetReasons() };
    const flows = new KernelRows(obj.map('flows'), obj, { decode: decodeFlow, ...flowRowOps });
    const drops = new KernelRows(obj.map('drops'), obj, { decode: decodeDrop, ...countRowOps<DropEntry>() });
    const reasons = new KernelRows(obj.map('reasons'), obj, { decode: decodeReason, ...countRowOps<ReasonEntry>() });
    for (const t of [flows, drops, reasons]) t.sweepEvery(signal);
    let before: HostVal | undefined;
    const readHost = (): HostVal => {
      for (const [, copies] of perCpuEntries(obj.map('host'))) return decodeHost(copies);
      return emptyHost();
    };
    return {
      read: (): Snapshot => {
        const total = readHost();
        const interval = hostDelta(total, before);
        before = total;
        return { host: { total, interval }, flows: flows.read(), drops: drops.read(), reasons: reasons.read() };
      },
      // Only the flow table is an LRU and counts the rows it creates (the drop and reason tables are
      // hashes: a full one refuses, counted map_full in the kernel).
      losses: () => ({ evicted: flows.evicted }),
      record: (s: Snapshot, tick) => {
        const pick = <T>(d: Delta<T>) => (tick.type === 'final' ? d.total : d.interval);
        const host = hostHealth(tick.type === 'final' ? s.host.total : s.host.interval, pick(s.reasons), names, o.window);
        const rows = flowHealth(pick(s.flows), pick(s.drops), names.drop, o.window);
        return { host, flows: rows.slice(0, o.top), more_flows: Math.max(0, rows.length - o.top) };
      },
      render: renderTcpHealthText,
    };
  },
});

/** icmp_rtt_details: Where does a ping's round trip through this host spend its time: in each stage of this host on the way in and out, and outside it? */
import { defineDetails, perCpuEntries, type BpfObject } from '@netstrata/bpf-common';
import object from '../../build/bpf/icmp_rtt_details.bpf.o';
import { ALL_PING_HOOKS, pingHooks, stageLines } from './hooks.ts';
import { COUNTERS, decodeEvent, irArrival, irKey, irSend, irSession, irXmit, type Counter } from './layout.ts';
import { DEFAULT_TIMEOUT_MS, pingInterfaces, pingRodata, pingSchema, withPingOptions } from './options.ts';
import { eventFields, renderEventText, renderFinalText, type PingFinal } from './render.ts';
import { Sweeper, evictedOf } from './sweep.ts';

export const ICMP_RTT_QUESTION = "Where does a ping's round trip through this host spend its time: in each stage of this host on the way in and out, and outside it?";

/** The kernel's per-CPU counters, summed. */
function readCounters(obj: BpfObject): Record<Counter, number> {
  const out = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  for (const [k, copies] of perCpuEntries(obj.map('counts'))) {
    const name = COUNTERS[new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true)];
    if (!name) continue;
    for (const c of copies) out[name] += Number(new DataView(c.buffer, c.byteOffset, 8).getBigUint64(0, true));
  }
  return out;
}

export const icmpRttDetails = defineDetails({
  name: 'icmp_rtt_details',
  domain: 'system-network',
  describe: ICMP_RTT_QUESTION,
  examples: [
    ['$0 --rx-interface eth1 --tx-interface eth0', 'every ping this router forwards from eth1 out of eth0, and its reply, each stage timed'],
    ['$0 --tx-interface eth0 --dst-ip 192.0.2.1', 'pings this host sends to 192.0.2.1 through eth0'],
    ['$0 --netns r1 --rx-interface 4 --tx-interface 5 --latency-threshold-us 10000 --output json', 'in namespace r1, pings whose round trip took 10 ms or more, as NDJSON'],
  ],
  epilog:
    'One event per ping (ICMP or ICMPv6 echo request and its reply, matched by addresses, echo id and sequence). ' +
    'Forwarded (--rx-interface): request received on rx-if (net:netif_receive_skb) -> [ip_rcv, ip_forward: function hooks] -> [OVS datapath upcall and action, where the openvswitch module is loaded] -> queued to tx-if (net:net_dev_queue) -> to the driver (net:net_dev_start_xmit) -> sent (net:net_dev_xmit); outside; the reply the same way from tx-if back to rx-if. ' +
    "Local (no --rx-interface): the pinger's send call (sendto/sendmsg) -> queued to tx-if -> start_xmit -> sent; outside; reply received on tx-if -> [ip_rcv, icmp_rcv] -> queued to the pinger's socket (sock:sk_data_ready). " +
    'Outside = the request sent by tx-if to its reply received there. Stages in [] are measured where the kernel has the hook (--verbose says which). ' +
    'A ping with no reply after --timeout-ms counts as unanswered in the final record; lost events (ring buffer full) and pings evicted from a full table are counted there too. ' +
    'Not followed: IPv4 fragments after the first, IPv6 echo behind extension headers, pings whose identity NAT rewrites. Cost: one BPF run per packet at each device tracepoint (two reads for a packet on another device). ' +
    'Output fields: docs/output-fields.md',
  hooks: ALL_PING_HOOKS,
  hooksFor: (o) => pingHooks(o.rxInterface !== undefined),
  uses: {},
  options: withPingOptions,
  schema: pingSchema,
  check: (o) => void pingInterfaces(o),
  object,
  maps: { sessions: { key: irKey, value: irSession }, arrivals: { key: irKey, value: irArrival }, xmits: { key: 4, value: irXmit }, sends: { key: 4, value: irSend }, counts: { key: 4, value: 8 } },
  rodata: (o) => pingRodata(o),
  start: ({ o, obj, choices, clock, info, debug }) => {
    const forwarded = o.rxInterface !== undefined;
    for (const line of stageLines(forwarded, choices)) debug(line);
    const i = pingInterfaces(o);
    const ifs = { rx: i.rx?.name ?? null, tx: i.tx.name, netns: i.netns };
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const sweeper = new Sweeper(obj.map('sessions'), BigInt(Math.round(timeoutMs * 1e6)));
    const timer = setInterval(() => sweeper.sweep(), Math.min(1000, Math.max(50, timeoutMs / 4)));
    timer.unref();
    let evicted = 0;
    return {
      event: (data) => eventFields(decodeEvent(data), (ns) => clock.toIso(ns), ifs),
      render: renderEventText,
      final: (): PingFinal => {
        clearInterval(timer);
        const pending = sweeper.sweep();
        const c = readCounters(obj);
        evicted = evictedOf(c, sweeper, pending);
        return {
          answered: c.completed,
          unanswered: sweeper.unanswered,
          late: c.late,
          incomplete: sweeper.incomplete,
          replaced: c.replaced,
          pending,
          threshold_us: o.latencyThresholdUs,
          timeout_ms: timeoutMs,
        };
      },
      renderFinal: renderFinalText,
      losses: () => ({ evicted }),
    };
  },
});

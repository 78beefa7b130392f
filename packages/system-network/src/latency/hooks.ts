/** Hooks of the latency tools (bpf/latency_flavours.h), with their flavours in order of preference. */
import { functionFlavours, tracepointDefined, tracepointFlavours, type Hook } from '@netstrata/bpf-common';
import { netDevXmitHook, netifReceiveSkbHook, qdiscDequeueHook, qdiscEnqueueHook } from '../hooks.ts';

const tp = (name: string, stem: string): Hook => ({ name, flavours: tracepointFlavours(name, stem) });

/** Kernels before these socket tracepoints (6.1 has neither) get the functions at the same places:
 * the data-ready callback of UDP and TCP sockets, and the end of a UDP read. */
export const sockDataReadyHook: Hook = { name: 'sock:sk_data_ready', flavours: [...tracepointFlavours('sock:sk_data_ready'), ...functionFlavours('sock_def_readable')] };
export const skbCopyDatagramHook = tp('skb:skb_copy_datagram_iovec', 'skb_copy_datagram_iovec');
export const sockRecvLengthHook: Hook = { name: 'sock:sock_recv_length', flavours: [...tracepointFlavours('sock:sock_recv_length'), ...functionFlavours('skb_consume_udp')] };
export const netDevQueueHook = tp('net:net_dev_queue', 'net_dev_queue');
export const netDevStartXmitHook = tp('net:net_dev_start_xmit', 'net_dev_start_xmit');
/** Drops end sessions (counted as dropped, by reason); --stages: normal frees before the last stage
 * end them too (consumed, or a GSO packet split into segments). */
export const latencyKfreeSkbHook = tp('skb:kfree_skb', 'kfree_skb');
export const latencyConsumeSkbHook = tp('skb:consume_skb', 'consume_skb');

/** TCP's send stage: newer kernels only, and only the BTF flavours carry the socket. */
export const tcpSendmsgHook: Hook = {
  name: 'tcp:tcp_sendmsg_locked',
  optional: true,
  flavours: tracepointFlavours('tcp:tcp_sendmsg_locked').filter((f) => f.name !== 'tracepoint'),
};

const SEND_SYSCALLS = ['sendto', 'sendmsg', 'sendmmsg'];

/** UDP's send stage: entry to the send system calls (classic tracepoints only); a datagram checks at
 * the device that its thread is still inside the call. */
export const udpSendHook: Hook = {
  name: 'syscalls:sys_enter_send*',
  optional: true,
  flavours: [
    {
      name: 'tracepoint',
      programs: SEND_SYSCALLS.map((c) => `sys_enter_${c}_tp`),
      needs: 'tracepoint',
      available: () => tracepointDefined('syscalls/sys_enter_sendto', 'tracefs'),
    },
  ],
};

/** Function stages: each function its own optional hook (a kernel may lack IPv6, say). */
const fn = (name: string): Hook => ({ name, optional: true, flavours: functionFlavours(name) });

export const RX_FUNCTION_HOOKS: Hook[] = ['ip_rcv', 'ipv6_rcv', 'ip_local_deliver', 'ip6_input', 'tcp_v4_rcv', 'udp_rcv', 'tcp_v6_rcv', 'udpv6_rcv'].map(fn);
export const TX_FUNCTION_HOOKS: Hook[] = ['__ip_queue_xmit', 'ip6_xmit', 'ip_send_skb', 'ip6_send_skb', 'ip_output', 'ip6_output'].map(fn);

/** Every stage (--stages). */
export const RX_HOOKS: Hook[] = [netifReceiveSkbHook, ...RX_FUNCTION_HOOKS, sockDataReadyHook, skbCopyDatagramHook, sockRecvLengthHook];
export const TX_HOOKS: Hook[] = [tcpSendmsgHook, udpSendHook, ...TX_FUNCTION_HOOKS, netDevQueueHook, qdiscEnqueueHook, qdiscDequeueHook, netDevStartXmitHook, netDevXmitHook];
export const FREE_HOOKS: Hook[] = [latencyKfreeSkbHook, latencyConsumeSkbHook];

/** The default stages: two runs per packet and direction (socket queue and read; device queue and
 * xmit), one per send call, and one per drop. */
export const RX_DEFAULT_HOOKS: Hook[] = [sockDataReadyHook, skbCopyDatagramHook, sockRecvLengthHook];
export const TX_DEFAULT_HOOKS: Hook[] = [tcpSendmsgHook, udpSendHook, netDevQueueHook, netDevXmitHook];

export type Direction = 'rx' | 'tx' | 'both';

export function latencyHooks(direction: Direction, stages = true): Hook[] {
  const rx = stages ? RX_HOOKS : RX_DEFAULT_HOOKS;
  const tx = stages ? TX_HOOKS : TX_DEFAULT_HOOKS;
  return [...(direction !== 'tx' ? rx : []), ...(direction !== 'rx' ? tx : []), ...(stages ? FREE_HOOKS : [latencyKfreeSkbHook])];
}

export const ALL_LATENCY_HOOKS: Hook[] = latencyHooks('both');

/** OVS datapath stages: not measured by these tools (see stages-info.ts). */
export const OVS_FUNCTIONS = ['ovs_vport_receive', 'ovs_dp_process_packet', 'ovs_dp_upcall', 'ovs_vport_send'];

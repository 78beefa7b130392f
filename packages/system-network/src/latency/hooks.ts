/** Hooks of the latency tools (bpf/latency_stages.h), with their flavours in order of preference. */
import { tracepointFlavours, type Hook } from '@netstrata/bpf-common';
import { netDevXmitHook, netifReceiveSkbHook, qdiscDequeueHook, qdiscEnqueueHook } from '../hooks.ts';

const tp = (name: string, stem: string): Hook => ({ name, flavours: tracepointFlavours(stem) });

export const sockDataReadyHook = tp('sock:sk_data_ready', 'sk_data_ready');
export const skbCopyDatagramHook = tp('skb:skb_copy_datagram_iovec', 'skb_copy_datagram_iovec');
export const sockRecvLengthHook = tp('sock:sock_recv_length', 'sock_recv_length');
export const netDevQueueHook = tp('net:net_dev_queue', 'net_dev_queue');
export const netDevStartXmitHook = tp('net:net_dev_start_xmit', 'net_dev_start_xmit');
/** Frees end sessions that did not reach their last stage (counted as incomplete). */
export const latencyKfreeSkbHook = tp('skb:kfree_skb', 'kfree_skb');
export const latencyConsumeSkbHook = tp('skb:consume_skb', 'consume_skb');

export const RX_HOOKS: Hook[] = [netifReceiveSkbHook, sockDataReadyHook, skbCopyDatagramHook, sockRecvLengthHook];
export const TX_HOOKS: Hook[] = [netDevQueueHook, qdiscEnqueueHook, qdiscDequeueHook, netDevStartXmitHook, netDevXmitHook];
export const FREE_HOOKS: Hook[] = [latencyKfreeSkbHook, latencyConsumeSkbHook];

export type Direction = 'rx' | 'tx' | 'both';

export function latencyHooks(direction: Direction): Hook[] {
  return [...(direction !== 'tx' ? RX_HOOKS : []), ...(direction !== 'rx' ? TX_HOOKS : []), ...FREE_HOOKS];
}

export const ALL_LATENCY_HOOKS: Hook[] = latencyHooks('both');

/**
 * Function stages a fuller path would add (ip_rcv, ip_local_deliver, tcp_v4_rcv/udp_rcv on
 * receive; __ip_queue_xmit, ip_output, dev_queue_xmit on send; OVS datapath stages). This version
 * has no programs for them: they are listed so the tools can say what they do not measure.
 */
export const FUNCTION_STAGES = ['ip_rcv', 'ip_local_deliver', 'tcp_v4_rcv', 'udp_rcv', '__ip_queue_xmit', 'ip_output', 'dev_queue_xmit'];

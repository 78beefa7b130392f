/** Hooks of the system-network tools, with their flavours in order of preference. */
import { tracepointFlavours, type Hook } from '@netstrata/bpf-common';

export const netifReceiveSkbHook: Hook = { name: 'net:netif_receive_skb', flavours: tracepointFlavours('net:netif_receive_skb') };

export const netDevXmitHook: Hook = { name: 'net:net_dev_xmit', flavours: tracepointFlavours('net:net_dev_xmit') };

export const qdiscEnqueueHook: Hook = { name: 'qdisc:qdisc_enqueue', flavours: tracepointFlavours('qdisc:qdisc_enqueue') };

export const qdiscDequeueHook: Hook = { name: 'qdisc:qdisc_dequeue', flavours: tracepointFlavours('qdisc:qdisc_dequeue') };

export const napiPollHook: Hook = { name: 'napi:napi_poll', flavours: tracepointFlavours('napi:napi_poll') };

export const softirqEntryHook: Hook = { name: 'irq:softirq_entry', flavours: tracepointFlavours('irq:softirq_entry') };

export const softirqExitHook: Hook = { name: 'irq:softirq_exit', flavours: tracepointFlavours('irq:softirq_exit') };

/** skb:kfree_skb through bpf-common's handlers (netstrata/kfree_skb_flavours.h). Only the tracepoint
 * flavours: a per-reason count needs the reason, which the kprobe/fentry fallbacks lack. */
export const metricsDropHook: Hook = { name: 'skb:kfree_skb', flavours: tracepointFlavours('skb:kfree_skb') };

export const metricsHooks: Hook[] = [
  qdiscEnqueueHook,
  qdiscDequeueHook,
  napiPollHook,
  metricsDropHook,
  softirqEntryHook,
  softirqExitHook,
];

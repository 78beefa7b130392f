/** The packet-drop tools' hooks, each with its flavours in order of preference. */
import { functionFlavours, tracepointFlavours, type Hook } from '@netstrata/bpf-common';

export const kfreeSkbHook: Hook = {
  name: 'skb:kfree_skb',
  flavours: [
    ...tracepointFlavours('skb:kfree_skb'),
    // Before the reason tracepoint existed, kfree_skb() was a real function called only to drop.
    ...functionFlavours('kfree_skb'),
  ],
};

/** The path tracers' hooks: requests and replies in and out at the device tracepoints, and the
 * drops of the packets they follow. */
export const pathHooks: Hook[] = [
  { name: 'net:netif_receive_skb', flavours: tracepointFlavours('net:netif_receive_skb') },
  { name: 'net:net_dev_start_xmit', flavours: tracepointFlavours('net:net_dev_start_xmit') },
  kfreeSkbHook,
];

/** The one hook both packet-drop tools use, with its flavours in order of preference. */
import { functionFlavours, tracepointFlavours, type Hook } from '@netstrata/bpf-common';

export const kfreeSkbHook: Hook = {
  name: 'skb:kfree_skb',
  flavours: [
    ...tracepointFlavours('skb:kfree_skb'),
    // Before the reason tracepoint existed, kfree_skb() was a real function called only to drop.
    ...functionFlavours('kfree_skb'),
  ],
};

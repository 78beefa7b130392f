/** Hooks of the system-network tools, with their flavours in order of preference. */
import { tracepointFlavours, type Hook } from '@netstrata/bpf-common';

export const netifReceiveSkbHook: Hook = { name: 'net:netif_receive_skb', flavours: tracepointFlavours('netif_receive_skb') };

export const netDevXmitHook: Hook = { name: 'net:net_dev_xmit', flavours: tracepointFlavours('net_dev_xmit') };

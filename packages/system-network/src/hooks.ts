/** Hooks of the system-network tools, with their flavours in order of preference. */
import type { Hook } from '@netstrata/bpf-common';

export const netifReceiveSkbHook: Hook = {
  name: 'net:netif_receive_skb',
  flavours: [
    { name: 'tp_btf', programs: ['netif_receive_skb_tp_btf'], needs: 'tp_btf' },
    { name: 'raw_tp', programs: ['netif_receive_skb_raw_tp'], needs: 'raw_tp' },
    { name: 'tracepoint', programs: ['netif_receive_skb_tp'], needs: 'tracepoint' },
  ],
};

export const netDevXmitHook: Hook = {
  name: 'net:net_dev_xmit',
  flavours: [
    { name: 'tp_btf', programs: ['net_dev_xmit_tp_btf'], needs: 'tp_btf' },
    { name: 'raw_tp', programs: ['net_dev_xmit_raw_tp'], needs: 'raw_tp' },
    { name: 'tracepoint', programs: ['net_dev_xmit_tp'], needs: 'tracepoint' },
  ],
};

/** Hooks of the vm-network tools, with their flavours in order of preference: the kernel's own
 * device tracepoints, which every kernel since 4.x has, for every device's packets; and, where the
 * openvswitch module is loaded, its datapath's upcall and action tracepoints (the OVS upcall stage). */
import { moduleTracepointFlavours, tracepointFlavours, type Hook } from '@netstrata/bpf-common';

const tp = (event: string): Hook => ({ name: event, flavours: tracepointFlavours(event) });
const ovs = (event: string): Hook => ({ name: event, flavours: moduleTracepointFlavours('openvswitch', event), optional: true });

export const vmNetworkHooks: Hook[] = [
  tp('net:netif_rx'),
  tp('net:netif_receive_skb'),
  tp('net:net_dev_queue'),
  tp('net:net_dev_start_xmit'),
  tp('net:net_dev_xmit'),
  tp('skb:skb_copy_datagram_iovec'),
  tp('skb:kfree_skb'),
  ovs('openvswitch:ovs_dp_upcall'),
  ovs('openvswitch:ovs_do_execute_action'),
];

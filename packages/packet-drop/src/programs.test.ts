/** Every flavour of every packet-drop program against this kernel's verifier. Flavours this kernel
 * can attach are tested end to end in test-harness; here each must load, or be refused for the
 * reason the kernel's feature probe gives. */
import { describeVerifier } from '@netstrata/bpf-common/testing';
import { packetDropDetails, packetDropSummary, packetPathDetails, packetPathSummary } from './index.ts';

describeVerifier('packet-drop', [packetDropSummary, packetDropDetails, packetPathSummary, packetPathDetails], {
  variants: {
    packet_drop_details: [{ targ_stack: true }],
    packet_drop_summary: [{ targ_by_stack: true, targ_by_flow: true, targ_by_device: true }],
    packet_path_summary: [{ targ_rx: 1, targ_tx: 2, targ_netns: 1 }],
    packet_path_details: [{ targ_rx: 1, targ_tx: 2, targ_all: true }],
  },
  // kfree_skb stopped being a function when drops got reasons: consume_skb takes the same skb.
  fentryStandIn: { kfree_skb: 'consume_skb' },
});

/** Every flavour of every packet-drop program against this kernel's verifier. Flavours this kernel
 * can attach are tested end to end in test-harness; here each must load, or be refused for the
 * reason the kernel's feature probe gives. */
import { describeVerifier } from '@netstrata/bpf-common/testing';
import { packetDropDetails, packetDropSummary } from './index.ts';

describeVerifier('packet-drop', [packetDropSummary, packetDropDetails], {
  variants: { packet_drop_details: [{ targ_stack: true }], packet_drop_summary: [{ targ_by_stack: true, targ_by_flow: true, targ_by_device: true }] },
  // kfree_skb stopped being a function when drops got reasons: consume_skb takes the same skb.
  fentryStandIn: { kfree_skb: 'consume_skb' },
});

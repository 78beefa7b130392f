/** Every flavour of every system-network program against this kernel's verifier. Flavours this
 * kernel can attach are tested end to end in test-harness; here each must load, or be refused for
 * the reason the kernel's feature probe gives. */
import { describeVerifier } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';

// The latency tools again with --stages (and details with --stack, and --sample): each turns on code
// the verifier otherwise prunes as dead.
describeVerifier('system-network', tools, {
  variants: {
    system_network_latency_summary: [{ targ_stages: true, targ_sample: 4 }],
    system_network_latency_details: [{ targ_stack: true, targ_stages: true }, { targ_sample: 4 }],
  },
});

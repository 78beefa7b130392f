/** Every flavour of every system-network program against this kernel's verifier. Flavours this
 * kernel can attach are tested end to end in test-harness; here each must load, or be refused for
 * the reason the kernel's feature probe gives. */
import { describeVerifier } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';

// Details twice: --stack turns on code the verifier otherwise prunes as dead.
describeVerifier('system-network', tools, { variants: { system_network_latency_details: [{ targ_stack: true }] } });

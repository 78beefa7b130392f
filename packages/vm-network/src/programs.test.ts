/** Every flavour of every vm-network program against this kernel's verifier. */
import { describeVerifier } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';

describeVerifier('vm-network', tools, { variants: { vm_network_latency_summary: [{ targ_nvm: 1, targ_nphy: 1 }], vm_network_latency_details: [{ targ_nvm: 1, targ_nphy: 1 }] } });

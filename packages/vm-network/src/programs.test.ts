/** Every flavour of every vm-network program against this kernel's verifier. */
import { describeVerifier, loadModules } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';

// Where openvswitch is a module (the guest tier's kernels), its tracepoints exist once it is loaded
// (crc32c_generic first: Debian builds the crc32c its conntrack needs as a module). This host's
// kernel has neither: the OVS hooks are then reported as not available.
loadModules('crc32c_generic', 'openvswitch');

describeVerifier('vm-network', tools, { variants: { vm_network_latency_summary: [{ targ_nvm: 1, targ_nphy: 1 }], vm_network_latency_details: [{ targ_nvm: 1, targ_nphy: 1 }] } });

/** Every flavour of every OVS program against this kernel's verifier. The datapath's tracepoints and
 * structs are in the openvswitch module's BTF, once it is loaded (a guest of the kernel tier, say). */
import { describeVerifier, loadModules } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';

// crc32c_generic first: Debian builds the implementation openvswitch's conntrack needs as a module.
loadModules('crc32c_generic', 'openvswitch');

describeVerifier('ovs', tools, {});

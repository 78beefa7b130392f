/** Every flavour of every vhost program against this kernel's verifier. Where vhost (or KVM) is a
 * module, its structs, functions and tracepoints are in BTF only once it is loaded (a guest of the
 * kernel tier, say); where it is neither loaded nor loadable, its flavours are not available. */
import { describeVerifier, loadModules } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';

loadModules('vhost_net');
// kvm alone defines KVM's tracepoints and irqfd's functions (kvm_intel or kvm_amd need the CPU's support).
loadModules('kvm');

describeVerifier('vhost', tools, {});

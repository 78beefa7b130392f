/** Every flavour of every tun program against this kernel's verifier, with and without --dwell. */
import { describeVerifier, loadModules } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';

// A kernel with tun as a module has the TAP's structs in BTF only once it is loaded (a guest of
// the kernel tier, say): the verifier needs them.
loadModules('tun');

describeVerifier('tun', tools, { variants: { tun_ring_summary: [{ targ_dwell: true }], tun_ring_details: [{ targ_all: true }] } });

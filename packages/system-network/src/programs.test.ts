/** Every flavour of every system-network program against this kernel's verifier. Flavours this
 * kernel can attach are tested end to end in test-harness; here each must load, or be refused for
 * the reason the kernel's feature probe gives. */
import { describeVerifier, loadModules } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';

// icmp_rtt_details follows forwarded pings through the OVS datapath where openvswitch is loaded.
loadModules('crc32c_generic', 'openvswitch');

// The latency tools again with --stages (and details with --stack, and --sample), and with the probe
// reads kernels before 6.2 get where this one has direct reads: each turns on code the verifier
// otherwise prunes as dead.
describeVerifier('system-network', tools, {
  variants: {
    system_network_latency_summary: [{ targ_stages: true, targ_sample: 4 }, { targ_direct_reads: false }, { targ_direct_reads: false, targ_stages: true }],
    system_network_latency_details: [{ targ_stack: true, targ_stages: true }, { targ_sample: 4 }, { targ_direct_reads: false, targ_stages: true, targ_stack: true }],
    // Forwarded pings (--rx-interface): the other half of its programs' code.
    icmp_rtt_details: [{ targ_rx_ifindex: 1, targ_tx_ifindex: 2, targ_threshold_ns: 1000n }],
    // --window, and the tracepoints' arguments of kernels before 6.10 / 6.13 (no reset reason, no err).
    tcp_health_summary: [{ targ_window: true }, { targ_retrans_err: false, targ_rst_reason: false }],
  },
});

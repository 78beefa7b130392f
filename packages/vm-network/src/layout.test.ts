/** The structs the vm-network decoders declare, member by member against the built object. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import summary from '../build/bpf/vm_network_latency_summary.bpf.o';
import details from '../build/bpf/vm_network_latency_details.bpf.o';
import { LAYOUTS } from './layout.ts';

describeLayouts('vm-network', { vm_network_latency_summary: summary, vm_network_latency_details: details }, LAYOUTS);

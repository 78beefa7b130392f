/** The structs the OVS decoders declare, member by member against the built objects. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import summary from '../build/bpf/ovs_upcall_latency_summary.bpf.o';
import megaflow from '../build/bpf/ovs_megaflow_details.bpf.o';
import { LAYOUTS, MEGAFLOW_LAYOUTS } from './layout.ts';

describeLayouts('ovs', { ovs_upcall_latency_summary: summary }, LAYOUTS);
describeLayouts('ovs', { ovs_megaflow_details: megaflow }, MEGAFLOW_LAYOUTS);

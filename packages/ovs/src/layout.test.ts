/** The structs the OVS decoders declare, member by member against the built object. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import summary from '../build/bpf/ovs_upcall_latency_summary.bpf.o';
import { LAYOUTS } from './layout.ts';

describeLayouts('ovs', { ovs_upcall_latency_summary: summary }, LAYOUTS);

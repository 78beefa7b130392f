/** The structs the packet-drop decoders declare, member by member against the built objects. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import summary from '../build/bpf/packet_drop_summary.bpf.o';
import details from '../build/bpf/packet_drop_details.bpf.o';
import { LAYOUTS } from './layout.ts';

describeLayouts('packet-drop', { packet_drop_summary: summary, packet_drop_details: details }, LAYOUTS);

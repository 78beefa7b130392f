/** The structs the tun decoders declare, member by member against the built object. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import summary from '../build/bpf/tun_ring_summary.bpf.o';
import details from '../build/bpf/tun_ring_details.bpf.o';
import { LAYOUTS } from './layout.ts';

describeLayouts('tun', { tun_ring_summary: summary, tun_ring_details: details }, LAYOUTS);

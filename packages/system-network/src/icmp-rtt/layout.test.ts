/** The structs icmp_rtt_details declares, member by member against the built object. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import object from '../../build/bpf/icmp_rtt_details.bpf.o';
import { LAYOUTS } from './layout.ts';

describeLayouts('icmp_rtt_details', { icmp_rtt_details: object }, LAYOUTS);

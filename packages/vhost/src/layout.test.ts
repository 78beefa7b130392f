/** The structs the vhost decoders declare, member by member against the built object. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import summary from '../build/bpf/vhost_signal_summary.bpf.o';
import details from '../build/bpf/vhost_queue_details.bpf.o';
import { LAYOUTS } from './layout.ts';

describeLayouts('vhost', { vhost_signal_summary: summary, vhost_queue_details: details }, LAYOUTS);

/** The conntrack records, member by member against the built objects. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import summary from '../../build/bpf/conntrack_summary.bpf.o';
import details from '../../build/bpf/conntrack_details.bpf.o';
import { CT_LAYOUTS } from './layout.ts';

describeLayouts('conntrack', { conntrack_summary: summary, conntrack_details: details }, CT_LAYOUTS);

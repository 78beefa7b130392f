/** The structs fragment_summary declares, member by member against the built object. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import object from '../../build/bpf/fragment_summary.bpf.o';
import { LAYOUTS } from './layout.ts';

describeLayouts('fragment', { fragment_summary: object }, LAYOUTS);

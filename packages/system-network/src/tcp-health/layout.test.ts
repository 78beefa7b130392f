/** The structs tcp_health_summary declares, member by member against the built object. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import object from '../../build/bpf/tcp_health_summary.bpf.o';
import { LAYOUTS } from './layout.ts';

describeLayouts('tcp-health', { tcp_health_summary: object }, LAYOUTS);

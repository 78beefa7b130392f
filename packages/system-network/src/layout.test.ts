/** The structs the system-network decoders declare, member by member against the built objects. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import metrics from '../build/bpf/system_network_metrics_summary.bpf.o';
import latencySummary from '../build/bpf/system_network_latency_summary.bpf.o';
import latencyDetails from '../build/bpf/system_network_latency_details.bpf.o';
import { LAYOUTS } from './layout.ts';

describeLayouts(
  'system-network',
  { system_network_metrics_summary: metrics, system_network_latency_summary: latencySummary, system_network_latency_details: latencyDetails },
  LAYOUTS,
);

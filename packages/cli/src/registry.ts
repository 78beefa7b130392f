/** Every tool netstrata ships, with the question it answers and the hooks it needs. */
import type { Hook } from '@netstrata/bpf-common';
import { tools as packetDropTools } from '@netstrata/packet-drop';
import { tools as cpuTools } from '@netstrata/cpu';
import { ALL_LATENCY_HOOKS, LATENCY_DETAILS_DESCRIBE, LATENCY_SUMMARY_DESCRIBE, METRICS_DESCRIBE, metricsHooks } from '@netstrata/system-network';

export interface ToolInfo {
  name: string;
  domain: string;
  describe: string;
  hooks: readonly Hook[];
}

export const TOOLS: ToolInfo[] = [
  ...packetDropTools,
  {
    name: 'system_network_metrics_summary',
    domain: 'system-network',
    describe: METRICS_DESCRIBE,
    hooks: metricsHooks,
  },
  { name: 'system_network_latency_summary', domain: 'system-network', describe: LATENCY_SUMMARY_DESCRIBE, hooks: ALL_LATENCY_HOOKS },
  { name: 'system_network_latency_details', domain: 'system-network', describe: LATENCY_DETAILS_DESCRIBE, hooks: ALL_LATENCY_HOOKS },
  ...cpuTools,
];

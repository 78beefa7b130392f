/** Every tool netstrata ships, with the question it answers and the hooks it needs. */
import type { Hook } from '@netstrata/bpf-common';
import { tools as packetDropTools } from '@netstrata/packet-drop';
import { LOCK_DESCRIBE, OFFCPU_DESCRIBE, SCHED_DESCRIBE, SOFTIRQ_DESCRIBE, lockHooks, offcpuHooks, schedHooks, softirqHooks } from '@netstrata/cpu';
import { tools as systemNetworkTools } from '@netstrata/system-network';

export interface ToolInfo {
  name: string;
  domain: string;
  describe: string;
  hooks: readonly Hook[];
}

export const TOOLS: ToolInfo[] = [
  ...packetDropTools,
  ...systemNetworkTools,
  { name: 'softirq_latency_summary', domain: 'cpu', describe: SOFTIRQ_DESCRIBE, hooks: softirqHooks },
  { name: 'sched_latency_summary', domain: 'cpu', describe: SCHED_DESCRIBE, hooks: schedHooks },
  { name: 'offcpu_summary', domain: 'cpu', describe: OFFCPU_DESCRIBE, hooks: offcpuHooks },
  // Its uprobes are attached to the library a process maps, so only the futex hook is listed.
  { name: 'lock_wait_summary', domain: 'cpu', describe: LOCK_DESCRIBE, hooks: lockHooks },
];

import { metricsSummary } from './metrics/tool.ts';
import { latencySummary } from './latency/summary-tool.ts';
import { latencyDetails } from './latency/details-tool.ts';
import { icmpRttDetails } from './icmp-rtt/tool.ts';
import { tcpHealthSummary } from './tcp-health/tool.ts';
import { vxlanSummary } from './vxlan/tool.ts';
import { conntrackSummary } from './conntrack/summary-tool.ts';
import { conntrackDetails } from './conntrack/details-tool.ts';
import { fragmentSummary } from './fragment/tool.ts';

export { metricsSummary, latencySummary, latencyDetails };
export { icmpRttDetails };
export type { PingEventRecord, PingFinal } from './icmp-rtt/render.ts';
export { tcpHealthSummary };
export { vxlanSummary };
export { conntrackSummary, conntrackDetails };
export { fragmentSummary };

/** Every tool this package ships. */
export const tools = [metricsSummary, latencySummary, latencyDetails, icmpRttDetails, tcpHealthSummary, conntrackSummary, conntrackDetails, fragmentSummary, vxlanSummary];
export type { FlowHealth, HostHealth, TcpHealthFields, TcpHealthRecord } from './tcp-health/report.ts';
export type { DatagramDrops, FragmentFields, FragmentRecord } from './fragment/report.ts';
export type { ConntrackFields, ConntrackRecord, FlowConntrack, NamespaceConntrack } from './conntrack/report.ts';
export type { CtEventFields, CtEventRecord } from './conntrack/details.ts';
export type { VxlanFields, VxlanRecord, VxlanRow } from './vxlan/report.ts';
export type { DirectionRow, PairRow } from './latency/aggregate.ts';

import { metricsSummary } from './metrics/tool.ts';
import { latencySummary } from './latency/summary-tool.ts';
import { latencyDetails } from './latency/details-tool.ts';
import { icmpRttDetails } from './icmp-rtt/tool.ts';
import { tcpHealthSummary } from './tcp-health/tool.ts';

export { metricsSummary, latencySummary, latencyDetails };
export { icmpRttDetails };
export type { PingEventRecord, PingFinal } from './icmp-rtt/render.ts';
export { tcpHealthSummary };

/** Every tool this package ships. */
export const tools = [metricsSummary, latencySummary, latencyDetails, icmpRttDetails, tcpHealthSummary];
export type { FlowHealth, HostHealth, TcpHealthFields, TcpHealthRecord } from './tcp-health/report.ts';

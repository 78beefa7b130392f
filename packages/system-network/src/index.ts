import { metricsSummary } from './metrics/tool.ts';
import { latencySummary } from './latency/summary-tool.ts';
import { latencyDetails } from './latency/details-tool.ts';

export { metricsSummary, latencySummary, latencyDetails };

/** Every tool this package ships. */
export const tools = [metricsSummary, latencySummary, latencyDetails];

import { vmNetworkLatencySummary } from './summary/tool.ts';
import { vmNetworkLatencyDetails } from './details/tool.ts';

export { vmNetworkLatencySummary, vmNetworkLatencyDetails };
export { vmNetworkHooks } from './hooks.ts';
export type { PathRow, VmNetworkRecord } from './summary/report.ts';
export type { PathEventRecord } from './details/render.ts';

/** Every tool this package ships. */
export const tools = [vmNetworkLatencySummary, vmNetworkLatencyDetails];

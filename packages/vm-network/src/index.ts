import { vmNetworkLatencySummary } from './summary/tool.ts';

export { vmNetworkLatencySummary };
export { vmNetworkHooks } from './hooks.ts';
export type { PathRow, VmNetworkRecord } from './summary/report.ts';

/** Every tool this package ships. */
export const tools = [vmNetworkLatencySummary];

import { ovsUpcallLatencySummary } from './summary/tool.ts';

export { ovsUpcallLatencySummary };
export { ovsUpcallHooks } from './hooks.ts';
export type { UpcallRow, UpcallRecord } from './summary/report.ts';

/** Every tool this package ships. */
export const tools = [ovsUpcallLatencySummary];

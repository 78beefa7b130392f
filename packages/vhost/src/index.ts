import { vhostSignalSummary } from './summary/tool.ts';

export { vhostSignalSummary };
export { vhostSignalHooks, vhostTypes } from './hooks.ts';
export type { VqRow, WorkerRow, VhostRecord } from './summary/report.ts';

/** Every tool this package ships. */
export const tools = [vhostSignalSummary];

import { vhostSignalSummary } from './summary/tool.ts';
import { vhostQueueDetails } from './details/tool.ts';

export { vhostSignalSummary, vhostQueueDetails };
export { vhostSignalHooks, vhostQueueHooks, vhostTypes } from './hooks.ts';
export type { VqRow, WorkerRow, VhostRecord } from './summary/report.ts';
export type { VhostEventRecord } from './details/render.ts';

/** Every tool this package ships. */
export const tools = [vhostSignalSummary, vhostQueueDetails];

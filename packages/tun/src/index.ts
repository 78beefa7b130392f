import { tunRingSummary } from './summary/tool.ts';

export { tunRingSummary };
export { startXmitHook, dropHook, copyHook, tunRingHooks } from './hooks.ts';
export type { QueueRow, TunRecord } from './summary/report.ts';

/** Every tool this package ships. */
export const tools = [tunRingSummary];

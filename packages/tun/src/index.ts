import { tunRingSummary } from './summary/tool.ts';
import { tunRingDetails } from './details/tool.ts';

export { tunRingSummary, tunRingDetails };
export { startXmitHook, dropHook, copyHook, readHook, tunRingHooks, tunDetailsHooks } from './hooks.ts';
export type { QueueRow, TunRecord } from './summary/report.ts';
export type { TunEventRecord } from './details/render.ts';

/** Every tool this package ships. */
export const tools = [tunRingSummary, tunRingDetails];

import { ovsUpcallLatencySummary } from './summary/tool.ts';
import { ovsMegaflowDetails } from './megaflow/tool.ts';

export { ovsUpcallLatencySummary, ovsMegaflowDetails };
export { ovsUpcallHooks, ovsMegaflowHooks } from './hooks.ts';
export type { UpcallRow, UpcallRecord, UpcallFields } from './summary/report.ts';
export type { MegaflowRecord } from './megaflow/render.ts';

/** Every tool this package ships. */
export const tools = [ovsUpcallLatencySummary, ovsMegaflowDetails];

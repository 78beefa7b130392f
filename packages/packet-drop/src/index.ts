import { packetDropSummary } from './summary/tool.ts';
import { packetDropDetails } from './details/tool.ts';
import { packetPathSummary } from './path/summary-tool.ts';
import { packetPathDetails } from './path/details-tool.ts';

export { packetDropSummary, packetDropDetails, packetPathSummary, packetPathDetails };
export { kfreeSkbHook } from './hooks.ts';
export { decodeDropEvent, dropEvent, dropEventNoStack, DROP_EVENT_SIZE, DROP_EVENT_NO_STACK_SIZE } from './layout.ts';
export { kernelResolver, type DropResolver } from './resolve.ts';
export { eventFields, renderEventText } from './details/render.ts';
export type { PathEventRecord, PathEventFields } from './path/events.ts';
export type { PathRecord, PathFields } from './path/report.ts';
export { dropEventJson } from './details/json.ts';
export type { DropRow, SummaryFields as DropSummaryFields } from './summary/render.ts';

/** Every tool this package ships. */
export const tools = [packetDropSummary, packetDropDetails, packetPathSummary, packetPathDetails];

import { virtnetPollSummary } from './poll/tool.ts';
import { virtnetIrqSummary } from './irq/tool.ts';

export { virtnetPollSummary, virtnetIrqSummary };
export { virtnetPollHooks, virtnetIrqHooks, virtioNet } from './hooks.ts';
export { parseInterrupts, virtioNetIrqs, type InterruptLine, type VirtioIrq } from './irq/irqs.ts';
export type { PollRow, PollRecord } from './poll/report.ts';
export type { IrqRow, IrqRecord } from './irq/report.ts';

/** Every tool this package ships. */
export const tools = [virtnetPollSummary, virtnetIrqSummary];

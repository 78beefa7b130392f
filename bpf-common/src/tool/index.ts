export { runLifecycle, chooseFlavours, type ToolDefinition, type ToolContext, type LifecycleOptions, type RodataValue } from './lifecycle.ts';
export { everyInterval, untilStopped } from './interval-loop.ts';
export { readLosses, lossFields, renderLosses, perCpuEntries, programMisses, LOSS_INDEX, LOSS_ENUMERATORS, LOSS_KEYS, type Losses, type LossFields } from './losses.ts';
export { Deltas, keyId, type Delta, type Retirement } from './deltas.ts';
export { detailsEvents } from './run.ts';
export { CostMeter, costBetween, kernelStatsOn, renderCost, type CostFields } from './cost.ts';
export {
  defineSummary,
  defineDetails,
  type Tool,
  type ToolDescriptor,
  type ToolKind,
  type ToolOptions,
  type Uses,
  type RunContext,
  type Tick,
  type SummaryRun,
  type DetailsRun,
  type DetailsToolSpec,
  type SummaryToolSpec,
  type SummaryEnvelope,
  type EventEnvelope,
  type FinalEnvelope,
  type MapLayout,
} from './tool.ts';
export { KernelRows, KEEP_ROWS, SWEEP_MS, addCounts, readCounter, ROWS_CREATED_INDEX, ROWS_CREATED_ENUMERATOR, type RowsOptions } from './rows.ts';
export { takeExpired, type ExpiringMap } from './expire.ts';

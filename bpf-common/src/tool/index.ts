export { runLifecycle, chooseFlavours, type ToolDefinition, type ToolContext, type LifecycleOptions, type RodataValue } from './lifecycle.ts';
export { everyInterval, untilStopped } from './interval-loop.ts';
export { readLosses, perCpuEntries, programMisses, type Losses } from './losses.ts';

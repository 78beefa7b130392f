export { metricsCommand, DESCRIBE as METRICS_DESCRIBE } from './metrics/command.ts';
export { netifReceiveSkbHook, netDevXmitHook, metricsHooks } from './hooks.ts';
export { latencySummaryCommand, LATENCY_SUMMARY_DESCRIBE } from './latency/summary-command.ts';
export { latencyDetailsCommand, LATENCY_DETAILS_DESCRIBE } from './latency/details-command.ts';
export { latencyHooks, ALL_LATENCY_HOOKS } from './latency/hooks.ts';

export { metricsCommand, DESCRIBE as METRICS_DESCRIBE } from './metrics/command.ts';
export { netifReceiveSkbHook, netDevXmitHook } from './hooks.ts';

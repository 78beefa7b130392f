import { softirqLatencySummary } from './softirq/tool.ts';
import { schedLatencySummary } from './sched/tool.ts';
import { offcpuSummary } from './offcpu/tool.ts';
import { lockWaitSummary } from './lock/tool.ts';

export { softirqLatencySummary, schedLatencySummary, offcpuSummary, lockWaitSummary };
export { softirqHooks, schedHooks, offcpuHooks, lockHooks } from './hooks.ts';
export type { VectorRow, SoftirqRecord } from './softirq/report.ts';
export type { ThreadRow, SchedRecord } from './sched/report.ts';
export type { OffcpuRow, OffcpuRecord } from './offcpu/report.ts';
export type { LockRow, LockRecord } from './lock/report.ts';

/** Every tool this package ships. */
export const tools = [softirqLatencySummary, schedLatencySummary, offcpuSummary, lockWaitSummary];

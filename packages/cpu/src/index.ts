export { softirqCommand, SOFTIRQ_DESCRIBE } from './softirq/command.ts';
export { schedCommand, SCHED_DESCRIBE } from './sched/command.ts';
export { softirqHooks, schedHooks } from './hooks.ts';
export { offcpuCommand, OFFCPU_DESCRIBE } from './offcpu/command.ts';
export { offcpuHooks } from './hooks.ts';
export { lockCommand, LOCK_DESCRIBE, lockHooks } from './lock/command.ts';

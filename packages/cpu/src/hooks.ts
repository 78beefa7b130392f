/** Hooks of the cpu tools, with their flavours in order of preference. */
import { tracepointDefined, tracepointFlavours, type Hook } from '@netstrata/bpf-common';

export const softirqRaiseHook: Hook = { name: 'irq:softirq_raise', flavours: tracepointFlavours('irq:softirq_raise') };
export const softirqEntryHook: Hook = { name: 'irq:softirq_entry', flavours: tracepointFlavours('irq:softirq_entry') };
export const softirqExitHook: Hook = { name: 'irq:softirq_exit', flavours: tracepointFlavours('irq:softirq_exit') };
export const softirqHooks: Hook[] = [softirqRaiseHook, softirqEntryHook, softirqExitHook];

/** The classic sched tracepoints carry pids, not the task: no thread-group filter there, so only
 * the BTF flavours. */
const btfOnly = (event: string) => tracepointFlavours(event).filter((f) => f.name !== 'tracepoint');

export const schedWakeupHook: Hook = { name: 'sched:sched_wakeup', flavours: btfOnly('sched:sched_wakeup') };
export const schedWakeupNewHook: Hook = { name: 'sched:sched_wakeup_new', flavours: btfOnly('sched:sched_wakeup_new') };
export const schedSwitchHook: Hook = { name: 'sched:sched_switch', flavours: btfOnly('sched:sched_switch') };
export const schedHooks: Hook[] = [schedWakeupHook, schedWakeupNewHook, schedSwitchHook];

/** offcpu_summary's own sched_switch programs (a different object from sched_latency_summary's):
 * it needs only the next thread's tid, which the classic tracepoint carries too. */
export const offcpuSwitchHook: Hook = { name: 'sched:sched_switch', flavours: tracepointFlavours('sched:sched_switch', 'offcpu_switch') };
export const offcpuHooks: Hook[] = [offcpuSwitchHook];

/** lock_wait_summary's futex waits. Its uprobes are attached to the library a process maps (the
 * tool's own programs), so only the futex hook is listed. */
export const futexHook: Hook = {
  name: 'syscalls:sys_enter/exit_futex',
  flavours: [{ name: 'tracepoint', programs: ['sys_enter_futex_tp', 'sys_exit_futex_tp'], needs: 'tracepoint', available: () => tracepointDefined('syscalls/sys_enter_futex', 'tracefs') }],
};
export const lockHooks: Hook[] = [futexHook];

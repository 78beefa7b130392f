/* Threads chosen in the kernel (--pid, --tid, --comm) and a task's state, for the cpu programs
 * that follow threads. Set as rodata by src/options.ts (threadRodata). */
#ifndef THREADS_H
#define THREADS_H

#include "cpu.h"

const volatile __u32 targ_pid = 0;            /* thread group; 0 = any */
const volatile __u32 targ_tid = 0;            /* 0 = any */
const volatile char targ_comm[SCHED_COMM_LEN] = {};
const volatile __u32 targ_comm_len = 0;       /* bytes of targ_comm that must match; 0 = any */

static __always_inline bool thread_chosen(struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);

	if (!tid)
		return false;                 /* the idle task */
	if (targ_tid && tid != targ_tid)
		return false;
	if (targ_pid && BPF_CORE_READ(p, tgid) != targ_pid)
		return false;
	if (targ_comm_len) {
		char comm[SCHED_COMM_LEN];

		BPF_CORE_READ_STR_INTO(&comm, p, comm);
#pragma unroll
		for (int i = 0; i < SCHED_COMM_LEN; i++) {
			if (i >= targ_comm_len)
				break;
			if (comm[i] != targ_comm[i])
				return false;
		}
	}
	return true;
}

/* Kernels before 5.14 call the field `state`. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

#endif

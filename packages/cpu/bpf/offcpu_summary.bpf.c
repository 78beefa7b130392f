// SPDX-License-Identifier: GPL-2.0
/* offcpu_summary: where do threads spend their time off CPU, and why?
 * At sched_switch the thread leaving the CPU is the current task: its kernel and user stacks are
 * taken then, with the time; when it comes back on, the time off CPU is added to its
 * (pid, tid, comm, state, kernel stack, user stack) row. Threads are chosen in the kernel. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/loss.h"
#include "threads.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_threads = 0;        /* 0 all, 1 user threads only, 2 kernel threads only */
const volatile __u32 targ_states = 0;         /* bitmask of STATE_*; 0 = all */
const volatile __u64 targ_min_ns = 0;
const volatile __u64 targ_max_ns = 0;         /* 0 = no upper bound */

#define PF_KTHREAD_FLAG 0x00200000     /* include/linux/sched.h, unchanged since 2.6 */
#define TASK_INTERRUPTIBLE_BIT 0x1
#define TASK_UNINTERRUPTIBLE_BIT 0x2
#define TASK_STOPPED_BITS 0xc          /* __TASK_STOPPED | __TASK_TRACED */
#define TASK_PARKED_BIT 0x40
#define TASK_NOLOAD_BIT 0x400
#define TASK_DEAD_BIT 0x80             /* the last switch of an exiting thread: it never comes back */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, OFFCPU_ROWS_MAX);
	__type(key, __u32);
	__type(value, struct offcpu_start);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, OFFCPU_STACKS_MAX);
	__type(key, __u32);
	__uint(value_size, OFFCPU_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/* Rows. LRU: when threads and stacks come faster than the user side removes idle rows, the least
 * recently used make room instead of new ones being refused; evictions are counted (loss.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, OFFCPU_ROWS_MAX);
	__type(key, struct offcpu_key);
	__type(value, struct offcpu_val);
} offcpu SEC(".maps");

/* A stack map cannot evict: the user side deletes stacks no row or pending start refers to. Each
 * id handed out or added to is marked with the user side's sweep number (sweep[0]), so a stack
 * taken while a sweep runs is never deleted by it (src/offcpu/stacks.ts). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OFFCPU_STACKS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} stack_used SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sweep SEC(".maps");

static __always_inline void stack_mark(__s32 id)
{
	__u32 zero = 0, key = id;
	__u32 *n, *u;

	if (id < 0)
		return;
	n = bpf_map_lookup_elem(&sweep, &zero);
	u = bpf_map_lookup_elem(&stack_used, &key);
	if (n && u && *u != *n)
		*u = *n;
}

static __always_inline __u32 state_class(long s)
{
	if (s == 0)
		return STATE_R;
	if (s & TASK_INTERRUPTIBLE_BIT)
		return STATE_S;
	if (s & TASK_UNINTERRUPTIBLE_BIT)
		return (s & TASK_NOLOAD_BIT) ? STATE_I : STATE_D;
	if (s & TASK_STOPPED_BITS)
		return STATE_T;
	if (s & TASK_PARKED_BIT)
		return STATE_P;
	return STATE_OTHER;
}

static __always_inline bool chosen(struct task_struct *p, bool *kthread)
{
	*kthread = BPF_CORE_READ(p, flags) & PF_KTHREAD_FLAG;
	if ((targ_threads == 1 && *kthread) || (targ_threads == 2 && !*kthread))
		return false;
	return thread_chosen(p);
}

/* A stack that could not be kept: a collision in the stack map, or no user stack to walk. */
static __always_inline __s32 stack_id(void *ctx, __u64 flags)
{
	long id = bpf_get_stackid(ctx, &stacks, flags);

	if (id < 0 && id != -14 /* EFAULT: nothing to walk */)
		nst_count_loss(NST_STACK_FAILED);
	stack_mark(id);
	return id;
}

static __always_inline void going_off(void *ctx, struct task_struct *prev, __u64 now)
{
	bool kthread = false;

	if (!chosen(prev, &kthread))
		return;
	long raw = task_state(prev);

	if (raw & TASK_DEAD_BIT)
		return;
	__u32 state = state_class(raw);

	if (targ_states && !(targ_states & (1U << state)))
		return;
	__u32 tid = BPF_CORE_READ(prev, pid);
	struct offcpu_start s = {
		.ts = now,
		.kstack = stack_id(ctx, 0),
		.ustack = kthread ? -1 : stack_id(ctx, BPF_F_USER_STACK),
		.state = state,
		.tgid = BPF_CORE_READ(prev, tgid),
	};

	BPF_CORE_READ_STR_INTO(&s.comm, prev, comm);
	bpf_map_update_elem(&starts, &tid, &s, BPF_ANY);
}

/* Everything the row needs was noted when the thread left: only its tid is needed now, which
 * the classic tracepoint also carries. */
static __always_inline void coming_on(__u32 tid, __u64 now)
{
	struct offcpu_start *s = bpf_map_lookup_elem(&starts, &tid);

	if (!s)
		return;
	__u64 ns = now - s->ts;
	struct offcpu_key key = { .pid = s->tgid, .tid = tid, .kstack = s->kstack, .ustack = s->ustack, .state = s->state };

	__builtin_memcpy(key.comm, s->comm, sizeof(key.comm));
	bpf_map_delete_elem(&starts, &tid);
	if (ns < targ_min_ns || (targ_max_ns && ns > targ_max_ns))
		return;
	stack_mark(key.kstack);
	stack_mark(key.ustack);
	struct offcpu_val *v = bpf_map_lookup_elem(&offcpu, &key);

	if (!v) {
		struct offcpu_val init = { .total_ns = ns, .count = 1 };
		long err = bpf_map_update_elem(&offcpu, &key, &init, BPF_NOEXIST);

		if (!err) {
			nst_row_created();
			return;
		}
		v = bpf_map_lookup_elem(&offcpu, &key);
		if (!v) {
			nst_count_loss(NST_MAP_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&v->total_ns, ns);
	__sync_fetch_and_add(&v->count, 1);
}

static __always_inline int on_switch(void *ctx, struct task_struct *prev, __u32 next_tid)
{
	__u64 now = bpf_ktime_get_ns();

	going_off(ctx, prev, now);
	coming_on(next_tid, now);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(offcpu_switch_tp_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(ctx, prev, BPF_CORE_READ(next, pid));
}

SEC("raw_tp/sched_switch")
int BPF_PROG(offcpu_switch_raw_tp, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(ctx, prev, BPF_CORE_READ(next, pid));
}

/* The classic tracepoint names pids only; the thread leaving is the current task then. */
SEC("tracepoint/sched/sched_switch")
int offcpu_switch_tp(struct trace_event_raw_sched_switch *args)
{
	return on_switch(args, (struct task_struct *)bpf_get_current_task(), BPF_CORE_READ(args, next_pid));
}

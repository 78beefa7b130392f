// SPDX-License-Identifier: GPL-2.0
/* sched_latency_summary: how long do chosen threads wait for a CPU once they can run?
 * A wait starts when a thread is woken (sched_wakeup, sched_wakeup_new) or preempted while still
 * runnable (sched_switch with prev runnable), and ends when sched_switch puts it on a CPU. Per
 * thread and CPU, a histogram in ns. Threads are chosen in the kernel by pid, tid or a comm
 * prefix, so unchosen threads cost one comparison. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/hist.h"
#include "netstrata/loss.h"
#include "threads.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool targ_preempted = true;    /* also time waits after an involuntary switch */

#define WAIT_WAKEUP 1
#define WAIT_PREEMPT 2

struct wait {
	__u64 ts;
	__u32 kind;
	__u32 _pad;
};

/* Threads that can run and wait for a CPU, by tid. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SCHED_THREADS_MAX);
	__type(key, __u32);
	__type(value, struct wait);
} waiting SEC(".maps");

/* Rows by thread and CPU. LRU: a host whose threads come and go faster than the user side removes
 * the rows of idle ones makes room rather than refusing new threads; evictions are counted. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SCHED_THREADS_MAX);
	__type(key, struct sched_key);
	__type(value, struct sched_val);
} waits SEC(".maps");

/* The zeroed value a new thread's row is created from (too large for the BPF stack). */
static const struct sched_val zero = {};

static __always_inline void wait_begins(struct task_struct *p, __u32 kind)
{
	if (!thread_chosen(p))
		return;
	__u32 tid = BPF_CORE_READ(p, pid);
	struct wait w = { .ts = bpf_ktime_get_ns(), .kind = kind };

	bpf_map_update_elem(&waiting, &tid, &w, BPF_ANY);
}

static __always_inline void wait_ends(struct task_struct *p, __u32 cpu)
{
	__u32 tid = BPF_CORE_READ(p, pid);
	struct wait *w = bpf_map_lookup_elem(&waiting, &tid);

	if (!w)
		return;
	__u64 ns = bpf_ktime_get_ns() - w->ts;
	__u32 kind = w->kind;

	bpf_map_delete_elem(&waiting, &tid);
	if (!cpu_pass(cpu))
		return;
	struct sched_key key = { .pid = BPF_CORE_READ(p, tgid), .tid = tid, .cpu = cpu };
	struct sched_val *v = nst_lookup_or_init(&waits, &key, &zero);

	if (!v)
		return;
	/* The name it has now: threads rename themselves after they start. */
	BPF_CORE_READ_STR_INTO(&v->comm, p, comm);
	if (kind == WAIT_PREEMPT)
		__sync_fetch_and_add(&v->preempted, 1);
	else
		__sync_fetch_and_add(&v->wakeups, 1);
	nst_hist_add(&v->hist, ns);
}

/* TASK_RUNNING is 0: a thread switched out in that state was preempted and waits again at once. */
static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();

	if (targ_preempted && task_state(prev) == 0)
		wait_begins(prev, WAIT_PREEMPT);
	wait_ends(next, cpu);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup_tp_btf, struct task_struct *p) { wait_begins(p, WAIT_WAKEUP); return 0; }
SEC("raw_tp/sched_wakeup")
int BPF_PROG(sched_wakeup_raw_tp, struct task_struct *p) { wait_begins(p, WAIT_WAKEUP); return 0; }
SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_tp_btf, struct task_struct *p) { wait_begins(p, WAIT_WAKEUP); return 0; }
SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_raw_tp, struct task_struct *p) { wait_begins(p, WAIT_WAKEUP); return 0; }
SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_tp_btf, bool preempt, struct task_struct *prev, struct task_struct *next) { return on_switch(prev, next); }
SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw_tp, bool preempt, struct task_struct *prev, struct task_struct *next) { return on_switch(prev, next); }

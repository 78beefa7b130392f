// SPDX-License-Identifier: GPL-2.0
/* lock_wait_summary: which user-space locks does a process wait on, and for how long?
 * uprobe/uretprobe pairs on the C library's pthread_mutex_lock, pthread_rwlock_wrlock and
 * pthread_rwlock_rdlock time each call from entry to return, by lock address; the futex(2) wait
 * tracepoints time the kernel waits under them (and under any other futex user). The user side
 * attaches the uprobes to the library the target process maps, for that process only.
 *
 * A pthread call is a wait only if the thread blocked in it: between the call's entry and return
 * it entered a futex(2) wait on a word inside that lock. glibc's mutex and rwlock take a free lock
 * with an atomic instruction in user space and reach the kernel only when the lock is taken, so
 * the futex wait is the contention itself, not a guess from the call's length (which, for a free
 * lock, is mostly the probes' own cost). Calls that never blocked are counted as uncontended, with
 * no time and no histogram. A futex wait that returns EAGAIN at once (the word changed on the way
 * in) still counts: the lock was taken when the thread looked. An adaptive mutex that spins and
 * then takes the lock without the kernel is counted as uncontended. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/hist.h"
#include "netstrata/loss.h"
#include "threads.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool targ_stack = false;
const volatile __u64 targ_min_ns = 0;

struct pending {
	__u64 ts;
	__u64 lock;
	__u32 kind;
	__s32 ustack;
	__u64 caller;
	__u32 blocked;                 /* pthread calls: a futex wait on the lock began under it */
	__u32 _pad;
};

/* A call in progress, per thread: one for the pthread call, one for the futex wait under it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LOCK_PENDING_MAX);
	__type(key, __u64);            /* tid << 1 | (futex ? 1 : 0) */
	__type(value, struct pending);
} pending SEC(".maps");

/* Rows. LRU: threads and locks that come and go make room rather than being refused once the user
 * side's removal of idle rows falls behind; evictions are counted (loss.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LOCK_ROWS_MAX);
	__type(key, struct lock_key);
	__type(value, struct lock_val);
} waits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__uint(value_size, OFFCPU_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/* The zeroed value a new row is created from (too large for the BPF stack). */
static const struct lock_val zero = {};

static __always_inline bool ours(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_pid;
}

static __always_inline void enter(void *ctx, __u64 lock, __u32 kind)
{
	if (!ours())
		return;
	__u64 key = ((bpf_get_current_pid_tgid() & 0xffffffff) << 1) | (kind == LOCK_FUTEX);
	struct pending p = { .ts = bpf_ktime_get_ns(), .lock = lock, .kind = kind };

	if (targ_stack) {
		long id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);

		if (id < 0)
			nst_count_loss(NST_STACK_FAILED);
		p.ustack = id < 0 ? (__s32)id : (__s32)(id + 1);
		/* At a function's first instruction the frame-pointer walk starts at the caller's
		 * caller: the caller itself is the return address on top of the stack. */
		if (kind != LOCK_FUTEX)
			bpf_probe_read_user(&p.caller, sizeof(p.caller), (void *)PT_REGS_SP((struct pt_regs *)ctx));
	}
	bpf_map_update_elem(&pending, &key, &p, BPF_ANY);
}

/* The thread's pthread call in progress, if the futex word is inside its lock, blocked. */
static __always_inline void mark_blocked(__u64 uaddr)
{
	if (!ours())
		return;
	__u64 key = (bpf_get_current_pid_tgid() & 0xffffffff) << 1;
	struct pending *p = bpf_map_lookup_elem(&pending, &key);

	if (p && uaddr >= p->lock && uaddr - p->lock < LOCK_OBJECT_MAX)
		p->blocked = 1;
}

static __always_inline void leave(bool futex)
{
	if (!ours())
		return;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 key = ((pid_tgid & 0xffffffff) << 1) | futex;
	struct pending *p = bpf_map_lookup_elem(&pending, &key);

	if (!p)
		return;
	__u64 ns = bpf_ktime_get_ns() - p->ts;
	bool waited = futex || p->blocked;
	struct lock_key k = { .pid = pid_tgid >> 32, .tid = (__u32)pid_tgid, .lock = p->lock, .kind = p->kind, .ustack = p->ustack, .caller = p->caller };

	bpf_map_delete_elem(&pending, &key);
	/* --min-wait-us is about waits: an uncontended call is counted whatever its length. */
	if (waited && ns < targ_min_ns)
		return;
	struct lock_val *v = nst_lookup_or_init(&waits, &k, &zero);

	if (!v)
		return;
	if (!waited) {
		__sync_fetch_and_add(&v->uncontended, 1);
		return;
	}
	__sync_fetch_and_add(&v->count, 1);
	__sync_fetch_and_add(&v->total_ns, ns);
	if (ns > v->max_ns)
		v->max_ns = ns;
	nst_hist_add(&v->hist, ns);
}

/* BPF_KPROBE/BPF_KRETPROBE read the same registers for uprobes (libbpf 1.1 has no BPF_UPROBE). */
SEC("uprobe")
int BPF_KPROBE(mutex_lock_enter, void *lock) { enter(ctx, (__u64)lock, LOCK_MUTEX); return 0; }
SEC("uretprobe")
int BPF_KRETPROBE(mutex_lock_return) { leave(false); return 0; }
SEC("uprobe")
int BPF_KPROBE(rwlock_wrlock_enter, void *lock) { enter(ctx, (__u64)lock, LOCK_RWLOCK_WR); return 0; }
SEC("uretprobe")
int BPF_KRETPROBE(rwlock_wrlock_return) { leave(false); return 0; }
SEC("uprobe")
int BPF_KPROBE(rwlock_rdlock_enter, void *lock) { enter(ctx, (__u64)lock, LOCK_RWLOCK_RD); return 0; }
SEC("uretprobe")
int BPF_KRETPROBE(rwlock_rdlock_return) { leave(false); return 0; }

/* futex(2): FUTEX_WAIT, FUTEX_LOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_LOCK_PI2
 * (the op without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME). */
static __always_inline bool futex_waits(long op)
{
	long cmd = op & 127;

	return cmd == 0 || cmd == 6 || cmd == 9 || cmd == 11 || cmd == 13;
}

SEC("tracepoint/syscalls/sys_enter_futex")
int sys_enter_futex_tp(struct trace_event_raw_sys_enter *args)
{
	if (futex_waits(BPF_CORE_READ(args, args[1]))) {
		__u64 uaddr = BPF_CORE_READ(args, args[0]);

		mark_blocked(uaddr);
		enter(args, uaddr, LOCK_FUTEX);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_futex")
int sys_exit_futex_tp(struct trace_event_raw_sys_exit *args)
{
	leave(true);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* vhost_signal_summary: what does each vhost worker do for its guest's virtqueues? Per virtqueue:
 * the guest's kicks, the worker's handler runs and the buffers each gave back, the signals
 * (interrupts) it sent and the ones the guest's notification flags suppressed, and how often it found
 * the ring empty; per worker, its waits for a CPU. vhost has no tracepoints: these are function
 * hooks (fentry, or kprobe) on the vhost and vhost_net modules, one run per batch of buffers, kick
 * or signal (not per packet), plus the scheduler's wakeup and switch for the workers' waits. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/loss.h"
#include "netstrata/hist.h"
#include "vhost_signal.h"
#include "vhost.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VHOST_QUEUES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vhost_key);
	__type(value, struct vhost_vq_stats);
} queues SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VHOST_WORKERS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct vhost_worker_stats);
} workers SEC(".maps");

/* Handler runs in progress, and workers waiting for a CPU, by tid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VHOST_WORKERS_MAX);
	__type(key, __u32);
	__type(value, struct vhost_run);
} running SEC(".maps");


struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VHOST_WORKERS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} waiting SEC(".maps");

/* The zeroed rows new ones are made from (too large for the BPF stack). */
static const struct vhost_vq_stats zero_vq = {};
static const struct vhost_worker_stats zero_worker = {};

/* The row of virtqueue `vq` of device `dev`; NULL when the queue is not the device's. */
static __always_inline struct vhost_vq_stats *vq_row(struct vhost_dev___nst *dev, const void *vq, struct vhost_key *key)
{
	int i = vhost_vq_index(dev, vq);

	if (i < 0)
		return NULL;
	key->dev = (__u64)dev;
	key->vq = i;
	key->_pad = 0;
	return nst_lookup_or_init(&queues, key, &zero_vq);
}

/* A kick: the guest's notification wakes the virtqueue's poll (the eventfd KVM or the driver
 * writes). The device's socket polls (the TAP readable or writable) wake the same function; they
 * are not a virtqueue's poll, so the index scan leaves them out. */
static __always_inline int on_poll_wakeup(wait_queue_entry_t *wait, void *key)
{
	if (!VHOST_TYPES())
		return 0;
	struct vhost_poll___nst *poll = (void *)wait - bpf_core_field_offset(struct vhost_poll___nst, wait);
	struct vhost_dev___nst *dev = BPF_CORE_READ(poll, dev);
	void *vq = (void *)poll - bpf_core_field_offset(struct vhost_virtqueue___nst, poll);
	struct vhost_key k;

	/* vhost acts only on the events its poll waits for. */
	if (!((__u64)key & BPF_CORE_READ(poll, mask)))
		return 0;
	struct vhost_vq_stats *s = vq_row(dev, vq, &k);

	if (s)
		__sync_fetch_and_add(&s->kicks, 1);
	return 0;
}

/* A vhost-net handler run begins: RX is the device's virtqueue 0, TX 1 (virtio-net's order). */
static __always_inline int on_run(struct vhost_net___nst *net, __u32 q)
{
	if (!VHOST_TYPES())
		return 0;
	struct vhost_dev___nst *dev = &net->dev;
	struct vhost_virtqueue___nst *vq = q ? &net->vqs[1].vq : &net->vqs[0].vq;
	__u32 tid = vhost_tid();
	struct vhost_run run = {};
	struct vhost_vq_stats *s = vq_row(dev, vq, &run.key);

	if (!s)
		return 0;
	s->worker_tid = tid;
	s->worker_pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(s->worker_comm, sizeof(s->worker_comm));
	s->ring_size = BPF_CORE_READ(vq, num);
	bpf_map_update_elem(&running, &tid, &run, BPF_ANY);
	/* The worker is followed for its waits for a CPU from now on. */
	struct vhost_worker_stats *w = nst_lookup_or_init(&workers, &tid, &zero_worker);

	if (w && !w->pid) {
		w->pid = s->worker_pid;
		bpf_get_current_comm(w->comm, sizeof(w->comm));
	}
	return 0;
}

static __always_inline int on_run_end(void)
{
	__u32 tid = vhost_tid();
	struct vhost_run *run = bpf_map_lookup_elem(&running, &tid);

	if (!run)
		return 0;
	struct vhost_vq_stats *s = bpf_map_lookup_elem(&queues, &run->key);

	if (s) {
		__sync_fetch_and_add(&s->runs, 1);
		nst_hist_add(&s->used_per_run, run->used);
	}
	bpf_map_delete_elem(&running, &tid);
	return 0;
}

/* Used entries added to a virtqueue (buffers given back to the guest). */
static __always_inline int on_add_used(struct vhost_virtqueue___nst *vq, __u32 count)
{
	if (!VHOST_TYPES())
		return 0;
	struct vhost_key k;
	struct vhost_vq_stats *s = vq_row(BPF_CORE_READ(vq, dev), vq, &k);

	if (!s)
		return 0;
	__sync_fetch_and_add(&s->used, count);
	/* In a handler run of this queue: its buffers. */
	__u32 tid = vhost_tid();
	struct vhost_run *run = bpf_map_lookup_elem(&running, &tid);

	if (run && run->key.dev == k.dev && run->key.vq == k.vq)
		run->used += count;
	return 0;
}

/* Used entries published with a signal check (vhost_check_begin). */
static __always_inline int on_check(struct vhost_dev___nst *dev, struct vhost_virtqueue___nst *vq)
{
	if (!VHOST_TYPES())
		return 0;
	struct vhost_key k;

	if (!vhost_check_begin(dev, vq, &k))
		return 0;
	struct vhost_vq_stats *s = nst_lookup_or_init(&queues, &k, &zero_vq);

	if (s)
		__sync_fetch_and_add(&s->checks, 1);
	return 0;
}

/* Any eventfd signalled: the one a signal check of this thread waits for is the guest's interrupt. */
static __always_inline int on_eventfd_signal(struct eventfd_ctx *ctx)
{
	struct vhost_key k;

	if (!vhost_check_signalled(ctx, &k))
		return 0;
	struct vhost_vq_stats *s = bpf_map_lookup_elem(&queues, &k);

	if (s)
		__sync_fetch_and_add(&s->signals, 1);
	return 0;
}

/* The worker found the ring empty and turns the guest's kicks back on (on RX: no buffer for a
 * packet that waits; on TX: nothing more to send). */
static __always_inline int on_enable_notify(struct vhost_dev___nst *dev, struct vhost_virtqueue___nst *vq)
{
	if (!VHOST_TYPES())
		return 0;
	struct vhost_key k;
	struct vhost_vq_stats *s = vq_row(dev, vq, &k);

	if (s)
		__sync_fetch_and_add(&s->empty, 1);
	return 0;
}

/* A worker's wait for a CPU: from its wakeup, or its preemption while runnable, to its switch in. */
static __always_inline void wait_begins(struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);
	__u64 now;

	if (!bpf_map_lookup_elem(&workers, &tid))
		return;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&waiting, &tid, &now, BPF_ANY);
}

struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next)
{
	long state = bpf_core_field_exists(prev->__state) ? BPF_CORE_READ(prev, __state) : BPF_CORE_READ((struct task_struct___pre514 *)prev, state);
	__u32 tid = BPF_CORE_READ(next, pid);
	__u64 *since;

	if (state == 0)
		wait_begins(prev);
	since = bpf_map_lookup_elem(&waiting, &tid);
	if (!since)
		return 0;
	__u64 ns = bpf_ktime_get_ns() - *since;
	struct vhost_worker_stats *w = bpf_map_lookup_elem(&workers, &tid);

	bpf_map_delete_elem(&waiting, &tid);
	if (!w)
		return 0;
	__sync_fetch_and_add(&w->waits, 1);
	nst_hist_add(&w->wait_ns, ns);
	return 0;
}

VHOST_FN(vhost_poll_wakeup, (wait_queue_entry_t *wait, unsigned int mode, int sync, void *key), on_poll_wakeup(wait, key))
VHOST_FN(handle_rx, (struct vhost_net___nst *net), on_run(net, 0))
VHOST_FN(handle_tx, (struct vhost_net___nst *net), on_run(net, 1))
VHOST_FN(vhost_add_used_n, (struct vhost_virtqueue___nst *vq, void *heads, unsigned int count), on_add_used(vq, count))
VHOST_FN(vhost_add_used_and_signal_n, (struct vhost_dev___nst *dev, struct vhost_virtqueue___nst *vq), on_check(dev, vq))
VHOST_FN(vhost_add_used_and_signal, (struct vhost_dev___nst *dev, struct vhost_virtqueue___nst *vq), on_check(dev, vq))
VHOST_FN(vhost_enable_notify, (struct vhost_dev___nst *dev, struct vhost_virtqueue___nst *vq), on_enable_notify(dev, vq))
/* 6.8 and later call eventfd_signal_mask (eventfd_signal is an inline); before, eventfd_signal. */
VHOST_FN(eventfd_signal, (struct eventfd_ctx *efd), on_eventfd_signal(efd))
VHOST_FN(eventfd_signal_mask, (struct eventfd_ctx *efd), on_eventfd_signal(efd))

VHOST_FN_EXIT(handle_rx, on_run_end())
VHOST_FN_EXIT(handle_tx, on_run_end())

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup_tp_btf, struct task_struct *p) { wait_begins(p); return 0; }
SEC("raw_tp/sched_wakeup")
int BPF_PROG(sched_wakeup_raw_tp, struct task_struct *p) { wait_begins(p); return 0; }
SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_tp_btf, bool preempt, struct task_struct *prev, struct task_struct *next) { return on_switch(prev, next); }
SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw_tp, bool preempt, struct task_struct *prev, struct task_struct *next) { return on_switch(prev, next); }

// SPDX-License-Identifier: GPL-2.0
/* vhost_queue_details: which vhost virtqueues hit a notable state, and when? One event per RX ring
 * found empty while a packet waits (the guest did not refill its buffers), per TX run that finds
 * the guest's whole ring posted and waiting (its transmit queue stopped), and per stretch of used
 * entries given back with no signal to the guest for at least the threshold (its notification
 * flags suppressed the interrupts), each with the queue's indexes. Function hooks on the vhost
 * modules, as vhost_signal_summary's. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/loss.h"
#include "vhost_signal.h"
#include "vhost.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* A stretch without a signal is an event once it has lasted this long. */
const volatile __u64 targ_suppressed_ns = 1000000;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* Per virtqueue: its signals and the checks without one. LRU: a VM that went away ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VHOST_QUEUES_MAX);
	__type(key, struct vhost_key);
	__type(value, struct vhost_signal_state);
} states SEC(".maps");

static const struct vhost_signal_state zero_state = {};

static __always_inline void emit(struct vhost_dev___nst *dev, struct vhost_virtqueue___nst *vq, const struct vhost_key *key, __u32 kind, __u64 now,
				 const struct vhost_signal_state *st, __s32 guest_avail)
{
	struct vhost_event *e = nst_event_reserve(&events, sizeof(*e));

	if (!e)
		return;
	e->ts_ns = now;
	e->dev = key->dev;
	e->vq = key->vq;
	e->kind = kind;
	e->tid = vhost_tid();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->num = BPF_CORE_READ(vq, num);
	e->last_avail_idx = BPF_CORE_READ(vq, last_avail_idx);
	e->avail_idx = guest_avail >= 0 ? (__u16)guest_avail : BPF_CORE_READ(vq, avail_idx);
	e->last_used_idx = BPF_CORE_READ(vq, last_used_idx);
	e->signalled_used = BPF_CORE_READ(vq, signalled_used);
	e->used_flags = BPF_CORE_READ(vq, used_flags);
	e->_pad = 0;
	e->since_signal_ns = st && st->last_signal_ns ? now - st->last_signal_ns : 0;
	e->suppressed = st ? st->suppressed : 0;
	bpf_ringbuf_submit(e, 0);
}

/* The check of this worker before was not followed by a signal: the guest's flags suppressed it.
 * An event once the queue has gone without a signal for the threshold, one per such stretch. */
static __always_inline void check_ended_silent(void)
{
	if (!VHOST_TYPES())
		return;
	__u32 tid = vhost_tid();
	struct vhost_check *c = bpf_map_lookup_elem(&checking, &tid);

	if (!c)
		return;
	struct vhost_key key = c->key;
	struct vhost_dev___nst *dev = (void *)key.dev;

	bpf_map_delete_elem(&checking, &tid);
	struct vhost_signal_state *st = nst_lookup_or_init(&states, &key, &zero_state);

	if (!st)
		return;
	__u64 now = bpf_ktime_get_ns();

	st->suppressed++;
	if (!st->since_ns)
		st->since_ns = now;
	if (st->reported || now - (st->last_signal_ns ? st->last_signal_ns : st->since_ns) < targ_suppressed_ns)
		return;
	st->reported = 1;
	/* The queue: the device's vqs[index]. */
	struct vhost_virtqueue___nst **vqs = BPF_CORE_READ(dev, vqs);
	struct vhost_virtqueue___nst *vq = NULL;

	if (key.vq >= VHOST_VQS_SCAN || bpf_probe_read_kernel(&vq, sizeof(vq), vqs + key.vq) || !vq)
		return;
	emit(dev, vq, &key, VHOST_EV_SUPPRESSED, now, st, -1);
}

/* Used entries published with a signal check (vhost_check_begin): the check before, if no signal
 * answered it, was suppressed. */
static __always_inline int on_check(struct vhost_dev___nst *dev, struct vhost_virtqueue___nst *vq)
{
	if (!VHOST_TYPES())
		return 0;
	struct vhost_key k;

	check_ended_silent();
	vhost_check_begin(dev, vq, &k);
	return 0;
}

/* The signal a check waits for: the stretch without signals ends. */
static __always_inline int on_eventfd_signal(struct eventfd_ctx *ctx)
{
	struct vhost_key key;

	if (!vhost_check_signalled(ctx, &key))
		return 0;
	struct vhost_signal_state st = { .last_signal_ns = bpf_ktime_get_ns() };

	bpf_map_update_elem(&states, &key, &st, BPF_ANY);
	return 0;
}

/* A handler run ends: its last check, if no signal followed, was suppressed. */
static __always_inline int on_run_end(void)
{
	check_ended_silent();
	return 0;
}

/* The worker turns the guest's kicks back on because the ring is empty: on an RX queue (even
 * index, vhost-net's layout) that happens only with a packet waiting for a buffer. */
static __always_inline int on_enable_notify(struct vhost_dev___nst *dev, struct vhost_virtqueue___nst *vq)
{
	if (!VHOST_TYPES())
		return 0;
	int i = vhost_vq_index(dev, vq);

	if (i < 0 || (i & 1))
		return 0;
	struct vhost_key key = { .dev = (__u64)dev, .vq = i };

	emit(dev, vq, &key, VHOST_EV_RX_EMPTY, bpf_ktime_get_ns(), bpf_map_lookup_elem(&states, &key), -1);
	return 0;
}

/* A TX run begins (vhost-net's TX is the device's virtqueue 1): every descriptor of the ring posted
 * by the guest and not yet taken means the guest can post no more, its transmit queue stopped until
 * vhost catches up. The worker runs in the owner's memory, where the guest's avail index is. */
static __always_inline int on_tx_begin(struct vhost_net___nst *net)
{
	if (!VHOST_TYPES())
		return 0;
	struct vhost_dev___nst *dev = &net->dev;
	struct vhost_virtqueue___nst *vq = &net->vqs[1].vq;
	struct vhost_vring_avail_hdr *avail = BPF_CORE_READ(vq, avail);
	__u16 idx;

	if (!avail || bpf_probe_read_user(&idx, sizeof(idx), &avail->idx))
		return 0;
	__u32 num = BPF_CORE_READ(vq, num);

	if (!num || (__u16)(idx - BPF_CORE_READ(vq, last_avail_idx)) < num)
		return 0;
	struct vhost_key key = { .dev = (__u64)dev, .vq = 1 };

	emit(dev, vq, &key, VHOST_EV_TX_FULL, bpf_ktime_get_ns(), bpf_map_lookup_elem(&states, &key), idx);
	return 0;
}

VHOST_FN(handle_tx, (struct vhost_net___nst *net), on_tx_begin(net))
VHOST_FN(vhost_add_used_and_signal_n, (struct vhost_dev___nst *dev, struct vhost_virtqueue___nst *vq), on_check(dev, vq))
VHOST_FN(vhost_add_used_and_signal, (struct vhost_dev___nst *dev, struct vhost_virtqueue___nst *vq), on_check(dev, vq))
VHOST_FN(eventfd_signal, (struct eventfd_ctx *efd), on_eventfd_signal(efd))
VHOST_FN(eventfd_signal_mask, (struct eventfd_ctx *efd), on_eventfd_signal(efd))
VHOST_FN(vhost_enable_notify, (struct vhost_dev___nst *dev, struct vhost_virtqueue___nst *vq), on_enable_notify(dev, vq))
VHOST_FN_EXIT(handle_rx, on_run_end())
VHOST_FN_EXIT(handle_tx, on_run_end())

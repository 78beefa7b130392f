/* A virtio-net NAPI poll, as both tools see it: which device, direction and queue it polled, what
 * ran it, and the queue's interrupt state as the driver left it.
 *
 * The driver's structs (receive_queue, send_queue: virtio_net; vring_virtqueue: virtio_ring, built
 * in or a module) are private, so they are declared here with only the members read, and CO-RE finds
 * them in the kernel's or the module's BTF. Without them the queue is -1 and the state unknown. */
#ifndef VIRTIO_QUEUE_H
#define VIRTIO_QUEUE_H

#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "virtio.h"

/* The poll functions of virtio_net's RX and TX NAPI instances (from kallsyms): a NAPI poll with
 * either is a virtio-net queue's, whatever the device is called. */
const volatile __u64 targ_rx_poll = 0;
const volatile __u64 targ_tx_poll = 0;
/* Bits of napi_struct.state (an anonymous enum, from the kernel's BTF); 64 = not in this kernel. */
const volatile __u32 targ_busy_bit = 64;
const volatile __u32 targ_threaded_bit = 64;

/* Virtio's own constants (include/uapi/linux/virtio_ring.h): the driver asks for no interrupts. */
#define VIRTIO_AVAIL_F_NO_INTERRUPT 1
#define VIRTIO_PACKED_EVENT_FLAG_DISABLE 1

struct receive_queue___nst {
	struct virtqueue *vq;
	struct napi_struct napi;
} __attribute__((preserve_access_index));

struct send_queue___nst {
	struct virtqueue *vq;
	struct napi_struct napi;
} __attribute__((preserve_access_index));

struct vring_virtqueue_split___nst {
	struct vring vring;
	__u16 avail_flags_shadow;
} __attribute__((preserve_access_index));

struct vring_virtqueue_packed___nst {
	__u16 event_flags_shadow;
} __attribute__((preserve_access_index));

struct vring_virtqueue___nst {
	struct virtqueue vq;
	bool packed_ring;
	__u16 last_used_idx;
	union {
		struct vring_virtqueue_split___nst split;
		struct vring_virtqueue_packed___nst packed;
	};
} __attribute__((preserve_access_index));

/* The poll's direction (VIRTIO_DIR_*), or -1 for a NAPI instance that is not virtio-net's. */
static __always_inline int virtio_poll_dir(struct napi_struct *napi)
{
	__u64 poll = (__u64)BPF_CORE_READ(napi, poll);

	if (poll && poll == targ_rx_poll)
		return VIRTIO_DIR_RX;
	if (poll && poll == targ_tx_poll)
		return VIRTIO_DIR_TX;
	return -1;
}

static __always_inline struct virtqueue *virtio_napi_vq(struct napi_struct *napi, int dir)
{
	if (dir == VIRTIO_DIR_RX) {
		if (!bpf_core_type_exists(struct receive_queue___nst))
			return NULL;
		struct receive_queue___nst *rq = (void *)napi - bpf_core_field_offset(struct receive_queue___nst, napi);
		return BPF_CORE_READ(rq, vq);
	}
	if (!bpf_core_type_exists(struct send_queue___nst))
		return NULL;
	struct send_queue___nst *sq = (void *)napi - bpf_core_field_offset(struct send_queue___nst, napi);
	return BPF_CORE_READ(sq, vq);
}

/* The device, direction and queue of a virtio-net poll; false when it is not one, or filtered out. */
static __always_inline bool virtio_poll_key(struct napi_struct *napi, struct virtio_q_key *key, struct virtqueue **vq)
{
	int dir = virtio_poll_dir(napi);

	if (dir < 0)
		return false;
	struct net_device *dev = BPF_CORE_READ(napi, dev);

	key->ifindex = BPF_CORE_READ(dev, ifindex);
	key->netns = nst_dev_netns(dev);
	if (!nst_dev_pass(key->ifindex, key->netns))
		return false;
	key->dir = dir;
	*vq = virtio_napi_vq(napi, dir);
	/* Virtqueues alternate receive and transmit: queue pair i is vqs 2i and 2i + 1. */
	key->queue = *vq ? (__s32)(BPF_CORE_READ(*vq, index) / 2) : -1;
	return true;
}

/* What ran the poll: a busy poller holds NAPI_STATE_IN_BUSY_POLL while it polls. */
static __always_inline __u32 virtio_poll_kind(struct napi_struct *napi)
{
	unsigned long state = BPF_CORE_READ(napi, state);

	if (targ_busy_bit < 64 && (state & (1UL << targ_busy_bit)))
		return VIRTIO_POLL_BUSY;
	if (targ_threaded_bit < 64 && (state & (1UL << targ_threaded_bit)))
		return VIRTIO_POLL_THREADED;
	return VIRTIO_POLL_SOFTIRQ;
}

/* The queue's interrupt state now: whether the driver has its callbacks off, and how many buffers
 * the device has returned that the driver has not taken (split rings; 0 for packed ones). */
static __always_inline void virtio_vq_state(struct virtqueue *vq, struct virtio_q_state *st)
{
	if (!vq || !bpf_core_type_exists(struct vring_virtqueue___nst))
		return;
	/* vring_virtqueue starts with its struct virtqueue. */
	struct vring_virtqueue___nst *vvq = (void *)vq;

	st->known = 1;
	if (BPF_CORE_READ(vvq, packed_ring)) {
		st->irq_off = BPF_CORE_READ(vvq, packed.event_flags_shadow) == VIRTIO_PACKED_EVENT_FLAG_DISABLE;
		return;
	}
	st->irq_off = (BPF_CORE_READ(vvq, split.avail_flags_shadow) & VIRTIO_AVAIL_F_NO_INTERRUPT) != 0;
	struct vring_used *used = BPF_CORE_READ(vvq, split.vring.used);
	__u16 idx = BPF_CORE_READ(used, idx);

	st->pending = (__u16)(idx - BPF_CORE_READ(vvq, last_used_idx));
}

/* Each queue's state after its last poll. Kept apart from the counting rows, which the user side
 * removes once idle: a queue left with its interrupts off and no poll since is idle, and is the one
 * whose state matters. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VIRTIO_ROWS_MAX);
	__type(key, struct virtio_q_key);
	__type(value, struct virtio_q_state);
} states SEC(".maps");

static __always_inline bool virtio_note_state(const struct virtio_q_key *key, struct virtqueue *vq)
{
	struct virtio_q_state st = {};

	virtio_vq_state(vq, &st);
	st.last_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&states, key, &st, BPF_ANY);
	return st.irq_off;
}

#endif

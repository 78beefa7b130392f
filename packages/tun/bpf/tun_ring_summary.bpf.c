// SPDX-License-Identifier: GPL-2.0
/* tun_ring_summary: how full are the TAP rings, and what do TAP devices drop? Per TAP/TUN device and
 * queue: the ring's occupancy at every transmit into it, how often it was full, drops by reason,
 * and with --dwell how long packets waited in the ring for their reader. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "netstrata/hist.h"
#include "netstrata/flavours.h"
#include "tun_ring.h"
#include "tun_ring.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool targ_dwell = false;

/* One row per queue, shared by the CPUs (atomic adds): rows are 8 KiB, made as queues appear. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TUN_QUEUES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tun_key);
	__type(value, struct tun_queue_stats);
} queues SEC(".maps");

/* The zeroed row a new queue's is created from (too large for the BPF stack). */
static const struct tun_queue_stats zero = {};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TUN_DROPS_MAX);
	__type(key, struct tun_drop_key);
	__type(value, __u64);
} drops SEC(".maps");

/* --dwell: packets in a TAP ring by skb address, until the reader copies them out or they drop.
 * LRU: a packet whose end no hook saw (freed by a path without a tracepoint) ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TUN_INFLIGHT_MAX);
	__type(key, __u64);
	__type(value, struct tun_inflight);
} inflight SEC(".maps");

/* The row for a queue, made on first use; a full table is counted (map_full). The table is not an
 * LRU (nothing is evicted), so rows made are not counted as the drop table's are. */
static __always_inline struct tun_queue_stats *tun_row(const struct net_device *dev, const struct tun_key *key)
{
	struct tun_queue_stats *s = bpf_map_lookup_elem(&queues, key);

	if (s)
		return s;
	long err = bpf_map_update_elem(&queues, key, &zero, BPF_NOEXIST);

	s = bpf_map_lookup_elem(&queues, key);
	if (!s) {
		if (err)
			nst_count_loss(NST_MAP_FULL);
		return NULL;
	}
	if (!err)
		bpf_probe_read_kernel_str(s->dev, sizeof(s->dev), dev->name);
	return s;
}

/* A transmit into a TAP (tun_net_xmit runs next): the ring it goes to, as it is now. */
static __always_inline int on_start_xmit(const struct sk_buff *skb, const struct net_device *dev)
{
	struct tun_key key = {};
	struct tun_queue_stats *s;
	struct ptr_ring *ring;
	__u32 count = 0, size = 0;
	bool full = false;

	if (!dev || !tun_is_tun(dev))
		return 0;
	key.ifindex = BPF_CORE_READ(dev, ifindex);
	key.netns = nst_dev_netns((struct net_device *)dev);
	if (!nst_dev_pass(key.ifindex, key.netns))
		return 0;
	key.queue = BPF_CORE_READ(skb, queue_mapping);
	s = tun_row(dev, &key);
	if (!s)
		return 0;
	__sync_fetch_and_add(&s->xmits, 1);
	ring = tun_queue_ring(dev, key.queue);
	if (!ring) {
		__sync_fetch_and_add(&s->no_queue, 1);
		return 0;
	}
	count = tun_ring_count(ring, &size, &full);
	s->ring_size = size;
	if (full)
		__sync_fetch_and_add(&s->full, 1);
	nst_hist_add(&s->occupancy, count);
	if (targ_dwell && !full) {
		struct tun_inflight in = { .ts_ns = bpf_ktime_get_ns(), .key = key };
		__u64 addr = (__u64)skb;

		bpf_map_update_elem(&inflight, &addr, &in, BPF_ANY);
	}
	return 0;
}

/* The classic record has the skb's address, not the device's: the device is read from the skb. */
static __always_inline int on_start_xmit_record(struct trace_event_raw_net_dev_start_xmit *args)
{
	const struct sk_buff *skb = (const struct sk_buff *)BPF_CORE_READ(args, skbaddr);

	return on_start_xmit(skb, BPF_CORE_READ(skb, dev));
}

/* A drop by a TAP/TUN device, by the kernel's reason. */
static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);

	if (targ_dwell) {
		__u64 addr = (__u64)skb;

		bpf_map_delete_elem(&inflight, &addr);
	}
	if (!dev || !tun_is_tun(dev))
		return 0;
	struct tun_drop_key key = {
		.ifindex = BPF_CORE_READ(dev, ifindex),
		.netns = nst_dev_netns(dev),
		.queue = BPF_CORE_READ(skb, queue_mapping),
		.reason = reason,
	};

	if (!nst_dev_pass(key.ifindex, key.netns))
		return 0;
	bpf_probe_read_kernel_str(key.dev, sizeof(key.dev), dev->name);
	nst_counter_add(&drops, &key, 1);
	return 0;
}

/* --dwell: the reader copies a packet out of the TAP (tun_put_user): the end of its wait. */
static __always_inline int on_copy(const struct sk_buff *skb)
{
	__u64 addr = (__u64)skb;
	struct tun_inflight *in = bpf_map_lookup_elem(&inflight, &addr);

	if (!in)
		return 0;
	struct tun_inflight done = *in;

	bpf_map_delete_elem(&inflight, &addr);
	struct tun_queue_stats *s = bpf_map_lookup_elem(&queues, &done.key);

	if (!s)
		return 0;
	__sync_fetch_and_add(&s->reads, 1);
	nst_hist_add(&s->dwell_ns, bpf_ktime_get_ns() - done.ts_ns);
	s->reader_pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(s->reader_comm, sizeof(s->reader_comm));
	return 0;
}

/* The TAP's own transmit function, where the kernel can hook it: runs for TAP/TUN packets only. */
SEC("fentry/tun_net_xmit")
int BPF_PROG(tun_net_xmit_fentry, struct sk_buff *skb, struct net_device *dev) { return on_start_xmit(skb, dev); }
SEC("kprobe/tun_net_xmit")
int BPF_KPROBE(tun_net_xmit_kprobe, struct sk_buff *skb, struct net_device *dev) { return on_start_xmit(skb, dev); }

/* Every device's transmit, the TAP's picked out by its link ops. */
NST_TP_FLAVOURS(net, net_dev_start_xmit, (const struct sk_buff *skb, const struct net_device *dev),
		on_start_xmit(skb, dev),
		net_dev_start_xmit, on_start_xmit_record(args))
NST_TP_FLAVOURS(skb, skb_copy_datagram_iovec, (const struct sk_buff *skb, int len), on_copy(skb),
		skb_copy_datagram_iovec, on_copy((const struct sk_buff *)BPF_CORE_READ(args, skbaddr)))

#include "netstrata/kfree_skb_flavours.h"

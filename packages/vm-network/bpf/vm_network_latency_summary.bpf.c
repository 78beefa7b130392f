// SPDX-License-Identifier: GPL-2.0
/* vm_network_latency_summary: where do a VM's packets wait on the host? Per VM interface and
 * direction: the stages of each packet's path between the VM's interface (its TAP) and the physical
 * interface, as histograms, and the packets the kernel dropped on the way.
 *
 * From the VM (TX): [netif_rx] -> netif_receive_skb on the VM's interface -> net_dev_queue on the
 * physical one (forwarded by a bridge, OVS or routing) -> net_dev_start_xmit (out of its qdisc) ->
 * net_dev_xmit (the driver took it).
 * To the VM (RX): [netif_rx] -> netif_receive_skb on the physical interface -> net_dev_queue on the
 * VM's -> net_dev_start_xmit (the TAP puts it in its ring) -> the VM's reader copies it out
 * (skb:skb_copy_datagram_iovec, in vhost-net's worker or QEMU).
 * One skb all the way: a packet is followed by its address. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "netstrata/hist.h"
#include "netstrata/flavours.h"
#include "vm_network.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_vm[VMNET_IFACES_MAX] = {};
const volatile __u32 targ_nvm = 0;
const volatile __u32 targ_phy[VMNET_IFACES_MAX] = {};
const volatile __u32 targ_nphy = 0;
/* The namespace both kinds of interface are in (0: the tool's, resolved by the user side). */
const volatile __u32 targ_netns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * VMNET_IFACES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vmnet_key);
	__type(value, struct vmnet_stats);
} stats SEC(".maps");

static const struct vmnet_stats zero = {};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VMNET_SESSIONS_MAX);
	__type(key, __u64);
	__type(value, struct vmnet_session);
} sessions SEC(".maps");

static __always_inline bool in_list(const volatile __u32 *list, __u32 n, __u32 ifindex)
{
	for (int i = 0; i < VMNET_IFACES_MAX; i++) {
		if (i >= n)
			return false;
		if (list[i] == ifindex)
			return true;
	}
	return false;
}

static __always_inline bool is_vm(__u32 ifindex) { return ifindex && in_list(targ_vm, targ_nvm, ifindex); }
static __always_inline bool is_phy(__u32 ifindex) { return ifindex && in_list(targ_phy, targ_nphy, ifindex); }

/* The device's ifindex when it is in the followed namespace, else 0. */
static __always_inline __u32 dev_ifindex(const struct net_device *dev)
{
	if (!dev || nst_dev_netns((struct net_device *)dev) != targ_netns)
		return 0;
	return BPF_CORE_READ(dev, ifindex);
}

static __always_inline struct vmnet_stats *stats_row(__u32 vm, __u32 dir)
{
	struct vmnet_key key = { .vm_ifindex = vm, .dir = dir };
	struct vmnet_stats *s = bpf_map_lookup_elem(&stats, &key);

	if (s)
		return s;
	long err = bpf_map_update_elem(&stats, &key, &zero, BPF_NOEXIST);

	s = bpf_map_lookup_elem(&stats, &key);
	if (!s && err)
		nst_count_loss(NST_MAP_FULL);
	return s;
}

static __always_inline void count(__u32 vm, __u32 dir, int what)
{
	struct vmnet_stats *s = stats_row(vm, dir);

	if (!s)
		return;
	if (what == 0)
		__sync_fetch_and_add(&s->started, 1);
	else if (what == 1)
		__sync_fetch_and_add(&s->dropped, 1);
	else
		__sync_fetch_and_add(&s->lost, 1);
}

/* A path begins (or begins again: an skb seen entering a second time starts over). */
static __always_inline void start(const struct sk_buff *skb, __u32 ifindex, __u32 stamp)
{
	__u64 addr = (__u64)skb;
	__u64 now = bpf_ktime_get_ns();
	struct vmnet_session *s = bpf_map_lookup_elem(&sessions, &addr);
	bool vm = is_vm(ifindex);
	__u32 dir = vm ? VMNET_DIR_TX : VMNET_DIR_RX;

	/* netif_rx then netif_receive_skb of the same packet on the same device: one path. */
	if (s && stamp == VMNET_T_RECEIVE && s->ts[VMNET_T_BACKLOG] && !s->ts[VMNET_T_RECEIVE] && s->dir == dir &&
	    (vm ? s->vm_ifindex == ifindex : s->out_ifindex == ifindex)) {
		s->ts[VMNET_T_RECEIVE] = now;
		return;
	}
	struct vmnet_session n = { .dir = dir };

	n.ts[stamp] = now;
	if (vm) {
		n.vm_ifindex = ifindex;
		count(ifindex, VMNET_DIR_TX, 0);
	} else {
		/* The VM it goes to is known at its queue; out_ifindex holds the receiving interface until then. */
		n.out_ifindex = ifindex;
	}
	if (bpf_map_update_elem(&sessions, &addr, &n, BPF_ANY))
		nst_count_loss(NST_MAP_FULL);
}

static __always_inline int on_backlog(const struct sk_buff *skb)
{
	__u32 ifindex = dev_ifindex(BPF_CORE_READ(skb, dev));

	if (is_vm(ifindex) || is_phy(ifindex))
		start(skb, ifindex, VMNET_T_BACKLOG);
	return 0;
}

static __always_inline int on_receive(const struct sk_buff *skb)
{
	__u32 ifindex = dev_ifindex(BPF_CORE_READ(skb, dev));

	if (is_vm(ifindex) || is_phy(ifindex))
		start(skb, ifindex, VMNET_T_RECEIVE);
	return 0;
}

/* Out through a device: the end of forwarding, for a packet on its way to the other side. */
static __always_inline int on_queue(const struct sk_buff *skb)
{
	__u64 addr = (__u64)skb;
	struct vmnet_session *s = bpf_map_lookup_elem(&sessions, &addr);

	if (!s || s->ts[VMNET_T_QUEUE] || !s->ts[VMNET_T_RECEIVE])
		return 0;
	__u32 ifindex = dev_ifindex(BPF_CORE_READ(skb, dev));

	if (s->dir == VMNET_DIR_TX ? !is_phy(ifindex) : !is_vm(ifindex)) {
		/* Elsewhere (another VM, a tunnel, the host): not this path. A TX packet was counted as
		 * started; it ends here, uncounted further, as one delivered to the host does. */
		bpf_map_delete_elem(&sessions, &addr);
		return 0;
	}
	s->ts[VMNET_T_QUEUE] = bpf_ktime_get_ns();
	if (s->dir == VMNET_DIR_RX) {
		s->vm_ifindex = ifindex;
		count(ifindex, VMNET_DIR_RX, 0);
	}
	s->out_ifindex = ifindex;
	return 0;
}

static __always_inline void stage(struct nst_hist *h, __u64 from, __u64 to)
{
	if (from && to >= from)
		nst_hist_add(h, to - from);
}

static __always_inline void finish(__u64 addr, struct vmnet_session *s, __u64 now)
{
	struct vmnet_session done = *s;
	struct vmnet_stats *st;
	__u64 first = 0;

	bpf_map_delete_elem(&sessions, &addr);
	st = stats_row(done.vm_ifindex, done.dir);
	if (!st)
		return;
	__sync_fetch_and_add(&st->completed, 1);
	stage(&st->backlog_ns, done.ts[VMNET_T_BACKLOG], done.ts[VMNET_T_RECEIVE]);
	stage(&st->forward_ns, done.ts[VMNET_T_RECEIVE], done.ts[VMNET_T_QUEUE]);
	stage(&st->qdisc_ns, done.ts[VMNET_T_QUEUE], done.ts[VMNET_T_XMIT]);
	stage(&st->out_ns, done.ts[VMNET_T_XMIT], now);
	first = done.ts[VMNET_T_BACKLOG] ? done.ts[VMNET_T_BACKLOG] : done.ts[VMNET_T_RECEIVE];
	if (first && now >= first)
		nst_hist_add(&st->total_ns, now - first);
}

/* Out of the qdisc to the driver (for the VM's TAP, into its ring). A packet on the followed path
 * with no session was forgotten by the session table: counted as lost. */
static __always_inline int on_start_xmit(const struct sk_buff *skb, const struct net_device *dev)
{
	__u64 addr = (__u64)skb;
	struct vmnet_session *s = bpf_map_lookup_elem(&sessions, &addr);
	__u32 ifindex = dev_ifindex(dev);

	if (!s) {
		__u32 iif = BPF_CORE_READ(skb, skb_iif);

		if (is_phy(ifindex) && is_vm(iif))
			count(iif, VMNET_DIR_TX, 2);
		else if (is_vm(ifindex) && is_phy(iif))
			count(ifindex, VMNET_DIR_RX, 2);
		return 0;
	}
	if (s->ts[VMNET_T_QUEUE] && !s->ts[VMNET_T_XMIT] && s->out_ifindex == ifindex)
		s->ts[VMNET_T_XMIT] = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_start_xmit_record(struct trace_event_raw_net_dev_start_xmit *args)
{
	const struct sk_buff *skb = (const struct sk_buff *)BPF_CORE_READ(args, skbaddr);

	return on_start_xmit(skb, BPF_CORE_READ(skb, dev));
}

/* TX: the driver of the physical interface took it. (For the VM's TAP the packet is in the ring and
 * its reader may have it already: RX ends at the reader's copy instead.) */
static __always_inline int on_xmit(const struct sk_buff *skb)
{
	__u64 addr = (__u64)skb;
	struct vmnet_session *s = bpf_map_lookup_elem(&sessions, &addr);

	if (s && s->dir == VMNET_DIR_TX && s->ts[VMNET_T_XMIT])
		finish(addr, s, bpf_ktime_get_ns());
	return 0;
}

/* RX: the VM's reader copies the packet out of the TAP. */
static __always_inline int on_copy(const struct sk_buff *skb)
{
	__u64 addr = (__u64)skb;
	struct vmnet_session *s = bpf_map_lookup_elem(&sessions, &addr);

	if (s && s->dir == VMNET_DIR_RX && s->ts[VMNET_T_XMIT])
		finish(addr, s, bpf_ktime_get_ns());
	return 0;
}

/* Dropped on the way: counted for its VM once the path is known to be one of ours. */
static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	__u64 addr = (__u64)skb;
	struct vmnet_session *s = bpf_map_lookup_elem(&sessions, &addr);

	if (!s)
		return 0;
	if (s->vm_ifindex)
		count(s->vm_ifindex, s->dir, 1);
	bpf_map_delete_elem(&sessions, &addr);
	return 0;
}

NST_TP_FLAVOURS(net, netif_rx, (struct sk_buff *skb), on_backlog(skb),
		net_dev_template, on_backlog((const struct sk_buff *)BPF_CORE_READ(args, skbaddr)))
NST_TP_FLAVOURS(net, netif_receive_skb, (struct sk_buff *skb), on_receive(skb),
		net_dev_template, on_receive((const struct sk_buff *)BPF_CORE_READ(args, skbaddr)))
NST_TP_FLAVOURS(net, net_dev_queue, (struct sk_buff *skb), on_queue(skb),
		net_dev_template, on_queue((const struct sk_buff *)BPF_CORE_READ(args, skbaddr)))
NST_TP_FLAVOURS(net, net_dev_start_xmit, (const struct sk_buff *skb, const struct net_device *dev),
		on_start_xmit(skb, dev),
		net_dev_start_xmit, on_start_xmit_record(args))
NST_TP_FLAVOURS(net, net_dev_xmit, (struct sk_buff *skb, int rc, struct net_device *dev, unsigned int skb_len),
		on_xmit(skb),
		net_dev_xmit, on_xmit((const struct sk_buff *)BPF_CORE_READ(args, skbaddr)))
NST_TP_FLAVOURS(skb, skb_copy_datagram_iovec, (const struct sk_buff *skb, int len), on_copy(skb),
		skb_copy_datagram_iovec, on_copy((const struct sk_buff *)BPF_CORE_READ(args, skbaddr)))

#include "netstrata/kfree_skb_flavours.h"

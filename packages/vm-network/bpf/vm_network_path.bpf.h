/* A packet's path between a VM's interface and the physical interface, followed by its skb: the
 * sessions and the device hooks shared by the vm-network programs. The including program defines
 *   static __always_inline void vmnet_count(__u32 vm, __u32 dir, int what);   (VMNET_STARTED, ...)
 *   static __always_inline void vmnet_done(const struct vmnet_session *s, __u64 now);
 * the second for each packet that came out at the far end (its session already out of the table).
 *
 * From the VM (TX): [netif_rx] -> netif_receive_skb on the VM's interface -> net_dev_queue on the
 * physical one (forwarded by a bridge, OVS or routing) -> net_dev_start_xmit (out of its qdisc) ->
 * net_dev_xmit (the driver took it).
 * To the VM (RX): [netif_rx] -> netif_receive_skb on the physical interface -> net_dev_queue on the
 * VM's -> net_dev_start_xmit (the TAP puts it in its ring) -> the VM's reader copies it out
 * (skb:skb_copy_datagram_iovec, in vhost-net's worker or QEMU). */
#ifndef VM_NETWORK_PATH_BPF_H
#define VM_NETWORK_PATH_BPF_H

#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "netstrata/flavours.h"
#include "netstrata/frame.h"
#include "netstrata/ovs_flavours.h"
#include "vm_network.h"

#define VMNET_STARTED 0
#define VMNET_DROPPED 1
#define VMNET_LOST    2

static __always_inline void vmnet_count(__u32 vm, __u32 dir, int what);
static __always_inline void vmnet_done(const struct vmnet_session *s, __u64 now);

const volatile __u32 targ_vm[VMNET_IFACES_MAX] = {};
const volatile __u32 targ_nvm = 0;
const volatile __u32 targ_phy[VMNET_IFACES_MAX] = {};
const volatile __u32 targ_nphy = 0;
/* The namespace both kinds of interface are in (the user side resolves it). */
const volatile __u32 targ_netns = 0;
/* Parse each packet's flow when its path begins (the details tool's events carry it). */
const volatile bool targ_flow = false;

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
	if (targ_flow)
		nst_skb_flow((struct sk_buff *)skb, &n.flow);
	if (vm) {
		n.vm_ifindex = ifindex;
		vmnet_count(ifindex, VMNET_DIR_TX, VMNET_STARTED);
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
		vmnet_count(ifindex, VMNET_DIR_RX, VMNET_STARTED);
	}
	s->out_ifindex = ifindex;
	return 0;
}

/* The far end: the session leaves the table, and the program has the packet. */
static __always_inline void vmnet_finish(__u64 addr, struct vmnet_session *s)
{
	struct vmnet_session done = *s;

	bpf_map_delete_elem(&sessions, &addr);
	vmnet_done(&done, bpf_ktime_get_ns());
}

/* The first stamp of a path. */
static __always_inline __u64 vmnet_first(const struct vmnet_session *s)
{
	return s->ts[VMNET_T_BACKLOG] ? s->ts[VMNET_T_BACKLOG] : s->ts[VMNET_T_RECEIVE];
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
			vmnet_count(iif, VMNET_DIR_TX, VMNET_LOST);
		else if (is_vm(ifindex) && is_phy(iif))
			vmnet_count(ifindex, VMNET_DIR_RX, VMNET_LOST);
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
		vmnet_finish(addr, s);
	return 0;
}

/* RX: the VM's reader copies the packet out of the TAP. */
static __always_inline int on_copy(const struct sk_buff *skb)
{
	__u64 addr = (__u64)skb;
	struct vmnet_session *s = bpf_map_lookup_elem(&sessions, &addr);

	if (s && s->dir == VMNET_DIR_RX && s->ts[VMNET_T_XMIT])
		vmnet_finish(addr, s);
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
		vmnet_count(s->vm_ifindex, s->dir, VMNET_DROPPED);
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

/* OVS: a packet its datapath has no flow for goes up to ovs-vswitchd (openvswitch:ovs_dp_upcall),
 * which sends it back down to be executed as a new skb (the first openvswitch:ovs_do_execute_action
 * of a packet with no input interface: received packets have one). The two are matched by a
 * fingerprint of the frame; the path goes on with the new skb, the upcall timed as its own stage.
 * A packet ovs-vswitchd drops or never sends back is not followed further (nor counted). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VMNET_UPCALLS_MAX);
	__type(key, __u64);
	__type(value, struct vmnet_upcall);
} upcalls SEC(".maps");

static __always_inline int on_upcall(const struct sk_buff *skb)
{
	__u64 addr = (__u64)skb;

	/* Newer kernels type these tracepoints' skb as possibly NULL under tp_btf. */
	if (!skb)
		return 0;
	struct vmnet_session *s = bpf_map_lookup_elem(&sessions, &addr);

	if (!s || !s->ts[VMNET_T_RECEIVE] || s->ts[VMNET_T_UPCALL] || s->ts[VMNET_T_QUEUE])
		return 0;
	__u64 fp = nst_frame_fingerprint(skb);

	if (!fp)
		return 0;
	/* The skb that goes up is consumed (freed with no tracepoint of ours) or, when the upcall fails,
	 * dropped: its session leaves the table now, so that the address, once reused, carries no stale
	 * path. A failed upcall is the datapath's lost count (ovs-dpctl show), not this tool's drop. */
	struct vmnet_upcall u = { .skb = addr, .s = *s };

	u.s.ts[VMNET_T_UPCALL] = bpf_ktime_get_ns();
	bpf_map_delete_elem(&sessions, &addr);
	if (bpf_map_update_elem(&upcalls, &fp, &u, BPF_ANY))
		nst_count_loss(NST_MAP_FULL);
	return 0;
}

static __always_inline int on_execute(const struct sk_buff *skb)
{
	if (!skb)
		return 0;
	/* Received packets (the datapath's flow hit) have an input interface; a packet sent back down
	 * by ovs-vswitchd has none. */
	if (BPF_CORE_READ(skb, skb_iif))
		return 0;
	__u32 ifindex = dev_ifindex(BPF_CORE_READ(skb, dev));

	if (!is_vm(ifindex) && !is_phy(ifindex))
		return 0;
	__u64 addr = (__u64)skb;
	struct vmnet_session *s = bpf_map_lookup_elem(&sessions, &addr);

	if (s && s->ts[VMNET_T_EXECUTE])
		return 0; /* matched at an earlier action */
	__u64 fp = nst_frame_fingerprint(skb);
	struct vmnet_upcall *u = fp ? bpf_map_lookup_elem(&upcalls, &fp) : NULL;

	if (!u)
		return 0;
	struct vmnet_session n = u->s;

	bpf_map_delete_elem(&upcalls, &fp);
	n.ts[VMNET_T_EXECUTE] = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&sessions, &addr, &n, BPF_ANY))
		nst_count_loss(NST_MAP_FULL);
	return 0;
}

/* The datapath's tracepoints: the programs attach only where the openvswitch module is loaded. */
NST_OVS_UPCALL_FLAVOURS(on_upcall(skb))
NST_OVS_EXECUTE_FLAVOURS(on_execute(skb))

#endif

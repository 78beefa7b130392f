// SPDX-License-Identifier: GPL-2.0
/* packet_drop_details: which packets does the kernel drop, one event each, with decoded headers?
 * Filters run first; the header copy and the optional stack are taken only for packets that pass. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "packet_drop.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool targ_stack = false;
/* Only this drop reason when not 0 (0 is SKB_NOT_DROPPED_YET, never a drop). */
const volatile __u32 targ_reason = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

static __always_inline void copy_headers(struct sk_buff *skb, struct drop_event *e)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 mac = BPF_CORE_READ(skb, mac_header);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u32 tail = BPF_CORE_READ(skb, tail);
	__u32 start, n;

	/* Prefer the Ethernet header when the skb has one in front of the network header. */
	if (mac != NST_HDR_UNSET && (nh == NST_HDR_UNSET || mac < nh)) {
		start = mac;
		e->hdr_start = HDR_START_MAC;
	} else if (nh != NST_HDR_UNSET) {
		start = nh;
		e->hdr_start = HDR_START_NETWORK;
	} else {
		return;
	}
	/* tail is an offset from head on 64-bit kernels: the linear data ends there. */
	n = tail > start ? tail - start : 0;
	if (n > HDR_CAPTURE)
		n = HDR_CAPTURE;
	if (n && !bpf_probe_read_kernel(e->hdr, n & (2 * HDR_CAPTURE - 1), head + start))
		e->hdr_len = n;
}

static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct nst_flow flow = {};
	struct drop_event *e;
	__u32 ifindex, netns;

	if (targ_reason && reason != targ_reason)
		return 0;
	if (!nst_skb_pass(skb, &ifindex, &netns, &flow, false))
		return 0;
	/* Without --stack the event ends where its stack would start: less than half the ring per
	 * event, so the ring holds twice as many before one is lost. */
	if (targ_stack)
		e = nst_event_reserve(&events, sizeof(*e));
	else
		e = nst_event_reserve(&events, DROP_EVENT_NO_STACK);
	if (!e)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct net_device *dev = BPF_CORE_READ(skb, dev);

	e->ts_ns = bpf_ktime_get_ns();
	e->location = location;
	e->skb = (__u64)skb;
	e->reason = reason;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->netns = netns;
	e->ifindex = ifindex;
	e->dev[0] = 0;
	if (dev)
		bpf_probe_read_kernel_str(e->dev, sizeof(e->dev), dev->name);
	e->pkt_len = BPF_CORE_READ(skb, len);
	e->protocol = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	e->hdr_len = 0;
	e->hdr_start = HDR_START_MAC;
	copy_headers(skb, e);
	e->stack_len = 0;
	if (targ_stack)
		e->stack_len = nst_stack_get(ctx, e->stack, sizeof(e->stack));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

#include "netstrata/kfree_skb_flavours.h"

// SPDX-License-Identifier: GPL-2.0
/* conntrack_details: Which packets does netfilter drop, and what was their connection tracking
 * state? One event per dropped packet: its flow, its state, its entry's zone, status and mark, and
 * where the kernel dropped it.
 * The one hook, skb:kfree_skb, runs per dropped packet only; filters run first, and an event is
 * reserved only for a NETFILTER_DROP that passes them. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "conntrack_skb.h"

char LICENSE[] SEC("license") = "GPL";

/* Only these states (bit 1 << enum ct_state) when not 0 (--state). */
const volatile __u32 targ_states = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct nst_flow flow = {};
	struct ct_seen c = {};
	struct ct_event *e;
	struct net_device *dev;
	__u32 ifindex, netns;

	if (!targ_nf_drop || reason != targ_nf_drop || !skb)
		return 0;
	if (!nst_skb_pass(skb, &ifindex, &netns, &flow, true))
		return 0;
	ct_of_skb(skb, &c);
	if (targ_states && !(targ_states & (1U << (c.state & 31))))
		return 0;
	e = nst_event_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->location = location;
	e->status = c.status;
	e->reason = reason;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->netns = netns;
	e->ifindex = ifindex;
	e->len = BPF_CORE_READ(skb, len);
	e->mark = c.mark;
	e->zone = c.zone;
	e->state = c.state;
	e->ctinfo = c.ctinfo;
	e->flags = c.flags;
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	e->flow = flow;
	__builtin_memset(&e->ident, 0, sizeof(e->ident));
	nst_skb_ident(skb, BPF_CORE_READ(skb, network_header), &e->ident);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->dev[0] = 0;
	dev = BPF_CORE_READ(skb, dev);
	if (dev)
		bpf_probe_read_kernel_str(e->dev, sizeof(e->dev), dev->name);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

#include "netstrata/kfree_skb_flavours.h"

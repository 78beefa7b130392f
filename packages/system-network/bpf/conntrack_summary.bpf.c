// SPDX-License-Identifier: GPL-2.0
/* conntrack_summary: Is connection tracking dropping or refusing packets on this host, and is its
 * table full?
 * The table's size and conntrack's own counters are the kernel's, read by the user side each
 * interval. The one hook here, skb:kfree_skb, runs per dropped packet only: packets netfilter drops
 * (NETFILTER_DROP) are counted by namespace, zone, connection state and drop location, and by flow.
 * Nothing runs for the packets conntrack tracks. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "conntrack_skb.h"

char LICENSE[] SEC("license") = "GPL";

/* A hash, not an LRU: only the flow table counts the rows it creates (NST_ROWS_CREATED is one
 * counter, from which the user side derives the flow table's evictions); a full one refuses,
 * counted map_full. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_STATES_MAX);
	__type(key, struct ct_state_key);
	__type(value, __u64);
} states SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CT_FLOWS_MAX);
	__type(key, struct ct_flow_key);
	__type(value, __u64);
} flows SEC(".maps");

static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct ct_state_key sk = {};
	struct ct_flow_key fk = {};
	struct ct_seen c = {};
	__u32 ifindex;

	/* Every drop of the host comes here: one compare sends all but netfilter's away. */
	if (!targ_nf_drop || reason != targ_nf_drop || !skb)
		return 0;
	if (!nst_skb_pass(skb, &ifindex, &fk.netns, &fk.flow, true))
		return 0;
	ct_of_skb(skb, &c);
	fk.zone = c.zone;
	fk.state = c.state;
	/* By state, not by direction; the mark is the details tool's. */
	fk.flags = c.flags & (CT_HAS_ENTRY | CT_HAS_ZONE | CT_TEMPLATE);
	sk.location = location;
	sk.netns = fk.netns;
	sk.zone = fk.zone;
	sk.state = fk.state;
	sk.flags = fk.flags;
	nst_hash_count_one(&states, &sk);
	nst_counter_add(&flows, &fk, 1);
	return 0;
}

#include "netstrata/kfree_skb_flavours.h"

// SPDX-License-Identifier: GPL-2.0
/* packet_drop_summary: where and why does the kernel drop packets? Counts drops in the kernel by
 * the keys chosen with --group-by; the user side reads the map once per interval. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "packet_drop.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool targ_by_reason = false;
const volatile bool targ_by_location = false;
const volatile bool targ_by_stack = false;
const volatile bool targ_by_device = false;
const volatile bool targ_by_flow = false;
/* Only this drop reason when not 0 (0 is SKB_NOT_DROPPED_YET, never a drop). */
const volatile __u32 targ_reason = 0;

/* Groups. LRU: when new groups (flows, say) come faster than the user side removes idle ones, the
 * least recently used make room instead of new ones being refused; evictions are counted (loss.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, DROPS_MAX);
	__type(key, struct drop_key);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, STACKS_MAX);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct drop_key key = {};
	struct nst_flow flow = {};
	__u32 ifindex, netns;

	if (targ_reason && reason != targ_reason)
		return 0;
	if (!nst_skb_pass(skb, &ifindex, &netns, &flow, targ_by_flow))
		return 0;
	if (targ_by_flow)
		key.flow = flow;
	if (targ_by_reason)
		key.reason = reason;
	if (targ_by_location)
		key.location = location;
	if (targ_by_device) {
		struct net_device *dev = BPF_CORE_READ(skb, dev);

		key.ifindex = ifindex;
		key.netns = netns;
		if (dev)
			bpf_probe_read_kernel_str(key.dev, sizeof(key.dev), dev->name);
	}
	key.stack_id = -1;
	if (targ_by_stack) {
		/* Taken only now, after every filter passed: stacks are the most expensive part. */
		key.stack_id = bpf_get_stackid(ctx, &stacks, 0);
		if (key.stack_id < 0)
			nst_count_loss(NST_STACK_FAILED);
	}
	nst_counter_add(&drops, &key, 1);
	return 0;
}

#include "netstrata/kfree_skb_flavours.h"

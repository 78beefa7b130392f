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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
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

static __always_inline int count_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct drop_key key = {};
	__u32 ifindex, netns;

	if (targ_reason && reason != targ_reason)
		return 0;
	nst_skb_dev(skb, &ifindex, &netns);
	if (!nst_dev_pass(ifindex, netns))
		return 0;
	if (nst_filter_needs_headers() || targ_by_flow) {
		struct nst_flow flow = {};

		nst_skb_flow(skb, &flow);
		if (nst_filter_needs_headers() && !nst_flow_pass(&flow))
			return 0;
		if (targ_by_flow)
			key.flow = flow;
	}
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

/* Reason-carrying tracepoint, BTF-typed: cheapest, direct arguments. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_tp_btf, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return count_drop(ctx, skb, (__u64)location, reason);
}

/* Same tracepoint without BTF typing of the arguments. */
SEC("raw_tp/kfree_skb")
int BPF_PROG(kfree_skb_raw_tp, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return count_drop(ctx, skb, (__u64)location, reason);
}

/* Classic tracepoint: works wherever tracefs does; reason only on kernels that record it. */
SEC("tracepoint/skb/kfree_skb")
int kfree_skb_tp(struct trace_event_raw_kfree_skb *args)
{
	__u32 reason = 0;

	if (bpf_core_field_exists(args->reason))
		reason = BPF_CORE_READ(args, reason);
	return count_drop(args, (struct sk_buff *)BPF_CORE_READ(args, skbaddr),
			  (__u64)BPF_CORE_READ(args, location), reason);
}

/* Kernels older than the reason tracepoint: hook the free function itself. kfree_skb() is only
 * called to drop (normal frees go through consume_skb), and an skb with other users is not freed
 * yet, so it is skipped. The caller (return address) is the drop location. */
SEC("kprobe/kfree_skb")
int BPF_KPROBE(kfree_skb_kprobe, struct sk_buff *skb)
{
	__u64 ret = 0;

	if (BPF_CORE_READ(skb, users.refs.counter) > 1)
		return 0;
	bpf_probe_read_kernel(&ret, sizeof(ret), (void *)PT_REGS_SP(ctx));
	return count_drop(ctx, skb, ret, 0);
}

SEC("fentry/kfree_skb")
int BPF_PROG(kfree_skb_fentry, struct sk_buff *skb)
{
	if (BPF_CORE_READ(skb, users.refs.counter) > 1)
		return 0;
	/* No return address at fentry without a trampoline frame walk: the stack gives the site. */
	return count_drop(ctx, skb, 0, 0);
}

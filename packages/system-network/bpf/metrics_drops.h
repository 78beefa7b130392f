/* Drops by device and reason (reasons named by the user side from the kernel's BTF), through the
 * shared skb:kfree_skb flavours. */
#ifndef METRICS_DROPS_H
#define METRICS_DROPS_H

#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "system_network.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DROPS_MAX);
	__type(key, struct drop_dev_key);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct drop_dev_key key = {};
	struct net_device *dev;

	if (!skb)
		return 0;
	nst_skb_dev(skb, &key.ifindex, &key.netns);
	if (!nst_dev_pass(key.ifindex, key.netns))
		return 0;
	key.reason = reason;
	dev = BPF_CORE_READ(skb, dev);
	if (dev)
		bpf_probe_read_kernel_str(key.name, sizeof(key.name), dev->name);
	nst_counter_add(&drops, &key, 1);
	return 0;
}

#include "netstrata/kfree_skb_flavours.h"

#endif

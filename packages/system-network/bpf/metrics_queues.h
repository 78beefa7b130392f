/* The per-device row that the qdisc and NAPI concerns both fill (struct qdisc_napi_stats, per CPU),
 * and the device key they share. */
#ifndef METRICS_QUEUES_H
#define METRICS_QUEUES_H

#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "system_network.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, DEVS_MAX);
	__type(key, struct dev_key);
	__type(value, struct qdisc_napi_stats);
} queues SEC(".maps");

/* A device-less hook (the per-CPU backlog's NAPI, say) keys ifindex 0. */
static __always_inline bool dev_key_of(struct net_device *dev, struct dev_key *key)
{
	key->ifindex = dev ? BPF_CORE_READ(dev, ifindex) : 0;
	key->netns = nst_dev_netns(dev);
	return nst_dev_pass(key->ifindex, key->netns);
}

static __always_inline struct qdisc_napi_stats *queue_slot(struct net_device *dev, struct dev_key *key)
{
	struct qdisc_napi_stats *s = bpf_map_lookup_elem(&queues, key);

	if (s)
		return s;
	struct qdisc_napi_stats init = {};

	if (dev)
		bpf_probe_read_kernel_str(init.name, sizeof(init.name), dev->name);
	return nst_lookup_or_init(&queues, key, &init);
}

#endif

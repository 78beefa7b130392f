/* Per-device packets and bytes, received (net:netif_receive_skb) and sent (net:net_dev_xmit), in
 * per-CPU counters the user side sums once per interval. */
#ifndef METRICS_DEVICES_H
#define METRICS_DEVICES_H

#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "netstrata/flavours.h"
#include "system_network.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, DEVS_MAX);
	__type(key, struct dev_key);
	__type(value, struct dev_stats);
} devs SEC(".maps");

static __always_inline struct dev_stats *dev_slot(struct net_device *dev)
{
	struct dev_key key = {};
	struct dev_stats *s;

	if (!dev)
		return NULL;
	key.ifindex = BPF_CORE_READ(dev, ifindex);
	key.netns = nst_dev_netns(dev);
	if (!nst_dev_pass(key.ifindex, key.netns))
		return NULL;
	s = bpf_map_lookup_elem(&devs, &key);
	if (s)
		return s;
	struct dev_stats init = {};

	bpf_probe_read_kernel_str(init.name, sizeof(init.name), dev->name);
	return nst_lookup_or_init(&devs, &key, &init);
}

static __always_inline int on_receive(struct sk_buff *skb)
{
	struct dev_stats *s = dev_slot(BPF_CORE_READ(skb, dev));

	if (!s)
		return 0;
	/* The link-layer header was pulled before this point: add it back (data - mac header). */
	unsigned char *head = BPF_CORE_READ(skb, head);
	unsigned char *data = BPF_CORE_READ(skb, data);
	__u16 mac = BPF_CORE_READ(skb, mac_header);
	__u32 l2 = 0;

	if (mac != NST_HDR_UNSET && data > head + mac)
		l2 = data - (head + mac);
	s->rx_packets++;
	s->rx_bytes += BPF_CORE_READ(skb, len) + l2;
	return 0;
}

static __always_inline int on_xmit(struct net_device *dev, int rc, __u32 len)
{
	struct dev_stats *s = dev_slot(dev);

	if (!s)
		return 0;
	if (rc) {
		s->tx_errors++;
		return 0;
	}
	s->tx_packets++;
	s->tx_bytes += len;
	return 0;
}

NST_TP_FLAVOURS(net, netif_receive_skb, (struct sk_buff *skb), on_receive(skb),
		net_dev_template, on_receive((struct sk_buff *)BPF_CORE_READ(args, skbaddr)))

NST_BTF_FLAVOURS(net_dev_xmit, (struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len),
		 on_xmit(dev, rc, len))

/* The classic tracepoint records no device pointer; skb->dev is read through the (possibly
 * already consumed) skb with a fault-safe read: good enough for the last-resort flavour. */
SEC("tracepoint/net/net_dev_xmit")
int net_dev_xmit_tp(struct trace_event_raw_net_dev_xmit *args)
{
	struct sk_buff *skb = (struct sk_buff *)BPF_CORE_READ(args, skbaddr);

	return on_xmit(BPF_CORE_READ(skb, dev), BPF_CORE_READ(args, rc), BPF_CORE_READ(args, len));
}

#endif

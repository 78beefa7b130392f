// SPDX-License-Identifier: GPL-2.0
/* system_network_metrics_summary: the host's network vital signs per interval: per-device packets, bytes,
 * qdisc sojourn, NAPI polls and drops by reason, and NET_RX/NET_TX softirq time per CPU.
 * Per-CPU counters per device, read once per interval: cheap enough to run for days. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "netstrata/hist.h"
#include "system_network.h"

char LICENSE[] SEC("license") = "GPL";

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

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(netif_receive_skb_tp_btf, struct sk_buff *skb)
{
	return on_receive(skb);
}

SEC("raw_tp/netif_receive_skb")
int BPF_PROG(netif_receive_skb_raw_tp, struct sk_buff *skb)
{
	return on_receive(skb);
}

SEC("tracepoint/net/netif_receive_skb")
int netif_receive_skb_tp(struct trace_event_raw_net_dev_template *args)
{
	return on_receive((struct sk_buff *)BPF_CORE_READ(args, skbaddr));
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(net_dev_xmit_tp_btf, struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len)
{
	return on_xmit(dev, rc, len);
}

SEC("raw_tp/net_dev_xmit")
int BPF_PROG(net_dev_xmit_raw_tp, struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len)
{
	return on_xmit(dev, rc, len);
}

/* The classic tracepoint records no device pointer; skb->dev is read through the (possibly
 * already consumed) skb with a fault-safe read: good enough for the last-resort flavour. */
SEC("tracepoint/net/net_dev_xmit")
int net_dev_xmit_tp(struct trace_event_raw_net_dev_xmit *args)
{
	struct sk_buff *skb = (struct sk_buff *)BPF_CORE_READ(args, skbaddr);

	return on_xmit(BPF_CORE_READ(skb, dev), BPF_CORE_READ(args, rc), BPF_CORE_READ(args, len));
}

/* ---- qdisc sojourn: enqueue time by skb address, measured at dequeue ---- */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, QDISC_SESSIONS_MAX);
	__type(key, __u64);
	__type(value, __u64);
} sessions SEC(".maps");

/* Not per CPU: a histogram is 520 bytes, and atomic adds keep one copy per device exact. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, QDISC_DEVS_MAX);
	__type(key, struct dev_key);
	__type(value, struct nst_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, DEVS_MAX);
	__type(key, struct dev_key);
	__type(value, struct qdisc_napi_stats);
} queues SEC(".maps");

/* Initial value of a new histogram: too big for the 512-byte BPF stack. */
static const struct nst_hist zero_hist = {};

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

static __always_inline struct nst_hist *hist_slot(struct dev_key *key)
{
	return nst_lookup_or_init(&hists, key, &zero_hist);
}

static __always_inline int on_qdisc_enqueue(struct Qdisc *q, struct sk_buff *skb)
{
	struct dev_key key = {};
	__u64 addr = (__u64)skb, now;

	if (!skb || !dev_key_of(BPF_CORE_READ(q, dev_queue, dev), &key))
		return 0;
	now = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&sessions, &addr, &now, BPF_ANY))
		nst_count_loss(NST_MAP_FULL);
	return 0;
}

static __always_inline int on_qdisc_dequeue(struct Qdisc *q, int packets, struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(q, dev_queue, dev);
	struct dev_key key = {};
	struct qdisc_napi_stats *s;
	struct nst_hist *h;
	__u64 now;

	if (!skb || packets <= 0 || !dev_key_of(dev, &key))
		return 0;
	s = queue_slot(dev, &key);
	h = hist_slot(&key);
	if (!s || !h)
		return 0;
	now = bpf_ktime_get_ns();
	/* A bulk dequeue hands over a list linked by skb->next; the tracepoint names its head. */
	for (int i = 0; i < QDISC_BULK_MAX; i++) {
		if (i >= packets || !skb)
			break;
		__u64 addr = (__u64)skb;
		__u64 *t = bpf_map_lookup_elem(&sessions, &addr);

		if (t) {
			nst_hist_add(h, (now - *t) / 1000);
			s->qdisc_dequeued++;
			bpf_map_delete_elem(&sessions, &addr);
		} else {
			s->qdisc_unmatched++;
		}
		skb = BPF_CORE_READ(skb, next);
	}
	if (packets > QDISC_BULK_MAX)
		s->qdisc_unmatched += packets - QDISC_BULK_MAX;
	return 0;
}

SEC("tp_btf/qdisc_enqueue")
int BPF_PROG(qdisc_enqueue_tp_btf, struct Qdisc *q, const struct netdev_queue *txq, struct sk_buff *skb)
{
	return on_qdisc_enqueue(q, skb);
}

SEC("raw_tp/qdisc_enqueue")
int BPF_PROG(qdisc_enqueue_raw_tp, struct Qdisc *q, const struct netdev_queue *txq, struct sk_buff *skb)
{
	return on_qdisc_enqueue(q, skb);
}

SEC("tracepoint/qdisc/qdisc_enqueue")
int qdisc_enqueue_tp(struct trace_event_raw_qdisc_enqueue *args)
{
	return on_qdisc_enqueue((struct Qdisc *)BPF_CORE_READ(args, qdisc), (struct sk_buff *)BPF_CORE_READ(args, skbaddr));
}

SEC("tp_btf/qdisc_dequeue")
int BPF_PROG(qdisc_dequeue_tp_btf, struct Qdisc *q, const struct netdev_queue *txq, int packets, struct sk_buff *skb)
{
	return on_qdisc_dequeue(q, packets, skb);
}

SEC("raw_tp/qdisc_dequeue")
int BPF_PROG(qdisc_dequeue_raw_tp, struct Qdisc *q, const struct netdev_queue *txq, int packets, struct sk_buff *skb)
{
	return on_qdisc_dequeue(q, packets, skb);
}

SEC("tracepoint/qdisc/qdisc_dequeue")
int qdisc_dequeue_tp(struct trace_event_raw_qdisc_dequeue *args)
{
	return on_qdisc_dequeue((struct Qdisc *)BPF_CORE_READ(args, qdisc), BPF_CORE_READ(args, packets),
				(struct sk_buff *)BPF_CORE_READ(args, skbaddr));
}

/* ---- NAPI polls per device (device-less polls, e.g. the per-CPU backlog, under ifindex 0) ---- */

static __always_inline int on_napi_poll(struct napi_struct *napi, int work, int budget)
{
	struct net_device *dev = BPF_CORE_READ(napi, dev);
	struct dev_key key = {};
	struct qdisc_napi_stats *s;

	if (!dev_key_of(dev, &key))
		return 0;
	s = queue_slot(dev, &key);
	if (!s)
		return 0;
	s->napi_polls++;
	if (work > 0)
		s->napi_packets += work;
	if (budget > 0 && work >= budget)
		s->napi_exhausted++;
	return 0;
}

SEC("tp_btf/napi_poll")
int BPF_PROG(napi_poll_tp_btf, struct napi_struct *napi, int work, int budget)
{
	return on_napi_poll(napi, work, budget);
}

SEC("raw_tp/napi_poll")
int BPF_PROG(napi_poll_raw_tp, struct napi_struct *napi, int work, int budget)
{
	return on_napi_poll(napi, work, budget);
}

SEC("tracepoint/napi/napi_poll")
int napi_poll_tp(struct trace_event_raw_napi_poll *args)
{
	return on_napi_poll((struct napi_struct *)BPF_CORE_READ(args, napi), BPF_CORE_READ(args, work),
			    BPF_CORE_READ(args, budget));
}

/* ---- drops by device and reason (reasons named by the user side from the kernel's BTF) ---- */

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

/* ---- softirq time per CPU for the vectors in targ_softirq_mask (bit = vector, from BTF) ---- */

const volatile __u32 targ_softirq_mask = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SOFTIRQ_VECS_MAX);
	__type(key, __u32);
	__type(value, struct softirq_stats);
} softirqs SEC(".maps");

static __always_inline int on_softirq(__u32 vec, bool entry)
{
	struct softirq_stats *s;

	if (vec >= SOFTIRQ_VECS_MAX || !(targ_softirq_mask & (1U << vec)))
		return 0;
	s = bpf_map_lookup_elem(&softirqs, &vec);
	if (!s)
		return 0;
	if (entry) {
		s->start_ns = bpf_ktime_get_ns();
		return 0;
	}
	/* An exit whose entry came before we attached has no start: not counted. */
	if (s->start_ns) {
		s->time_ns += bpf_ktime_get_ns() - s->start_ns;
		s->count++;
		s->start_ns = 0;
	}
	return 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(softirq_entry_tp_btf, unsigned int vec)
{
	return on_softirq(vec, true);
}

SEC("raw_tp/softirq_entry")
int BPF_PROG(softirq_entry_raw_tp, unsigned int vec)
{
	return on_softirq(vec, true);
}

SEC("tracepoint/irq/softirq_entry")
int softirq_entry_tp(struct trace_event_raw_softirq *args)
{
	return on_softirq(BPF_CORE_READ(args, vec), true);
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(softirq_exit_tp_btf, unsigned int vec)
{
	return on_softirq(vec, false);
}

SEC("raw_tp/softirq_exit")
int BPF_PROG(softirq_exit_raw_tp, unsigned int vec)
{
	return on_softirq(vec, false);
}

SEC("tracepoint/irq/softirq_exit")
int softirq_exit_tp(struct trace_event_raw_softirq *args)
{
	return on_softirq(BPF_CORE_READ(args, vec), false);
}

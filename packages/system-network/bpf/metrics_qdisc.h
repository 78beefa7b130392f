/* Qdisc sojourn per device: the enqueue time by skb address, measured at dequeue into a
 * histogram (µs), with dequeues whose enqueue was not seen counted apart. */
#ifndef METRICS_QDISC_H
#define METRICS_QDISC_H

#include "netstrata/hist.h"
#include "netstrata/flavours.h"
#include "metrics_queues.h"

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

/* The zeroed value a new device's histogram is created from (too large for the BPF stack). */
static const struct nst_hist zero = {};

static __always_inline struct nst_hist *hist_slot(struct dev_key *key)
{
	return nst_lookup_or_init(&hists, key, &zero);
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

NST_TP_FLAVOURS(qdisc, qdisc_enqueue, (struct Qdisc *q, const struct netdev_queue *txq, struct sk_buff *skb),
		on_qdisc_enqueue(q, skb),
		qdisc_enqueue, on_qdisc_enqueue((struct Qdisc *)BPF_CORE_READ(args, qdisc), (struct sk_buff *)BPF_CORE_READ(args, skbaddr)))

NST_TP_FLAVOURS(qdisc, qdisc_dequeue, (struct Qdisc *q, const struct netdev_queue *txq, int packets, struct sk_buff *skb),
		on_qdisc_dequeue(q, packets, skb),
		qdisc_dequeue, on_qdisc_dequeue((struct Qdisc *)BPF_CORE_READ(args, qdisc), BPF_CORE_READ(args, packets),
						(struct sk_buff *)BPF_CORE_READ(args, skbaddr)))

#endif

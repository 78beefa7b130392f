/* NAPI polls per device: polls, packets and polls that used their whole budget (device-less polls,
 * e.g. the per-CPU backlog, under ifindex 0). */
#ifndef METRICS_NAPI_H
#define METRICS_NAPI_H

#include "netstrata/flavours.h"
#include "metrics_queues.h"

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

NST_TP_FLAVOURS(napi, napi_poll, (struct napi_struct *napi, int work, int budget), on_napi_poll(napi, work, budget),
		napi_poll, on_napi_poll((struct napi_struct *)BPF_CORE_READ(args, napi), BPF_CORE_READ(args, work),
					BPF_CORE_READ(args, budget)))

#endif

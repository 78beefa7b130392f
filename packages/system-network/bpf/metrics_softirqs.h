/* Softirq time per CPU for the vectors in targ_softirq_mask (bit = vector, numbered from BTF by the
 * user side): entry to exit, summed with a count. */
#ifndef METRICS_SOFTIRQS_H
#define METRICS_SOFTIRQS_H

#include "netstrata/flavours.h"
#include "system_network.h"

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

NST_TP_FLAVOURS(irq, softirq_entry, (unsigned int vec), on_softirq(vec, true),
		softirq, on_softirq(BPF_CORE_READ(args, vec), true))
NST_TP_FLAVOURS(irq, softirq_exit, (unsigned int vec), on_softirq(vec, false),
		softirq, on_softirq(BPF_CORE_READ(args, vec), false))

#endif

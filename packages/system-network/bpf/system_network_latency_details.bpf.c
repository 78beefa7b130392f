// SPDX-License-Identifier: GPL-2.0
/* system_network_latency_details: which packets were slow in the host stack, and at which stage?
 * Every stage's time is kept in the packet's session; one event is submitted at the last stage,
 * only when the whole path took at least the threshold (faster packets cost no submit). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "system_network_latency.h"

char LICENSE[] SEC("license") = "GPL";

#define LAT_DETAILS 1

/* Path time (first to last stage) at or above which a packet is reported, in ns. */
const volatile __u64 targ_threshold_ns = 0;
const volatile bool targ_stack = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct lat_session;
static __always_inline void lat_on_complete(void *ctx, struct lat_session *s, __u64 skb);

/* Maps and sessions shared with the other latency tool, the stage cores, and every hook's handlers. */
#include "latency_maps.h"
#include "latency_sessions.h"
#include "latency_stages.h"
#include "latency_flavours.h"

static __always_inline void lat_on_complete(void *ctx, struct lat_session *s, __u64 skb)
{
	__u64 first = 0, last = 0, worst = 0;
	__u32 slow = 0, last_stage = 0;

#pragma unroll
	for (int i = 0; i < LAT_STAGES; i++) {
		__u64 t = s->ts[i];

		if (!t)
			continue;
		if (!first)
			first = t;
		else if (t - last >= worst) {
			worst = t - last;
			slow = i;
		}
		last = t;
		last_stage = i;
	}
	if (last - first < targ_threshold_ns)
		return;
	struct lat_event *e = nst_event_reserve(&events, sizeof(*e));

	if (!e)
		return;
	__builtin_memcpy(&e->s, s, sizeof(e->s));
	e->skb = skb;
	e->stack_len = 0;
	e->stack_stage = slow;
	if (targ_stack) {
		/* The stack where the slowest step ended: who finally moved the packet on. */
		struct lat_key key = { .skb = s->skb, .dir = s->dir };

		if (slow == last_stage) {
			e->stack_len = nst_stack_get(ctx, e->stack, sizeof(e->stack));
		} else {
			struct lat_stack *st = bpf_map_lookup_elem(&slow_stacks, &key);

			if (st && st->ip[0]) {
				__builtin_memcpy(e->stack, st->ip, sizeof(e->stack));
				e->stack_len = sizeof(e->stack);
			} else {
				/* A step ending at a stage seen before the session (a function stage). */
				e->stack_len = -2;
				nst_count_loss(NST_STACK_FAILED);
			}
		}
		bpf_map_delete_elem(&slow_stacks, &key);
	}
	bpf_ringbuf_submit(e, 0);
}

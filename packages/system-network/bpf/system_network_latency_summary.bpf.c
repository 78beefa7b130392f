// SPDX-License-Identifier: GPL-2.0
/* system_network_latency_summary: where in the host stack do packets spend their time?
 * Histograms (µs) between adjacent stages and end to end, per direction, in the kernel. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/hist.h"
#include "system_network_latency.h"

char LICENSE[] SEC("license") = "GPL";

#define LAT_DETAILS 0

/* Index dir * LAT_STAGES^2 + from * LAT_STAGES + to; (LAT_E2E, LAT_E2E) is end to end. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LAT_HISTS);
	__type(key, __u32);
	__type(value, struct nst_hist);
} hists SEC(".maps");

static __always_inline void hist_add(__u32 dir, __u32 from, __u32 to, __u64 ns)
{
	__u32 key = (dir * LAT_STAGES + from) * LAT_STAGES + to;
	struct nst_hist *h;

	if (key >= LAT_HISTS)
		return;
	h = bpf_map_lookup_elem(&hists, &key);
	if (h)
		nst_hist_add(h, ns / 1000);
}

struct lat_session;
static __always_inline void lat_on_complete(void *ctx, struct lat_session *s, __u64 skb);

/* Maps and sessions shared with the other latency tool, the stage cores, and every hook's handlers. */
#include "latency_maps.h"
#include "latency_sessions.h"
#include "latency_stages.h"
#include "latency_flavours.h"

/* Each stage passed is paired with the previous stage passed: stages a packet skipped (no qdisc
 * on the device, say) join their neighbours instead of leaving a hole. */
static __always_inline void lat_on_complete(void *ctx, struct lat_session *s, __u64 skb)
{
	__u32 dir = s->dir & 1;
	int prev = -1;
	__u64 first = 0, last = 0;

#pragma unroll
	for (int i = 0; i < LAT_STAGES; i++) {
		__u64 t = s->ts[i];

		if (!t)
			continue;
		if (prev >= 0)
			hist_add(dir, prev, i, t > last ? t - last : 0);
		else
			first = t;
		prev = i;
		last = t;
	}
	if (prev > 0)
		hist_add(dir, LAT_E2E, LAT_E2E, last - first);
}

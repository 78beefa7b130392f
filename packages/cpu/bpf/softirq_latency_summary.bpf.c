// SPDX-License-Identifier: GPL-2.0
/* softirq_latency_summary: how late do softirqs run, and how long do they take?
 * Per vector and CPU: raise -> entry (how long a raised softirq waited to run) and entry -> exit
 * (how long it ran), as histograms in ns, in per-CPU arrays. A softirq runs on the CPU that
 * raised it, so one per-CPU timestamp per vector is enough. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/hist.h"
#include "cpu.h"

char LICENSE[] SEC("license") = "GPL";

/* --vector: a bitmask of vector numbers; 0 = all. */
const volatile __u32 targ_vectors = 0;

/* First raise since the vector last ran, per CPU and vector; 0 = not pending. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SQ_VECS);
	__type(key, __u32);
	__type(value, __u64);
} raised SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SQ_VECS);
	__type(key, __u32);
	__type(value, __u64);
} entered SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SQ_VECS * SQ_KINDS);
	__type(key, __u32);
	__type(value, struct nst_hist);
} hists SEC(".maps");

static __always_inline bool pass(__u32 vec)
{
	if (vec >= SQ_VECS)
		return false;
	if (targ_vectors && !(targ_vectors & (1U << vec)))
		return false;
	return cpu_pass(bpf_get_smp_processor_id());
}

static __always_inline void add(__u32 vec, __u32 kind, __u64 ns)
{
	__u32 key = vec * SQ_KINDS + kind;
	struct nst_hist *h;

	if (key >= SQ_VECS * SQ_KINDS)
		return;
	h = bpf_map_lookup_elem(&hists, &key);
	if (h)
		nst_hist_add(h, ns);
}

static __always_inline int on_raise(__u32 vec)
{
	__u64 *t;

	if (!pass(vec))
		return 0;
	t = bpf_map_lookup_elem(&raised, &vec);
	/* Raised again while pending: the wait counts from the first raise. */
	if (t && !*t)
		*t = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_entry(__u32 vec)
{
	__u64 now, *r, *e;

	if (!pass(vec))
		return 0;
	now = bpf_ktime_get_ns();
	r = bpf_map_lookup_elem(&raised, &vec);
	if (r && *r) {
		add(vec, SQ_LATENCY, now - *r);
		*r = 0;
	}
	e = bpf_map_lookup_elem(&entered, &vec);
	if (e)
		*e = now;
	return 0;
}

static __always_inline int on_exit(__u32 vec)
{
	__u64 *e;

	if (!pass(vec))
		return 0;
	e = bpf_map_lookup_elem(&entered, &vec);
	if (e && *e) {
		add(vec, SQ_RUNTIME, bpf_ktime_get_ns() - *e);
		*e = 0;
	}
	return 0;
}

#define SOFTIRQ_HOOK(name, core)							\
	SEC("tp_btf/" #name)								\
	int BPF_PROG(name##_tp_btf, unsigned int vec) { return core(vec); }		\
	SEC("raw_tp/" #name)								\
	int BPF_PROG(name##_raw_tp, unsigned int vec) { return core(vec); }		\
	SEC("tracepoint/irq/" #name)							\
	int name##_tp(struct trace_event_raw_softirq *args) { return core(BPF_CORE_READ(args, vec)); }

SOFTIRQ_HOOK(softirq_raise, on_raise)
SOFTIRQ_HOOK(softirq_entry, on_entry)
SOFTIRQ_HOOK(softirq_exit, on_exit)

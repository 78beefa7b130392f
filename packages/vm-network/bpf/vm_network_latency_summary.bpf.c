// SPDX-License-Identifier: GPL-2.0
/* vm_network_latency_summary: where do a VM's packets wait on the host? Per VM interface and
 * direction: the stages of each packet's path between the VM's interface (its TAP) and the physical
 * interface, as histograms, and the packets the kernel dropped on the way (vm_network_path.bpf.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "netstrata/hist.h"
#include "vm_network_path.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * VMNET_IFACES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vmnet_key);
	__type(value, struct vmnet_stats);
} stats SEC(".maps");

static const struct vmnet_stats zero = {};

static __always_inline struct vmnet_stats *stats_row(__u32 vm, __u32 dir)
{
	struct vmnet_key key = { .vm_ifindex = vm, .dir = dir };
	struct vmnet_stats *s = bpf_map_lookup_elem(&stats, &key);

	if (s)
		return s;
	long err = bpf_map_update_elem(&stats, &key, &zero, BPF_NOEXIST);

	s = bpf_map_lookup_elem(&stats, &key);
	if (!s && err)
		nst_count_loss(NST_MAP_FULL);
	return s;
}

static __always_inline void vmnet_count(__u32 vm, __u32 dir, int what)
{
	struct vmnet_stats *s = stats_row(vm, dir);

	if (!s)
		return;
	if (what == VMNET_STARTED)
		__sync_fetch_and_add(&s->started, 1);
	else if (what == VMNET_DROPPED)
		__sync_fetch_and_add(&s->dropped, 1);
	else
		__sync_fetch_and_add(&s->lost, 1);
}

static __always_inline void stage(struct nst_hist *h, __u64 from, __u64 to)
{
	if (from && to >= from)
		nst_hist_add(h, to - from);
}

static __always_inline void vmnet_done(const struct vmnet_session *s, __u64 now)
{
	struct vmnet_stats *st = stats_row(s->vm_ifindex, s->dir);
	__u64 first = vmnet_first(s);

	if (!st)
		return;
	__sync_fetch_and_add(&st->completed, 1);
	stage(&st->backlog_ns, s->ts[VMNET_T_BACKLOG], s->ts[VMNET_T_RECEIVE]);
	/* Forwarding is the kernel's time: an upcall's, spent in ovs-vswitchd, is its own stage. */
	__u64 up = s->ts[VMNET_T_UPCALL] && s->ts[VMNET_T_EXECUTE] >= s->ts[VMNET_T_UPCALL] ? s->ts[VMNET_T_EXECUTE] - s->ts[VMNET_T_UPCALL] : 0;

	if (up)
		nst_hist_add(&st->upcall_ns, up);
	if (s->ts[VMNET_T_RECEIVE] && s->ts[VMNET_T_QUEUE] >= s->ts[VMNET_T_RECEIVE] + up)
		nst_hist_add(&st->forward_ns, s->ts[VMNET_T_QUEUE] - s->ts[VMNET_T_RECEIVE] - up);
	stage(&st->qdisc_ns, s->ts[VMNET_T_QUEUE], s->ts[VMNET_T_XMIT]);
	stage(&st->out_ns, s->ts[VMNET_T_XMIT], now);
	if (first && now >= first)
		nst_hist_add(&st->total_ns, now - first);
}

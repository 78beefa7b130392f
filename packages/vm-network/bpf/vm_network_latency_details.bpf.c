// SPDX-License-Identifier: GPL-2.0
/* vm_network_latency_details: which of a VM's packets were slow on the host, and where? One event
 * per packet whose path between the VM's interface and the physical interface took at least the
 * threshold, with every stamp (vm_network_path.bpf.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "vm_network_path.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 targ_threshold_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/* Started, dropped and lost are the summary's to count. */
static __always_inline void vmnet_count(__u32 vm, __u32 dir, int what) {}

static __always_inline void vmnet_done(const struct vmnet_session *s, __u64 now)
{
	__u64 first = vmnet_first(s);
	struct vmnet_event *e;

	if (!first || now < first || now - first < targ_threshold_ns)
		return;
	e = nst_event_reserve(&events, sizeof(*e));
	if (!e)
		return;
	__u64 id = bpf_get_current_pid_tgid();

	__builtin_memcpy(e->ts, s->ts, sizeof(e->ts));
	e->ts[VMNET_T_DONE] = now;
	e->flow = s->flow;
	e->vm_ifindex = s->vm_ifindex;
	e->dir = s->dir;
	e->out_ifindex = s->out_ifindex;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

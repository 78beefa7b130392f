// SPDX-License-Identifier: GPL-2.0
/* Histogram check: the slot the kernel computes for each of a list of values, and a histogram of
 * them, so the tests compare hist.h with its TypeScript mirror on the running kernel. Runs once per
 * request, at the next system call of the requesting thread. Not used by any tool. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "netstrata/hist.h"

char LICENSE[] SEC("license") = "GPL";

#define HIST_CHECK_VALUES 128

struct hist_check {
	__u32 tid;                     /* the requesting thread */
	__u32 n;                       /* values to take; the program sets 0 when it has taken them */
	__u64 values[HIST_CHECK_VALUES];
	__u32 slots[HIST_CHECK_VALUES];
	struct nst_hist hist;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hist_check);
} check SEC(".maps");

SEC("tracepoint/raw_syscalls/sys_enter")
int hist_check_run(void *ctx)
{
	__u32 zero = 0, n;
	struct hist_check *c = bpf_map_lookup_elem(&check, &zero);

	/* One thread: its system calls come one at a time, so the values are taken once. */
	if (!c || c->tid != (__u32)bpf_get_current_pid_tgid() || !c->n)
		return 0;
	n = c->n;
	for (__u32 i = 0; i < HIST_CHECK_VALUES; i++) {
		if (i >= n)
			break;
		c->slots[i] = nst_hist_slot(c->values[i]);
		nst_hist_add(&c->hist, c->values[i]);
	}
	c->n = 0;
	return 0;
}

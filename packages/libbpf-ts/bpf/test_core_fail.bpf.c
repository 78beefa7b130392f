// SPDX-License-Identifier: GPL-2.0
/* Fails CO-RE relocation on purpose: reads a field no kernel's task_struct has. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct task_struct___missing {
	int netstrata_no_such_field;
} __attribute__((preserve_access_index));

SEC("raw_tp/sys_enter")
int read_missing_field(void *ctx)
{
	struct task_struct___missing *t = (void *)bpf_get_current_task();

	return BPF_CORE_READ(t, netstrata_no_such_field);
}

// SPDX-License-Identifier: GPL-2.0
/* Rejected by the verifier on purpose: reads far outside the program's context. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("raw_tp/sys_enter")
int out_of_bounds(void *ctx)
{
	return *(volatile int *)((char *)ctx + 4096);
}

// SPDX-License-Identifier: GPL-2.0
/* Feature probes: the smallest program of each kind, loaded (and attached) one at a time to ask
 * the running kernel what it supports, instead of guessing from version numbers. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(probe_tp_btf, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(probe_raw_tp, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int probe_tracepoint(void *ctx)
{
	return 0;
}

/* Attach target chosen at run time from the kernel's BTF. */
SEC("fentry")
int BPF_PROG(probe_fentry)
{
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(probe_kprobe)
{
	return 0;
}

SEC("kprobe.multi")
int BPF_KPROBE(probe_kprobe_multi)
{
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* Test object for libbpf-ts: every attach kind, maps of each flavour, and a ring buffer fed by a
 * syscall the test makes a known number of times. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_tgid = 0;
const volatile long targ_syscall = -1;
const volatile __u8 targ_small = 0;
const volatile __u64 targ_big = 0;

struct record {
	__u64 seq;
	__u32 tgid;
	__u32 flavour;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps"); /* 0 hits, 1 lost, 2 uprobe hits, 3 rodata echo */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} percpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

static __always_inline void bump(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline int on_syscall(long id, __u32 flavour)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 zero = 0, three = 3;
	__u64 *seq, echo = targ_small + targ_big;
	struct record *r;

	if (tgid != targ_tgid || id != targ_syscall)
		return 0;
	bpf_map_update_elem(&counters, &three, &echo, BPF_ANY);
	seq = bpf_map_lookup_elem(&counters, &zero);
	if (!seq)
		return 0;
	__u64 n = __sync_fetch_and_add(seq, 1);
	__u64 *pc = bpf_map_lookup_elem(&percpu, &zero);
	if (pc)
		*pc += 1;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		bump(1);
		return 0;
	}
	r->seq = n;
	r->tgid = tgid;
	r->flavour = flavour;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_tp_btf, struct pt_regs *regs, long id)
{
	return on_syscall(id, 1);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw_tp, struct pt_regs *regs, long id)
{
	return on_syscall(id, 2);
}

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter_tp(struct trace_event_raw_sys_enter *args)
{
	return on_syscall(args->id, 3);
}

/* The perf buffer fallback: same records, through a perf event array. */
SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_perf, struct pt_regs *regs, long id)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 zero = 0;
	struct record r = {};
	__u64 *seq;

	if (tgid != targ_tgid || id != targ_syscall)
		return 0;
	seq = bpf_map_lookup_elem(&counters, &zero);
	if (!seq)
		return 0;
	r.seq = __sync_fetch_and_add(seq, 1);
	r.tgid = tgid;
	r.flavour = 4;
	bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &r, sizeof(r));
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(uprobe_hit)
{
	bump(2);
	return 0;
}

SEC("kprobe/do_nanosleep")
int BPF_KPROBE(kprobe_probe)
{
	bump(4);
	return 0;
}

SEC("fentry/do_nanosleep")
int BPF_PROG(fentry_probe)
{
	bump(5);
	return 0;
}

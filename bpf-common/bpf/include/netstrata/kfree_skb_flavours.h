/* The skb:kfree_skb hook in every flavour, as thin handlers around the including program's
 *   static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason);
 * The user side keeps the flavour the kernel supports and turns the others off before load. */
#ifndef NETSTRATA_KFREE_SKB_FLAVOURS_H
#define NETSTRATA_KFREE_SKB_FLAVOURS_H

#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Reason-carrying tracepoint, BTF-typed: cheapest, direct arguments. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_tp_btf, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return on_drop(ctx, skb, (__u64)location, reason);
}

/* Same tracepoint without BTF typing of the arguments. */
SEC("raw_tp/kfree_skb")
int BPF_PROG(kfree_skb_raw_tp, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return on_drop(ctx, skb, (__u64)location, reason);
}

/* Classic tracepoint: works wherever tracefs does; the reason only on kernels that record it. */
SEC("tracepoint/skb/kfree_skb")
int kfree_skb_tp(struct trace_event_raw_kfree_skb *args)
{
	__u32 reason = 0;

	if (bpf_core_field_exists(args->reason))
		reason = BPF_CORE_READ(args, reason);
	return on_drop(args, (struct sk_buff *)BPF_CORE_READ(args, skbaddr), (__u64)BPF_CORE_READ(args, location),
		       reason);
}

/* Kernels older than the reason tracepoint: hook the free function itself. kfree_skb() is only
 * called to drop (normal frees go through consume_skb), and an skb with other users is not freed
 * yet, so it is skipped. The caller (return address) is the drop location. */
SEC("kprobe/kfree_skb")
int BPF_KPROBE(kfree_skb_kprobe, struct sk_buff *skb)
{
	__u64 ret = 0;

	if (BPF_CORE_READ(skb, users.refs.counter) > 1)
		return 0;
	bpf_probe_read_kernel(&ret, sizeof(ret), (void *)PT_REGS_SP(ctx));
	return on_drop(ctx, skb, ret, 0);
}

/* The same through a BPF trampoline. Without the caller's address at hand, the location is left
 * 0; --group-by stack and --stack still show where the drop happened. */
SEC("fentry/kfree_skb")
int BPF_PROG(kfree_skb_fentry, struct sk_buff *skb)
{
	if (BPF_CORE_READ(skb, users.refs.counter) > 1)
		return 0;
	return on_drop(ctx, skb, 0, 0);
}

#endif

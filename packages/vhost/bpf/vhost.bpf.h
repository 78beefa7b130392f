/* vhost's private structs, read by CO-RE from the vhost and vhost_net modules' BTF. Declared here
 * with only the members read (the ___nst suffix keeps them apart from any vmlinux.h that has the
 * real ones); libbpf matches them to the running kernel's by name and member names. */
#ifndef VHOST_BPF_H
#define VHOST_BPF_H

#include <bpf/bpf_core_read.h>

struct vhost_virtqueue___nst;

struct vhost_dev___nst {
	struct vhost_virtqueue___nst **vqs;
	int nvqs;
} __attribute__((preserve_access_index));

struct vhost_vring_call___nst {
	struct eventfd_ctx *ctx;
} __attribute__((preserve_access_index));

struct vhost_poll___nst {
	wait_queue_entry_t wait;
	__poll_t mask;
	struct vhost_dev___nst *dev;
} __attribute__((preserve_access_index));

/* The guest's avail ring header: the virtio ABI's layout (flags, then the index), not a kernel struct. */
struct vhost_vring_avail_hdr {
	__u16 flags;
	__u16 idx;
};

struct vhost_virtqueue___nst {
	struct vhost_dev___nst *dev;
	unsigned int num;
	void *avail;                   /* the guest's avail ring, in the owner's (QEMU's) memory */
	struct vhost_vring_call___nst call_ctx;
	struct vhost_poll___nst poll;
	u16 last_avail_idx;
	u16 avail_idx;
	u16 last_used_idx;
	u16 used_flags;
	u16 signalled_used;
} __attribute__((preserve_access_index));

struct vhost_net_virtqueue___nst {
	struct vhost_virtqueue___nst vq;
} __attribute__((preserve_access_index));

struct vhost_net___nst {
	struct vhost_dev___nst dev;
	struct vhost_net_virtqueue___nst vqs[2];
} __attribute__((preserve_access_index));

/* The running kernel has vhost's structs (the vhost module is loaded): every handler checks this
 * first, so on a kernel without them the CO-RE reads below are dead code the verifier never sees. */
#define VHOST_TYPES() (bpf_core_type_exists(struct vhost_virtqueue___nst) && bpf_core_type_exists(struct vhost_dev___nst))

/* A virtqueue's index in its device: its place in dev->vqs, or -1 when it is not one of them. */
static __always_inline int vhost_vq_index(struct vhost_dev___nst *dev, const void *vq)
{
	struct vhost_virtqueue___nst **vqs = BPF_CORE_READ(dev, vqs);
	int n = BPF_CORE_READ(dev, nvqs);

#pragma unroll
	for (int i = 0; i < VHOST_VQS_SCAN; i++) {
		struct vhost_virtqueue___nst *v = NULL;

		if (i >= n)
			break;
		if (bpf_probe_read_kernel(&v, sizeof(v), vqs + i))
			break;
		if ((const void *)v == vq)
			return i;
	}
	return -1;
}

static __always_inline __u32 vhost_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* Signal checks in progress (the guest's call eventfd each may signal), by worker tid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VHOST_WORKERS_MAX);
	__type(key, __u32);
	__type(value, struct vhost_check);
} checking SEC(".maps");

/* Used entries published, then the guest signalled unless its flags say not to (vhost_signal,
 * inlined into vhost_add_used_and_signal(_n)): the signal, if it comes, is the eventfd_signal on the
 * queue's call eventfd, in this thread. False for a queue with no call eventfd (nothing to signal,
 * nothing suppressed). */
static __always_inline bool vhost_check_begin(struct vhost_dev___nst *dev, struct vhost_virtqueue___nst *vq, struct vhost_key *key)
{
	struct vhost_check c = {};
	int i = vhost_vq_index(dev, vq);

	if (i < 0)
		return false;
	c.key.dev = (__u64)dev;
	c.key.vq = i;
	c.ctx = (__u64)BPF_CORE_READ(vq, call_ctx.ctx);
	if (!c.ctx)
		return false;
	__u32 tid = vhost_tid();

	bpf_map_update_elem(&checking, &tid, &c, BPF_ANY);
	*key = c.key;
	return true;
}

/* An eventfd signalled: when it is the one this thread's check waits for, the check is answered
 * (the guest interrupted) and its queue's key returned. */
static __always_inline bool vhost_check_signalled(struct eventfd_ctx *ctx, struct vhost_key *key)
{
	__u32 tid = vhost_tid();
	struct vhost_check *c = bpf_map_lookup_elem(&checking, &tid);

	if (!c || c->ctx != (__u64)ctx)
		return false;
	*key = c->key;
	bpf_map_delete_elem(&checking, &tid);
	return true;
}

/* One function hook in its two flavours, <fn>_fentry and <fn>_kprobe, around one core call that
 * sees the arguments by name (src/hooks.ts lists them). */
#define VHOST_EXPAND(...) __VA_ARGS__
#define VHOST_FN(fn, proto, call)							\
	SEC("fentry/" #fn)								\
	int BPF_PROG(fn##_fentry, VHOST_EXPAND proto) { return call; }			\
	SEC("kprobe/" #fn)								\
	int BPF_KPROBE(fn##_kprobe, VHOST_EXPAND proto) { return call; }

/* A function's return in its two flavours, <fn>_fexit and <fn>_kretprobe. */
#define VHOST_FN_EXIT(fn, call)								\
	SEC("fexit/" #fn)								\
	int BPF_PROG(fn##_fexit) { return call; }					\
	SEC("kretprobe/" #fn)								\
	int BPF_KRETPROBE(fn##_kretprobe) { return call; }

#endif

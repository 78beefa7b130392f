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

struct vhost_virtqueue___nst {
	struct vhost_dev___nst *dev;
	unsigned int num;
	struct vhost_vring_call___nst call_ctx;
	struct vhost_poll___nst poll;
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

#endif

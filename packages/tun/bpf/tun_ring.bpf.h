/* The TAP's transmit queue, read by CO-RE from its private structures: the net_device's private
 * area is the tun_struct; the queue the skb goes to is tfiles[skb->queue_mapping], whose tx_ring is
 * the ptr_ring its reader (vhost-net, QEMU, any process reading /dev/net/tun) drains. */
#ifndef TUN_RING_BPF_H
#define TUN_RING_BPF_H

#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"

/* Kernels before 6.12 have no priv member: the private area follows the struct, 32-byte aligned. */
struct net_device___priv {
	unsigned char priv[0];
} __attribute__((preserve_access_index));

#define TUN_NETDEV_ALIGN 32

static __always_inline void *tun_netdev_priv(const struct net_device *dev)
{
	struct net_device___priv *d = (void *)dev;

	if (bpf_core_field_exists(d->priv))
		return (void *)dev + bpf_core_field_offset(d->priv);
	return (void *)dev + ((bpf_core_type_size(struct net_device) + TUN_NETDEV_ALIGN - 1) & ~(TUN_NETDEV_ALIGN - 1));
}

/* A TUN or TAP device: its rtnl_link_ops are tun's, whose kind is "tun" (for both, and for devices
 * made by the TUNSETIFF ioctl too). */
static __always_inline bool tun_is_tun(const struct net_device *dev)
{
	const struct rtnl_link_ops *ops = BPF_CORE_READ(dev, rtnl_link_ops);
	const char *kind;
	char k[4];

	if (!ops)
		return false;
	kind = BPF_CORE_READ(ops, kind);
	if (!kind || bpf_probe_read_kernel(k, sizeof(k), kind))
		return false;
	return k[0] == 't' && k[1] == 'u' && k[2] == 'n' && k[3] == 0;
}

/* The ring of queue q: NULL when no reader has that queue attached (tun_net_xmit drops). */
static __always_inline struct ptr_ring *tun_queue_ring(const struct net_device *dev, __u32 q)
{
	struct tun_struct *tun = tun_netdev_priv(dev);
	struct tun_file *tfile;

	if (q >= BPF_CORE_READ(tun, numqueues) || q >= 256)
		return NULL;
	tfile = BPF_CORE_READ(tun, tfiles[q]);
	if (!tfile)
		return NULL;
	return &tfile->tx_ring;
}

/* A ring's positions as they are now. count: packets in the ring, producer - consumer_head around
 * the ring (all size when they meet on a taken slot). full: the producer finds its slot taken, as
 * __ptr_ring_full does. That happens with fewer than size packets in the ring too: the consumer
 * clears the slots it took in batches, and a slot taken and not yet cleared still stops the
 * producer. */
struct tun_ring_state {
	__u32 size;
	__u32 producer;
	__u32 consumer_head;
	__u32 consumer_tail;
	__u32 count;
	bool  full;
};

static __always_inline void tun_ring_read(struct ptr_ring *r, struct tun_ring_state *st)
{
	int producer = BPF_CORE_READ(r, producer);
	int head = BPF_CORE_READ(r, consumer_head);
	int tail = BPF_CORE_READ(r, consumer_tail);
	int n = BPF_CORE_READ(r, size);
	void **queue = BPF_CORE_READ(r, queue);
	void *slot = NULL;

	st->size = n > 0 ? n : 0;
	st->producer = producer;
	st->consumer_head = head;
	st->consumer_tail = tail;
	st->count = 0;
	st->full = false;
	if (n <= 0 || !queue || producer < 0 || producer >= n || head < 0 || head >= n)
		return;
	bpf_probe_read_kernel(&slot, sizeof(slot), queue + producer);
	st->full = slot != NULL;
	if (producer == head)
		st->count = slot ? n : 0;
	else
		st->count = producer > head ? producer - head : n - head + producer;
}

/* Packets in the ring, with *size and *full as tun_ring_read gives them. */
static __always_inline __u32 tun_ring_count(struct ptr_ring *r, __u32 *size, bool *full)
{
	struct tun_ring_state st;

	tun_ring_read(r, &st);
	*size = st.size;
	*full = st.full;
	return st.count;
}

#endif

// SPDX-License-Identifier: GPL-2.0
/* tun_ring_details: which packets does a TAP drop, and what did its ring look like then? One event
 * per packet a TAP/TUN device drops (FULL_RING above all), with the queue's ring positions, the
 * packet's flow, the task that sent it and the queue's reader with the time of its last read;
 * with --all, one event per transmit into a TAP queue too. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "netstrata/flavours.h"
#include "tun_ring.h"
#include "tun_ring.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool targ_all = false;

#define NST_PACKET_OUTGOING 4

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/* The last read of each queue. LRU: queues come and go with their VMs. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TUN_QUEUES_MAX);
	__type(key, struct tun_key);
	__type(value, struct tun_reader);
} readers SEC(".maps");

/* One event for skb on dev's queue, with the ring as it is now. */
static __always_inline int emit(struct sk_buff *skb, struct net_device *dev, __u32 kind, __u64 location, __u32 reason)
{
	struct nst_flow flow = {};
	struct tun_key key = {};
	struct tun_ring_state st = {};
	struct tun_reader *reader;
	struct ptr_ring *ring;
	struct tun_event *e;

	if (!nst_skb_pass(skb, &key.ifindex, &key.netns, &flow, true))
		return 0;
	key.queue = BPF_CORE_READ(skb, queue_mapping);
	e = nst_event_reserve(&events, sizeof(*e));
	if (!e)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();

	e->ts_ns = bpf_ktime_get_ns();
	e->location = location;
	e->flow = flow;
	e->kind = kind;
	e->reason = reason;
	e->ifindex = key.ifindex;
	e->netns = key.netns;
	e->queue = key.queue;
	e->numqueues = BPF_CORE_READ((struct tun_struct *)tun_netdev_priv(dev), numqueues);
	ring = tun_queue_ring(dev, key.queue);
	if (ring)
		tun_ring_read(ring, &st);
	e->ring_size = st.size;
	e->producer = st.producer;
	e->consumer_head = st.consumer_head;
	e->consumer_tail = st.consumer_tail;
	e->count = st.count;
	e->full = st.full;
	e->_pad[0] = e->_pad[1] = e->_pad[2] = 0;
	e->len = BPF_CORE_READ(skb, len);
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->cpu = bpf_get_smp_processor_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->dev, sizeof(e->dev), dev->name);
	reader = bpf_map_lookup_elem(&readers, &key);
	if (reader) {
		e->reader_ts_ns = reader->ts_ns;
		e->reader_pid = reader->pid;
		e->reader_tid = reader->tid;
		__builtin_memcpy(e->reader_comm, reader->comm, sizeof(e->reader_comm));
	} else {
		e->reader_ts_ns = 0;
		e->reader_pid = e->reader_tid = 0;
		__builtin_memset(e->reader_comm, 0, sizeof(e->reader_comm));
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* A drop by a TAP/TUN device. A frame the TAP received (from its reader: the VM's packet) and the
 * host's stack dropped later is the drop tools' business: its input device is the TAP itself. */
static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);

	if (!dev || !tun_is_tun(dev))
		return 0;
	if (BPF_CORE_READ(skb, skb_iif) == BPF_CORE_READ(dev, ifindex))
		return 0;
	return emit(skb, dev, TUN_EV_DROP, location, reason);
}

/* --all: a transmit into a TAP (tun_net_xmit runs next). */
static __always_inline int on_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	if (!targ_all || !dev || !tun_is_tun(dev))
		return 0;
	return emit(skb, dev, TUN_EV_XMIT, 0, 0);
}

static __always_inline int on_start_xmit_record(struct trace_event_raw_net_dev_start_xmit *args)
{
	struct sk_buff *skb = (struct sk_buff *)BPF_CORE_READ(args, skbaddr);

	return on_start_xmit(skb, BPF_CORE_READ(skb, dev));
}

/* A read from a TAP queue by its reader: the task and the time kept for the queue's events. */
static __always_inline int on_read(struct net_device *dev, __u32 queue)
{
	struct tun_key key = { .queue = queue };
	struct tun_reader *r;
	__u64 id = bpf_get_current_pid_tgid();

	if (!dev)
		return 0;
	key.ifindex = BPF_CORE_READ(dev, ifindex);
	key.netns = nst_dev_netns(dev);
	if (!nst_dev_pass(key.ifindex, key.netns))
		return 0;
	r = bpf_map_lookup_elem(&readers, &key);
	if (r && r->tid == (__u32)id) {
		r->ts_ns = bpf_ktime_get_ns();
		return 0;
	}
	struct tun_reader n = { .ts_ns = bpf_ktime_get_ns(), .pid = id >> 32, .tid = (__u32)id };

	bpf_get_current_comm(n.comm, sizeof(n.comm));
	bpf_map_update_elem(&readers, &key, &n, BPF_ANY);
	return 0;
}

static __always_inline int on_read_tfile(struct tun_file *tfile)
{
	struct tun_struct *tun;

	if (!tfile)
		return 0;
	tun = BPF_CORE_READ(tfile, tun);
	if (!tun)
		return 0;
	return on_read(BPF_CORE_READ(tun, dev), BPF_CORE_READ(tfile, queue_index));
}

/* The socket vhost-net reads through is the tun_file's own. */
static __always_inline struct tun_file *tun_file_of_socket(struct socket *sock)
{
	return (struct tun_file *)((void *)sock - bpf_core_field_offset(struct tun_file, socket));
}

/* vhost-net (and any in-kernel reader) reads through the socket; processes read /dev/net/tun. */
SEC("fentry/tun_recvmsg")
int BPF_PROG(tun_recvmsg_fentry, struct socket *sock) { return on_read_tfile(tun_file_of_socket(sock)); }
SEC("kprobe/tun_recvmsg")
int BPF_KPROBE(tun_recvmsg_kprobe, struct socket *sock) { return on_read_tfile(tun_file_of_socket(sock)); }
SEC("fentry/tun_chr_read_iter")
int BPF_PROG(tun_chr_read_iter_fentry, struct kiocb *iocb) { return on_read_tfile(BPF_CORE_READ(iocb, ki_filp, private_data)); }
SEC("kprobe/tun_chr_read_iter")
int BPF_KPROBE(tun_chr_read_iter_kprobe, struct kiocb *iocb) { return on_read_tfile(BPF_CORE_READ(iocb, ki_filp, private_data)); }

/* Without function hooks: every copy of a packet to a reader, the TAP's picked out. The TAP's reader
 * copies from the Ethernet header of a packet the TAP transmitted; a packet socket's copy of the
 * TAP's outgoing frames is marked outgoing, and frames the TAP received have it as input device. */
static __always_inline int on_copy(struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	__u32 ifindex;

	if (!dev || !tun_is_tun(dev))
		return 0;
	ifindex = BPF_CORE_READ(dev, ifindex);
	if (BPF_CORE_READ(skb, skb_iif) == ifindex)
		return 0;
	if (BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type) == NST_PACKET_OUTGOING)
		return 0;
	if (BPF_CORE_READ(skb, data) != BPF_CORE_READ(skb, head) + BPF_CORE_READ(skb, mac_header))
		return 0;
	return on_read(dev, BPF_CORE_READ(skb, queue_mapping));
}

SEC("fentry/tun_net_xmit")
int BPF_PROG(tun_net_xmit_fentry, struct sk_buff *skb, struct net_device *dev) { return on_start_xmit(skb, dev); }
SEC("kprobe/tun_net_xmit")
int BPF_KPROBE(tun_net_xmit_kprobe, struct sk_buff *skb, struct net_device *dev) { return on_start_xmit(skb, dev); }

NST_TP_FLAVOURS(net, net_dev_start_xmit, (struct sk_buff *skb, struct net_device *dev),
		on_start_xmit(skb, dev),
		net_dev_start_xmit, on_start_xmit_record(args))
NST_TP_FLAVOURS(skb, skb_copy_datagram_iovec, (struct sk_buff *skb, int len), on_copy(skb),
		skb_copy_datagram_iovec, on_copy((struct sk_buff *)BPF_CORE_READ(args, skbaddr)))

#include "netstrata/kfree_skb_flavours.h"

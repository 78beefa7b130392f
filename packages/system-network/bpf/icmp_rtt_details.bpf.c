// SPDX-License-Identifier: GPL-2.0
/* icmp_rtt_details: Where does a ping's round trip through this host spend its time: in each stage of this host on the way in and out, and outside it?
 *
 * A ping (ICMP or ICMPv6 echo request and its reply, one identity: addresses, echo id and sequence)
 * is followed by that identity, not by skb: the request and the reply are different packets, and
 * an OVS upcall sends a packet back down as a new skb. Forwarded (--rx-interface): the request is
 * timed from its arrival on rx-if (kept in `arrivals`) and becomes a session when it is queued to
 * tx-if; its reply, from its arrival on tx-if to the driver of rx-if. Local (no --rx-interface):
 * the request starts at the pinger's send call, or at tx-if's queue, and its reply ends queued to
 * the pinger's socket. The outside time is request sent by tx-if -> reply received on tx-if. One
 * event per ping, at the reply's last stage, only at or over the threshold; a ping with no reply
 * within the timeout is let go and counted by the user side. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "netstrata/flavours.h"
#include "netstrata/ovs_flavours.h"
#include "icmp_rtt.h"

char LICENSE[] SEC("license") = "GPL";

/* Where requests enter (0: pings this host sends itself) and leave, in namespace targ_netns. */
const volatile __u32 targ_rx_ifindex = 0;
const volatile __u32 targ_tx_ifindex = 0;
const volatile __u32 targ_netns = 0;
/* Round trip through the host (first stage of the request -> last of the reply) at or above
 * which a ping is reported, and after which an unanswered one is let go (ns). */
const volatile __u64 targ_threshold_ns = 0;
const volatile __u64 targ_timeout_ns = 1000000000ULL;

#define IR_ICMP_ECHO_REPLY 0
#define IR_ICMP_ECHO 8
#define IR_ICMPV6_ECHO_REQUEST 128
#define IR_ICMPV6_ECHO_REPLY 129

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IR_SESSIONS_MAX);
	__type(key, struct ir_key);
	__type(value, struct ir_session);
} sessions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IR_ARRIVALS_MAX);
	__type(key, struct ir_key);
	__type(value, struct ir_arrival);
} arrivals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ir_xmit);
} xmits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ir_send);
} sends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline void ir_count(__u32 counter)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &counter);

	if (v)
		*v += 1;
}

/* The device's ifindex when it is rx-if or tx-if (in the followed namespace), else 0. The index
 * first: most packets are on other devices and cost one read. */
static __always_inline __u32 ir_dev(const struct net_device *dev)
{
	__u32 ifindex;

	if (!dev)
		return 0;
	ifindex = BPF_CORE_READ(dev, ifindex);
	if (ifindex != targ_tx_ifindex && (!targ_rx_ifindex || ifindex != targ_rx_ifindex))
		return 0;
	return nst_dev_netns((struct net_device *)dev) == targ_netns ? ifindex : 0;
}

/* The ICMP echo at network header nh, if the packet is one: IR_REQUEST or IR_REPLY, with its
 * identity oriented as the request's (k zeroed by the caller) and its IP length; else -1. Later
 * fragments and IPv6 extension headers are not followed: their echo header is not at hand. */
static __always_inline int ir_echo(struct sk_buff *skb, __u16 nh, struct ir_key *k, __u32 *len)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u8 saddr[16] = {}, daddr[16] = {};
	__u8 icmp[8], v;
	int dir;

	if (nh == NST_HDR_UNSET || bpf_probe_read_kernel(&v, 1, head + nh))
		return -1;
	if (v >> 4 == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return -1;
		if (ip.protocol != NST_IPPROTO_ICMP || (ip.frag_off & bpf_htons(0x1fff)))
			return -1;
		if (bpf_probe_read_kernel(icmp, sizeof(icmp), head + nh + ip.ihl * 4))
			return -1;
		if (icmp[0] == IR_ICMP_ECHO)
			dir = IR_REQUEST;
		else if (icmp[0] == IR_ICMP_ECHO_REPLY)
			dir = IR_REPLY;
		else
			return -1;
		k->family = NST_AF_INET;
		__builtin_memcpy(saddr, &ip.saddr, 4);
		__builtin_memcpy(daddr, &ip.daddr, 4);
		*len = bpf_ntohs(ip.tot_len);
	} else if (v >> 4 == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return -1;
		if (ip6.nexthdr != NST_IPPROTO_ICMPV6)
			return -1;
		if (bpf_probe_read_kernel(icmp, sizeof(icmp), head + nh + sizeof(ip6)))
			return -1;
		if (icmp[0] == IR_ICMPV6_ECHO_REQUEST)
			dir = IR_REQUEST;
		else if (icmp[0] == IR_ICMPV6_ECHO_REPLY)
			dir = IR_REPLY;
		else
			return -1;
		k->family = NST_AF_INET6;
		__builtin_memcpy(saddr, &ip6.saddr, 16);
		__builtin_memcpy(daddr, &ip6.daddr, 16);
		*len = bpf_ntohs(ip6.payload_len) + sizeof(ip6);
	} else {
		return -1;
	}
	if (icmp[1] != 0)
		return -1;
	if (dir == IR_REQUEST) {
		__builtin_memcpy(k->requester, saddr, 16);
		__builtin_memcpy(k->target, daddr, 16);
	} else {
		__builtin_memcpy(k->requester, daddr, 16);
		__builtin_memcpy(k->target, saddr, 16);
	}
	k->id = (__u16)icmp[4] << 8 | icmp[5];
	k->seq = (__u16)icmp[6] << 8 | icmp[7];
	return dir;
}

/* The echo a packet on rx-if or tx-if carries (ir_echo; its network header at skb->data when
 * `at_data`, else at network_header), with that device's ifindex in *ifindex; -1 for another
 * device's packet, before anything else is read or written. */
static __always_inline int ir_dev_echo(struct sk_buff *skb, const struct net_device *dev, bool at_data, struct ir_key *k, __u32 *len,
				       __u32 *ifindex)
{
	*ifindex = ir_dev(dev);
	if (!*ifindex)
		return -1;
	__builtin_memset(k, 0, sizeof(*k));
	*len = 0;
	return ir_echo(skb, at_data ? nst_skb_data_off(skb) : BPF_CORE_READ(skb, network_header), k, len);
}

/* The address filters (--src-ip: the pinger, --dst-ip: the target, --ip: either), on the request. */
static __always_inline bool ir_pass(const struct ir_key *k)
{
	struct nst_flow f = {};

	if (!nst_filter_needs_headers())
		return true;
	__builtin_memcpy(f.saddr, k->requester, 16);
	__builtin_memcpy(f.daddr, k->target, 16);
	f.family = k->family;
	f.protocol = k->family == NST_AF_INET ? NST_IPPROTO_ICMP : NST_IPPROTO_ICMPV6;
	f.ethertype = k->family == NST_AF_INET ? NST_ETH_P_IP : NST_ETH_P_IPV6;
	return nst_flow_pass(&f);
}

/* The request's first stamp: where the round trip through the host begins. */
static __always_inline __u64 ir_first(const struct ir_session *s)
{
#pragma unroll
	for (int i = 0; i < IR_STAGES; i++) {
		if (s->ts[IR_REQUEST][i])
			return s->ts[IR_REQUEST][i];
	}
	return 0;
}

/* A stage of the reply: stamped once, from its arrival on tx-if on; a reply after the timeout is
 * not followed (its ping is the user side's to count as unanswered). Returns the session when
 * this call stamped it. */
static __always_inline struct ir_session *ir_reply_stamp(const struct ir_key *k, __u32 stage)
{
	struct ir_session *s = bpf_map_lookup_elem(&sessions, k);
	__u64 now;

	if (!s || s->late)
		return NULL;
	if (stage == IR_RECEIVE) {
		/* A duplicate reply (ping's DUP!) leaves the first one's times. */
		if (s->ts[IR_REPLY][IR_RECEIVE])
			return NULL;
		now = bpf_ktime_get_ns();
		if (now - ir_first(s) >= targ_timeout_ns) {
			s->late = 1;
			ir_count(IR_LATE);
			return NULL;
		}
	} else {
		if (!s->ts[IR_REPLY][IR_RECEIVE] || s->ts[IR_REPLY][stage])
			return NULL;
		now = bpf_ktime_get_ns();
	}
	s->ts[IR_REPLY][stage] = now;
	return s;
}

/* A stage before the device a packet leaves by: a forwarded request's arrival record, or the
 * reply's session. */
static __always_inline void ir_stamp_in(const struct ir_key *k, int dir, __u32 stage)
{
	if (dir == IR_REQUEST) {
		struct ir_arrival *a;

		if (!targ_rx_ifindex)
			return;
		a = bpf_map_lookup_elem(&arrivals, k);
		if (a && !a->ts[stage])
			a->ts[stage] = bpf_ktime_get_ns();
	} else if (dir == IR_REPLY) {
		ir_reply_stamp(k, stage);
	}
}

/* The reply's last stage: the ping is done. The session leaves the table (the user side's sweep
 * may have let it go a moment before: then it is that sweep's) and, at or over the threshold,
 * becomes an event. */
static __always_inline void ir_finish(const struct ir_key *k, struct ir_session *s, __u64 now)
{
	__u64 first = ir_first(s);
	struct ir_event *e;

	if (!first || now - first >= targ_timeout_ns)
		return;
	if (now - first < targ_threshold_ns) {
		if (!bpf_map_delete_elem(&sessions, k))
			ir_count(IR_COMPLETED);
		return;
	}
	e = nst_event_reserve(&events, sizeof(*e));
	if (!e) {
		if (!bpf_map_delete_elem(&sessions, k))
			ir_count(IR_COMPLETED);
		return;
	}
	__builtin_memcpy(&e->key, k, sizeof(e->key));
	__builtin_memcpy(&e->s, s, sizeof(e->s));
	e->cpu = bpf_get_smp_processor_id();
	e->_pad = 0;
	if (bpf_map_delete_elem(&sessions, k)) {
		bpf_ringbuf_discard(e, 0);
		return;
	}
	ir_count(IR_COMPLETED);
	bpf_ringbuf_submit(e, 0);
}

/* A request queued to tx-if: the ping is followed from here on (forwarded: from its arrival). */
static __always_inline void ir_request_out(struct sk_buff *skb, const struct ir_key *k, __u32 len)
{
	struct ir_session n = {};
	__u64 now = bpf_ktime_get_ns();
	__u32 zero = 0;

	if (targ_rx_ifindex) {
		struct ir_arrival *a = bpf_map_lookup_elem(&arrivals, k);

		/* Not from rx-if (another device's, or sent by this host). */
		if (!a)
			return;
		__builtin_memcpy(n.ts[IR_REQUEST], a->ts, sizeof(a->ts));
		n.len = a->len;
		bpf_map_delete_elem(&arrivals, k);
		/* A stale arrival of an earlier ping with the same identity, delivered to this host. */
		if (now - n.ts[IR_REQUEST][IR_RECEIVE] >= targ_timeout_ns)
			return;
	} else {
		struct ir_send *snd;
		__u64 id = bpf_get_current_pid_tgid();

		/* Sent by this host: a forwarded packet carries its input device. */
		if (BPF_CORE_READ(skb, skb_iif) || !ir_pass(k))
			return;
		n.len = len;
		snd = bpf_map_lookup_elem(&sends, &zero);
		if (snd) {
			/* The send call this thread entered on this CPU, used once. */
			if (snd->ts && snd->tid == (__u32)id && now - snd->ts < targ_timeout_ns)
				n.ts[IR_REQUEST][IR_SEND] = snd->ts;
			snd->ts = 0;
		}
		n.pid = id >> 32;
		bpf_get_current_comm(n.comm, sizeof(n.comm));
	}
	n.ts[IR_REQUEST][IR_QUEUE] = now;
	if (bpf_map_update_elem(&sessions, k, &n, BPF_NOEXIST)) {
		/* A ping with this identity is still followed: it is let go for this one. */
		if (bpf_map_update_elem(&sessions, k, &n, BPF_ANY)) {
			nst_count_loss(NST_MAP_FULL);
			return;
		}
		ir_count(IR_REPLACED);
	}
	ir_count(IR_STARTED);
}

static __always_inline int on_receive(struct sk_buff *skb)
{
	struct ir_key k;
	__u32 ifindex, len;
	/* The network header is at skb->data here (the stack resets network_header later). */
	int dir = ir_dev_echo(skb, BPF_CORE_READ(skb, dev), true, &k, &len, &ifindex);

	if (dir == IR_REQUEST && targ_rx_ifindex && ifindex == targ_rx_ifindex) {
		if (!ir_pass(&k))
			return 0;
		struct ir_arrival a = { .len = len };

		a.ts[IR_RECEIVE] = bpf_ktime_get_ns();
		if (bpf_map_update_elem(&arrivals, &k, &a, BPF_ANY))
			nst_count_loss(NST_MAP_FULL);
	} else if (dir == IR_REPLY && ifindex == targ_tx_ifindex) {
		ir_reply_stamp(&k, IR_RECEIVE);
	}
	return 0;
}

static __always_inline int on_queue(struct sk_buff *skb)
{
	struct ir_key k;
	__u32 ifindex, len;
	int dir = ir_dev_echo(skb, BPF_CORE_READ(skb, dev), false, &k, &len, &ifindex);

	if (dir == IR_REQUEST && ifindex == targ_tx_ifindex)
		ir_request_out(skb, &k, len);
	else if (dir == IR_REPLY && targ_rx_ifindex && ifindex == targ_rx_ifindex)
		ir_reply_stamp(&k, IR_QUEUE);
	return 0;
}

/* This CPU's transmit in progress (net_dev_start_xmit -> net_dev_xmit). */
static __always_inline struct ir_xmit *ir_xmit_slot(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xmits, &zero);
}

/* To the driver: stamped, and kept on this CPU for the net_dev_xmit that follows. */
static __always_inline int on_start_xmit(struct sk_buff *skb, const struct net_device *dev)
{
	__u32 ifindex, len;
	struct ir_session *s = NULL;
	struct ir_key k;
	struct ir_xmit *x;
	int dir = ir_dev_echo(skb, dev, false, &k, &len, &ifindex);

	if (dir == IR_REQUEST && ifindex == targ_tx_ifindex) {
		s = bpf_map_lookup_elem(&sessions, &k);
		if (!s || !s->ts[IR_REQUEST][IR_QUEUE])
			return 0;
		if (!s->ts[IR_REQUEST][IR_START])
			s->ts[IR_REQUEST][IR_START] = bpf_ktime_get_ns();
	} else if (dir == IR_REPLY && targ_rx_ifindex && ifindex == targ_rx_ifindex) {
		s = bpf_map_lookup_elem(&sessions, &k);
		if (!s || !s->ts[IR_REPLY][IR_QUEUE])
			return 0;
		ir_reply_stamp(&k, IR_START);
	} else {
		return 0;
	}
	x = ir_xmit_slot();
	if (!x)
		return 0;
	x->skb = (__u64)skb;
	__builtin_memcpy(&x->key, &k, sizeof(k));
	x->dir = dir;
	return 0;
}

/* The driver took it (the skb itself is not read: it may be another CPU's, or freed, by now). */
static __always_inline int on_xmit(const struct sk_buff *skb, int rc)
{
	__u32 zero = 0;
	struct ir_xmit *x = bpf_map_lookup_elem(&xmits, &zero);
	struct ir_session *s;
	struct ir_key k;
	__u32 dir;

	if (!x || !x->skb || x->skb != (__u64)skb)
		return 0;
	x->skb = 0;
	/* NETDEV_TX_BUSY: requeued, it starts again. */
	if (rc)
		return 0;
	__builtin_memcpy(&k, &x->key, sizeof(k));
	dir = x->dir;
	s = bpf_map_lookup_elem(&sessions, &k);
	if (!s)
		return 0;
	__u64 now = bpf_ktime_get_ns();

	if (dir == IR_REQUEST) {
		/* A reply seen already (a peer faster than this CPU's way back from the driver): the
		 * outside time is then counted from the start of the transmit. */
		if (!s->ts[IR_REQUEST][IR_XMIT] && !s->ts[IR_REPLY][IR_RECEIVE])
			s->ts[IR_REQUEST][IR_XMIT] = now;
		return 0;
	}
	if (s->late || !s->ts[IR_REPLY][IR_RECEIVE] || s->ts[IR_REPLY][IR_XMIT])
		return 0;
	s->ts[IR_REPLY][IR_XMIT] = now;
	ir_finish(&k, s, now);
	return 0;
}

/* A local ping's reply queued to the pinger's socket (a raw or an ICMP datagram socket): the
 * tail of its receive queue. */
static __always_inline int on_sk_data_ready(const struct sock *sk)
{
	struct ir_session *s;
	struct sk_buff *tail;
	struct ir_key k = {};
	__u32 len = 0;
	__u16 proto;

	if (targ_rx_ifindex)
		return 0;
	proto = BPF_CORE_READ(sk, sk_protocol);
	if (proto != NST_IPPROTO_ICMP && proto != NST_IPPROTO_ICMPV6)
		return 0;
	if (BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) != targ_netns)
		return 0;
	tail = BPF_CORE_READ(sk, sk_receive_queue.prev);
	if ((void *)tail == (void *)&sk->sk_receive_queue)
		return 0;
	if (ir_echo(tail, BPF_CORE_READ(tail, network_header), &k, &len) != IR_REPLY)
		return 0;
	s = ir_reply_stamp(&k, IR_SOCKET);
	if (s)
		ir_finish(&k, s, s->ts[IR_REPLY][IR_SOCKET]);
	return 0;
}

/* A send system call begins (local pings only): one per-CPU write. */
static __always_inline int on_send_enter(void)
{
	__u32 zero = 0;
	struct ir_send *v;

	if (targ_rx_ifindex)
		return 0;
	v = bpf_map_lookup_elem(&sends, &zero);
	if (v) {
		v->ts = bpf_ktime_get_ns();
		v->tid = (__u32)bpf_get_current_pid_tgid();
	}
	return 0;
}

/* Function stages: IP receive and forward on the device a packet entered by; ICMP receive of a
 * local ping's reply. */
static __always_inline int on_ip_rcv(struct sk_buff *skb)
{
	struct ir_key k;
	__u32 ifindex, len;
	int dir = ir_dev_echo(skb, BPF_CORE_READ(skb, dev), true, &k, &len, &ifindex);

	if ((dir == IR_REQUEST && ifindex == targ_rx_ifindex) || (dir == IR_REPLY && ifindex == targ_tx_ifindex))
		ir_stamp_in(&k, dir, IR_IP);
	return 0;
}

static __always_inline int on_forward(struct sk_buff *skb)
{
	struct ir_key k;
	__u32 ifindex, len;
	int dir;

	if (!targ_rx_ifindex)
		return 0;
	dir = ir_dev_echo(skb, BPF_CORE_READ(skb, dev), false, &k, &len, &ifindex);
	if ((dir == IR_REQUEST && ifindex == targ_rx_ifindex) || (dir == IR_REPLY && ifindex == targ_tx_ifindex))
		ir_stamp_in(&k, dir, IR_FORWARD);
	return 0;
}

static __always_inline int on_icmp_rcv(struct sk_buff *skb)
{
	__u32 len = 0;
	struct ir_key k = {};

	if (targ_rx_ifindex || ir_dev(BPF_CORE_READ(skb, dev)) != targ_tx_ifindex)
		return 0;
	if (ir_echo(skb, BPF_CORE_READ(skb, network_header), &k, &len) == IR_REPLY)
		ir_reply_stamp(&k, IR_ICMP);
	return 0;
}

/* OVS datapath: the packet's identity is enough (its skb may be a new one, sent back down). */
static __always_inline int on_ovs(struct sk_buff *skb, __u32 stage)
{
	__u32 len = 0;
	struct ir_key k = {};
	int dir;

	/* Newer kernels type these tracepoints' skb as possibly NULL under tp_btf. */
	if (!skb)
		return 0;
	dir = ir_echo(skb, BPF_CORE_READ(skb, network_header), &k, &len);
	if (dir >= 0)
		ir_stamp_in(&k, dir, stage);
	return 0;
}

NST_TP_FLAVOURS(net, netif_receive_skb, (struct sk_buff *skb), on_receive(skb),
		net_dev_template, on_receive((struct sk_buff *)BPF_CORE_READ(args, skbaddr)))
NST_TP_FLAVOURS(net, net_dev_queue, (struct sk_buff *skb), on_queue(skb),
		net_dev_template, on_queue((struct sk_buff *)BPF_CORE_READ(args, skbaddr)))

static __always_inline int on_start_xmit_record(struct trace_event_raw_net_dev_start_xmit *args)
{
	struct sk_buff *skb = (struct sk_buff *)BPF_CORE_READ(args, skbaddr);

	return on_start_xmit(skb, BPF_CORE_READ(skb, dev));
}

NST_TP_FLAVOURS(net, net_dev_start_xmit, (struct sk_buff *skb, const struct net_device *dev), on_start_xmit(skb, dev),
		net_dev_start_xmit, on_start_xmit_record(args))
NST_TP_FLAVOURS(net, net_dev_xmit, (struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len),
		on_xmit(skb, rc),
		net_dev_xmit, on_xmit((const struct sk_buff *)BPF_CORE_READ(args, skbaddr), BPF_CORE_READ(args, rc)))
NST_TP_FLAVOURS(sock, sk_data_ready, (const struct sock *sk), on_sk_data_ready(sk),
		sk_data_ready, on_sk_data_ready((const struct sock *)BPF_CORE_READ(args, skaddr)))

/* Kernels without sock:sk_data_ready (6.1): the callback raw and ICMP datagram sockets call. */
SEC("fentry/sock_def_readable")
int BPF_PROG(sock_def_readable_fentry, struct sock *sk) { return on_sk_data_ready(sk); }
SEC("kprobe/sock_def_readable")
int BPF_KPROBE(sock_def_readable_kprobe, struct sock *sk) { return on_sk_data_ready(sk); }

/* System call tracepoints exist only in the classic flavour. */
#define IR_SEND_SYSCALL(name)								\
	SEC("tracepoint/syscalls/sys_enter_" #name)					\
	int sys_enter_##name##_tp(struct trace_event_raw_sys_enter *ctx) { return on_send_enter(); }
IR_SEND_SYSCALL(sendto)
IR_SEND_SYSCALL(sendmsg)
IR_SEND_SYSCALL(sendmmsg)

/* Function stages, as fentry (BPF trampoline) and kprobe. */
#define IR_FN(func, core)								\
	SEC("fentry/" #func)								\
	int BPF_PROG(func##_fentry, struct sk_buff *skb) { return core(skb); }		\
	SEC("kprobe/" #func)								\
	int BPF_KPROBE(func##_kprobe, struct sk_buff *skb) { return core(skb); }

IR_FN(ip_rcv, on_ip_rcv)
IR_FN(ipv6_rcv, on_ip_rcv)
IR_FN(ip_forward, on_forward)
IR_FN(ip6_forward, on_forward)
IR_FN(icmp_rcv, on_icmp_rcv)
IR_FN(icmpv6_rcv, on_icmp_rcv)

/* The openvswitch module's datapath tracepoints: attached only where it is loaded. */
NST_OVS_UPCALL_FLAVOURS(on_ovs(skb, IR_UPCALL))
NST_OVS_EXECUTE_FLAVOURS(on_ovs(skb, IR_OVS))

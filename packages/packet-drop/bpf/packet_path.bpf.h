/* The packet path tracers' kernel side: each request that enters on --rx-interface is followed to
 * --tx-interface, and its reply back from --tx-interface to --rx-interface, at the kernel's device
 * tracepoints (net:netif_receive_skb in, net:net_dev_start_xmit out). A request is one table entry
 * from the moment it enters until its reply leaves (counted here, complete) or the user side finds it
 * older than --timeout-ms and classifies it by the last point it passed.
 *
 * The request and its reply are matched by what each protocol carries:
 *   ICMP echo: identifier and sequence, the same in the request and the reply;
 *   TCP: a segment that takes sequence space (data, SYN, FIN) is a request; an ACK coming back
 *        that covers its end is its reply (one ACK can answer several: delayed and cumulative ACKs);
 *   UDP: a datagram from the rx side is a request; the next datagram of the flow coming back is the
 *        reply to the oldest request still waiting (request/response protocols answer in order).
 * The request's own identity from in to out (the same packet, forwarded) is its ICMP sequence, its
 * TCP end sequence, or for UDP a hash of the IPv4 id, the length and the first payload bytes.
 * Included by packet_path_summary.bpf.c and packet_path_details.bpf.c; the details program defines
 * PATH_EVENTS first. */
#ifndef PACKET_PATH_BPF_H
#define PACKET_PATH_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "netstrata/hist.h"
#include "netstrata/flavours.h"
#include "packet_path.h"

/* --rx-interface and --tx-interface, and the namespace both are in. */
const volatile __u32 targ_rx = 0;
const volatile __u32 targ_tx = 0;
const volatile __u32 targ_netns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PATH_PENDING_MAX);
	__type(key, struct path_key);
	__type(value, struct path_req);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PATH_FLOWS_MAX);
	__type(key, struct path_flow);
	__type(value, struct path_queues);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PATH_LEGS);
	__type(key, __u32);
	__type(value, struct nst_hist);
} legs SEC(".maps");

#ifdef PATH_EVENTS
/* packet_path_details --all: every complete request too. */
const volatile bool targ_all = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");
#endif

#define PATH_ICMP_ECHO_REQUEST 8
#define PATH_ICMP_ECHO_REPLY 0
#define PATH_ICMPV6_ECHO_REQUEST 128
#define PATH_ICMPV6_ECHO_REPLY 129
#define PATH_TCP_FIN 0x01
#define PATH_TCP_SYN 0x02
#define PATH_TCP_ACK 0x10

/* One packet as the path tracer reads it. */
struct path_pkt {
	struct path_flow flow;  /* in the packet's own direction: client = its source */
	__u32 seq;              /* TCP */
	__u32 ack;
	__u32 udp_hash;
	__u32 len;              /* IP length */
	__u16 payload;          /* L4 payload bytes */
	__u16 icmp_seq;
	__u8 icmp_type;
	__u8 tcp_flags;
};

static __always_inline struct path_stats *path_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline void path_count(__u32 counter)
{
	struct path_stats *s = path_stats();

	if (s && counter < PATH_COUNTERS)
		s->counters[counter]++;
}

static __always_inline void path_leg(__u32 leg, __u64 ns)
{
	struct nst_hist *h = bpf_map_lookup_elem(&legs, &leg);

	if (h)
		nst_hist_add(h, ns);
}

/* The packet at network header offset nh. False for what the tracer does not follow: not IP, a
 * fragment after the first, IPv6 with extension headers, other protocols. */
static __always_inline bool path_parse(struct sk_buff *skb, __u16 nh, struct path_pkt *p)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u32 l4off, l3len;
	__u16 ip_id = 0;
	__u8 l4;

	if (nh == NST_HDR_UNSET)
		return false;
	__u8 v;

	if (bpf_probe_read_kernel(&v, 1, head + nh))
		return false;
	if (v >> 4 == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return false;
		if (ip.frag_off & bpf_htons(0x1fff))
			return false;
		p->flow.family = NST_AF_INET;
		__builtin_memcpy(p->flow.client, &ip.saddr, 4);
		__builtin_memcpy(p->flow.server, &ip.daddr, 4);
		l4 = ip.protocol;
		l4off = nh + ip.ihl * 4;
		p->len = bpf_ntohs(ip.tot_len);
		l3len = p->len > ip.ihl * 4 ? p->len - ip.ihl * 4 : 0;
		ip_id = bpf_ntohs(ip.id);
	} else if (v >> 4 == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return false;
		p->flow.family = NST_AF_INET6;
		__builtin_memcpy(p->flow.client, &ip6.saddr, 16);
		__builtin_memcpy(p->flow.server, &ip6.daddr, 16);
		l4 = ip6.nexthdr;
		l4off = nh + sizeof(ip6);
		l3len = bpf_ntohs(ip6.payload_len);
		p->len = l3len + sizeof(ip6);
	} else {
		return false;
	}
	p->flow.protocol = l4;
	if (l4 == NST_IPPROTO_ICMP || l4 == NST_IPPROTO_ICMPV6) {
		__u8 icmp[8];

		if (bpf_probe_read_kernel(icmp, sizeof(icmp), head + l4off))
			return false;
		p->icmp_type = icmp[0];
		p->flow.cport = (__u16)icmp[4] << 8 | icmp[5];
		p->icmp_seq = (__u16)icmp[6] << 8 | icmp[7];
		return true;
	}
	if (l4 == NST_IPPROTO_TCP) {
		struct tcphdr th;

		if (bpf_probe_read_kernel(&th, sizeof(th), head + l4off))
			return false;
		p->flow.cport = bpf_ntohs(th.source);
		p->flow.sport = bpf_ntohs(th.dest);
		p->seq = bpf_ntohl(th.seq);
		p->ack = bpf_ntohl(th.ack_seq);
		p->tcp_flags = ((__u8 *)&th)[13];
		p->payload = l3len > th.doff * 4 ? l3len - th.doff * 4 : 0;
		return true;
	}
	if (l4 == NST_IPPROTO_UDP) {
		struct { __be16 source, dest, len, check; __u32 w[2]; } u = {};

		if (bpf_probe_read_kernel(&u, 8, head + l4off))
			return false;
		p->flow.cport = bpf_ntohs(u.source);
		p->flow.sport = bpf_ntohs(u.dest);
		p->payload = l3len > 8 ? l3len - 8 : 0;
		/* Only the payload's own bytes: past its end the buffer holds anything. */
		__u32 n = p->payload;

		if (n > 8)
			n = 8;
		if (n)
			bpf_probe_read_kernel(u.w, n, head + l4off + 8);
		__u32 h = ip_id * 0x9e3779b1U ^ p->payload;

		h = (h ^ u.w[0]) * 0x85ebca6bU;
		h = (h ^ u.w[1]) * 0xc2b2ae35U;
		p->udp_hash = h ^ (h >> 16);
		return true;
	}
	return false;
}

/* The packet's flow turned around: a reply's flow as its request's. */
static __always_inline void path_reverse(const struct path_flow *f, struct path_flow *r)
{
	__builtin_memcpy(r->client, f->server, 16);
	__builtin_memcpy(r->server, f->client, 16);
	r->cport = f->sport;
	r->sport = f->cport;
	r->family = f->family;
	r->protocol = f->protocol;
	r->_pad = 0;
}

/* The shared packet filters (--ip, --port, --protocol ...) on a request. */
static __always_inline bool path_pass(const struct path_pkt *p)
{
	struct nst_flow f = {};

	__builtin_memcpy(f.saddr, p->flow.client, 16);
	__builtin_memcpy(f.daddr, p->flow.server, 16);
	f.family = p->flow.family;
	f.protocol = p->flow.protocol;
	f.ethertype = p->flow.family == NST_AF_INET ? NST_ETH_P_IP : NST_ETH_P_IPV6;
	if (p->flow.protocol == NST_IPPROTO_TCP || p->flow.protocol == NST_IPPROTO_UDP) {
		f.sport = p->flow.cport;
		f.dport = p->flow.sport;
	} else {
		f.sport = p->flow.cport;
		f.dport = (__u16)p->icmp_type << 8;
	}
	return nst_flow_pass(&f);
}

static __always_inline bool path_is_echo_request(const struct path_pkt *p)
{
	return (p->flow.protocol == NST_IPPROTO_ICMP && p->icmp_type == PATH_ICMP_ECHO_REQUEST) ||
	       (p->flow.protocol == NST_IPPROTO_ICMPV6 && p->icmp_type == PATH_ICMPV6_ECHO_REQUEST);
}

static __always_inline bool path_is_echo_reply(const struct path_pkt *p)
{
	return (p->flow.protocol == NST_IPPROTO_ICMP && p->icmp_type == PATH_ICMP_ECHO_REPLY) ||
	       (p->flow.protocol == NST_IPPROTO_ICMPV6 && p->icmp_type == PATH_ICMPV6_ECHO_REPLY);
}

/* A request's key from the request packet; false when the packet is no request. */
static __always_inline bool path_request_key(const struct path_pkt *p, struct path_key *k)
{
	k->flow = p->flow;
	if (p->flow.protocol == NST_IPPROTO_ICMP || p->flow.protocol == NST_IPPROTO_ICMPV6) {
		if (!path_is_echo_request(p))
			return false;
		k->flow.sport = 0;
		k->ident = p->icmp_seq;
		return true;
	}
	if (p->flow.protocol == NST_IPPROTO_TCP) {
		__u32 space = p->payload + !!(p->tcp_flags & PATH_TCP_SYN) + !!(p->tcp_flags & PATH_TCP_FIN);

		if (!space)
			return false;  /* a pure ACK asks for nothing */
		k->ident = p->seq + space;
		return true;
	}
	k->ident = p->udp_hash;
	return true;
}

/* What became of a request, from the points it passed. */
static __always_inline __u32 path_state_of(const struct path_req *r)
{
	if (r->ts[PATH_REP_OUT])
		return PATH_COMPLETE;
	if (r->ts[PATH_REP_IN])
		return PATH_INTERNAL_DROP_REPLY;
	if (r->ts[PATH_REQ_OUT])
		return PATH_EXTERNAL_DROP;
	return PATH_INTERNAL_DROP_REQUEST;
}

/* The kernel side is done with a request: counted by its state; complete ones give their legs. */
static __always_inline void path_finish(const struct path_key *k, const struct path_req *r, __u32 state)
{
	struct path_stats *s = path_stats();

	if (s && state < PATH_STATES) {
		s->states[state]++;
	}
	if (state == PATH_COMPLETE) {
		path_leg(PATH_LEG_REQUEST, r->ts[PATH_REQ_OUT] - r->ts[PATH_REQ_IN]);
		path_leg(PATH_LEG_EXTERNAL, r->ts[PATH_REP_IN] - r->ts[PATH_REQ_OUT]);
		path_leg(PATH_LEG_REPLY, r->ts[PATH_REP_OUT] - r->ts[PATH_REP_IN]);
	}
#ifdef PATH_EVENTS
	if (state != PATH_COMPLETE || targ_all) {
		struct path_event *e = nst_event_reserve(&events, sizeof(*e));

		if (e) {
			e->key = *k;
			e->req = *r;
			e->state = state;
			e->_pad = 0;
			bpf_ringbuf_submit(e, 0);
		}
	}
#endif
}

static __always_inline void path_push(struct path_ring *q, __u32 ident)
{
	__u64 t = __sync_fetch_and_add(&q->tail, 1);

	if (t - q->head >= PATH_RING) {
		/* The oldest waiting request falls out: its reply, if it comes, is not matched. */
		__sync_fetch_and_add(&q->head, 1);
		path_count(PATH_RING_OVERFLOW);
	}
	q->ident[t & (PATH_RING - 1)] = ident;
}

/* Takes the oldest ident of q; false when q is empty. */
static __always_inline bool path_pop(struct path_ring *q, __u32 *ident)
{
	__u64 h = q->head;

	if (h == q->tail)
		return false;
	if (__sync_val_compare_and_swap(&q->head, h, h + 1) != h)
		return false;  /* another CPU took it: the caller's loop goes on */
	*ident = q->ident[h & (PATH_RING - 1)];
	return true;
}

/* The ident at the head of q without taking it. */
static __always_inline bool path_peek(struct path_ring *q, __u32 *ident)
{
	__u64 h = q->head;

	if (h == q->tail)
		return false;
	*ident = q->ident[h & (PATH_RING - 1)];
	return true;
}

/* TCP sequence order across wrap-around. */
static __always_inline bool path_seq_covered(__u32 end, __u32 ack)
{
	return (__s32)(ack - end) >= 0;
}

/* A request entered on --rx-interface. */
static __always_inline void path_request_in(const struct path_pkt *p)
{
	struct path_key k = {};
	struct path_req r = {};

	if (!path_request_key(p, &k) || !path_pass(p))
		return;
	struct path_req *old = bpf_map_lookup_elem(&pending, &k);

	if (old) {
		/* The same request again while its first copy is in flight: a retransmission (TCP, or a
		 * client repeating its question). The first copy's fate is what it is now. */
		path_count(PATH_RETRANSMITTED);
		struct path_req copy = *old;

		if (!bpf_map_delete_elem(&pending, &k))
			path_finish(&k, &copy, path_state_of(&copy));
	}
	r.ts[PATH_REQ_IN] = bpf_ktime_get_ns();
	r.len = p->len;
	if (bpf_map_update_elem(&pending, &k, &r, BPF_NOEXIST))
		nst_count_loss(NST_MAP_FULL);
}

/* A request left on --tx-interface. */
static __always_inline void path_request_out(const struct path_pkt *p)
{
	struct path_key k = {};

	if (!path_request_key(p, &k))
		return;
	struct path_req *r = bpf_map_lookup_elem(&pending, &k);

	if (!r || r->ts[PATH_REQ_OUT])
		return;
	r->ts[PATH_REQ_OUT] = bpf_ktime_get_ns();
	if (p->flow.protocol != NST_IPPROTO_TCP && p->flow.protocol != NST_IPPROTO_UDP)
		return;
	struct path_queues *q = bpf_map_lookup_elem(&flows, &k.flow);

	if (!q) {
		struct path_queues init = {};

		bpf_map_update_elem(&flows, &k.flow, &init, BPF_NOEXIST);
		q = bpf_map_lookup_elem(&flows, &k.flow);
		if (!q) {
			nst_count_loss(NST_MAP_FULL);
			return;
		}
	}
	path_push(&q->reply_in, k.ident);
}

/* Whether the reply packet p answers the waiting request `ident`: for TCP its ACK covers the
 * request's end; for UDP any reply answers the oldest. */
static __always_inline bool path_answers(const struct path_pkt *p, __u32 ident)
{
	return p->flow.protocol != NST_IPPROTO_TCP || path_seq_covered(ident, p->ack);
}

/* A reply entered on --tx-interface (point PATH_REP_IN) or left on --rx-interface (PATH_REP_OUT). */
static __always_inline void path_reply(const struct path_pkt *p, __u32 point)
{
	struct path_key k = {};
	__u64 now = bpf_ktime_get_ns();

	path_reverse(&p->flow, &k.flow);
	if (p->flow.protocol == NST_IPPROTO_ICMP || p->flow.protocol == NST_IPPROTO_ICMPV6) {
		if (!path_is_echo_reply(p))
			return;
		k.flow.cport = p->flow.cport;  /* the echo identifier, the same both ways */
		k.flow.sport = 0;
		k.ident = p->icmp_seq;
		struct path_req *r = bpf_map_lookup_elem(&pending, &k);

		if (!r || !r->ts[point - 1] || r->ts[point]) {
			if (point == PATH_REP_IN)
				path_count(PATH_UNMATCHED_REPLIES);
			return;
		}
		r->ts[point] = now;
		if (point == PATH_REP_OUT) {
			struct path_req done = *r;

			if (!bpf_map_delete_elem(&pending, &k))
				path_finish(&k, &done, PATH_COMPLETE);
		}
		return;
	}
	if (p->flow.protocol == NST_IPPROTO_TCP && !(p->tcp_flags & PATH_TCP_ACK))
		return;
	struct path_queues *q = bpf_map_lookup_elem(&flows, &k.flow);
	bool matched = false;

	if (!q) {
		if (p->flow.protocol == NST_IPPROTO_UDP && point == PATH_REP_IN)
			path_count(PATH_UNMATCHED_REPLIES);
		return;
	}
	struct path_ring *ring = point == PATH_REP_IN ? &q->reply_in : &q->reply_out;

	for (int i = 0; i < PATH_RING; i++) {
		__u32 ident;

		if (!path_peek(ring, &ident) || !path_answers(p, ident))
			break;
		if (!path_pop(ring, &ident))
			continue;
		k.ident = ident;
		struct path_req *r = bpf_map_lookup_elem(&pending, &k);

		/* Gone (classified after --timeout-ms, or superseded by a retransmission) or already
		 * answered: the next one. */
		if (!r || !r->ts[point - 1] || r->ts[point])
			continue;
		r->ts[point] = now;
		matched = true;
		if (point == PATH_REP_IN) {
			path_push(&q->reply_out, ident);
		} else {
			struct path_req done = *r;

			if (!bpf_map_delete_elem(&pending, &k))
				path_finish(&k, &done, PATH_COMPLETE);
		}
		if (p->flow.protocol == NST_IPPROTO_UDP)
			break;  /* one datagram answers one request */
	}
	if (!matched && p->flow.protocol == NST_IPPROTO_UDP && point == PATH_REP_IN)
		path_count(PATH_UNMATCHED_REPLIES);
}

static __always_inline bool path_here(const struct net_device *dev, __u32 *ifindex)
{
	*ifindex = BPF_CORE_READ(dev, ifindex);
	if (*ifindex != targ_rx && *ifindex != targ_tx)
		return false;
	return !targ_netns || nst_dev_netns((struct net_device *)dev) == targ_netns;
}

/* net:netif_receive_skb: the network header is at skb->data. */
static __always_inline int path_on_receive(struct sk_buff *skb)
{
	struct path_pkt p = {};
	__u32 ifindex;

	if (!path_here(BPF_CORE_READ(skb, dev), &ifindex) || !path_parse(skb, nst_skb_data_off(skb), &p))
		return 0;
	if (ifindex == targ_rx)
		path_request_in(&p);
	else
		path_reply(&p, PATH_REP_IN);
	return 0;
}

/* net:net_dev_start_xmit: the device's driver is handed the packet. */
static __always_inline int path_on_start_xmit(const struct sk_buff *skb, const struct net_device *dev)
{
	struct path_pkt p = {};
	__u32 ifindex;

	if (!path_here(dev, &ifindex) || !path_parse((struct sk_buff *)skb, BPF_CORE_READ(skb, network_header), &p))
		return 0;
	if (ifindex == targ_tx)
		path_request_out(&p);
	else
		path_reply(&p, PATH_REP_OUT);
	return 0;
}

static __always_inline int path_on_start_xmit_record(struct trace_event_raw_net_dev_start_xmit *args)
{
	const struct sk_buff *skb = (const struct sk_buff *)BPF_CORE_READ(args, skbaddr);

	return path_on_start_xmit(skb, BPF_CORE_READ(skb, dev));
}

/* The request in flight whose reply p is, waiting at the point after `point`; NULL if none. */
static __always_inline struct path_req *path_answered(const struct path_pkt *p, __u32 point)
{
	struct path_key k = {};

	path_reverse(&p->flow, &k.flow);
	if (path_is_echo_reply(p)) {
		k.flow.cport = p->flow.cport;
		k.flow.sport = 0;
		k.ident = p->icmp_seq;
	} else if (p->flow.protocol == NST_IPPROTO_TCP || p->flow.protocol == NST_IPPROTO_UDP) {
		struct path_queues *q = bpf_map_lookup_elem(&flows, &k.flow);

		if (!q || !path_peek(point == PATH_REP_IN ? &q->reply_in : &q->reply_out, &k.ident) || !path_answers(p, k.ident))
			return NULL;
	} else {
		return NULL;
	}
	struct path_req *r = bpf_map_lookup_elem(&pending, &k);

	return r && r->ts[point - 1] && !r->ts[point] ? r : NULL;
}

/* Notes the kernel's reason and location on the request in flight that p is, or answers. */
static __always_inline void path_note_drop(const struct path_pkt *p, __u64 location, __u32 reason)
{
	struct path_key k = {};
	struct path_req *r = NULL;
	__u32 point = PATH_REQ_IN;

	if (path_request_key(p, &k)) {
		r = bpf_map_lookup_elem(&pending, &k);
		if (r && r->ts[PATH_REQ_OUT])
			r = NULL;  /* a copy of a request that did leave */
	}
	if (!r) {
		/* A reply dropped after it came in (before it reached the rx side), or before. */
		point = PATH_REP_IN;
		r = path_answered(p, PATH_REP_OUT);
		if (!r) {
			point = PATH_REQ_OUT;
			r = path_answered(p, PATH_REP_IN);
		}
	}
	if (!r || r->reason)
		return;
	r->reason = reason;
	r->location = location;
	r->drop_point = point + 1;
}

/* skb:kfree_skb: a drop of a packet we follow. Between its points a request or reply is on one of
 * the two interfaces (received by one, queued to the other), so the device check comes first: the
 * host's other drops cost two reads. */
static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct path_pkt p = {};
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	__u32 ifindex;

	if (!dev || !path_here(dev, &ifindex))
		return 0;
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;
	if (!path_parse(skb, BPF_CORE_READ(skb, network_header), &p))
		return 0;
	path_note_drop(&p, location, reason);
	return 0;
}

NST_TP_FLAVOURS(net, netif_receive_skb, (struct sk_buff *skb), path_on_receive(skb),
		net_dev_template, path_on_receive((struct sk_buff *)BPF_CORE_READ(args, skbaddr)))
NST_TP_FLAVOURS(net, net_dev_start_xmit, (const struct sk_buff *skb, const struct net_device *dev),
		path_on_start_xmit(skb, dev),
		net_dev_start_xmit, path_on_start_xmit_record(args))

#include "netstrata/kfree_skb_flavours.h"

#endif

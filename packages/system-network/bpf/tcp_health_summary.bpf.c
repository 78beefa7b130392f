// SPDX-License-Identifier: GPL-2.0
/* tcp_health_summary: How healthy are this host's TCP connections: round-trip time, handshakes,
 * retransmissions, resets and drops, per flow and per host?
 * Every hook runs per event, not per packet on the wire: a state change, a retransmission, a reset, a
 * drop, a chunk an application reads or writes (RTT sampled from the kernel's smoothed RTT, at most
 * every 10 ms per flow; a read is one per received skb, so about one per segment where the device
 * does no GRO). Only --window adds a per-packet hook (tcp:tcp_probe, each segment received on an
 * established socket) for the congestion window and the packets in flight. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "netstrata/hist.h"
#include "netstrata/flavours.h"
#include "tcp_health.h"

char LICENSE[] SEC("license") = "GPL";

/* --window: in-flight and cwnd from tcp:tcp_probe (its programs load only then). */
const volatile bool targ_window = false;
/* The kernel's tcp:tcp_retransmit_skb passes err (and fires for failed attempts too): 6.13 on. */
const volatile bool targ_retrans_err = false;
/* The kernel's tcp:tcp_send_reset passes the reset's reason (enum sk_rst_reason): 6.10 on. */
const volatile bool targ_rst_reason = false;

#define NST_EBUSY 16

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCP_FLOWS_MAX);
	__type(key, struct tcp_flow_key);
	__type(value, struct tcp_flow_stats);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcp_host_stats);
} host SEC(".maps");

/* A hash, not an LRU: only the flow table counts the rows it creates (NST_ROWS_CREATED is one
 * counter, from which the user side derives the flow table's evictions); a full drop table refuses,
 * counted as map_full. Idle rows are removed by the user side. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCP_DROPS_MAX);
	__type(key, struct tcp_drop_key);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCP_REASONS_MAX);
	__type(key, struct tcp_reason_key);
	__type(value, __u64);
} reasons SEC(".maps");

/* Active opens by socket address: when the SYN_SENT state began. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCP_OPENING_MAX);
	__type(key, __u64);
	__type(value, __u64);
} opening SEC(".maps");

/* The zeroed row a new flow's is created from (too large for the BPF stack). */
static const struct tcp_flow_stats zero = {};

static __always_inline struct tcp_host_stats *host_row(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&host, &k);
}

static __always_inline struct tcp_flow_stats *flow_row(const struct tcp_flow_key *key)
{
	return nst_lookup_or_init(&flows, key, &zero);
}

/* A socket's flow (any sock_common: a request or timewait socket too), through the filters. A full
 * socket (`full`) that lets its port go as it closes (inet_put_port zeroes skc_num before the state
 * change is traced) still has its source port in inet_sport. */
static __always_inline bool sock_key(const struct sock *sk, struct tcp_flow_key *key, bool full)
{
	if (!sk)
		return false;
	key->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (targ_filter.netns && targ_filter.netns != key->netns)
		return false;
	if (!nst_sock_flow(sk, NST_IPPROTO_TCP, &key->flow))
		return false;
	if (full && !key->flow.sport)
		key->flow.sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	return !nst_filter_needs_headers() || nst_flow_pass(&key->flow);
}

/* The flow's row and the host's, which an event counts in; false when either is missing (the flow
 * table refused a new row). */
static __always_inline bool flow_rows(const struct tcp_flow_key *key, struct tcp_flow_stats **s, struct tcp_host_stats **h)
{
	*s = flow_row(key);
	*h = host_row();
	return *s && *h;
}

/* A packet's flow as the local socket sees it: a received packet's destination is the local end. */
static __always_inline void flow_swap(struct nst_flow *f)
{
	__u8 a[16];
	__u16 p = f->sport;

	__builtin_memcpy(a, f->saddr, 16);
	__builtin_memcpy(f->saddr, f->daddr, 16);
	__builtin_memcpy(f->daddr, a, 16);
	f->sport = f->dport;
	f->dport = p;
}

/* A TCP packet's flow through the filters; `incoming`: it was received (the remote end sent it). */
static __always_inline bool skb_key(struct sk_buff *skb, bool incoming, struct tcp_flow_key *key)
{
	__u32 ifindex;

	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u8 l4 = nst_skb_l4_hint(skb, nh);

	/* Every drop of the host comes here: one byte says whether it can be TCP. */
	if (l4 != NST_IPPROTO_TCP && !nst_ipv6_ext(l4))
		return false;
	nst_skb_dev(skb, &ifindex, &key->netns);
	if (targ_filter.netns && targ_filter.netns != key->netns)
		return false;
	if (!nst_skb_flow_at(skb, &key->flow, nh, BPF_CORE_READ(skb, transport_header)) || key->flow.protocol != NST_IPPROTO_TCP)
		return false;
	if (incoming)
		flow_swap(&key->flow);
	return !nst_filter_needs_headers() || nst_flow_pass(&key->flow);
}

static __always_inline void reason_add(__u32 kind, __u32 reason)
{
	struct tcp_reason_key k = { .kind = kind, .reason = reason };

	nst_hash_count_one(&reasons, &k);
}

/* The smoothed RTT the kernel keeps for the socket, into the flow's and the host's histograms. Reads
 * and writes sample at most every TCP_RTT_SAMPLE_GAP_NS per flow; state changes always (force). */
static __always_inline void rtt_sample(const struct sock *sk, struct tcp_flow_stats *s, bool force)
{
	__u32 srtt = BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3;
	struct tcp_host_stats *h;
	__u64 now;

	if (!srtt)
		return;
	now = bpf_ktime_get_ns();
	if (!force && now - s->last_sample_ns < TCP_RTT_SAMPLE_GAP_NS)
		return;
	s->last_sample_ns = now;
	s->srtt_us = srtt;
	nst_hist_add(&s->rtt_us, srtt);
	__sync_fetch_and_add(&s->c.rtt_sum_us, srtt);
	h = host_row();
	if (h) {
		nst_hist_add(&h->rtt_us, srtt);
		__sync_fetch_and_add(&h->c.rtt_sum_us, srtt);
	}
}

/* sock:inet_sock_set_state: handshakes (their time, active and passive), failed connects, and an RTT
 * sample as a connection is established and as it starts to close. */
static __always_inline int on_state(const struct sock *sk, int oldstate, int newstate)
{
	struct tcp_flow_key key = {};
	struct tcp_flow_stats *s;
	struct tcp_host_stats *h;
	__u64 addr = (__u64)sk, start = 0, *t;

	if (newstate == TCP_SYN_SENT) {
		/* The ports are not chosen yet (connect hashes the socket after this): only the namespace
		 * filter here, the others when the handshake ends. */
		if (targ_filter.netns && targ_filter.netns != BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum))
			return 0;
		start = bpf_ktime_get_ns();
		if (bpf_map_update_elem(&opening, &addr, &start, BPF_ANY))
			nst_count_loss(NST_MAP_FULL);
		return 0;
	}
	if (oldstate == TCP_SYN_SENT) {
		t = bpf_map_lookup_elem(&opening, &addr);
		if (t) {
			start = *t;
			bpf_map_delete_elem(&opening, &addr);
		}
		/* A simultaneous open (SYN_SENT -> SYN_RECV) ends as a passive one. */
		if (newstate != TCP_ESTABLISHED && newstate != TCP_CLOSE)
			return 0;
	} else if (!(oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) && oldstate != TCP_ESTABLISHED) {
		return 0;
	}
	if (!sock_key(sk, &key, true) || !flow_rows(&key, &s, &h))
		return 0;
	if (oldstate == TCP_SYN_SENT) {
		if (newstate != TCP_ESTABLISHED) {
			__sync_fetch_and_add(&s->c.connect_failed, 1);
			__sync_fetch_and_add(&h->c.connect_failed, 1);
			return 0;
		}
		__sync_fetch_and_add(&s->c.active_opens, 1);
		__sync_fetch_and_add(&h->c.active_opens, 1);
		if (start) {
			__u64 us = (bpf_ktime_get_ns() - start) / 1000;

			s->handshake_us = us;
			nst_hist_add(&h->handshake_active_us, us);
		}
	} else if (oldstate == TCP_SYN_RECV) {
		/* The listener's side: the kernel has just measured its SYN-ACK's round trip (SYN-ACK sent
		 * -> this ACK), the connection's first RTT sample, which is all its smoothed RTT holds. */
		__u32 us = BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3;

		__sync_fetch_and_add(&s->c.passive_opens, 1);
		__sync_fetch_and_add(&h->c.passive_opens, 1);
		if (us) {
			s->handshake_us = us;
			nst_hist_add(&h->handshake_passive_us, us);
		}
	}
	rtt_sample(sk, s, true);
	return 0;
}

/* The classic record: the protocol is in it, the socket's address too. */
static __always_inline int on_state_record(struct trace_event_raw_inet_sock_set_state *args)
{
	if (BPF_CORE_READ(args, protocol) != NST_IPPROTO_TCP)
		return 0;
	return on_state((const struct sock *)BPF_CORE_READ(args, skaddr), BPF_CORE_READ(args, oldstate), BPF_CORE_READ(args, newstate));
}

static __always_inline int on_state_btf(const struct sock *sk, int oldstate, int newstate)
{
	if (BPF_CORE_READ(sk, sk_protocol) != NST_IPPROTO_TCP)
		return 0;
	return on_state(sk, oldstate, newstate);
}

/* tcp:tcp_retransmit_skb: one retransmission, in segments (the kernel's RetransSegs counts the same),
 * by kind. The socket's states say which: SYN_SENT retransmits its SYN; the congestion state is
 * Loss after a timeout, Recovery in fast recovery; in the others only a tail loss probe retransmits. */
static __always_inline int on_retransmit(const struct sock *sk, const struct sk_buff *skb, int err)
{
	struct tcp_flow_key key = {};
	struct tcp_flow_stats *s;
	struct tcp_host_stats *h;
	__u32 kind, segs = 1;

	/* EBUSY: the original is still in a queue of this host; nothing was sent again. */
	if (err == -NST_EBUSY || !sock_key(sk, &key, true) || !flow_rows(&key, &s, &h))
		return 0;
	if (err) {
		__sync_fetch_and_add(&s->c.retrans_failed, 1);
		__sync_fetch_and_add(&h->c.retrans_failed, 1);
		return 0;
	}
	if (skb) {
		struct tcp_skb_cb *cb = (struct tcp_skb_cb *)&skb->cb[0];
		__u16 n = BPF_CORE_READ(cb, tcp_gso_segs);

		if (n > 1)
			segs = n;
	}
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_SYN_SENT) {
		kind = TCP_RT_SYN;
	} else {
		__u8 ca = BPF_CORE_READ_BITFIELD_PROBED((struct inet_connection_sock *)sk, icsk_ca_state);

		kind = ca == TCP_CA_Loss ? TCP_RT_TIMEOUT : ca == TCP_CA_Recovery ? TCP_RT_FAST : TCP_RT_PROBE;
	}
	if (kind >= TCP_RT_KINDS)
		return 0;
	__sync_fetch_and_add(&s->c.retrans[kind], segs);
	__sync_fetch_and_add(&h->c.retrans[kind], segs);
	return 0;
}

/* tcp:tcp_retransmit_synack: the listener's request socket names the flow (its sock_common). */
static __always_inline int on_synack(const void *req)
{
	struct tcp_flow_key key = {};
	struct tcp_flow_stats *s;
	struct tcp_host_stats *h;

	if (!sock_key((const struct sock *)req, &key, false) || !flow_rows(&key, &s, &h))
		return 0;
	__sync_fetch_and_add(&s->c.retrans[TCP_RT_SYNACK], 1);
	__sync_fetch_and_add(&h->c.retrans[TCP_RT_SYNACK], 1);
	return 0;
}

/* tcp:tcp_send_reset: a reset in answer to a segment (skb, the received one: its flow, swapped), or
 * a socket's own abort (no skb: the socket's flow). */
static __always_inline int on_reset_sent(const struct sock *sk, struct sk_buff *skb, __u32 reason)
{
	struct tcp_flow_key key = {};
	struct tcp_flow_stats *s;
	struct tcp_host_stats *h;

	if (skb) {
		if (!skb_key(skb, true, &key))
			return 0;
		if (sk)
			key.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	} else if (!sock_key(sk, &key, false)) {
		return 0;
	}
	if ((targ_filter.netns && targ_filter.netns != key.netns) || !flow_rows(&key, &s, &h))
		return 0;
	__sync_fetch_and_add(&s->c.resets_sent, 1);
	__sync_fetch_and_add(&h->c.resets_sent, 1);
	reason_add(TCP_REASON_RESET, reason);
	return 0;
}

/* tcp:tcp_receive_reset: a reset the socket accepted. */
static __always_inline int on_reset_received(const struct sock *sk)
{
	struct tcp_flow_key key = {};
	struct tcp_flow_stats *s;
	struct tcp_host_stats *h;

	if (!sock_key(sk, &key, true) || !flow_rows(&key, &s, &h))
		return 0;
	__sync_fetch_and_add(&s->c.resets_received, 1);
	__sync_fetch_and_add(&h->c.resets_received, 1);
	return 0;
}

/* skb:kfree_skb, TCP packets only: by flow and reason. A packet that came in through a device
 * (skb_iif set) was sent by the remote end. */
static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct tcp_drop_key key = {};
	struct tcp_host_stats *h;

	if (!skb || !skb_key(skb, BPF_CORE_READ(skb, skb_iif) != 0, &key.flow))
		return 0;
	key.reason = reason;
	nst_hash_count_one(&drops, &key);
	reason_add(TCP_REASON_DROP, reason);
	h = host_row();
	if (h)
		__sync_fetch_and_add(&h->drops, 1);
	return 0;
}

/* A read (tcp:tcp_rcv_space_adjust) or write (tcp:tcp_sendmsg_locked) of the socket: an RTT sample,
 * at most every TCP_RTT_SAMPLE_GAP_NS per flow. */
static __always_inline int on_io(const struct sock *sk)
{
	struct tcp_flow_key key = {};
	struct tcp_flow_stats *s;

	if (!sk || !sock_key(sk, &key, true))
		return 0;
	s = flow_row(&key);
	if (s)
		rtt_sample(sk, s, false);
	return 0;
}

/* --window, tcp:tcp_probe (each segment an established socket receives): the congestion window and
 * the packets in flight (tcp_packets_in_flight: out - (sacked + lost) + retransmitted). */
static __always_inline int on_probe(const struct sock *sk)
{
	struct tcp_flow_key key = {};
	struct tcp_flow_stats *s;
	struct tcp_host_stats *h;
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u32 cwnd, out, left, in_flight;

	if (!targ_window || !sk || !sock_key(sk, &key, true) || !flow_rows(&key, &s, &h))
		return 0;
	cwnd = BPF_CORE_READ(tp, snd_cwnd);
	out = BPF_CORE_READ(tp, packets_out);
	left = BPF_CORE_READ(tp, sacked_out) + BPF_CORE_READ(tp, lost_out);
	in_flight = (out > left ? out - left : 0) + BPF_CORE_READ(tp, retrans_out);
	s->cwnd = cwnd;
	s->in_flight = in_flight;
	if (cwnd > s->cwnd_max)
		s->cwnd_max = cwnd;
	if (in_flight > s->in_flight_max)
		s->in_flight_max = in_flight;
	nst_hist_add(&h->cwnd, cwnd);
	nst_hist_add(&h->in_flight, in_flight);
	rtt_sample(sk, s, false);
	return 0;
}

NST_TP_FLAVOURS(sock, inet_sock_set_state, (const struct sock *sk, const int oldstate, const int newstate),
		on_state_btf(sk, oldstate, newstate),
		inet_sock_set_state, on_state_record(args))

/* tcp_retransmit_skb and tcp_send_reset gained an argument in newer kernels: read it only where the
 * kernel passes it (targ_* set by the user side from BTF; the verifier prunes the other branch). */
SEC("tp_btf/tcp_retransmit_skb")
int tcp_retransmit_skb_tp_btf(__u64 *ctx)
{
	return on_retransmit((const struct sock *)ctx[0], (const struct sk_buff *)ctx[1], targ_retrans_err ? (int)ctx[2] : 0);
}
SEC("raw_tp/tcp_retransmit_skb")
int tcp_retransmit_skb_raw_tp(__u64 *ctx)
{
	return on_retransmit((const struct sock *)ctx[0], (const struct sk_buff *)ctx[1], targ_retrans_err ? (int)ctx[2] : 0);
}
/* Before tcp_retransmit_skb and tcp_send_reset had records of their own (6.10), both used the
 * tcp_event_sk_skb template's: the same first members. */
struct trace_event_raw_tcp_event_sk_skb___old {
	struct trace_entry ent;
	const void *skbaddr;
	const void *skaddr;
} __attribute__((preserve_access_index));

SEC("tracepoint/tcp/tcp_retransmit_skb")
int tcp_retransmit_skb_tp(void *ctx)
{
	struct trace_event_raw_tcp_retransmit_skb *args = ctx;
	struct trace_event_raw_tcp_event_sk_skb___old *old = ctx;
	int err = 0;

	if (!bpf_core_type_exists(struct trace_event_raw_tcp_retransmit_skb))
		return on_retransmit((const struct sock *)BPF_CORE_READ(old, skaddr), (const struct sk_buff *)BPF_CORE_READ(old, skbaddr), 0);
	if (bpf_core_field_exists(args->err))
		err = BPF_CORE_READ(args, err);
	return on_retransmit((const struct sock *)BPF_CORE_READ(args, skaddr), (const struct sk_buff *)BPF_CORE_READ(args, skbaddr), err);
}

NST_TP_FLAVOURS(tcp, tcp_retransmit_synack, (const struct sock *sk, const struct request_sock *req), on_synack(req),
		tcp_retransmit_synack, on_synack(BPF_CORE_READ(args, req)))

SEC("tp_btf/tcp_send_reset")
int tcp_send_reset_tp_btf(__u64 *ctx)
{
	return on_reset_sent((const struct sock *)ctx[0], (struct sk_buff *)ctx[1], targ_rst_reason ? (__u32)ctx[2] : 0);
}
SEC("raw_tp/tcp_send_reset")
int tcp_send_reset_raw_tp(__u64 *ctx)
{
	return on_reset_sent((const struct sock *)ctx[0], (struct sk_buff *)ctx[1], targ_rst_reason ? (__u32)ctx[2] : 0);
}
SEC("tracepoint/tcp/tcp_send_reset")
int tcp_send_reset_tp(void *ctx)
{
	struct trace_event_raw_tcp_send_reset *args = ctx;
	struct trace_event_raw_tcp_event_sk_skb___old *old = ctx;
	__u32 reason = 0;

	if (!bpf_core_type_exists(struct trace_event_raw_tcp_send_reset))
		return on_reset_sent((const struct sock *)BPF_CORE_READ(old, skaddr), (struct sk_buff *)BPF_CORE_READ(old, skbaddr), 0);
	if (bpf_core_field_exists(args->reason))
		reason = BPF_CORE_READ(args, reason);
	return on_reset_sent((const struct sock *)BPF_CORE_READ(args, skaddr), (struct sk_buff *)BPF_CORE_READ(args, skbaddr), reason);
}

NST_TP_FLAVOURS(tcp, tcp_receive_reset, (struct sock *sk), on_reset_received(sk),
		tcp_event_sk, on_reset_received((const struct sock *)BPF_CORE_READ(args, skaddr)))
NST_TP_FLAVOURS(tcp, tcp_rcv_space_adjust, (struct sock *sk), on_io(sk),
		tcp_event_sk, on_io((const struct sock *)BPF_CORE_READ(args, skaddr)))
/* The classic record of tcp_sendmsg_locked has no socket: BTF flavours only. */
NST_BTF_FLAVOURS(tcp_sendmsg_locked, (const struct sock *sk, const struct msghdr *msg, const struct sk_buff *skb, int size_goal),
		 on_io(sk))
/* The classic record names its socket only since 6.3 (skaddr); before, this flavour has nothing to
 * go on and the BTF flavours (which every such kernel has) are the ones chosen. */
NST_TP_FLAVOURS(tcp, tcp_probe, (struct sock *sk, const struct sk_buff *skb), on_probe(sk),
		tcp_probe, bpf_core_field_exists(args->skaddr) ? on_probe((const struct sock *)BPF_CORE_READ(args, skaddr)) : 0)

#include "netstrata/kfree_skb_flavours.h"

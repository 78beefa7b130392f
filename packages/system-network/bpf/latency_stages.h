/* The stage cores of both latency tools, one per hook: what each stage does to a packet's session.
 * RX sessions start at the socket queue, back-dated to the device by the kernel's RX timestamp
 * (--stages: at the device); UDP datagrams wait in their socket's FIFO, because no tracepoint sees
 * a UDP skb when the application reads it (udp_recvmsg copies linear skbs without one). TX sessions
 * start at the device queue and pick up the send call and (--stages) the IP-layer times that came
 * before. The handlers are in latency_flavours.h. */
#ifndef LATENCY_STAGES_H
#define LATENCY_STAGES_H

#include "latency_sessions.h"

static __always_inline int on_netif_receive_skb(void *ctx, struct sk_buff *skb)
{
	__u32 key = 0;
	__u64 *cur = bpf_map_lookup_elem(&rx_current, &key);

	if (cur)
		*cur = (__u64)skb;
	lat_start(ctx, skb, LAT_DIR_RX, nst_skb_data_off(skb), LAT_RX_DEVICE);
	return 0;
}

/* A UDP datagram queued to its socket joins the socket's FIFO: followed (s, stamped here) or as a
 * placeholder (s NULL) that keeps the FIFO in step with the queue. Returns whether s was queued. */
static __always_inline bool lat_fifo_push(void *ctx, const struct sock *sk, struct lat_session *s)
{
	__u64 skaddr = (__u64)sk;
	struct lat_fifo *f = bpf_map_lookup_elem(&fifos, &skaddr);

	if (!f) {
		if (!s)
			return false;
		/* Another CPU may create it at the same moment: then this datagram joins that one. */
		int created = !bpf_map_update_elem(&fifos, &skaddr, &zero.fifo, BPF_NOEXIST);

		f = bpf_map_lookup_elem(&fifos, &skaddr);
		if (!f) {
			nst_count_loss(NST_MAP_FULL);
			return false;
		}
		if (created) {
			/* Datagrams queued before this one (not followed) are read first. */
			struct udp_sock *up = (struct udp_sock *)sk;
			__u32 queued = BPF_CORE_READ(sk, sk_receive_queue.qlen) + BPF_CORE_READ(up, reader_queue.qlen);

			f->skip = queued ? queued - 1 : 0;
		}
	}
	__u32 tail = f->tail;

	if (tail - f->head >= LAT_FIFO_DEPTH) {
		/* The application is this far behind: this datagram is not followed, and from here on
		 * the socket's FIFO no longer matches its queue, so following stops for the socket. */
		nst_count_loss(NST_MAP_FULL);
		bpf_map_delete_elem(&fifos, &skaddr);
		return false;
	}
	struct lat_session *slot = &f->e[tail & (LAT_FIFO_DEPTH - 1)];

	if (s) {
		__u64 now = bpf_ktime_get_ns();

		lat_note_step(ctx, s, LAT_RX_QUEUED, now);
		s->ts[LAT_RX_QUEUED] = now;
		__builtin_memcpy(slot, s, sizeof(*slot));
	} else {
		slot->tracked = 0;
	}
	f->tail = tail + 1;
	return s != NULL;
}

/* skb->tstamp_type (6.11+) or mono_delivery_time (before): a stamp that is not CLOCK_REALTIME. */
struct sk_buff___old {
	__u8 mono_delivery_time: 1;
} __attribute__((preserve_access_index));

/* Default RX: when the device received the packet, from the kernel's own software RX timestamp
 * (CLOCK_REALTIME, taken at netif_rx / netif_receive_skb while some socket asks for timestamps:
 * the user side keeps one open). 0 when the skb carries none, or one of another clock. */
static __always_inline __u64 lat_rx_device_ts(struct sk_buff *skb, __u64 now)
{
	__s64 stamp = LAT_READ(skb, struct sk_buff, tstamp);
	__u64 *off;

	if (stamp <= 0)
		return 0;
	if (bpf_core_field_exists(skb->tstamp_type)) {
		if (targ_direct_reads ? BPF_CORE_READ_BITFIELD(LAT_K(skb, struct sk_buff), tstamp_type) : BPF_CORE_READ_BITFIELD_PROBED(skb, tstamp_type))
			return 0;
	} else if (bpf_core_field_exists(((struct sk_buff___old *)0)->mono_delivery_time)) {
		if (BPF_CORE_READ_BITFIELD_PROBED((struct sk_buff___old *)skb, mono_delivery_time))
			return 0;
	}
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_ktime_get_tai_ns))
		return 0;
	off = lat_global(LAT_G_TAI_OFF);
	if (!off)
		return 0;
	__u64 real = bpf_ktime_get_tai_ns() - *off;

	if ((__u64)stamp > real || real - stamp > LAT_STAMP_MAX_AGE_NS || real - stamp >= now)
		return 0;
	return now - (real - stamp);
}

/* Default RX: a session starts when the packet is queued to its socket (the tail of the receive
 * queue), back-dated to the device by the kernel's RX timestamp. Fills s; false when the packet
 * is not followed (filters, --sample, nothing to read). */
static __always_inline bool lat_rx_queued_start(const struct sock *sk, struct sk_buff *skb, __u16 proto, struct lat_session *s)
{
	__u32 ifindex = 0, netns = 0;

	/* Device and namespace are read only when a filter or the details need them. */
	if (targ_filter.ifindex || LAT_DETAILS)
		ifindex = BPF_CORE_READ(skb, skb_iif);
	if (targ_filter.netns || LAT_DETAILS)
		netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (!nst_dev_pass(ifindex, netns))
		return false;
	if (nst_filter_needs_headers() || LAT_DETAILS) {
		nst_skb_flow(skb, &s->flow);
		if (nst_filter_needs_headers() && !nst_flow_pass(&s->flow))
			return false;
	}
	if (!lat_sampled(LAT_DIR_RX))
		return false;
#if LAT_DETAILS
	struct net_device *dev = BPF_CORE_READ(skb, dev);

	nst_skb_ident(skb, BPF_CORE_READ(skb, network_header), &s->ident);
	if (dev)
		bpf_probe_read_kernel_str(s->dev, sizeof(s->dev), dev->name);
	s->len = BPF_CORE_READ(skb, len);
#endif
	/* The read checks the datagram was this socket's by its port. */
	s->flow.dport = LAT_READ(sk, struct sock, __sk_common.skc_num);
	s->ifindex = ifindex;
	s->netns = netns;
	s->dir = LAT_DIR_RX;
	s->tracked = 1;
	s->skb = (__u64)skb;
	__u64 now = bpf_ktime_get_ns();

	s->ts[LAT_RX_DEVICE] = lat_rx_device_ts(skb, now);
	if (!s->ts[LAT_RX_DEVICE])
		lat_count(LAT_DIR_RX, LAT_UNSTAMPED);
	lat_task(&s->first_cpu, &s->first_pid, s->first_comm);
	return true;
}

static __always_inline int lat_rx_queued(void *ctx, const struct sock *sk, __u16 proto)
{
	struct sk_buff *tail = LAT_READ(sk, struct sock, sk_receive_queue.prev);
	bool queued = (void *)tail != (void *)&sk->sk_receive_queue;
	struct lat_session s = {};

	if (proto == NST_IPPROTO_TCP) {
		/* Data merged into a tail already followed stays with it; a FIN alone is never read. */
		if (!queued || !BPF_CORE_READ(tail, len) || lat_lookup(tail, LAT_DIR_RX))
			return 0;
		if (!lat_rx_queued_start(sk, tail, proto, &s))
			return 0;
		struct lat_key key = { .skb = (__u64)tail, .dir = LAT_DIR_RX };
		__u64 now = bpf_ktime_get_ns();

		s.ts[LAT_RX_QUEUED] = now;
		if (!bpf_map_update_elem(&sessions, &key, &s, BPF_ANY))
			lat_count(LAT_DIR_RX, LAT_STARTED);
		return 0;
	}
	/* UDP: the reader may already have taken it (the queue is empty): a placeholder then. */
	bool follow = queued && lat_rx_queued_start(sk, tail, proto, &s);

	if (lat_fifo_push(ctx, sk, follow ? &s : NULL))
		lat_count(LAT_DIR_RX, LAT_STARTED);
	return 0;
}

/* TCP: the segment just queued is the tail of the receive queue (the tail it was merged into, if
 * it was coalesced). UDP: the datagram joins the socket's FIFO (--stages: the one this CPU is
 * delivering, carried from the device). */
static __always_inline int on_sk_data_ready(void *ctx, const struct sock *sk)
{
	__u16 proto = LAT_READ(sk, struct sock, sk_protocol);
	__u32 key = 0;

	if (proto != NST_IPPROTO_TCP && proto != NST_IPPROTO_UDP)
		return 0;
	if (!targ_stages)
		return lat_rx_queued(ctx, sk, proto);
	if (proto == NST_IPPROTO_TCP) {
		struct sk_buff *tail = BPF_CORE_READ(sk, sk_receive_queue.prev);

		if ((void *)tail != (void *)&sk->sk_receive_queue)
			lat_stamp(ctx, tail, LAT_DIR_RX, LAT_RX_QUEUED);
		return 0;
	}
	__u64 *cur = bpf_map_lookup_elem(&rx_current, &key);

	if (!cur || !*cur)
		return 0;
	__u64 skb = *cur;
	struct lat_session *s = lat_lookup((void *)skb, LAT_DIR_RX);

	*cur = 0;
	/* Queued or not, the session leaves the skb: it lives in the FIFO from here on. */
	lat_fifo_push(ctx, sk, s);
	if (s)
		lat_delete((void *)skb, LAT_DIR_RX);
	return 0;
}

static __always_inline int on_skb_copy_datagram_iovec(void *ctx, const struct sk_buff *skb)
{
	lat_finish_skb(ctx, skb, LAT_DIR_RX, LAT_RX_READ);
	return 0;
}

#define LAT_MSG_PEEK 2

static __always_inline int on_sock_recv_length(void *ctx, struct sock *sk, int ret, int flags)
{
	__u64 skaddr = (__u64)sk;
	struct lat_fifo *f;

	if (ret < 0 || (flags & LAT_MSG_PEEK))
		return 0;
	f = bpf_map_lookup_elem(&fifos, &skaddr);
	if (!f)
		return 0;
	if (LAT_READ(sk, struct sock, sk_protocol) != NST_IPPROTO_UDP)
		return 0;
	if (f->skip) {
		f->skip--;
		return 0;
	}
	__u32 head = f->head;

	if (head == f->tail) {
		lat_count(LAT_DIR_RX, LAT_UNTRACKED);
		return 0;
	}
	struct lat_session s;

	__builtin_memcpy(&s, &f->e[head & (LAT_FIFO_DEPTH - 1)], sizeof(s));
	/* An empty FIFO stays (the LRU ages out idle sockets): deleting it here would race with a
	 * datagram another CPU is adding to it. */
	f->head = head + 1;
	if (!s.tracked)
		return 0;
	/* A FIFO left by a closed socket whose address a new socket now has: its datagrams were
	 * never this socket's. Start over, and count the read as one not attributed. */
	if (s.flow.dport != LAT_READ(sk, struct sock, __sk_common.skc_num)) {
		f->head = f->tail;
		f->skip = 0;
		lat_count(LAT_DIR_RX, LAT_UNTRACKED);
		return 0;
	}
	lat_finish(ctx, &s, 0, LAT_RX_READ);
	return 0;
}

static __always_inline int on_net_dev_queue(void *ctx, struct sk_buff *skb)
{
	lat_start(ctx, skb, LAT_DIR_TX, LAT_READ(skb, struct sk_buff, network_header), LAT_TX_QUEUE);
	return 0;
}

/* Queued: it leaves later, maybe from another CPU, so it is set down in the shared map. */
static __always_inline int on_qdisc_enqueue(void *ctx, const struct sk_buff *skb)
{
	struct lat_carry *c = lat_carry_of(LAT_DIR_TX);

	lat_stamp(ctx, skb, LAT_DIR_TX, LAT_TX_ENQUEUE);
	if (c && c->skb == (__u64)skb)
		lat_set_down(c);
	return 0;
}

/* A dequeue can hand over a short list (bulk dequeue): stamp each skb on it. */
#define LAT_BULK_MAX 8

static __always_inline int on_qdisc_dequeue(void *ctx, struct sk_buff *skb, int packets)
{
#pragma unroll
	for (int i = 0; i < LAT_BULK_MAX; i++) {
		if (!skb || i >= packets)
			break;
		lat_stamp(ctx, skb, LAT_DIR_TX, LAT_TX_DEQUEUE);
		skb = BPF_CORE_READ(skb, next);
	}
	return 0;
}

static __always_inline int on_net_dev_start_xmit(void *ctx, const struct sk_buff *skb)
{
	lat_stamp(ctx, skb, LAT_DIR_TX, LAT_TX_START);
	return 0;
}

/* The session kept under a sent or dropped skb's address, if it is this packet's. A GSO packet's
 * session is not when the skb there is no longer GSO or starts at another sequence number: that
 * packet was split and freed unseen (by default skb:consume_skb is not hooked), and the address
 * now holds another packet (a segment here, or a packet on an earlier hop on its way to the
 * device). The stale session goes; its copy in `gso` still waits for its own last segment. */
static __always_inline struct lat_session *lat_tx_own(const struct sk_buff *skb, struct lat_gso_key *k)
{
	struct lat_session *s = lat_lookup(skb, LAT_DIR_TX);
	__u32 seq;

	if (!s || !s->gso)
		return s;
	if (lat_gso_segs(skb) > 1 && lat_tcp_span(skb, BPF_CORE_READ(skb, network_header), k, &seq) && seq == s->ident.tcp_seq)
		return s;
	lat_delete(skb, LAT_DIR_TX);
	return NULL;
}

/* The last segment of a split GSO packet is sent: the packet is done, as segmented. Its own
 * session, if still kept under its address, goes too (the address may be another skb's by now). */
static __always_inline void lat_segment_sent(void *ctx, struct sk_buff *skb)
{
	struct lat_gso_key k;
	struct lat_session *g = lat_gso_segment_of(skb, &k);

	if (!g)
		return;
	struct lat_session *own = lat_lookup((void *)g->skb, LAT_DIR_TX);

	if (own && own->ts[LAT_TX_QUEUE] == g->ts[LAT_TX_QUEUE])
		lat_delete((void *)g->skb, LAT_DIR_TX);
	lat_finish_as(ctx, g, g->skb, LAT_TX_DONE, LAT_SEGMENTED);
	lat_count_n(LAT_DIR_TX, LAT_SEGMENTS, g->gso);
	if (!bpf_map_delete_elem(&gso, &k))
		lat_gso_open_add(-1);
}

static __always_inline int on_net_dev_xmit(void *ctx, const struct sk_buff *skb, int rc)
{
	/* NETDEV_TX_BUSY: the skb is requeued and will be sent again. */
	if (rc)
		return 0;
	struct lat_gso_key k;
	struct lat_session *s = lat_tx_own(skb, &k);

	if (s) {
		/* A GSO packet sent whole: lat_tx_own read its key. */
		if (s->gso)
			lat_gso_forget_key(&k);
		lat_finish(ctx, s, (__u64)skb, LAT_TX_DONE);
		lat_delete(skb, LAT_DIR_TX);
		return 0;
	}
	lat_segment_sent(ctx, (struct sk_buff *)skb);
	return 0;
}

/* skb:kfree_skb: a followed packet dropped, with the kernel's reason (a GSO packet also when its
 * last segment is dropped). */
static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct lat_gso_key k;
	struct lat_session *s = lat_tx_own(skb, &k);

	if (s) {
		if (s->gso)
			lat_gso_forget_key(&k);
		lat_dropped(LAT_DIR_TX, reason);
		lat_delete(skb, LAT_DIR_TX);
	} else {
		struct lat_session *g = lat_gso_segment_of(skb, &k);

		if (g) {
			struct lat_session *own = lat_lookup((void *)g->skb, LAT_DIR_TX);

			if (own && own->ts[LAT_TX_QUEUE] == g->ts[LAT_TX_QUEUE])
				lat_delete((void *)g->skb, LAT_DIR_TX);
			lat_dropped(LAT_DIR_TX, reason);
			if (!bpf_map_delete_elem(&gso, &k))
				lat_gso_open_add(-1);
		}
	}
	if (lat_lookup(skb, LAT_DIR_RX)) {
		lat_dropped(LAT_DIR_RX, reason);
		lat_delete(skb, LAT_DIR_RX);
	}
	return 0;
}

/* --stages, skb:consume_skb: freed without a drop before the last stage. A driver that frees the
 * skb inside ndo_start_xmit has sent it; a GSO packet freed once split lives on in its copy. */
static __always_inline int on_consume(void *ctx, const struct sk_buff *skb)
{
	struct lat_session *s = lat_lookup(skb, LAT_DIR_TX);

	if (s) {
		if (s->ts[LAT_TX_START]) {
			lat_gso_forget(skb, s);
			lat_finish(ctx, s, (__u64)skb, LAT_TX_DONE);
		} else if (!s->gso) {
			lat_count(LAT_DIR_TX, LAT_CONSUMED);
		}
		lat_delete(skb, LAT_DIR_TX);
	}
	if (lat_lookup(skb, LAT_DIR_RX)) {
		lat_count(LAT_DIR_RX, LAT_CONSUMED);
		lat_delete(skb, LAT_DIR_RX);
	}
	return 0;
}

/* A TCP send call hands data to the socket: it will start at the socket's write_seq. */
static __always_inline int on_tcp_sendmsg_locked(const struct sock *sk)
{
	if (!nst_sock_pass(sk, NST_IPPROTO_TCP))
		return 0;
	struct lat_send_key key = { .sk = (__u64)sk, .seq = BPF_CORE_READ((struct tcp_sock *)sk, write_seq) };
	__u64 now = bpf_ktime_get_ns();

	/* The first call for this sequence is the send; an LRU never refuses. */
	bpf_map_update_elem(&tcp_sends, &key, &now, BPF_NOEXIST);
	return 0;
}

static __always_inline bool lat_task_netns_pass(void)
{
	if (!targ_filter.netns)
		return true;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, nsproxy, net_ns, ns.inum) == targ_filter.netns;
}

/* A send system call begins: one run per call, whatever the datagrams it sends (sendmmsg). */
static __always_inline int on_send_enter(long nr)
{
	if (!lat_task_netns_pass())
		return 0;
	__u32 key = 0;
	struct lat_send *v = bpf_map_lookup_elem(&udp_sends, &key);

	if (v) {
		v->ts = bpf_ktime_get_ns();
		v->nr = nr;
		v->tid = (__u32)bpf_get_current_pid_tgid();
	}
	return 0;
}

/* Function stages. RX: the session exists from the device on; stamp it. */
static __always_inline int on_rx_fn(void *ctx, const struct sk_buff *skb, __u32 stage)
{
	lat_stamp(ctx, skb, LAT_DIR_RX, stage);
	return 0;
}

/* TX: before the device there is no session yet; keep the time by skb until net_dev_queue. */
static __always_inline int on_tx_fn(void *ctx, struct sk_buff *skb, __u32 stage)
{
	struct sock *sk = BPF_CORE_READ(skb, sk);
	__u64 addr = (__u64)skb, now;
	struct lat_early *e;

	if (sk && !nst_sock_skb_pass(sk, skb))
		return 0;
	now = bpf_ktime_get_ns();
	e = bpf_map_lookup_elem(&tx_early, &addr);
	if (!e) {
		struct lat_early init = {};

		if (stage == LAT_TX_IP)
			init.ip = now;
		else
			init.output = now;
		if (bpf_map_update_elem(&tx_early, &addr, &init, BPF_ANY))
			nst_count_loss(NST_MAP_FULL);
		return 0;
	}
	if (stage == LAT_TX_IP)
		e->ip = now;
	else if (!e->output)
		e->output = now;
	return 0;
}

#endif

/* The stage cores of both latency tools, one per hook: what each stage does to a packet's session.
 * RX sessions start at the device; UDP datagrams wait in their socket's FIFO, because no tracepoint
 * sees a UDP skb when the application reads it. TX sessions start at the device queue and pick up
 * the send call and the IP-layer times that came before. The handlers are in latency_flavours.h. */
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

/* TCP: the segment just queued is the tail of the receive queue (the tail it was merged into, if
 * it was coalesced). UDP: the datagram this CPU is delivering joins the socket's FIFO. */
static __always_inline int on_sk_data_ready(void *ctx, const struct sock *sk)
{
	__u16 proto = BPF_CORE_READ(sk, sk_protocol);
	__u64 skaddr = (__u64)sk;
	__u32 key = 0;

	if (proto == NST_IPPROTO_TCP) {
		struct sk_buff *tail = BPF_CORE_READ(sk, sk_receive_queue.prev);

		if ((void *)tail != (void *)&sk->sk_receive_queue)
			lat_stamp(ctx, tail, LAT_DIR_RX, LAT_RX_QUEUED);
		return 0;
	}
	if (proto != NST_IPPROTO_UDP)
		return 0;
	__u64 *cur = bpf_map_lookup_elem(&rx_current, &key);

	if (!cur || !*cur)
		return 0;
	__u64 skb = *cur;
	struct lat_session *s = lat_lookup((void *)skb, LAT_DIR_RX);
	struct lat_fifo *f = bpf_map_lookup_elem(&fifos, &skaddr);

	*cur = 0;
	if (!f) {
		if (!s)
			return 0;
		/* Another CPU may create it at the same moment: then this datagram joins that one. */
		int created = !bpf_map_update_elem(&fifos, &skaddr, &zero.fifo, BPF_NOEXIST);

		f = bpf_map_lookup_elem(&fifos, &skaddr);
		if (!f) {
			nst_count_loss(NST_MAP_FULL);
			lat_delete((void *)skb, LAT_DIR_RX);
			return 0;
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
		if (s)
			lat_delete((void *)skb, LAT_DIR_RX);
		bpf_map_delete_elem(&fifos, &skaddr);
		return 0;
	}
	struct lat_session *slot = &f->e[tail & (LAT_FIFO_DEPTH - 1)];

	if (s) {
		__u64 now = bpf_ktime_get_ns();

		lat_note_step(ctx, s, LAT_RX_QUEUED, now);
		s->ts[LAT_RX_QUEUED] = now;
		__builtin_memcpy(slot, s, sizeof(*slot));
		lat_delete((void *)skb, LAT_DIR_RX);
	} else {
		slot->tracked = 0;
	}
	f->tail = tail + 1;
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
	if (BPF_CORE_READ(sk, sk_protocol) != NST_IPPROTO_UDP)
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
	if (s.flow.dport != BPF_CORE_READ(sk, __sk_common.skc_num)) {
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
	lat_start(ctx, skb, LAT_DIR_TX, BPF_CORE_READ(skb, network_header), LAT_TX_QUEUE);
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

static __always_inline int on_net_dev_xmit(void *ctx, const struct sk_buff *skb, int rc)
{
	/* NETDEV_TX_BUSY: the skb is requeued and will be sent again. */
	if (rc)
		return 0;
	lat_finish_skb(ctx, skb, LAT_DIR_TX, LAT_TX_DONE);
	return 0;
}

/* An skb freed with a session still open did not reach its last stage, except one a driver
 * frees inside ndo_start_xmit (the transmission is done then). */
static __always_inline int on_free(void *ctx, const struct sk_buff *skb)
{
	struct lat_session *s = lat_lookup(skb, LAT_DIR_TX);

	if (s) {
		if (s->ts[LAT_TX_START])
			lat_finish(ctx, s, (__u64)skb, LAT_TX_DONE);
		else
			lat_count(LAT_DIR_TX, LAT_INCOMPLETE);
		lat_delete(skb, LAT_DIR_TX);
	}
	if (lat_lookup(skb, LAT_DIR_RX)) {
		lat_count(LAT_DIR_RX, LAT_INCOMPLETE);
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

static __always_inline int on_send_enter(void)
{
	if (!lat_task_netns_pass())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&udp_sends, &tid, &now, BPF_ANY);
	return 0;
}

static __always_inline int on_send_exit(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&udp_sends, &tid);
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

	if (sk && !nst_sock_pass(sk, BPF_CORE_READ(sk, sk_protocol)))
		return 0;
	now = bpf_ktime_get_ns();
	e = bpf_map_lookup_elem(&tx_early, &addr);
	if (!e) {
		struct lat_early init = {};

		if (stage == LAT_TX_IP)
			init.ip = now;
		else
			init.output = now;
		bpf_map_update_elem(&tx_early, &addr, &init, BPF_ANY);
		return 0;
	}
	if (stage == LAT_TX_IP)
		e->ip = now;
	else if (!e->output)
		e->output = now;
	return 0;
}

#endif

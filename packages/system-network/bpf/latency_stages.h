/* The stage and session machinery both latency tools share: every hook in every flavour, one
 * session per skb keyed by its address and direction in an LRU map, started only at the first
 * stage and only for packets that pass the filters (later stages cost one hash lookup), and for
 * UDP reads a per-socket FIFO, because no tracepoint sees a UDP skb when the application reads it.
 *
 * The including program defines, before including this file,
 *   #define LAT_DETAILS 0 or 1   (1: fill flow, identity, device and task fields in the session)
 *   static __always_inline void lat_on_complete(void *ctx, struct lat_session *s, __u64 skb);
 * which runs once per packet that reached the last stage of its direction. */
#ifndef LATENCY_STAGES_H
#define LATENCY_STAGES_H

#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "system_network_latency.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_SESSIONS_MAX);
	__type(key, struct lat_key);
	__type(value, struct lat_session);
} sessions SEC(".maps");

/* The session each CPU carries through one synchronous stretch of the path (dev_queue_xmit to the
 * driver on send; device to socket queue for UDP on receive), per direction. Most packets finish
 * that stretch on the CPU that started it and never touch the shared map; a session that has to
 * wait (in a qdisc, say) or that the CPU must set down for the next packet moves to `sessions`. */
struct lat_carry {
	__u64 skb;                     /* 0: empty */
	struct lat_session s;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LAT_DIRS);
	__type(key, __u32);
	__type(value, struct lat_carry);
} carry SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_SOCKS_MAX);
	__type(key, __u64);
	__type(value, struct lat_fifo);
} fifos SEC(".maps");

/* Never written: the zeroed value a new FIFO is created from (too large for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lat_fifo);
} fifo_zero SEC(".maps");

/* The skb this CPU is delivering: net:netif_receive_skb and the sock:sk_data_ready it causes run
 * back to back in one softirq on one CPU, and sk_data_ready names only the socket. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rx_current SEC(".maps");

/* TCP send calls by (socket, first sequence number), until the segment that starts there is queued
 * to a device. Data appended to an unsent segment belongs to that segment's (earlier) send. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_SENDS_MAX);
	__type(key, struct lat_send_key);
	__type(value, __u64);
} tcp_sends SEC(".maps");

/* UDP: the thread in a send system call, and when it entered it (its datagrams go out inside it). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_SENDS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} udp_sends SEC(".maps");

/* TX function stages (IP layer) of a packet whose session starts later, at the device. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_EARLY_MAX);
	__type(key, __u64);
	__type(value, struct lat_early);
} tx_early SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LAT_DIRS * LAT_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline void lat_count(__u32 dir, __u32 counter)
{
	__u32 key = dir * LAT_COUNTERS + counter;
	__u64 *v;

	if (key >= LAT_DIRS * LAT_COUNTERS)
		return;
	v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		*v += 1;
}

static __always_inline void lat_task(__u32 *cpu, __u32 *pid, char *comm)
{
#if LAT_DETAILS
	*cpu = bpf_get_smp_processor_id();
	*pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(comm, LAT_COMM_LEN);
#endif
}

/* Before a TX session starts at the device: the send call that produced the packet, and the IP
 * layer function stages it passed (when those hooks run). */
static __always_inline void lat_tx_before(struct sk_buff *skb, __u16 nh, struct lat_session *s)
{
	__u64 addr = (__u64)skb;
	struct lat_early *early = bpf_map_lookup_elem(&tx_early, &addr);
	struct sock *sk = BPF_CORE_READ(skb, sk);

	if (early) {
		s->ts[LAT_TX_IP] = early->ip;
		s->ts[LAT_TX_OUTPUT] = early->output;
		bpf_map_delete_elem(&tx_early, &addr);
	}
	if (!sk)
		return;
	__u16 proto = BPF_CORE_READ(sk, sk_protocol);
	__u64 *t;

	if (proto == NST_IPPROTO_TCP) {
		if (!s->ident.tcp_seq)
			nst_skb_ident(skb, nh, &s->ident);
		struct lat_send_key key = { .sk = (__u64)sk, .seq = s->ident.tcp_seq };

		t = bpf_map_lookup_elem(&tcp_sends, &key);
		if (t) {
			s->ts[LAT_TX_SEND] = *t;
			bpf_map_delete_elem(&tcp_sends, &key);
		}
	} else if (proto == NST_IPPROTO_UDP) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();

		t = bpf_map_lookup_elem(&udp_sends, &tid);
		if (t)
			s->ts[LAT_TX_SEND] = *t;
	}
}

#if LAT_DETAILS
/* details --stack: per session, the stack where its slowest step so far ended (sized to 1 entry
 * before load without --stack). A step ending at the last stage takes its stack at submit. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_STACKS_MAX);
	__type(key, struct lat_key);
	__type(value, struct lat_stack);
} slow_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lat_stack);
} stack_zero SEC(".maps");

/* A stage is reached at `now`: the step from the previous stage passed ends here. */
static __always_inline void lat_note_step(void *ctx, struct lat_session *s, __u32 stage, __u64 now)
{
	__u64 prev = 0;

#pragma unroll
	for (int i = 0; i < LAT_STAGES; i++)
		if (i < stage && s->ts[i] > prev)
			prev = s->ts[i];
	if (!prev || now - prev < s->worst_ns)
		return;
	s->worst_ns = now - prev;
	if (!targ_stack)
		return;
	struct lat_key key = { .skb = s->skb, .dir = s->dir };
	struct lat_stack *st = bpf_map_lookup_elem(&slow_stacks, &key);

	if (!st) {
		__u32 zero = 0;
		struct lat_stack *z = bpf_map_lookup_elem(&stack_zero, &zero);

		if (!z)
			return;
		bpf_map_update_elem(&slow_stacks, &key, z, BPF_ANY);
		st = bpf_map_lookup_elem(&slow_stacks, &key);
		if (!st)
			return;
	}
	if (bpf_get_stack(ctx, st->ip, sizeof(st->ip), 0) < 0)
		st->ip[0] = 0;
}
#else
#define lat_note_step(ctx, s, stage, now) do { } while (0)
#endif

static __always_inline struct lat_carry *lat_carry_of(__u32 dir)
{
	__u32 key = dir & 1;

	return bpf_map_lookup_elem(&carry, &key);
}

/* The carried session moves to the shared map (it will be finished elsewhere, or later). */
static __always_inline void lat_set_down(struct lat_carry *c)
{
	if (!c || !c->skb)
		return;
	struct lat_key key = { .skb = c->skb, .dir = c->s.dir };

	bpf_map_update_elem(&sessions, &key, &c->s, BPF_ANY);
	c->skb = 0;
}

static __always_inline struct lat_session *lat_lookup(const void *skb, __u32 dir)
{
	struct lat_carry *c = lat_carry_of(dir);
	struct lat_key key = { .skb = (__u64)skb, .dir = dir };

	if (c && c->skb == (__u64)skb)
		return &c->s;
	return bpf_map_lookup_elem(&sessions, &key);
}

static __always_inline void lat_delete(const void *skb, __u32 dir)
{
	struct lat_carry *c = lat_carry_of(dir);
	struct lat_key key = { .skb = (__u64)skb, .dir = dir };

	if (c && c->skb == (__u64)skb)
		c->skb = 0;
	else
		bpf_map_delete_elem(&sessions, &key);
}

static __always_inline __u64 lat_last_ts(const struct lat_session *s)
{
	__u64 last = 0;

#pragma unroll
	for (int i = 0; i < LAT_STAGES; i++)
		if (s->ts[i] > last)
			last = s->ts[i];
	return last;
}

/* A session on an skb address that nothing touched for this long belongs to an earlier packet
 * whose end no hook saw (freed without a tracepoint: coalesced TCP data, GRO). A packet's own
 * second pass (a tunnel, a VLAN) comes within microseconds. */
#define LAT_STALE_NS 1000000ULL

/* First stage: filters, then a new session (an existing one keeps its first device). */
static __always_inline void lat_start(void *ctx, struct sk_buff *skb, __u32 dir, __u16 nh, __u32 slot)
{
	struct lat_key key = { .skb = (__u64)skb, .dir = dir };
	struct lat_session s = {};
	struct lat_session *old = lat_lookup(skb, dir);
	__u32 ifindex, netns;

	/* A stale one is replaced: it never completes, so it counts as evicted. */
	if (old && bpf_ktime_get_ns() - lat_last_ts(old) < LAT_STALE_NS)
		return;
	if (!nst_skb_pass_at(skb, nh, &ifindex, &netns, &s.flow, dir == LAT_DIR_RX || LAT_DETAILS))
		return;
	if (dir == LAT_DIR_RX) {
		/* Only packets an application reads have a read stage: UDP, and TCP segments with data
		 * (pure ACKs, SYNs and FINs end in the stack). */
		if (s.flow.protocol == NST_IPPROTO_TCP) {
			nst_skb_ident(skb, nh, &s.ident);
			if (!s.ident.l4_payload)
				return;
		} else if (s.flow.protocol != NST_IPPROTO_UDP) {
			return;
		}
	}
#if LAT_DETAILS
	struct net_device *dev = BPF_CORE_READ(skb, dev);

	if (dir == LAT_DIR_TX)
		nst_skb_ident(skb, nh, &s.ident);
	else if (s.flow.protocol != NST_IPPROTO_TCP)
		nst_skb_ident(skb, nh, &s.ident);
	if (dev)
		bpf_probe_read_kernel_str(s.dev, sizeof(s.dev), dev->name);
	s.len = BPF_CORE_READ(skb, len);
#endif
	s.ifindex = ifindex;
	s.netns = netns;
	s.dir = dir;
	s.tracked = 1;
	if (dir == LAT_DIR_TX)
		lat_tx_before(skb, nh, &s);
	if (slot >= LAT_STAGES)
		return;
	s.skb = (__u64)skb;
	__u64 now = bpf_ktime_get_ns();

	lat_note_step(ctx, &s, slot, now);
	s.ts[slot] = now;
	lat_task(&s.first_cpu, &s.first_pid, s.first_comm);
	/* Sent packets and UDP datagrams are carried by this CPU; TCP data waits for a read that can
	 * run anywhere, so it goes to the shared map at once. */
	struct lat_carry *c = dir == LAT_DIR_TX || s.flow.protocol == NST_IPPROTO_UDP ? lat_carry_of(dir) : NULL;

	if (old && !(c && c->skb == (__u64)skb))
		bpf_map_delete_elem(&sessions, &key);
	if (c) {
		if (c->skb != (__u64)skb)
			lat_set_down(c);
		__builtin_memcpy(&c->s, &s, sizeof(s));
		c->skb = (__u64)skb;
	} else if (bpf_map_update_elem(&sessions, &key, &s, BPF_ANY)) {
		/* An LRU map never refuses: it evicts its oldest session instead (counted by difference). */
		return;
	}
	lat_count(dir, LAT_STARTED);
}

static __always_inline void lat_stamp(void *ctx, const void *skb, __u32 dir, __u32 stage)
{
	struct lat_session *s = lat_lookup(skb, dir);

	if (s && stage < LAT_STAGES && !s->ts[stage]) {
		__u64 now = bpf_ktime_get_ns();

		lat_note_step(ctx, s, stage, now);
		s->ts[stage] = now;
	}
}

/* Last stage reached: the including program reports it, then the session ends. */
static __always_inline void lat_finish(void *ctx, struct lat_session *s, __u64 skb, __u32 stage)
{
	if (stage >= LAT_STAGES)
		return;
	s->ts[stage] = bpf_ktime_get_ns();
	lat_task(&s->last_cpu, &s->last_pid, s->last_comm);
	lat_count(s->dir, LAT_COMPLETED);
	lat_on_complete(ctx, s, skb);
}

static __always_inline void lat_finish_skb(void *ctx, const void *skb, __u32 dir, __u32 stage)
{
	struct lat_session *s = lat_lookup(skb, dir);

	if (!s)
		return;
	lat_finish(ctx, s, (__u64)skb, stage);
	lat_delete(skb, dir);
}

/* ---- the cores, one per hook ---- */

static __always_inline int on_netif_receive_skb(void *ctx, struct sk_buff *skb)
{
	__u32 zero = 0;
	__u64 *cur = bpf_map_lookup_elem(&rx_current, &zero);

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
	__u32 zero = 0;

	if (proto == NST_IPPROTO_TCP) {
		struct sk_buff *tail = BPF_CORE_READ(sk, sk_receive_queue.prev);

		if ((void *)tail != (void *)&sk->sk_receive_queue)
			lat_stamp(ctx, tail, LAT_DIR_RX, LAT_RX_QUEUED);
		return 0;
	}
	if (proto != NST_IPPROTO_UDP)
		return 0;
	__u64 *cur = bpf_map_lookup_elem(&rx_current, &zero);

	if (!cur || !*cur)
		return 0;
	__u64 skb = *cur;
	struct lat_session *s = lat_lookup((void *)skb, LAT_DIR_RX);
	struct lat_fifo *f = bpf_map_lookup_elem(&fifos, &skaddr);

	*cur = 0;
	if (!f) {
		if (!s)
			return 0;
		struct lat_fifo *z = bpf_map_lookup_elem(&fifo_zero, &zero);
		/* Another CPU may create it at the same moment: then this datagram joins that one. */
		int created = z ? !bpf_map_update_elem(&fifos, &skaddr, z, BPF_NOEXIST) : 0;

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

/* ---- thin handlers: tp_btf, raw_tp and classic tracepoint flavours of every hook ---- */

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(netif_receive_skb_tp_btf, struct sk_buff *skb) { return on_netif_receive_skb(ctx, skb); }
SEC("raw_tp/netif_receive_skb")
int BPF_PROG(netif_receive_skb_raw_tp, struct sk_buff *skb) { return on_netif_receive_skb(ctx, skb); }
SEC("tracepoint/net/netif_receive_skb")
int netif_receive_skb_tp(struct trace_event_raw_net_dev_template *args)
{
	return on_netif_receive_skb(args, (struct sk_buff *)BPF_CORE_READ(args, skbaddr));
}

SEC("tp_btf/sk_data_ready")
int BPF_PROG(sk_data_ready_tp_btf, const struct sock *sk) { return on_sk_data_ready(ctx, sk); }
SEC("raw_tp/sk_data_ready")
int BPF_PROG(sk_data_ready_raw_tp, const struct sock *sk) { return on_sk_data_ready(ctx, sk); }
SEC("tracepoint/sock/sk_data_ready")
int sk_data_ready_tp(struct trace_event_raw_sk_data_ready *args)
{
	return on_sk_data_ready(args, (const struct sock *)BPF_CORE_READ(args, skaddr));
}

SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(skb_copy_datagram_iovec_tp_btf, const struct sk_buff *skb, int len) { return on_skb_copy_datagram_iovec(ctx, skb); }
SEC("raw_tp/skb_copy_datagram_iovec")
int BPF_PROG(skb_copy_datagram_iovec_raw_tp, const struct sk_buff *skb, int len) { return on_skb_copy_datagram_iovec(ctx, skb); }
SEC("tracepoint/skb/skb_copy_datagram_iovec")
int skb_copy_datagram_iovec_tp(struct trace_event_raw_skb_copy_datagram_iovec *args)
{
	return on_skb_copy_datagram_iovec(args, BPF_CORE_READ(args, skbaddr));
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv_length_tp_btf, struct sock *sk, int ret, int flags) { return on_sock_recv_length(ctx, sk, ret, flags); }
SEC("raw_tp/sock_recv_length")
int BPF_PROG(sock_recv_length_raw_tp, struct sock *sk, int ret, int flags) { return on_sock_recv_length(ctx, sk, ret, flags); }
SEC("tracepoint/sock/sock_recv_length")
int sock_recv_length_tp(struct trace_event_raw_sock_msg_length *args)
{
	return on_sock_recv_length(args, (struct sock *)BPF_CORE_READ(args, sk), BPF_CORE_READ(args, ret), BPF_CORE_READ(args, flags));
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(net_dev_queue_tp_btf, struct sk_buff *skb) { return on_net_dev_queue(ctx, skb); }
SEC("raw_tp/net_dev_queue")
int BPF_PROG(net_dev_queue_raw_tp, struct sk_buff *skb) { return on_net_dev_queue(ctx, skb); }
SEC("tracepoint/net/net_dev_queue")
int net_dev_queue_tp(struct trace_event_raw_net_dev_template *args)
{
	return on_net_dev_queue(args, (struct sk_buff *)BPF_CORE_READ(args, skbaddr));
}

SEC("tp_btf/qdisc_enqueue")
int BPF_PROG(qdisc_enqueue_tp_btf, struct Qdisc *q, const struct netdev_queue *txq, struct sk_buff *skb) { return on_qdisc_enqueue(ctx, skb); }
SEC("raw_tp/qdisc_enqueue")
int BPF_PROG(qdisc_enqueue_raw_tp, struct Qdisc *q, const struct netdev_queue *txq, struct sk_buff *skb) { return on_qdisc_enqueue(ctx, skb); }
SEC("tracepoint/qdisc/qdisc_enqueue")
int qdisc_enqueue_tp(struct trace_event_raw_qdisc_enqueue *args)
{
	return on_qdisc_enqueue(args, (const struct sk_buff *)BPF_CORE_READ(args, skbaddr));
}

SEC("tp_btf/qdisc_dequeue")
int BPF_PROG(qdisc_dequeue_tp_btf, struct Qdisc *q, const struct netdev_queue *txq, int packets, struct sk_buff *skb) { return on_qdisc_dequeue(ctx, skb, packets); }
SEC("raw_tp/qdisc_dequeue")
int BPF_PROG(qdisc_dequeue_raw_tp, struct Qdisc *q, const struct netdev_queue *txq, int packets, struct sk_buff *skb) { return on_qdisc_dequeue(ctx, skb, packets); }
SEC("tracepoint/qdisc/qdisc_dequeue")
int qdisc_dequeue_tp(struct trace_event_raw_qdisc_dequeue *args)
{
	return on_qdisc_dequeue(args, (struct sk_buff *)BPF_CORE_READ(args, skbaddr), BPF_CORE_READ(args, packets));
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(net_dev_start_xmit_tp_btf, const struct sk_buff *skb, const struct net_device *dev) { return on_net_dev_start_xmit(ctx, skb); }
SEC("raw_tp/net_dev_start_xmit")
int BPF_PROG(net_dev_start_xmit_raw_tp, const struct sk_buff *skb, const struct net_device *dev) { return on_net_dev_start_xmit(ctx, skb); }
SEC("tracepoint/net/net_dev_start_xmit")
int net_dev_start_xmit_tp(struct trace_event_raw_net_dev_start_xmit *args)
{
	return on_net_dev_start_xmit(args, BPF_CORE_READ(args, skbaddr));
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(net_dev_xmit_tp_btf, struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len) { return on_net_dev_xmit(ctx, skb, rc); }
SEC("raw_tp/net_dev_xmit")
int BPF_PROG(net_dev_xmit_raw_tp, struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len) { return on_net_dev_xmit(ctx, skb, rc); }
SEC("tracepoint/net/net_dev_xmit")
int net_dev_xmit_tp(struct trace_event_raw_net_dev_xmit *args)
{
	return on_net_dev_xmit(args, (const struct sk_buff *)BPF_CORE_READ(args, skbaddr), BPF_CORE_READ(args, rc));
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_tp_btf, struct sk_buff *skb, void *location) { return on_free(ctx, skb); }
SEC("raw_tp/kfree_skb")
int BPF_PROG(kfree_skb_raw_tp, struct sk_buff *skb, void *location) { return on_free(ctx, skb); }
SEC("tracepoint/skb/kfree_skb")
int kfree_skb_tp(struct trace_event_raw_kfree_skb *args)
{
	return on_free(args, (const struct sk_buff *)BPF_CORE_READ(args, skbaddr));
}

SEC("tp_btf/consume_skb")
int BPF_PROG(consume_skb_tp_btf, struct sk_buff *skb, void *location) { return on_free(ctx, skb); }
SEC("raw_tp/consume_skb")
int BPF_PROG(consume_skb_raw_tp, struct sk_buff *skb, void *location) { return on_free(ctx, skb); }
SEC("tracepoint/skb/consume_skb")
int consume_skb_tp(struct trace_event_raw_consume_skb *args)
{
	return on_free(args, (const struct sk_buff *)BPF_CORE_READ(args, skbaddr));
}

/* The classic tracepoint does not carry the socket: tp_btf and raw_tp only. */
SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(tcp_sendmsg_locked_tp_btf, const struct sock *sk) { return on_tcp_sendmsg_locked(sk); }
SEC("raw_tp/tcp_sendmsg_locked")
int BPF_PROG(tcp_sendmsg_locked_raw_tp, const struct sock *sk) { return on_tcp_sendmsg_locked(sk); }

/* System call tracepoints exist only in the classic flavour. */
#define LAT_SEND_SYSCALL(name)								\
	SEC("tracepoint/syscalls/sys_enter_" #name)					\
	int sys_enter_##name##_tp(void *ctx) { return on_send_enter(); }		\
	SEC("tracepoint/syscalls/sys_exit_" #name)					\
	int sys_exit_##name##_tp(void *ctx) { return on_send_exit(); }
LAT_SEND_SYSCALL(sendto)
LAT_SEND_SYSCALL(sendmsg)
LAT_SEND_SYSCALL(sendmmsg)

/* Function stages, as fentry (BPF trampoline) and kprobe; `skb` names the sk_buff argument. */
#define LAT_FN(func, core, stage, skbarg, ...)						\
	SEC("fentry/" #func)								\
	int BPF_PROG(func##_fentry, __VA_ARGS__) { return core(ctx, skbarg, stage); }	\
	SEC("kprobe/" #func)								\
	int BPF_KPROBE(func##_kprobe, __VA_ARGS__) { return core(ctx, skbarg, stage); }

LAT_FN(ip_rcv, on_rx_fn, LAT_RX_IP, skb, struct sk_buff *skb)
LAT_FN(ipv6_rcv, on_rx_fn, LAT_RX_IP, skb, struct sk_buff *skb)
LAT_FN(ip_local_deliver, on_rx_fn, LAT_RX_LOCAL, skb, struct sk_buff *skb)
LAT_FN(ip6_input, on_rx_fn, LAT_RX_LOCAL, skb, struct sk_buff *skb)
LAT_FN(tcp_v4_rcv, on_rx_fn, LAT_RX_L4, skb, struct sk_buff *skb)
LAT_FN(udp_rcv, on_rx_fn, LAT_RX_L4, skb, struct sk_buff *skb)
LAT_FN(tcp_v6_rcv, on_rx_fn, LAT_RX_L4, skb, struct sk_buff *skb)
LAT_FN(udpv6_rcv, on_rx_fn, LAT_RX_L4, skb, struct sk_buff *skb)
LAT_FN(__ip_queue_xmit, on_tx_fn, LAT_TX_IP, skb, struct sock *sk, struct sk_buff *skb)
LAT_FN(ip6_xmit, on_tx_fn, LAT_TX_IP, skb, const struct sock *sk, struct sk_buff *skb)
LAT_FN(ip_send_skb, on_tx_fn, LAT_TX_IP, skb, struct net *net, struct sk_buff *skb)
LAT_FN(ip6_send_skb, on_tx_fn, LAT_TX_IP, skb, struct sk_buff *skb)
LAT_FN(ip_output, on_tx_fn, LAT_TX_OUTPUT, skb, struct net *net, struct sock *sk, struct sk_buff *skb)
LAT_FN(ip6_output, on_tx_fn, LAT_TX_OUTPUT, skb, struct net *net, struct sock *sk, struct sk_buff *skb)

#endif

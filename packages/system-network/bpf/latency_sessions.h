/* The session machinery both latency tools share: a session starts only at the first stage and only
 * for packets that pass the filters (later stages cost one lookup), is carried by the CPU through a
 * synchronous stretch of the path or kept in the shared map, is stamped at each stage, and ends at
 * the last stage of its direction.
 *
 * The including program defines, before including this file,
 *   #define LAT_DETAILS 0 or 1   (1: fill flow, identity, device and task fields in the session)
 *   static __always_inline void lat_on_complete(void *ctx, struct lat_session *s, __u64 skb);
 * which runs once per packet that reached the last stage of its direction. */
#ifndef LATENCY_SESSIONS_H
#define LATENCY_SESSIONS_H

#include "latency_maps.h"

static __always_inline void lat_count_n(__u32 dir, __u32 counter, __u64 n)
{
	__u32 key = dir * LAT_COUNTERS + counter;
	__u64 *v;

	if (key >= LAT_DIRS * LAT_COUNTERS)
		return;
	v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		*v += n;
}

static __always_inline void lat_count(__u32 dir, __u32 counter)
{
	lat_count_n(dir, counter, 1);
}

static __always_inline void lat_task(__u32 *cpu, __u32 *pid, char *comm)
{
#if LAT_DETAILS
	*cpu = bpf_get_smp_processor_id();
	*pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(comm, LAT_COMM_LEN);
#endif
}

/* The fields every packet reads, by direct loads where the kernel allows it: the pointer is cast
 * to its kernel type (bpf_rdonly_cast, Linux 6.2; the verifier makes it a register move) and each
 * load becomes a guarded one (a bad address reads 0). Older kernels read each field with
 * bpf_probe_read_kernel. The user side says which (targ_direct_reads) and the verifier drops the
 * other branch, with the unresolved call of a weak kfunc in it. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
const volatile bool targ_direct_reads = false;
#define LAT_K(ptr, type) ((type *)bpf_rdonly_cast((const void *)(ptr), bpf_core_type_id_kernel(type)))
#define LAT_READ(ptr, type, field) (targ_direct_reads ? LAT_K(ptr, type)->field : BPF_CORE_READ((type *)(ptr), field))

static __always_inline __u64 *lat_global(__u32 idx)
{
	return bpf_map_lookup_elem(&globals, &idx);
}

/* --sample N: of the packets that pass the filters, the 1st, (N+1)th, ... start a session. The
 * others stop here, and later hooks find no session for them (one lookup). */
static __always_inline bool lat_sampled(__u32 dir)
{
	if (targ_sample <= 1)
		return true;
	__u32 key = dir & 1;
	__u64 *seen = bpf_map_lookup_elem(&seen_by_cpu, &key);

	/* Per CPU: no shared cache line on the hot path. */
	return seen && (*seen)++ % targ_sample == 0;
}

/* The system call the current thread is in (orig_ax on x86, syscallno on arm64), or -1. */
struct pt_regs___x86 {
	long orig_ax;
} __attribute__((preserve_access_index));
struct pt_regs___arm64 {
	int syscallno;
} __attribute__((preserve_access_index));

static __always_inline long lat_current_syscall(void)
{
	void *regs = (void *)bpf_task_pt_regs(bpf_get_current_task_btf());

	if (!regs)
		return -1;
	if (bpf_core_field_exists(((struct pt_regs___x86 *)0)->orig_ax))
		return BPF_CORE_READ((struct pt_regs___x86 *)regs, orig_ax);
	if (bpf_core_field_exists(((struct pt_regs___arm64 *)0)->syscallno))
		return BPF_CORE_READ((struct pt_regs___arm64 *)regs, syscallno);
	return -1;
}

/* The shared info after an skb's data: gso_segs > 1 for a GSO packet not split yet. */
static __always_inline __u16 lat_gso_segs(const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	struct skb_shared_info *sh = (struct skb_shared_info *)(head + BPF_CORE_READ(skb, end));

	return BPF_CORE_READ(sh, gso_segs);
}

/* Before a TX session starts at the device: the send call that produced the packet, and the IP
 * layer function stages it passed (--stages, when those hooks run). Returns whether the packet may
 * be TCP (a TCP socket's, or forwarded). */
static __always_inline bool lat_tx_before(struct sk_buff *skb, __u16 nh, struct lat_session *s)
{
	__u64 addr = (__u64)skb;
	struct sock *sk = LAT_READ(skb, struct sk_buff, sk);

	if (targ_stages) {
		struct lat_early *early = bpf_map_lookup_elem(&tx_early, &addr);

		if (early) {
			s->ts[LAT_TX_IP] = early->ip;
			s->ts[LAT_TX_OUTPUT] = early->output;
			bpf_map_delete_elem(&tx_early, &addr);
		}
	}
	if (!sk)
		return true;
	__u16 proto = LAT_READ(sk, struct sock, sk_protocol);

	if (proto == NST_IPPROTO_TCP) {
		__u64 *t;

		if (!s->ident.tcp_seq)
			nst_skb_ident(skb, nh, &s->ident);
		struct lat_send_key key = { .sk = (__u64)sk, .seq = s->ident.tcp_seq };

		t = bpf_map_lookup_elem(&tcp_sends, &key);
		if (t) {
			s->ts[LAT_TX_SEND] = *t;
			bpf_map_delete_elem(&tcp_sends, &key);
		}
	} else if (proto == NST_IPPROTO_UDP) {
		__u32 zero_key = 0;
		struct lat_send *t = bpf_map_lookup_elem(&udp_sends, &zero_key);

		/* Only while the thread is still inside that call: no exit hook clears the entry. */
		if (t && t->ts && t->tid == (__u32)bpf_get_current_pid_tgid() && t->nr == lat_current_syscall())
			s->ts[LAT_TX_SEND] = t->ts;
	}
	return proto == NST_IPPROTO_TCP;
}

#if LAT_DETAILS
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
		bpf_map_update_elem(&slow_stacks, &key, &zero.stack, BPF_ANY);
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

/* The key of a TCP packet's GSO copy from its headers at nh, and the sequence number its data
 * starts at: false when it is not TCP. */
static __always_inline bool lat_tcp_span(const struct sk_buff *skb, __u16 nh, struct lat_gso_key *k, __u32 *seq)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	__u32 l3len, l4off;
	struct tcphdr th;

	if (nh == NST_HDR_UNSET)
		return false;
	if (proto == NST_ETH_P_IP) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) || ip.protocol != NST_IPPROTO_TCP)
			return false;
		k->addrs = (__u64)ip.saddr << 32 | ip.daddr;
		l4off = nh + ip.ihl * 4;
		l3len = bpf_ntohs(ip.tot_len);
		l3len = l3len > ip.ihl * 4 ? l3len - ip.ihl * 4 : 0;
	} else if (proto == NST_ETH_P_IPV6) {
		struct ipv6hdr ip6;
		__u64 a[4];

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh) || ip6.nexthdr != NST_IPPROTO_TCP)
			return false;
		__builtin_memcpy(a, &ip6.saddr, 16);
		__builtin_memcpy(a + 2, &ip6.daddr, 16);
		k->addrs = a[0] ^ (a[1] << 1) ^ (a[2] << 2) ^ (a[3] << 3);
		l4off = nh + sizeof(ip6);
		l3len = bpf_ntohs(ip6.payload_len);
	} else {
		return false;
	}
	if (bpf_probe_read_kernel(&th, sizeof(th), head + l4off))
		return false;
	k->ports = (__u32)th.source << 16 | th.dest;
	*seq = bpf_ntohl(th.seq);
	k->end_seq = *seq + (l3len > th.doff * 4 ? l3len - th.doff * 4 : 0);
	return true;
}

static __always_inline bool lat_tcp_end(const struct sk_buff *skb, __u16 nh, struct lat_gso_key *k)
{
	__u32 seq;

	return lat_tcp_span(skb, nh, k, &seq);
}

static __always_inline void lat_gso_open_add(__s64 d)
{
	__u64 *open = lat_global(LAT_G_GSO_OPEN);

	if (!open)
		return;
	if (d < 0 && !*open)
		return;
	__sync_fetch_and_add(open, d);
}

/* A TCP GSO packet may be split before the wire (software GSO, a qdisc such as tbf): a copy of its
 * session waits for whichever comes first, the packet itself or its last segment. */
static __always_inline void lat_gso_keep(const struct lat_gso_key *k, const struct lat_session *s)
{
	if (!bpf_map_update_elem(&gso, k, s, BPF_ANY))
		lat_gso_open_add(1);
}

/* The copy under key k is no longer needed. */
static __always_inline void lat_gso_forget_key(const struct lat_gso_key *k)
{
	if (!bpf_map_delete_elem(&gso, k))
		lat_gso_open_add(-1);
}

/* The packet itself finished (sent whole, or dropped): its copy is no longer needed. */
static __always_inline void lat_gso_forget(const struct sk_buff *skb, const struct lat_session *s)
{
	struct lat_gso_key k;

	if (s->gso && lat_tcp_end(skb, BPF_CORE_READ(skb, network_header), &k))
		lat_gso_forget_key(&k);
}

/* An skb with no session of its own at the device or a drop: while GSO copies wait, it may be the
 * last segment of one (a TCP segment that ends where a waiting GSO packet ends). Returns the copy,
 * still in `gso`, and its key. */
static __always_inline struct lat_session *lat_gso_segment_of(struct sk_buff *skb, struct lat_gso_key *k)
{
	__u64 *open = lat_global(LAT_G_GSO_OPEN);

	if (!open || !*open)
		return NULL;
	if (!lat_tcp_end(skb, BPF_CORE_READ(skb, network_header), k))
		return NULL;
	return bpf_map_lookup_elem(&gso, k);
}

/* Whether a device queues what it is handed: its root qdisc enqueues (noqueue does not: the packet
 * goes to the driver on this CPU), or is a multiqueue root (mq, mqprio) over per-queue qdiscs. */
#define LAT_TCQ_F_MQROOT 8

static __always_inline bool lat_dev_queues(const struct sk_buff *skb)
{
	struct net_device *dev = LAT_READ(skb, struct sk_buff, dev);
	struct Qdisc *q = dev ? LAT_READ(dev, struct net_device, qdisc) : NULL;

	return q && (LAT_READ(q, struct Qdisc, enqueue) || (LAT_READ(q, struct Qdisc, flags) & LAT_TCQ_F_MQROOT));
}

/* First stage: filters, then a new session (an existing one keeps its first device). */
static __always_inline void lat_start(void *ctx, struct sk_buff *skb, __u32 dir, __u16 nh, __u32 slot)
{
	struct lat_key key = { .skb = (__u64)skb, .dir = dir };
	struct lat_session s = {};
	struct lat_session *old;
	__u32 ifindex, netns;

	/* --stages: a session kept in the map may be this packet's own first pass (a tunnel, a
	 * VLAN); by default only the one this CPU carries is (the common, synchronous case). */
	if (targ_stages) {
		old = lat_lookup(skb, dir);
	} else {
		struct lat_carry *cc = lat_carry_of(dir);

		old = cc && cc->skb == (__u64)skb ? &cc->s : NULL;
	}

	/* A stale one is replaced: it never completes, so it counts as evicted. A recent one is this
	 * packet's first pass, unless it was a GSO packet that starts elsewhere: that one was split
	 * and freed (its copy in `gso` follows it) and this is a new packet at its address. */
	if (old && bpf_ktime_get_ns() - lat_last_ts(old) < LAT_STALE_NS) {
		struct lat_gso_key ok;
		__u32 oseq;

		if (!old->gso || (lat_tcp_span(skb, nh, &ok, &oseq) && oseq == old->ident.tcp_seq))
			return;
	}
	if (!targ_stages && !LAT_DETAILS && !targ_filter.ifindex && !targ_filter.netns && !nst_filter_needs_headers()) {
		/* Nothing to filter on and nobody to show the device to (default summary, send path). */
		ifindex = netns = 0;
	} else if (!nst_skb_pass_at(skb, nh, &ifindex, &netns, &s.flow, dir == LAT_DIR_RX || LAT_DETAILS)) {
		return;
	}
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
	if (!lat_sampled(dir))
		return;
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
	struct lat_gso_key gk;

	if (dir == LAT_DIR_TX) {
		/* Only TCP splits into segments we follow: sockets of other protocols are not checked. */
		__u32 seq, segs;

		if (lat_tx_before(skb, nh, &s) && (segs = lat_gso_segs(skb)) > 1 && lat_tcp_span(skb, nh, &gk, &seq)) {
			/* How many segments it would be split into (at most 255 kept). */
			s.gso = segs > 255 ? 255 : segs;
			s.ident.tcp_seq = seq;
			s.ident.l4_payload = gk.end_seq - seq;
		}
	}
	if (slot >= LAT_STAGES)
		return;
	s.skb = (__u64)skb;
	__u64 now = bpf_ktime_get_ns();

	lat_note_step(ctx, &s, slot, now);
	s.ts[slot] = now;
	lat_task(&s.first_cpu, &s.first_pid, s.first_comm);
	/* Sent packets and UDP datagrams are carried by this CPU; TCP data waits for a read that can
	 * run anywhere, so it goes to the shared map at once. By default (no qdisc hooks) a packet for
	 * a device with a qdisc goes there too: another CPU may dequeue and send it. */
	struct lat_carry *c = dir == LAT_DIR_TX || s.flow.protocol == NST_IPPROTO_UDP ? lat_carry_of(dir) : NULL;

	if (c && dir == LAT_DIR_TX && !targ_stages && lat_dev_queues(skb)) {
		if (c->skb == (__u64)skb)
			c->skb = 0;
		c = NULL;
	}
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
	if (s.gso)
		lat_gso_keep(&gk, &s);
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

/* Last stage reached (by the packet, or by the last segment of a split one: `counter` says which):
 * the including program reports it, then the session ends. */
static __always_inline void lat_finish_as(void *ctx, struct lat_session *s, __u64 skb, __u32 stage, __u32 counter)
{
	if (stage >= LAT_STAGES)
		return;
	s->ts[stage] = bpf_ktime_get_ns();
	lat_task(&s->last_cpu, &s->last_pid, s->last_comm);
	lat_count(s->dir, counter);
	lat_on_complete(ctx, s, skb);
}

static __always_inline void lat_finish(void *ctx, struct lat_session *s, __u64 skb, __u32 stage)
{
	lat_finish_as(ctx, s, skb, stage, LAT_COMPLETED);
}

/* A followed packet dropped: counted by direction and the kernel's reason. */
static __always_inline void lat_dropped(__u32 dir, __u32 reason)
{
	struct lat_drop_key k = { .dir = dir, .reason = reason };
	__u64 one = 1, *v;

	lat_count(dir, LAT_DROPPED);
	v = bpf_map_lookup_elem(&drops, &k);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	if (bpf_map_update_elem(&drops, &k, &one, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(&drops, &k);
		if (v)
			__sync_fetch_and_add(v, 1);
		else
			nst_count_loss(NST_MAP_FULL);
	}
}

static __always_inline void lat_finish_skb(void *ctx, const void *skb, __u32 dir, __u32 stage)
{
	struct lat_session *s = lat_lookup(skb, dir);

	if (!s)
		return;
	lat_gso_forget(skb, s);
	lat_finish(ctx, s, (__u64)skb, stage);
	lat_delete(skb, dir);
}

#endif

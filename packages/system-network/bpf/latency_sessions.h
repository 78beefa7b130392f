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

#endif

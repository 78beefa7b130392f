// SPDX-License-Identifier: GPL-2.0
/* fragment_summary: Is IP reassembly losing packets on this host, and for which datagrams?
 * One hook, skb:kfree_skb, which runs per dropped packet only: a drop whose packet is an IPv4 or
 * IPv6 fragment is counted by datagram (addresses, identification, protocol, namespace), by the
 * kernel's drop reason and by where it happened. Reassembly's own counts (fragments received,
 * datagrams reassembled, failed, timed out, overlapping) are the kernel's counters, which the user
 * side reads each interval: nothing here runs for a fragment that is received and reassembled
 * (except on kernels before 6.2, which free a reassembled datagram's other fragments through
 * kfree_skb too; the user side leaves them out by their location). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "fragment.h"

char LICENSE[] SEC("license") = "GPL";

#define FRAG_IP_MF     0x2000
#define FRAG_IP_OFFSET 0x1fff
#define FRAG_IP6_MF    0x0001
#define FRAG_IP6_OFFSET 0xfff8
/* Namespace inodes: the initial namespaces' fixed numbers (0xEFFFFFxx) and the dynamic ones,
 * handed out upwards from 0xF0000000. A value outside is not a namespace's (see frag_netns). */
#define FRAG_NETNS_MIN 0xEFFFFF00U
#define FRAG_NETNS_MAX 0xF1000000U

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FRAG_DROPS_MAX);
	__type(key, struct frag_key);
	__type(value, struct frag_stats);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct frag_last);
} last SEC(".maps");

static const struct frag_stats zero;

/* What one fragment is: its datagram (into the key), its payload bytes, first or last. */
struct frag_info {
	__u32 bytes;
	bool first;
	bool last;
};

/* The IPv6 fragment header after the fixed header at nh (past at most NST_IPV6_EXT_MAX extension
 * headers); false when the packet has none. */
static __always_inline bool ipv6_frag_hdr(unsigned char *head, __u16 nh, __u8 next, struct frag_hdr *fh, __u32 *end)
{
	__u32 off = nh + sizeof(struct ipv6hdr);

#pragma unroll
	for (int i = 0; i < NST_IPV6_EXT_MAX; i++) {
		struct { __u8 next; __u8 len; } ext;

		if (next == NST_IPPROTO_FRAGMENT) {
			if (bpf_probe_read_kernel(fh, sizeof(*fh), head + off))
				return false;
			*end = off + sizeof(*fh);
			return true;
		}
		if (next != NST_IPPROTO_HOPOPTS && next != NST_IPPROTO_ROUTING && next != NST_IPPROTO_DSTOPTS)
			return false;
		if (bpf_probe_read_kernel(&ext, sizeof(ext), head + off))
			return false;
		next = ext.next;
		off += (ext.len + 1) * 8;
	}
	if (next != NST_IPPROTO_FRAGMENT || bpf_probe_read_kernel(fh, sizeof(*fh), head + off))
		return false;
	*end = off + sizeof(*fh);
	return true;
}

/* A fragment's datagram (its addresses are the caller's to copy: their size is the family's) and its
 * place in it: `len` bytes of IP packet after `hdrs` bytes of headers, first (offset 0), last (no
 * more fragments). */
static __always_inline void frag_set(struct frag_key *k, struct frag_info *fi, __u8 family, __u8 protocol, __u32 id, __u32 len, __u32 hdrs,
				     bool first, bool last)
{
	k->family = family;
	k->protocol = protocol;
	k->id = id;
	fi->bytes = len > hdrs ? len - hdrs : 0;
	fi->first = first;
	fi->last = last;
}

/* The packet's fragment fields, from its network header; false when it is not an IP fragment
 * (most drops end here, after reading the header's first 20 bytes). A fragment the reassembly
 * queue held still has its headers in its buffer at network_header (the queue pulled only data). */
static __always_inline bool frag_parse(struct sk_buff *skb, struct frag_key *k, struct frag_info *fi)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	struct iphdr ip;

	if (nh == NST_HDR_UNSET || bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
		return false;
	if (ip.version == 4) {
		__u16 fo = bpf_ntohs(ip.frag_off), hl = ip.ihl * 4, len = bpf_ntohs(ip.tot_len);

		/* A stale header offset on a packet of another kind: its protocol says. */
		if ((proto && proto != NST_ETH_P_IP) || !(fo & (FRAG_IP_MF | FRAG_IP_OFFSET)))
			return false;
		__builtin_memcpy(k->saddr, &ip.saddr, 4);
		__builtin_memcpy(k->daddr, &ip.daddr, 4);
		frag_set(k, fi, NST_AF_INET, ip.protocol, bpf_ntohs(ip.id), len, hl, !(fo & FRAG_IP_OFFSET), !(fo & FRAG_IP_MF));
		return true;
	}
	if (ip.version != 6 || (proto && proto != NST_ETH_P_IPV6))
		return false;

	struct ipv6hdr ip6;
	struct frag_hdr fh;
	__u32 end;
	__u16 fo, plen;

	if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh) || !ipv6_frag_hdr(head, nh, ip6.nexthdr, &fh, &end))
		return false;
	fo = bpf_ntohs(fh.frag_off);
	/* An atomic fragment (offset 0, no more fragments) is a whole datagram: never reassembled. */
	if (!(fo & (FRAG_IP6_MF | FRAG_IP6_OFFSET)))
		return false;
	plen = bpf_ntohs(ip6.payload_len);
	end -= nh + sizeof(ip6);
	__builtin_memcpy(k->saddr, &ip6.saddr, 16);
	__builtin_memcpy(k->daddr, &ip6.daddr, 16);
	frag_set(k, fi, NST_AF_INET6, fh.nexthdr, bpf_ntohl(fh.identification), plen, end, !(fo & FRAG_IP6_OFFSET), !(fo & FRAG_IP6_MF));
	return true;
}

/* The namespace of a fragment's device. A fragment the reassembly queue held (freed when its
 * datagram timed out or was given up) no longer has one: the queue's tree node shares the skb's
 * device member, which then holds a tree pointer or NULL. The device is believed only when it leads
 * to a namespace inode; otherwise 0, and the caller looks further. */
static __always_inline __u32 frag_netns(struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	__u32 ns;

	if (!dev || BPF_CORE_READ(dev, ifindex) <= 0)
		return 0;
	ns = nst_dev_netns(dev);
	return ns >= FRAG_NETNS_MIN && ns < FRAG_NETNS_MAX ? ns : 0;
}

static __always_inline bool same_bytes16(const __u8 *a, const __u8 *b)
{
	__u64 x[2], y[2];

	__builtin_memcpy(x, a, 16);
	__builtin_memcpy(y, b, 16);
	return x[0] == y[0] && x[1] == y[1];
}

static __always_inline bool same_datagram(const struct frag_last *l, const struct frag_key *k)
{
	return l->family == k->family && l->protocol == k->protocol && l->id == k->id && same_bytes16(l->saddr, k->saddr) &&
	       same_bytes16(l->daddr, k->daddr);
}

static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct frag_key key = {};
	struct frag_info fi = {};
	struct frag_stats *s;
	struct frag_last *l;
	__u32 k0 = 0;

	if (!skb || !frag_parse(skb, &key, &fi))
		return 0;
	/* The namespace: the fragment's device, or the one of the last fragment of the same datagram
	 * freed on this CPU (before any filter, so that a datagram of another namespace stays out). */
	key.netns = frag_netns(skb);
	l = bpf_map_lookup_elem(&last, &k0);
	if (l) {
		if (key.netns) {
			__builtin_memcpy(l->saddr, key.saddr, 16);
			__builtin_memcpy(l->daddr, key.daddr, 16);
			l->id = key.id;
			l->family = key.family;
			l->protocol = key.protocol;
			l->netns = key.netns;
		} else if (same_datagram(l, &key)) {
			key.netns = l->netns;
		}
	}
	/* A fragment whose namespace is not known is kept (it may be the one asked for): the user side
	 * gives it its datagram's namespace when another of its fragments names it, and shows it as
	 * unknown otherwise. */
	if (targ_filter.netns && key.netns && key.netns != targ_filter.netns)
		return 0;
	if (nst_filter_needs_headers()) {
		struct nst_flow f = {};

		__builtin_memcpy(f.saddr, key.saddr, 16);
		__builtin_memcpy(f.daddr, key.daddr, 16);
		f.family = key.family;
		f.protocol = key.protocol;
		f.ethertype = key.family == NST_AF_INET ? NST_ETH_P_IP : NST_ETH_P_IPV6;
		if (!nst_flow_pass(&f))
			return 0;
	}
	key.reason = reason;
	key.location = location;
	s = nst_lookup_or_init(&drops, &key, &zero);
	if (!s)
		return 0;
	__sync_fetch_and_add(&s->fragments, 1);
	__sync_fetch_and_add(&s->bytes, fi.bytes);
	if (fi.first)
		__sync_fetch_and_add(&s->first, 1);
	if (fi.last)
		__sync_fetch_and_add(&s->last, 1);
	return 0;
}

#include "netstrata/kfree_skb_flavours.h"

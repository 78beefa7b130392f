/* Reading an sk_buff from any hook flavour: device, namespace and L3/L4 headers, and the shared
 * packet filter. Every read goes through CO-RE so the same object runs on any kernel with BTF.
 * Cheapest checks first: device and namespace come from two pointer reads; headers are parsed only
 * when a filter or the caller needs them. */
#ifndef NETSTRATA_SKB_H
#define NETSTRATA_SKB_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "filter_types.h"

#define NST_ETH_P_IP    0x0800
#define NST_ETH_P_ARP   0x0806
#define NST_ETH_P_IPV6  0x86DD
#define NST_IPPROTO_HOPOPTS  0
#define NST_IPPROTO_ICMP     1
#define NST_IPPROTO_TCP      6
#define NST_IPPROTO_UDP      17
#define NST_IPPROTO_ROUTING  43
#define NST_IPPROTO_FRAGMENT 44
#define NST_IPPROTO_ICMPV6   58
#define NST_IPPROTO_DSTOPTS  60
/* An unset skb header offset (skb_reset_*_header never ran). */
#define NST_HDR_UNSET ((__u16)~0U)
/* IPv6 extension headers walked before giving up on finding L4: real traffic rarely has more. */
#define NST_IPV6_EXT_MAX 4

const volatile struct nst_filter targ_filter = {};

static __always_inline __u32 nst_dev_netns(struct net_device *dev)
{
	if (!dev)
		return 0;
	return BPF_CORE_READ(dev, nd_net.net, ns.inum);
}

/* The device an skb is on, and the namespace it is in (from the socket when there is no device). */
static __always_inline void nst_skb_dev(struct sk_buff *skb, __u32 *ifindex, __u32 *netns)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);

	*ifindex = 0;
	*netns = 0;
	if (dev) {
		*ifindex = BPF_CORE_READ(dev, ifindex);
		*netns = nst_dev_netns(dev);
		return;
	}
	struct sock *sk = BPF_CORE_READ(skb, sk);
	if (sk)
		*netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* True when the filter needs the L3/L4 headers. */
static __always_inline bool nst_filter_needs_headers(void)
{
	return targ_filter.saddr_plen || targ_filter.daddr_plen || targ_filter.addr_plen ||
	       targ_filter.protocol || targ_filter.sport || targ_filter.dport || targ_filter.port;
}

static __always_inline bool nst_dev_pass(__u32 ifindex, __u32 netns)
{
	if (targ_filter.netns && targ_filter.netns != netns)
		return false;
	if (targ_filter.ifindex && targ_filter.ifindex != ifindex)
		return false;
	return true;
}

/* Parse L3/L4 from the skb's header offsets. Returns false when the packet is not IP (the flow
 * then holds only what is known). */
static __always_inline bool nst_skb_flow_at(struct sk_buff *skb, struct nst_flow *flow, __u16 nh, __u16 th)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	__u8 l4 = 0;
	__u32 l4off = 0;

	if (nh == NST_HDR_UNSET)
		return false;
	/* On the IPv4 send path skb->protocol is set only in __ip_local_out: before it (ip_send_skb,
	 * say) the IP header's version says. */
	if (!proto) {
		__u8 v;

		if (bpf_probe_read_kernel(&v, 1, head + nh))
			return false;
		proto = v >> 4 == 4 ? NST_ETH_P_IP : v >> 4 == 6 ? NST_ETH_P_IPV6 : 0;
	}
	flow->ethertype = proto;
	if (proto == NST_ETH_P_ARP) {
		/* Ethernet/IPv4 ARP: address filters match the sender and target IPs. */
		struct {
			__be16 hrd, pro;
			__u8 hln, pln;
			__be16 op;
			__u8 sha[6], sip[4], tha[6], tip[4];
		} __attribute__((packed)) arp;

		if (bpf_probe_read_kernel(&arp, sizeof(arp), head + nh))
			return false;
		if (arp.pro != bpf_htons(NST_ETH_P_IP) || arp.hln != 6 || arp.pln != 4)
			return false;
		flow->family = NST_AF_INET;
		__builtin_memcpy(flow->saddr, arp.sip, 4);
		__builtin_memcpy(flow->daddr, arp.tip, 4);
		flow->sport = bpf_ntohs(arp.op);
		return true;
	}
	if (proto == NST_ETH_P_IP) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return false;
		flow->family = NST_AF_INET;
		__builtin_memcpy(flow->saddr, &ip.saddr, 4);
		__builtin_memcpy(flow->daddr, &ip.daddr, 4);
		l4 = ip.protocol;
		/* Fragments after the first carry no L4 header. */
		if (ip.frag_off & bpf_htons(0x1fff)) {
			flow->protocol = l4;
			return true;
		}
		l4off = nh + ip.ihl * 4;
	} else if (proto == NST_ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return false;
		flow->family = NST_AF_INET6;
		__builtin_memcpy(flow->saddr, &ip6.saddr, 16);
		__builtin_memcpy(flow->daddr, &ip6.daddr, 16);
		l4 = ip6.nexthdr;
		l4off = nh + sizeof(ip6);
#pragma unroll
		for (int i = 0; i < NST_IPV6_EXT_MAX; i++) {
			struct { __u8 next; __u8 len; __u8 _rest[6]; } ext;

			if (l4 != NST_IPPROTO_HOPOPTS && l4 != NST_IPPROTO_ROUTING &&
			    l4 != NST_IPPROTO_FRAGMENT && l4 != NST_IPPROTO_DSTOPTS)
				break;
			if (bpf_probe_read_kernel(&ext, sizeof(ext), head + l4off))
				return true;
			if (l4 == NST_IPPROTO_FRAGMENT) {
				/* Only the first fragment carries the L4 header. */
				__u16 off = ((__u16)ext._rest[0] << 8 | ext._rest[1]) & 0xfff8;

				l4 = ext.next;
				l4off += 8;
				if (off) {
					flow->protocol = l4;
					return true;
				}
				continue;
			}
			l4 = ext.next;
			l4off += (ext.len + 1) * 8;
		}
	} else {
		return false;
	}
	flow->protocol = l4;
	/* Trust the kernel's transport offset when it has set one past the network header. */
	if (th != NST_HDR_UNSET && th > nh && proto == NST_ETH_P_IP)
		l4off = th;
	if (l4 == NST_IPPROTO_TCP || l4 == NST_IPPROTO_UDP) {
		__be16 ports[2];

		if (!bpf_probe_read_kernel(ports, sizeof(ports), head + l4off)) {
			flow->sport = bpf_ntohs(ports[0]);
			flow->dport = bpf_ntohs(ports[1]);
		}
	} else if (l4 == NST_IPPROTO_ICMP || l4 == NST_IPPROTO_ICMPV6) {
		/* type, code, checksum, then the echo identifier: kept in sport so echo flows group apart. */
		__u8 icmp[6];

		if (!bpf_probe_read_kernel(icmp, sizeof(icmp), head + l4off)) {
			flow->sport = (__u16)icmp[4] << 8 | icmp[5];
			flow->dport = (__u16)icmp[0] << 8 | icmp[1];
		}
	}
	return true;
}

static __always_inline bool nst_skb_flow(struct sk_buff *skb, struct nst_flow *flow)
{
	return nst_skb_flow_at(skb, flow, BPF_CORE_READ(skb, network_header), BPF_CORE_READ(skb, transport_header));
}

/* The IP protocol of an skb from one byte of its network header at nh: a cheap first check for a
 * hook that runs for every packet of the host and wants one protocol. For IPv6 it is the first
 * next header (an extension header's number when there is one: such packets need the full parse).
 * 0 when the header is not there or not IP. */
static __always_inline __u8 nst_skb_l4_hint(struct sk_buff *skb, __u16 nh)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u8 b[10];

	if (nh == NST_HDR_UNSET || bpf_probe_read_kernel(b, sizeof(b), head + nh))
		return 0;
	if (b[0] >> 4 == 4)
		return b[9];
	if (b[0] >> 4 == 6)
		return b[6];
	return 0;
}

/* Whether an IPv6 next header is an extension header nst_skb_flow_at walks past. */
static __always_inline bool nst_ipv6_ext(__u8 nexthdr)
{
	return nexthdr == NST_IPPROTO_HOPOPTS || nexthdr == NST_IPPROTO_ROUTING || nexthdr == NST_IPPROTO_FRAGMENT ||
	       nexthdr == NST_IPPROTO_DSTOPTS;
}

/* Offset of skb->data from skb->head: where the network header starts on the receive path at
 * net:netif_receive_skb, before the stack resets network_header (which may still be stale then). */
static __always_inline __u16 nst_skb_data_off(struct sk_buff *skb)
{
	return (__u16)(BPF_CORE_READ(skb, data) - BPF_CORE_READ(skb, head));
}

/* A packet's identity beyond the 5-tuple (the details tools' packet identity), from the network
 * header at nh: IPv4 id, TCP sequence/flags/payload length, ICMP echo id and sequence. */
static __always_inline void nst_skb_ident(struct sk_buff *skb, __u16 nh, struct nst_ident *id)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	__u32 l4off, l3len, l4 = 0;

	if (nh == NST_HDR_UNSET)
		return;
	if (proto == NST_ETH_P_IP) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return;
		id->ip_id = bpf_ntohs(ip.id);
		if (ip.frag_off & bpf_htons(0x1fff))
			return;
		l4 = ip.protocol;
		l4off = nh + ip.ihl * 4;
		l3len = bpf_ntohs(ip.tot_len);
		l3len = l3len > ip.ihl * 4 ? l3len - ip.ihl * 4 : 0;
	} else if (proto == NST_ETH_P_IPV6) {
		struct ipv6hdr ip6;

		/* Extension headers are not walked here: their packets keep a zero identity. */
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return;
		l4 = ip6.nexthdr;
		l4off = nh + sizeof(ip6);
		l3len = bpf_ntohs(ip6.payload_len);
	} else {
		return;
	}
	if (l4 == NST_IPPROTO_TCP) {
		struct tcphdr th;

		if (bpf_probe_read_kernel(&th, sizeof(th), head + l4off))
			return;
		id->tcp_seq = bpf_ntohl(th.seq);
		id->tcp_flags = ((__u8 *)&th)[13];
		id->l4_payload = l3len > th.doff * 4 ? l3len - th.doff * 4 : 0;
	} else if (l4 == NST_IPPROTO_UDP) {
		id->l4_payload = l3len > 8 ? l3len - 8 : 0;
	} else if (l4 == NST_IPPROTO_ICMP || l4 == NST_IPPROTO_ICMPV6) {
		__u8 icmp[8];

		if (bpf_probe_read_kernel(icmp, sizeof(icmp), head + l4off))
			return;
		id->icmp_id = (__u16)icmp[4] << 8 | icmp[5];
		id->icmp_seq = (__u16)icmp[6] << 8 | icmp[7];
	}
}

static __always_inline bool nst_prefix_match(const __u8 *addr, const volatile __u8 *want, __u8 plen)
{
#pragma unroll
	for (int i = 0; i < 16; i++) {
		if (plen >= 8) {
			if (addr[i] != want[i])
				return false;
			plen -= 8;
		} else {
			if (plen) {
				__u8 mask = (__u8)(0xff << (8 - plen));

				if ((addr[i] & mask) != (want[i] & mask))
					return false;
			}
			return true;
		}
	}
	return true;
}

static __always_inline bool nst_flow_pass(const struct nst_flow *f)
{
	if (targ_filter.family && targ_filter.family != f->family)
		return false;
	if (targ_filter.protocol) {
		if (f->ethertype == NST_ETH_P_ARP)
			return false;
		if (targ_filter.protocol == NST_IPPROTO_ICMP) {
			if (f->protocol != NST_IPPROTO_ICMP && f->protocol != NST_IPPROTO_ICMPV6)
				return false;
		} else if (targ_filter.protocol != f->protocol) {
			return false;
		}
	}
	if (targ_filter.saddr_plen && !nst_prefix_match(f->saddr, targ_filter.saddr, targ_filter.saddr_plen))
		return false;
	if (targ_filter.daddr_plen && !nst_prefix_match(f->daddr, targ_filter.daddr, targ_filter.daddr_plen))
		return false;
	if (targ_filter.addr_plen && !nst_prefix_match(f->saddr, targ_filter.addr, targ_filter.addr_plen) &&
	    !nst_prefix_match(f->daddr, targ_filter.addr, targ_filter.addr_plen))
		return false;
	if (targ_filter.sport || targ_filter.dport || targ_filter.port) {
		if (f->ethertype == NST_ETH_P_ARP || (f->protocol != NST_IPPROTO_TCP && f->protocol != NST_IPPROTO_UDP))
			return false;
		if (targ_filter.sport && targ_filter.sport != f->sport)
			return false;
		if (targ_filter.dport && targ_filter.dport != f->dport)
			return false;
		if (targ_filter.port && targ_filter.port != f->sport && targ_filter.port != f->dport)
			return false;
	}
	return true;
}

/* Every filter on one skb, cheapest first: device and namespace, then headers only when a filter
 * (or the caller, with want_flow) needs them. Fills ifindex, netns and, when parsed, flow. */
static __always_inline bool nst_skb_pass(struct sk_buff *skb, __u32 *ifindex, __u32 *netns, struct nst_flow *flow,
					 bool want_flow)
{
	nst_skb_dev(skb, ifindex, netns);
	if (!nst_dev_pass(*ifindex, *netns))
		return false;
	if (!nst_filter_needs_headers() && !want_flow)
		return true;
	nst_skb_flow(skb, flow);
	return !nst_filter_needs_headers() || nst_flow_pass(flow);
}

/* nst_skb_pass with the network header at nh (nst_skb_data_off() on the receive path). */
static __always_inline bool nst_skb_pass_at(struct sk_buff *skb, __u16 nh, __u32 *ifindex, __u32 *netns,
					    struct nst_flow *flow, bool want_flow)
{
	nst_skb_dev(skb, ifindex, netns);
	if (!nst_dev_pass(*ifindex, *netns))
		return false;
	if (!nst_filter_needs_headers() && !want_flow)
		return true;
	nst_skb_flow_at(skb, flow, nh, NST_HDR_UNSET);
	return !nst_filter_needs_headers() || nst_flow_pass(flow);
}

/* The flow a connected TCP or UDP socket sends on, for hooks that see a socket before any packet
 * exists (a send call). IPv4-mapped IPv6 sockets report IPv4, as their packets do. */
static __always_inline bool nst_sock_flow(const struct sock *sk, __u8 protocol, struct nst_flow *f)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	f->protocol = protocol;
	f->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	f->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == NST_AF_INET) {
		/* By value: BPF_CORE_READ_INTO into an array would copy one element's size (a byte). */
		__be32 saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__be32 daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		f->family = NST_AF_INET;
		f->ethertype = NST_ETH_P_IP;
		__builtin_memcpy(f->saddr, &saddr, 4);
		__builtin_memcpy(f->daddr, &daddr, 4);
		return true;
	}
	if (family != NST_AF_INET6)
		return false;
	bpf_core_read(f->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	bpf_core_read(f->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	__u32 w[3];

	__builtin_memcpy(w, f->daddr, sizeof(w));
	if (!w[0] && !w[1] && w[2] == bpf_htonl(0xffff)) {
		f->family = NST_AF_INET;
		f->ethertype = NST_ETH_P_IP;
		__builtin_memmove(f->saddr, f->saddr + 12, 4);
		__builtin_memmove(f->daddr, f->daddr + 12, 4);
		__builtin_memset(f->saddr + 4, 0, 12);
		__builtin_memset(f->daddr + 4, 0, 12);
		return true;
	}
	f->family = NST_AF_INET6;
	f->ethertype = NST_ETH_P_IPV6;
	return true;
}

/* The filter on a socket: its namespace and its flow (the device filter is left to the packet). */
static __always_inline bool nst_sock_pass(const struct sock *sk, __u8 protocol)
{
	struct nst_flow f = {};

	if (targ_filter.netns && targ_filter.netns != BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum))
		return false;
	if (!nst_filter_needs_headers())
		return true;
	return nst_sock_flow(sk, protocol, &f) && nst_flow_pass(&f);
}

/* The filter on a packet a socket sends, from the IP layer on (its headers built): the socket's
 * namespace, and its flow if it is connected; an unconnected socket (UDP sendto, ping) names no
 * peer, so the packet's own headers decide. */
static __always_inline bool nst_sock_skb_pass(const struct sock *sk, struct sk_buff *skb)
{
	struct nst_flow f = {};

	if (targ_filter.netns && targ_filter.netns != BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum))
		return false;
	if (!nst_filter_needs_headers())
		return true;
	if (BPF_CORE_READ(sk, __sk_common.skc_dport))
		return nst_sock_flow(sk, BPF_CORE_READ(sk, sk_protocol), &f) && nst_flow_pass(&f);
	return nst_skb_flow(skb, &f) && nst_flow_pass(&f);
}

#endif

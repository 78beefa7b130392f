// SPDX-License-Identifier: GPL-2.0
/* vxlan_summary: Is VXLAN losing packets on this host: per device and VNI, how many were
 * encapsulated and decapsulated, and which were dropped at either end and why?
 * What the kernel counts (each VXLAN device's packets in and out, its drops and errors, per VNI where
 * the device filters VNIs) the user side reads from rtnetlink every interval. This program runs only
 * for packets the kernel drops (skb:kfree_skb) and keeps those of VXLAN, by device, VNI, remote VTEP,
 * reason and location:
 * - on a VXLAN device: an inner frame on its way into the tunnel (no FDB entry, no route to the
 *   remote, no tunnel metadata...), or an outer packet being decapsulated (source MAC refused,
 *   ECN...), told apart by whether the skb still holds its outer UDP header before the inner frame;
 *   inner packets the stack drops after decapsulation (received through the device) are not VXLAN's;
 * - on any other device, outer UDP packets to a port a VXLAN device listens on (the `ports` table,
 *   filled by the user side), or with a reason only VXLAN gives (an unknown VNI, a bad header):
 *   received (the skb's input device is its device) or sent (too big for the underlay, no
 *   neighbour, a firewall).
 * The VNI comes from the outer VXLAN header when the skb holds one, from the tunnel metadata of an
 * external device's frame, else the user side gives the device's own. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "vxlan.h"

char LICENSE[] SEC("license") = "GPL";

/* This kernel's codes of the reasons only VXLAN gives (0: unused slot). */
const volatile __u32 targ_vxlan_reasons[VXLAN_REASONS_MAX] = {};

/* include/net/dst.h: a dst that carries metadata (a tunnel's key) instead of a route. */
#define NST_DST_METADATA 0x0080
/* The VXLAN header's I flag (first byte): the VNI field is valid. */
#define VXLAN_HF_VNI 0x08
/* Outer UDP header and VXLAN header. */
#define VXLAN_HLEN 16

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VXLAN_DROPS_MAX);
	__type(key, struct vxlan_drop_key);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VXLAN_PORTS_MAX);
	__type(key, struct vxlan_port_key);
	__type(value, __u8);
} ports SEC(".maps");

/* Whether a device is a VXLAN device: its link kind, as `ip -d link` shows it. */
static __always_inline bool is_vxlan(struct net_device *dev)
{
	const struct rtnl_link_ops *ops = BPF_CORE_READ(dev, rtnl_link_ops);
	const char *kind;
	char k[8] = {};

	if (!ops)
		return false;
	kind = BPF_CORE_READ(ops, kind);
	if (!kind || bpf_probe_read_kernel_str(k, sizeof(k), kind) != 6)
		return false;
	return k[0] == 'v' && k[1] == 'x' && k[2] == 'l' && k[3] == 'a' && k[4] == 'n';
}

static __always_inline bool vxlan_reason(__u32 reason)
{
#pragma unroll
	for (int i = 0; i < VXLAN_REASONS_MAX; i++)
		if (targ_vxlan_reasons[i] && targ_vxlan_reasons[i] == reason)
			return true;
	return false;
}

static __always_inline bool vxlan_port(__u32 netns, __u16 port)
{
	struct vxlan_port_key k = { .netns = netns, .port = port };

	if (bpf_map_lookup_elem(&ports, &k))
		return true;
	k.netns = 0;
	return bpf_map_lookup_elem(&ports, &k) != NULL;
}

/* The outer IP header at nh: the peer (source on receive, destination on send) into the key.
 * Returns the offset of the UDP header, or 0 when the packet is not UDP (or a fragment after the
 * first, which has no UDP header). */
static __always_inline __u16 outer_ip(unsigned char *head, __u16 nh, struct vxlan_drop_key *key)
{
	__u8 v;

	if (bpf_probe_read_kernel(&v, 1, head + nh))
		return 0;
	if (v >> 4 == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return 0;
		key->family = NST_AF_INET;
		__builtin_memcpy(key->peer, key->dir == VXLAN_DIR_RX ? &ip.saddr : &ip.daddr, 4);
		if (ip.protocol != NST_IPPROTO_UDP || (ip.frag_off & bpf_htons(0x1fff)))
			return 0;
		return nh + ip.ihl * 4;
	}
	if (v >> 4 == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return 0;
		key->family = NST_AF_INET6;
		if (key->dir == VXLAN_DIR_RX)
			__builtin_memcpy(key->peer, &ip6.saddr, 16);
		else
			__builtin_memcpy(key->peer, &ip6.daddr, 16);
		/* Tunnels send UDP right after the IPv6 header. */
		if (ip6.nexthdr != NST_IPPROTO_UDP)
			return 0;
		return nh + sizeof(ip6);
	}
	return 0;
}

/* The outer UDP and VXLAN headers at udp: the destination port and, when the I flag says the
 * field is valid, the VNI. */
static __always_inline bool vxlan_header(unsigned char *head, __u16 udp, struct vxlan_drop_key *key)
{
	__u8 h[VXLAN_HLEN];

	if (bpf_probe_read_kernel(h, sizeof(h), head + udp))
		return false;
	key->port = (__u16)h[2] << 8 | h[3];
	if (h[8] & VXLAN_HF_VNI)
		key->vni = (__u32)h[12] << 16 | (__u32)h[13] << 8 | h[14];
	return true;
}

/* The VNI an external (collect_md) device was told to send with: the tunnel key of the frame's
 * metadata dst. Unknown for a frame routed the ordinary way. */
static __always_inline __u32 tunnel_vni(struct sk_buff *skb)
{
	unsigned long refdst = BPF_CORE_READ(skb, _skb_refdst);
	struct metadata_dst *md = (struct metadata_dst *)(refdst & ~1UL);

	if (!md || !(BPF_CORE_READ(md, dst.flags) & NST_DST_METADATA))
		return VXLAN_VNI_UNKNOWN;
	if (BPF_CORE_READ(md, type) != bpf_core_enum_value(enum metadata_type, METADATA_IP_TUNNEL))
		return VXLAN_VNI_UNKNOWN;
	/* tunnel_id_to_key32(): the VNI is the low 24 bits of the big-endian 64-bit id. */
	return (__u32)(bpf_be64_to_cpu(BPF_CORE_READ(md, u.tun_info.key.tun_id)) & 0xffffff);
}

/* skb:kfree_skb: a dropped packet, kept when it is VXLAN's. Cheapest checks first: the device and
 * its namespace, its kind; then the outer headers, read only for a packet on another device. */
static __always_inline int on_drop(void *ctx, struct sk_buff *skb, __u64 location, __u32 reason)
{
	struct vxlan_drop_key key = {};
	struct net_device *dev;
	unsigned char *head;
	__u16 nh, th, udp;
	__u32 iif;

	if (!skb)
		return 0;
	dev = BPF_CORE_READ(skb, dev);
	if (!dev)
		return 0;
	key.ifindex = BPF_CORE_READ(dev, ifindex);
	key.netns = nst_dev_netns(dev);
	if (!nst_dev_pass(key.ifindex, key.netns))
		return 0;
	key.location = location;
	key.reason = reason;
	key.vni = VXLAN_VNI_UNKNOWN;
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	th = BPF_CORE_READ(skb, transport_header);
	/* The device the packet was last received on (0 for a packet this host made). */
	iif = BPF_CORE_READ(skb, skb_iif);
	if (is_vxlan(dev)) {
		__u16 mh = BPF_CORE_READ(skb, mac_header);

		/* Received through the device: an inner packet the stack dropped after decapsulation. */
		if (iif == key.ifindex)
			return 0;
		key.where = VXLAN_ON_DEVICE;
		/* Being decapsulated: the outer UDP header is still there, before the inner frame. */
		if (th != NST_HDR_UNSET && mh != NST_HDR_UNSET && th + VXLAN_HLEN <= mh) {
			key.dir = VXLAN_DIR_RX;
			vxlan_header(head, th, &key);
			if (nh != NST_HDR_UNSET && nh < th)
				outer_ip(head, nh, &key);
		} else {
			key.dir = VXLAN_DIR_TX;
			key.vni = tunnel_vni(skb);
		}
	} else {
		if (nh == NST_HDR_UNSET)
			return 0;
		key.where = VXLAN_ON_UNDERLAY;
		key.dir = iif == key.ifindex ? VXLAN_DIR_RX : VXLAN_DIR_TX;
		udp = outer_ip(head, nh, &key);
		if (!udp || !vxlan_header(head, udp, &key))
			return 0;
		if (!vxlan_reason(reason) && !vxlan_port(key.netns, key.port))
			return 0;
	}
	nst_counter_add(&drops, &key, 1);
	return 0;
}

#include "netstrata/kfree_skb_flavours.h"

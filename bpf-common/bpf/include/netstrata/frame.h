/* A frame's fingerprint: what matches one packet across a copy the kernel makes of it (the skb an
 * OVS upcall sends up and the one ovs-vswitchd sends back down to be executed, say). */
#ifndef NETSTRATA_FRAME_H
#define NETSTRATA_FRAME_H

#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"

/* The first 64 bytes of the frame at skb->data (its Ethernet header) and its length, less the L4
 * checksum: an OVS upcall completes a checksum the sender left to offload (CHECKSUM_PARTIAL) before
 * ovs-vswitchd sees the packet. 0 when the frame's linear part is shorter than what would be read. */
static __always_inline __u64 nst_frame_fingerprint(const struct sk_buff *skb)
{
	__u64 words[8] = {};
	const __u8 *b = (const __u8 *)words;
	__u32 len = BPF_CORE_READ(skb, len);
	__u32 linear = len - BPF_CORE_READ(skb, data_len);
	__u32 n = len < sizeof(words) ? len : sizeof(words);
	__u64 h = 0xcbf29ce484222325ULL ^ len;
	__u32 l4 = 0, proto = 0, csum = 0;

	if (!n || linear < n)
		return 0;
	n &= 0x7f; /* for the verifier: n <= 64 already */
	if (n > sizeof(words) || bpf_probe_read_kernel(words, n, BPF_CORE_READ(skb, data)))
		return 0;
	if (b[12] == 0x08 && b[13] == 0x00) {
		l4 = 14 + (b[14] & 0xf) * 4;
		proto = b[23];
	} else if (b[12] == 0x86 && b[13] == 0xdd) {
		l4 = 14 + 40;
		proto = b[20];
	}
	if (proto == NST_IPPROTO_UDP)
		csum = l4 + 6;
	else if (proto == NST_IPPROTO_TCP)
		csum = l4 + 16;
	else if (proto == NST_IPPROTO_ICMP || proto == NST_IPPROTO_ICMPV6)
		csum = l4 + 2;
	/* The checksum's two bytes, as masks of the little-endian words that hold them. */
	__u32 w1 = csum >> 3, w2 = (csum + 1) >> 3;
	__u64 m1 = csum ? ~(0xffULL << ((csum & 7) * 8)) : ~0ULL;
	__u64 m2 = csum ? ~(0xffULL << (((csum + 1) & 7) * 8)) : ~0ULL;

	for (int i = 0; i < 8; i++) {
		__u64 v = words[i];

		if (i == w1)
			v &= m1;
		if (i == w2)
			v &= m2;
		h ^= v;
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

#endif

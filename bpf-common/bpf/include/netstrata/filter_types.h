/* Packet filter knobs shared by every tool: one struct set as rodata (`targ_filter`) before load.
 * Data only, so the TypeScript encoder can mirror it byte for byte. Zero means "off" everywhere. */
#ifndef NETSTRATA_FILTER_TYPES_H
#define NETSTRATA_FILTER_TYPES_H

#include "netstrata/btf.h"

#define NST_AF_INET  2
#define NST_AF_INET6 10

struct nst_filter {
	__u8  saddr[16];   /* source address, network order; IPv4 uses the first 4 bytes */
	__u8  daddr[16];   /* destination address */
	__u8  addr[16];    /* either direction: matches source or destination */
	__u8  family;      /* NST_AF_INET / NST_AF_INET6 when any address filter is set, else 0 */
	__u8  saddr_plen;  /* prefix lengths; 0 = that address filter is off */
	__u8  daddr_plen;
	__u8  addr_plen;
	__u8  protocol;    /* IPPROTO_TCP/UDP/ICMP/ICMPV6 (ICMP matches both ICMP and ICMPv6); 0 = any */
	__u8  _pad0[3];
	__u16 sport;       /* host order; 0 = off */
	__u16 dport;
	__u16 port;        /* either direction */
	__u16 _pad1;
	__u32 ifindex;     /* device index in netns `netns`; 0 = off */
	__u32 netns;       /* network namespace inode; 0 = off */
};

_Static_assert(sizeof(struct nst_filter) == 72, "struct nst_filter layout is mirrored in bpf-common/src/filter");
NST_BTF_STRUCT(nst_filter);

/* A packet's identity as the filter and the aggregation keys see it. */
struct nst_flow {
	__u8  saddr[16];
	__u8  daddr[16];
	__u16 sport;      /* host order; ICMP echo id in sport for ICMP */
	__u16 dport;
	__u8  family;     /* NST_AF_INET, NST_AF_INET6 (ARP: NST_AF_INET), or 0 */
	__u8  protocol;   /* L4 protocol; 0 for ARP */
	__u16 ethertype;  /* host order: 0x0800, 0x86dd, or 0x0806 (ARP: addresses are sender and target IP, sport the opcode) */
};

_Static_assert(sizeof(struct nst_flow) == 40, "struct nst_flow layout is mirrored in bpf-common/src/filter");
NST_BTF_STRUCT(nst_flow);

/* Packet identity beyond the 5-tuple: what joins one packet across stages and devices. */
struct nst_ident {
	__u32 tcp_seq;     /* host order */
	__u16 ip_id;       /* IPv4 only */
	__u16 icmp_id;
	__u16 icmp_seq;
	__u16 l4_payload;  /* bytes after the TCP/UDP header (from the IP length) */
	__u8  tcp_flags;   /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 ... */
	__u8  _pad[3];
};

_Static_assert(sizeof(struct nst_ident) == 16, "struct nst_ident layout is mirrored by the tools that decode it");
NST_BTF_STRUCT(nst_ident);

#endif

/* Records shared by fragment_summary.bpf.c and its TypeScript decoders (src/fragment/layout.ts). */
#ifndef FRAGMENT_H
#define FRAGMENT_H

#include "netstrata/btf.h"
#include "netstrata/filter_types.h"

/* Dropped-fragment rows: datagram x reason x location (an LRU: idle rows are removed by the user
 * side, evictions counted). A datagram has a handful of rows at most. */
#define FRAG_DROPS_MAX 8192

/* One datagram as the kernel's reassembly queue knows it (its key: addresses, identification,
 * protocol), with the namespace it is in, plus what dropped one of its fragments. */
struct frag_key {
	__u8 saddr[16];     /* network order; IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u64 location;     /* the drop's location (kfree_skb's caller) */
	__u32 id;           /* IPv4 identification (16 bits) or IPv6 fragment identification, host order */
	__u32 netns;        /* namespace inode; 0: not known (see frag_netns) */
	__u32 reason;       /* enum skb_drop_reason */
	__u8 family;        /* NST_AF_INET / NST_AF_INET6 */
	__u8 protocol;      /* IPv4 protocol, or the IPv6 fragment header's next header */
	__u16 _pad;
};

struct frag_stats {
	__u64 fragments;    /* fragments dropped */
	__u64 bytes;        /* their payload bytes (after the IP header and, for IPv6, the fragment header) */
	__u64 first;        /* of them, first fragments (offset 0) */
	__u64 last;         /* of them, last fragments (no more-fragments flag) */
};

/* The datagram of the last fragment drop on this CPU whose namespace was known: the fragments a
 * reassembly queue holds are freed one after the other on one CPU, and a fragment that was queued
 * no longer names its device (the queue reuses that member), so it takes the namespace of a
 * fragment of the same datagram freed just before it (the head the expiry timer sends its ICMP
 * error with, the fragment that made the kernel give the datagram up). */
struct frag_last {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 id;
	__u32 netns;
	__u8 family;
	__u8 protocol;
	__u16 _pad;
};

_Static_assert(sizeof(struct frag_key) == 56, "frag_key size is mirrored in src/fragment/layout.ts");
_Static_assert(sizeof(struct frag_stats) == 32, "frag_stats size is mirrored in src/fragment/layout.ts");
_Static_assert(sizeof(struct frag_last) == 44, "frag_last size is mirrored in src/fragment/layout.ts");
NST_BTF_STRUCT(frag_key);
NST_BTF_STRUCT(frag_stats);
NST_BTF_STRUCT(frag_last);

#endif

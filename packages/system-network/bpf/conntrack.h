/* Records shared by conntrack_summary.bpf.c, conntrack_details.bpf.c and their TypeScript decoders
 * (src/conntrack/layout.ts). */
#ifndef CONNTRACK_H
#define CONNTRACK_H

#include "netstrata/btf.h"
#include "netstrata/filter_types.h"

/* Rows by namespace, zone, state and drop location: bounded by the host's namespaces and zones
 * times a handful of states and netfilter locations (a hash: a full one refuses, counted map_full). */
#define CT_STATES_MAX 4096
/* Rows by flow (LRU: new flows make room, the rows evicted are counted). */
#define CT_FLOWS_MAX 8192
#define CT_NAME_LEN 16

/* The state of a dropped packet's connection, from skb->_nfct (a pointer to its entry with the
 * kernel's enum ip_conntrack_info in the low bits). */
enum ct_state {
	CT_STATE_NONE = 0,         /* no entry: conntrack found the packet invalid, had no room for it, or never saw it */
	CT_STATE_NEW = 1,          /* the first packet of a connection (its entry not confirmed yet) */
	CT_STATE_ESTABLISHED = 2,  /* a packet of a connection seen both ways (or its later packets) */
	CT_STATE_RELATED = 3,      /* related to another connection (an ICMP error, an expected data channel) */
	CT_STATE_UNTRACKED = 4,    /* marked not to be tracked (notrack, ICMPv6 neighbour discovery) */
	CT_STATES = 5,
};
NST_BTF_ENUM(ct_state);

/* ct_state_key.flags and ct_event.flags */
#define CT_HAS_ENTRY 0x01  /* the packet had an entry: zone, status and mark are its */
#define CT_HAS_ZONE 0x02   /* the kernel has zones (CONFIG_NF_CONNTRACK_ZONES) and the packet an entry or a template */
#define CT_REPLY 0x04      /* the packet went the reply way of its connection */
#define CT_TEMPLATE 0x08   /* what the packet carried was a template (a zone set before conntrack saw it) */
#define CT_HAS_MARK 0x10   /* the kernel has connection marks (CONFIG_NF_CONNTRACK_MARK) */

/* Drops by namespace, zone, state and where the kernel freed the packet. */
struct ct_state_key {
	__u64 location;
	__u32 netns;
	__u16 zone;
	__u8 state;                /* enum ct_state */
	__u8 flags;                /* CT_HAS_ENTRY, CT_HAS_ZONE, CT_TEMPLATE (CT_REPLY is left out of the rows) */
};

/* Drops by flow: the packet's own addresses and ports, as it travelled. */
struct ct_flow_key {
	struct nst_flow flow;
	__u32 netns;
	__u16 zone;
	__u8 state;
	__u8 flags;
};

/* One dropped packet (conntrack_details). */
struct ct_event {
	__u64 ts_ns;               /* bpf_ktime_get_ns */
	__u64 location;            /* where the kernel freed it */
	__u64 status;              /* its entry's status bits (enum ip_conntrack_status), 0 without one */
	__u32 reason;              /* enum skb_drop_reason */
	__u32 cpu;
	__u32 pid;
	__u32 netns;
	__u32 ifindex;
	__u32 len;                 /* skb->len */
	__u32 mark;                /* its entry's mark (CT_HAS_MARK and CT_HAS_ENTRY) */
	__u16 zone;
	__u8 state;                /* enum ct_state */
	__u8 ctinfo;               /* the kernel's enum ip_conntrack_info as the packet carried it */
	__u8 flags;                /* CT_* */
	__u8 _pad[7];
	struct nst_flow flow;
	struct nst_ident ident;    /* TCP flags and sequence, IPv4 id, ICMP id and sequence */
	char comm[CT_NAME_LEN];
	char dev[CT_NAME_LEN];
};

_Static_assert(sizeof(struct ct_state_key) == 16, "ct_state_key size is mirrored in src/conntrack/layout.ts");
_Static_assert(sizeof(struct ct_flow_key) == 48, "ct_flow_key size is mirrored in src/conntrack/layout.ts");
_Static_assert(sizeof(struct ct_event) == 64 + 40 + 16 + 32, "ct_event size is mirrored in src/conntrack/layout.ts");
NST_BTF_STRUCT(ct_state_key);
NST_BTF_STRUCT(ct_flow_key);
NST_BTF_STRUCT(ct_event);

#endif

/* Records shared by the packet-drop BPF programs and their TypeScript decoders (src/layout.ts). */
#ifndef PACKET_DROP_H
#define PACKET_DROP_H

#include "netstrata/btf.h"
#include "netstrata/filter_types.h"

/* Distinct (reason, location, stack, device, flow) keys kept; 10k covers a host's drop sites many
 * times over while staying under 2 MiB. Overflow is counted as map_full. */
#define DROPS_MAX 10240
/* Distinct kernel stacks kept for --group-by stack and --stack. */
#define STACKS_MAX 4096
#define STACK_DEPTH 32
/* Header bytes copied per dropped packet: Ethernet + 2 VLAN tags + IPv6 + extension headers + TCP. */
#define HDR_CAPTURE 128
#define DEV_NAME_LEN 16
#define COMM_LEN 16

/* Where the captured header bytes start. */
#define HDR_START_MAC 0
#define HDR_START_NETWORK 1

/* Aggregation key; fields not selected by --group-by stay zero. */
struct drop_key {
	__u64 location;
	__u32 reason;
	__s32 stack_id;     /* -1 when stacks are not grouped */
	__u32 ifindex;
	__u32 netns;
	char  dev[DEV_NAME_LEN];
	struct nst_flow flow;
};

struct drop_event {
	__u64 ts_ns;        /* bpf_ktime_get_ns */
	__u64 location;
	__u64 skb;
	__u32 reason;
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	char  comm[COMM_LEN];
	__u32 netns;
	__u32 ifindex;
	char  dev[DEV_NAME_LEN];
	__u32 pkt_len;
	__u16 protocol;     /* skb->protocol, host order */
	__u16 hdr_len;      /* bytes valid in hdr */
	__u8  hdr_start;    /* HDR_START_* */
	__u8  _pad[3];
	__s32 stack_len;    /* bytes valid in stack, or a negative error */
	__u8  hdr[HDR_CAPTURE];
	__u64 stack[STACK_DEPTH];
};

/* The event as reserved without --stack: everything before the stack. */
#define DROP_EVENT_NO_STACK __builtin_offsetof(struct drop_event, stack)

_Static_assert(DROP_EVENT_NO_STACK == 96 + HDR_CAPTURE, "DROP_EVENT_NO_STACK is mirrored in src/layout.ts");
_Static_assert(sizeof(struct drop_key) == 80, "drop_key size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct drop_event) == 96 + HDR_CAPTURE + 8 * STACK_DEPTH, "drop_event size is mirrored in src/layout.ts");
/* In the BTF for the decoders to check against (the event is a ring record, named by no map). */
NST_BTF_STRUCT(drop_key);
NST_BTF_STRUCT(drop_event);

#endif

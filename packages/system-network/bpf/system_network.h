/* Records shared by the system-network BPF programs and their decoders (src/layout.ts). */
#ifndef SYSTEM_NETWORK_H
#define SYSTEM_NETWORK_H

#include "netstrata/btf.h"

/* Devices with queue and NAPI rows; a host with more devices than this counts the rest as map_full. */
#define DEVS_MAX 4096
#define DEV_NAME_LEN 16

struct dev_key {
	__u32 ifindex;
	__u32 netns;
};

_Static_assert(sizeof(struct dev_key) == 8, "dev_key size is mirrored in src/layout.ts");
NST_BTF_STRUCT(dev_key);

/* Packets between qdisc enqueue and dequeue followed at once; more are counted as map_full. An
 * LRU evicts the oldest, so a session lost that way shows as a dequeue with no enqueue seen. */
#define QDISC_SESSIONS_MAX 16384
/* Devices with a qdisc sojourn histogram (each is 520 bytes, so fewer than DEVS_MAX). */
#define QDISC_DEVS_MAX 1024
/* Packets of one bulk dequeue walked along skb->next; longer bulks count the rest as unmatched. */
#define QDISC_BULK_MAX 16
/* Drop rows (device x reason). */
#define DROPS_MAX 8192
/* Softirq vectors: the kernel has 10; room for more, the user side names them from BTF. */
#define SOFTIRQ_VECS_MAX 32

/* Per CPU, per device: what the qdisc and NAPI did. */
struct qdisc_napi_stats {
	__u64 qdisc_dequeued;    /* packets dequeued whose enqueue was seen (sojourn measured) */
	__u64 qdisc_unmatched;   /* dequeued with no enqueue seen: before start, evicted, or long bulk */
	__u64 napi_polls;
	__u64 napi_packets;      /* sum of the work done by every poll */
	__u64 napi_exhausted;    /* polls that used their whole budget (more work was waiting) */
	char  name[DEV_NAME_LEN];
};

struct drop_dev_key {
	__u32 ifindex;
	__u32 netns;
	__u32 reason;            /* enum skb_drop_reason: named by the user side from BTF */
	char  name[DEV_NAME_LEN]; /* empty when the skb had no device (dropped at a socket) */
};

/* Per CPU, per softirq vector; start_ns is the entry time of the one running now on this CPU
 * (softirqs do not nest on a CPU). */
struct softirq_stats {
	__u64 count;
	__u64 time_ns;
	__u64 start_ns;
};

_Static_assert(sizeof(struct qdisc_napi_stats) == 56, "qdisc_napi_stats size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct drop_dev_key) == 28, "drop_dev_key size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct softirq_stats) == 24, "softirq_stats size is mirrored in src/layout.ts");
NST_BTF_STRUCT(qdisc_napi_stats);
NST_BTF_STRUCT(drop_dev_key);
NST_BTF_STRUCT(softirq_stats);

#endif

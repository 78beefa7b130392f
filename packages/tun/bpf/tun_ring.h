/* Records shared by the tun BPF programs and their TypeScript decoders (src/layout.ts). */
#ifndef TUN_RING_H
#define TUN_RING_H

#include "netstrata/btf.h"
#include "netstrata/hist_types.h"
#include "netstrata/filter_types.h"

/* TAP/TUN queues kept (a multi-queue TAP has one row per queue). */
#define TUN_QUEUES_MAX 1024
/* Drop rows: queue x reason. */
#define TUN_DROPS_MAX 4096
/* Packets in a TAP ring waiting for their reader, followed for --dwell. */
#define TUN_INFLIGHT_MAX 65536
#define TUN_DEV_NAME_LEN 16
#define TUN_COMM_LEN 16

struct tun_key {
	__u32 ifindex;
	__u32 netns;
	__u32 queue;
	__u32 _pad;
};

/* One TAP queue. */
struct tun_queue_stats {
	char  dev[TUN_DEV_NAME_LEN];
	__u32 ring_size;               /* the queue's ptr_ring size (the device's txqueuelen when attached) */
	__u32 reader_pid;              /* --dwell: the last task that read from the queue */
	char  reader_comm[TUN_COMM_LEN];
	__u64 xmits;                   /* transmits into the TAP on this queue */
	__u64 full;                    /* of which found the ring full */
	__u64 no_queue;                /* of which found no reader attached at that queue */
	__u64 reads;                   /* --dwell: packets the reader took out that were followed in */
	struct nst_hist occupancy;     /* packets already in the ring at each transmit */
	struct nst_hist dwell_ns;      /* --dwell: transmit into the TAP -> copied to the reader */
};

struct tun_drop_key {
	__u32 ifindex;
	__u32 netns;
	__u32 queue;
	__u32 reason;
	char  dev[TUN_DEV_NAME_LEN];
};

/* --dwell: a packet put in a TAP ring, keyed by skb address. */
struct tun_inflight {
	__u64 ts_ns;
	struct tun_key key;
};

/* tun_ring_details: the last read from a TAP queue (by its reader: vhost-net's worker, QEMU, any
 * process reading /dev/net/tun). */
struct tun_reader {
	__u64 ts_ns;
	__u32 pid;
	__u32 tid;
	char  comm[TUN_COMM_LEN];
};

#define TUN_EV_DROP 1  /* a packet a TAP/TUN device dropped (reason, location) */
#define TUN_EV_XMIT 2  /* --all: a transmit into a TAP queue, before its packet goes in the ring */

/* tun_ring_details: one event, with the queue's ring as it was at that moment. */
struct tun_event {
	__u64 ts_ns;
	__u64 location;                /* drop: the kernel's drop location */
	__u64 reader_ts_ns;            /* the queue's last read (0: none seen since the tool started) */
	struct nst_flow flow;
	__u32 kind;                    /* TUN_EV_* */
	__u32 reason;                  /* drop: the kernel's reason (0 where the hook has none) */
	__u32 ifindex;
	__u32 netns;
	__u32 queue;
	__u32 numqueues;               /* queues with a reader attached */
	__u32 ring_size;               /* 0: no ring (no reader attached at this queue) */
	__u32 producer;
	__u32 consumer_head;
	__u32 consumer_tail;
	__u32 count;                   /* packets in the ring */
	__u32 len;
	__u32 pid;                     /* the task that sent (or was interrupted by the softirq that sent) */
	__u32 tid;
	__u32 cpu;
	__u32 reader_pid;
	__u32 reader_tid;
	__u8  full;                    /* the producer's slot was taken: the ring refuses the packet */
	__u8  _pad[3];
	char  dev[TUN_DEV_NAME_LEN];
	char  comm[TUN_COMM_LEN];
	char  reader_comm[TUN_COMM_LEN];
};

_Static_assert(sizeof(struct tun_key) == 16, "tun_key size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct tun_queue_stats) == 72 + 2 * sizeof(struct nst_hist), "tun_queue_stats size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct tun_drop_key) == 32, "tun_drop_key size is mirrored in src/layout.ts");
NST_BTF_STRUCT(tun_key);
NST_BTF_STRUCT(tun_queue_stats);
_Static_assert(sizeof(struct tun_event) == 184, "tun_event size is mirrored in src/layout.ts");
NST_BTF_STRUCT(tun_drop_key);
NST_BTF_STRUCT(tun_event);

#endif

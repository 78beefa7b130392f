/* Records shared by the system-network latency programs and their decoders (src/latency/layout.ts). */
#ifndef SYSTEM_NETWORK_LATENCY_H
#define SYSTEM_NETWORK_LATENCY_H

#include "netstrata/btf.h"
#include "netstrata/filter_types.h"

#define LAT_DIR_RX 0
#define LAT_DIR_TX 1
#define LAT_DIRS 2

/* Stage slots in a session, per direction, in path order. A stage the packet did not pass, or
 * whose hook this kernel lacks, stays 0. Function stages (fentry or kprobe) are marked (fn). The
 * default mode passes device, socket queue and read (RX) and send, device queue and xmit (TX);
 * --stages adds the others. */
#define LAT_RX_DEVICE 0         /* --stages: net:netif_receive_skb (first device); default: the kernel's RX software timestamp */
#define LAT_RX_IP 1             /* (fn) ip_rcv, ipv6_rcv */
#define LAT_RX_LOCAL 2          /* (fn) ip_local_deliver, ip6_input */
#define LAT_RX_L4 3             /* (fn) tcp_v4_rcv, udp_rcv, tcp_v6_rcv, udpv6_rcv */
#define LAT_RX_QUEUED 4         /* sock:sk_data_ready: queued to the socket */
#define LAT_RX_READ 5           /* read by the application: skb:skb_copy_datagram_iovec (TCP), sock:sock_recv_length (UDP) */
#define LAT_TX_SEND 0           /* the application's send: tcp:tcp_sendmsg_locked (TCP), sendto/sendmsg/sendmmsg entry (UDP) */
#define LAT_TX_IP 1             /* (fn) __ip_queue_xmit, ip6_xmit, ip_send_skb, ip6_send_skb */
#define LAT_TX_OUTPUT 2         /* (fn) ip_output, ip6_output */
#define LAT_TX_QUEUE 3          /* net:net_dev_queue (first device): where a TX session starts */
#define LAT_TX_ENQUEUE 4        /* qdisc:qdisc_enqueue */
#define LAT_TX_DEQUEUE 5        /* qdisc:qdisc_dequeue */
#define LAT_TX_START 6          /* net:net_dev_start_xmit */
#define LAT_TX_DONE 7           /* net:net_dev_xmit (rc 0), or the skb freed by the driver inside ndo_start_xmit */
#define LAT_STAGES 8
/* Histogram slot of the end-to-end (first → last stage) histogram of a direction: the diagonal
 * (LAT_E2E, LAT_E2E) is never an adjacent pair. */
#define LAT_E2E (LAT_STAGES - 1)
#define LAT_HISTS (LAT_DIRS * LAT_STAGES * LAT_STAGES)

/* Per-direction packet counters (PERCPU_ARRAY index dir * LAT_COUNTERS + counter). A session
 * that starts ends as completed, segmented, dropped or consumed, or is let go (timed out, counted
 * by the user side; evicted, by difference). */
#define LAT_STARTED 0
#define LAT_COMPLETED 1
#define LAT_CONSUMED 2    /* --stages: freed without a drop before the last stage */
#define LAT_UNTRACKED 3   /* UDP reads the per-socket queue could not attribute (queue state unknown) */
#define LAT_DROPPED 4     /* freed by skb:kfree_skb (a drop, with its reason in `drops`) */
#define LAT_SEGMENTED 5   /* a GSO packet split before the wire, followed to its last segment */
#define LAT_UNSTAMPED 6   /* default RX: queued without a usable kernel RX timestamp (timed from the socket queue) */
#define LAT_SEGMENTS 7    /* the segments the segmented packets were split into */
#define LAT_COUNTERS 8

/* Sessions in flight: 64k skbs is far more than a host holds in its queues at once; an LRU evicts
 * the oldest beyond that (counted by difference, see docs/output-fields.md). */
#define LAT_SESSIONS_MAX 65536
/* UDP sockets with datagrams in flight, and datagrams per socket followed in order. */
#define LAT_SOCKS_MAX 256
#define LAT_FIFO_DEPTH 64
#define LAT_DEV_NAME_LEN 16
#define LAT_COMM_LEN 16
#define LAT_STACK_DEPTH 32
/* Sessions whose slowest-step stack details --stack keeps at once. */
#define LAT_STACKS_MAX 8192
/* Send calls waiting for their first packet (TCP: by socket and sequence; UDP: by thread), and
 * packets between the IP layer and the device (function stages). */
#define LAT_SENDS_MAX 16384
#define LAT_EARLY_MAX 16384
/* TCP GSO packets followed until their last segment is sent (a qdisc or software GSO may split
 * them), and (direction, drop reason) rows. */
#define LAT_GSO_MAX 8192
#define LAT_DROP_ROWS 512
/* A kernel RX timestamp older than this is not the packet's arrival (a delivery time the sender
 * set, a stamp from another clock): the packet is timed from the socket queue instead. */
#define LAT_STAMP_MAX_AGE_NS (60ULL * 1000000000ULL)

/* A send system call: which thread entered it, when, and which call (its number, checked against
 * the call the thread is in when its packet reaches the device). */
struct lat_send {
	__u64 ts;
	__s64 nr;
	__u32 tid;
	__u32 _pad;
};

/* A TCP GSO packet by its flow (addresses, folded for IPv6, and ports) and the sequence number its
 * data ends at: its last segment ends there too. No socket: forwarded packets have none. */
struct lat_gso_key {
	__u64 addrs;
	__u32 ports;
	__u32 end_seq;
};

struct lat_drop_key {
	__u32 dir;
	__u32 reason;                  /* enum skb_drop_reason: named by the user side from BTF */
};

/* A TCP send call: the first sequence number of the data it handed to the socket. */
struct lat_send_key {
	__u64 sk;
	__u32 seq;
	__u32 _pad;
};

/* Function-stage times of a TX packet before its session starts at the device. */
struct lat_early {
	__u64 ip;
	__u64 output;
};

struct lat_key {
	__u64 skb;
	__u32 dir;
	__u32 _pad;
};

struct lat_session {
	__u64 ts[LAT_STAGES];          /* bpf_ktime_get_ns at each stage, 0 = not passed */
	struct nst_flow flow;          /* details only */
	struct nst_ident ident;        /* details only */
	__u32 ifindex;
	__u32 netns;
	char  dev[LAT_DEV_NAME_LEN];
	__u32 first_cpu;
	__u32 first_pid;
	__u32 last_cpu;
	__u32 last_pid;
	char  first_comm[LAT_COMM_LEN];
	char  last_comm[LAT_COMM_LEN];
	__u32 len;
	__u8  dir;
	__u8  tracked;                 /* 0: a placeholder in a socket FIFO (a datagram not followed) */
	__u8  gso;                     /* a TCP GSO packet's segments (0: not GSO): a copy waits in `gso` for its last segment */
	__u8  _pad;
	__u64 skb;                     /* the skb the session started with (its key) */
	__u64 worst_ns;                /* details: the slowest step so far */
};

/* The session each CPU carries through one synchronous stretch of the path (dev_queue_xmit to the
 * driver on send; device to socket queue for UDP on receive), per direction. Most packets finish
 * that stretch on the CPU that started it and never touch the shared map; a session that has to
 * wait (in a qdisc, say) or that the CPU must set down for the next packet moves to `sessions`. */
struct lat_carry {
	__u64 skb;                     /* 0: empty */
	struct lat_session s;
};

/* details --stack: the stack where a session's slowest step so far ended. */
struct lat_stack {
	__u64 ip[LAT_STACK_DEPTH];
};

/* Datagrams queued to one UDP socket, in queue order: a read pops the oldest. */
struct lat_fifo {
	__u32 head;
	__u32 tail;
	__u32 skip;                    /* datagrams already queued when following started */
	__u32 _pad;
	struct lat_session e[LAT_FIFO_DEPTH];
};

struct lat_event {
	struct lat_session s;
	__u64 skb;
	__s32 stack_len;               /* bytes valid in stack, or a negative error; 0 without --stack */
	__u32 stack_stage;             /* the stage whose stack it is: the end of the slowest step */
	__u64 stack[LAT_STACK_DEPTH];
};

_Static_assert(sizeof(struct lat_key) == 16, "lat_key size is mirrored in src/latency/layout.ts");
_Static_assert(sizeof(struct lat_session) == 216, "lat_session size is mirrored in src/latency/layout.ts");
_Static_assert(sizeof(struct lat_event) == 216 + 16 + 8 * LAT_STACK_DEPTH, "lat_event size is mirrored in src/latency/layout.ts");
_Static_assert(sizeof(struct lat_carry) == 8 + 216, "lat_carry size is mirrored in src/latency/summary-command.ts (the skb first)");
_Static_assert(sizeof(struct lat_gso_key) == 16, "lat_gso_key size is mirrored in src/latency/layout.ts");
_Static_assert(sizeof(struct lat_drop_key) == 8, "lat_drop_key size is mirrored in src/latency/layout.ts");
/* In the BTF for the decoders to check against (lat_event is a ring record, named by no map). */
NST_BTF_STRUCT(lat_key);
NST_BTF_STRUCT(lat_session);
NST_BTF_STRUCT(lat_carry);
NST_BTF_STRUCT(lat_fifo);
NST_BTF_STRUCT(lat_event);
NST_BTF_STRUCT(lat_gso_key);
NST_BTF_STRUCT(lat_drop_key);

#endif

/* Records shared by the packet-path BPF programs and their TypeScript decoders (src/path/layout.ts). */
#ifndef PACKET_PATH_H
#define PACKET_PATH_H

#include "netstrata/btf.h"
#include "netstrata/hist_types.h"

/* Requests in flight at once (entered and not yet classified): a second of 64k requests per second
 * with the default --timeout-ms. A request that finds the table full is counted as map_full. */
#define PATH_PENDING_MAX 65536
/* Request/reply flows (TCP and UDP) tracked at once; the least recently used make room. */
#define PATH_FLOWS_MAX 16384
/* Requests of one flow waiting for a reply, in order: a reply is matched to the oldest (UDP) or to
 * every one its acknowledgement covers (TCP). Deeper pipelining than this is counted (overflow). */
#define PATH_RING 32

/* The four points a request and its reply pass. */
enum path_point {
	PATH_REQ_IN = 0,   /* the request enters on --rx-interface */
	PATH_REQ_OUT = 1,  /* ... and leaves on --tx-interface */
	PATH_REP_IN = 2,   /* its reply enters on --tx-interface */
	PATH_REP_OUT = 3,  /* ... and leaves on --rx-interface */
	PATH_POINTS = 4,
};
NST_BTF_ENUM(path_point);

/* What became of a request. */
enum path_state {
	PATH_COMPLETE = 0,
	PATH_INTERNAL_DROP_REQUEST = 1,  /* entered, never left */
	PATH_EXTERNAL_DROP = 2,          /* left, no reply came back */
	PATH_INTERNAL_DROP_REPLY = 3,    /* the reply came in, never went out */
	PATH_STATES = 4,
};
NST_BTF_ENUM(path_state);

/* The legs timed: request in -> out, request out -> reply in (outside the host), reply in -> out. */
enum path_leg {
	PATH_LEG_REQUEST = 0,
	PATH_LEG_EXTERNAL = 1,
	PATH_LEG_REPLY = 2,
	PATH_LEGS = 3,
};
NST_BTF_ENUM(path_leg);

/* Counters beside the states. */
enum path_counter {
	PATH_UNMATCHED_REPLIES = 0,  /* a reply-direction packet that matched no request in flight */
	PATH_RING_OVERFLOW = 1,      /* a request pushed out of its flow's reply queue (PATH_RING) */
	PATH_RETRANSMITTED = 2,      /* a request entered again while its first copy was in flight */
	PATH_COUNTERS = 3,
};
NST_BTF_ENUM(path_counter);

/* A request's flow, in the request's direction. ICMP echo: cport is the echo identifier, sport 0. */
struct path_flow {
	__u8  client[16];   /* the request's source address, network order (IPv4: first 4 bytes) */
	__u8  server[16];   /* its destination */
	__u16 cport;        /* host order */
	__u16 sport;
	__u8  family;       /* NST_AF_INET / NST_AF_INET6 */
	__u8  protocol;     /* 1 ICMP, 58 ICMPv6, 6 TCP, 17 UDP */
	__u16 _pad;
};
_Static_assert(sizeof(struct path_flow) == 40, "struct path_flow is mirrored in src/path/layout.ts");
NST_BTF_STRUCT(path_flow);

/* One request: its flow and what tells it from the flow's other requests. */
struct path_key {
	struct path_flow flow;
	/* ICMP: the echo sequence; TCP: the sequence number after the segment (what its ACK carries);
	 * UDP: a hash of the IPv4 id, the length and the first payload bytes. */
	__u32 ident;
	__u32 _pad;
};
_Static_assert(sizeof(struct path_key) == 48, "struct path_key is mirrored in src/path/layout.ts");
NST_BTF_STRUCT(path_key);

struct path_req {
	__u64 ts[PATH_POINTS];  /* bpf_ktime_get_ns at each point; 0 = not (yet) passed */
	__u64 location;         /* where the kernel dropped it or its reply, when it did on our watch */
	__u32 reason;           /* the kernel's drop reason then; 0 = no drop seen */
	__u32 drop_point;       /* the last point passed before that drop, + 1; 0 = no drop seen */
	__u32 len;              /* the request's IP length */
	__u32 _pad;
};
_Static_assert(sizeof(struct path_req) == 56, "struct path_req is mirrored in src/path/layout.ts");
NST_BTF_STRUCT(path_req);

/* A flow's requests waiting for their reply to come in, and for it to go out, oldest first. */
struct path_ring {
	__u64 head;  /* 64-bit: the BPF atomics older kernels and compilers offer */
	__u64 tail;
	__u32 ident[PATH_RING];
};

struct path_queues {
	struct path_ring reply_in;
	struct path_ring reply_out;
};
_Static_assert(sizeof(struct path_queues) == 2 * (16 + 4 * PATH_RING), "struct path_queues: two rings");

/* Per CPU: requests the kernel side finished (complete, or superseded by a retransmission), and
 * the counters. The legs of complete requests are histograms in their own map (one per leg). */
struct path_stats {
	__u64 states[PATH_STATES];
	__u64 counters[PATH_COUNTERS];
};
_Static_assert(sizeof(struct path_stats) == (PATH_STATES + PATH_COUNTERS) * 8, "struct path_stats is mirrored in src/path/layout.ts");
NST_BTF_STRUCT(path_stats);

/* packet_path_details: a request the kernel side finished (complete with --all, or retransmitted). */
struct path_event {
	struct path_key key;
	struct path_req req;
	__u32 state;
	__u32 _pad;
};
_Static_assert(sizeof(struct path_event) == 112, "struct path_event is mirrored in src/path/layout.ts");
NST_BTF_STRUCT(path_event);

#endif

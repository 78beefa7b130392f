/* Records shared by tcp_health_summary.bpf.c and its TypeScript decoders (src/tcp-health/layout.ts). */
#ifndef TCP_HEALTH_H
#define TCP_HEALTH_H

#include "netstrata/btf.h"
#include "netstrata/hist_types.h"
#include "netstrata/filter_types.h"

/* Flows kept (LRU): each row carries its RTT histogram (4 KiB), so 2048 rows are ~8.5 MiB. */
#define TCP_FLOWS_MAX 2048
/* Drop rows: flow x reason (a hash of 8-byte counters; idle rows are removed by the user side). */
#define TCP_DROPS_MAX 8192
/* Host rows by reason (drops by drop reason, resets sent by reset reason): bounded by the enums. */
#define TCP_REASONS_MAX 1024
/* Active opens between SYN sent and the answer (a hash: a full table refuses, counted map_full). */
#define TCP_OPENING_MAX 16384
/* RTT samples of one flow from its reads and writes at most this often (state changes always sample). */
#define TCP_RTT_SAMPLE_GAP_NS 10000000ULL

/* Retransmissions by kind, from the socket's state as the kernel retransmits. */
enum tcp_retrans_kind {
	TCP_RT_SYN = 0,      /* a SYN of an active open (SYN_SENT) */
	TCP_RT_SYNACK = 1,   /* a SYN-ACK of a passive open (tcp:tcp_retransmit_synack) */
	TCP_RT_TIMEOUT = 2,  /* after a retransmission timeout (congestion state Loss) */
	TCP_RT_FAST = 3,     /* fast retransmit / recovery (congestion state Recovery) */
	TCP_RT_PROBE = 4,    /* tail loss probe (Open, Disorder or CWR: only a TLP retransmits there) */
	TCP_RT_KINDS = 5,
};
NST_BTF_ENUM(tcp_retrans_kind);

/* Host rows by reason: which enum the reason is of. */
#define TCP_REASON_DROP 1   /* enum skb_drop_reason */
#define TCP_REASON_RESET 2  /* enum sk_rst_reason (0 where the kernel gives none) */

/* A flow as its local socket sees it: saddr/sport local, daddr/dport remote. */
struct tcp_flow_key {
	struct nst_flow flow;
	__u32 netns;
	__u32 _pad;
};

struct tcp_counts {
	__u64 active_opens;            /* handshakes completed, connect() side: SYN_SENT -> ESTABLISHED */
	__u64 passive_opens;           /* handshakes completed, listen() side: SYN_RECV -> ESTABLISHED */
	__u64 connect_failed;          /* SYN_SENT -> CLOSE (refused, timed out, aborted) */
	__u64 retrans[TCP_RT_KINDS];   /* retransmissions sent, by enum tcp_retrans_kind */
	__u64 retrans_failed;          /* retransmissions the kernel could not send (err other than EBUSY) */
	__u64 resets_sent;
	__u64 resets_received;
	__u64 rtt_sum_us;              /* sum of the RTT samples (their mean, with the histogram's count) */
};

/* One flow. */
struct tcp_flow_stats {
	struct tcp_counts c;
	__u64 last_sample_ns;          /* the last RTT sample from a read or write (rate limit) */
	__u32 handshake_us;            /* this flow's handshake (0: not seen) */
	__u32 srtt_us;                 /* the smoothed RTT at the last sample */
	__u32 cwnd;                    /* --window: at the last segment received */
	__u32 in_flight;               /* --window: at the last segment received */
	__u32 cwnd_max;
	__u32 in_flight_max;
	struct nst_hist rtt_us;        /* smoothed RTT samples */
};

/* The host: every flow that passed the filters, per CPU (summed by the user side). */
struct tcp_host_stats {
	struct tcp_counts c;
	__u64 drops;                   /* TCP packets dropped (their reasons in the reasons map) */
	struct nst_hist rtt_us;
	struct nst_hist handshake_active_us;
	struct nst_hist handshake_passive_us;
	struct nst_hist cwnd;          /* --window: packets */
	struct nst_hist in_flight;     /* --window: packets */
};

struct tcp_drop_key {
	struct tcp_flow_key flow;
	__u32 reason;
	__u32 _pad;
};

struct tcp_reason_key {
	__u32 kind;                    /* TCP_REASON_* */
	__u32 reason;
};

_Static_assert(sizeof(struct tcp_flow_key) == 48, "tcp_flow_key size is mirrored in src/tcp-health/layout.ts");
_Static_assert(sizeof(struct tcp_counts) == 96, "tcp_counts size is mirrored in src/tcp-health/layout.ts");
_Static_assert(sizeof(struct tcp_flow_stats) == 96 + 32 + sizeof(struct nst_hist), "tcp_flow_stats size is mirrored in src/tcp-health/layout.ts");
_Static_assert(sizeof(struct tcp_host_stats) == 104 + 5 * sizeof(struct nst_hist), "tcp_host_stats size is mirrored in src/tcp-health/layout.ts");
_Static_assert(sizeof(struct tcp_drop_key) == 56, "tcp_drop_key size is mirrored in src/tcp-health/layout.ts");
_Static_assert(sizeof(struct tcp_reason_key) == 8, "tcp_reason_key size is mirrored in src/tcp-health/layout.ts");
NST_BTF_STRUCT(tcp_flow_key);
NST_BTF_STRUCT(tcp_counts);
NST_BTF_STRUCT(tcp_flow_stats);
NST_BTF_STRUCT(tcp_host_stats);
NST_BTF_STRUCT(tcp_drop_key);
NST_BTF_STRUCT(tcp_reason_key);

#endif

/* The maps of both latency tools: one session per skb, keyed by its address and direction, in an
 * LRU map; the session each CPU carries; per-socket FIFOs for UDP reads; the send calls and IP-layer
 * times a TX packet picks up at the device; the per-direction counters; and, for details --stack,
 * the slowest step's stack. The including program defines LAT_DETAILS (0 or 1) first. */
#ifndef LATENCY_MAPS_H
#define LATENCY_MAPS_H

#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "system_network_latency.h"

/* --stages: every stage (function stages, qdisc, start_xmit, the frees); off: the default stages. */
const volatile bool targ_stages = false;
/* --sample N: one packet in N of those that pass the filters starts a session; 0 or 1: all. */
const volatile __u32 targ_sample = 0;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_SESSIONS_MAX);
	__type(key, struct lat_key);
	__type(value, struct lat_session);
} sessions SEC(".maps");

/* The session each CPU carries through one synchronous stretch of the path (struct lat_carry). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LAT_DIRS);
	__type(key, __u32);
	__type(value, struct lat_carry);
} carry SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_SOCKS_MAX);
	__type(key, __u64);
	__type(value, struct lat_fifo);
} fifos SEC(".maps");

/* The zeroed values a new FIFO and a new details --stack slot are created from (too large for the
 * BPF stack). */
static const union {
	struct lat_fifo fifo;
	struct lat_stack stack;
} zero = {};

/* The skb this CPU is delivering: net:netif_receive_skb and the sock:sk_data_ready it causes run
 * back to back in one softirq on one CPU, and sk_data_ready names only the socket. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rx_current SEC(".maps");

/* TCP send calls by (socket, first sequence number), until the segment that starts there is queued
 * to a device. Data appended to an unsent segment belongs to that segment's (earlier) send. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_SENDS_MAX);
	__type(key, struct lat_send_key);
	__type(value, __u64);
} tcp_sends SEC(".maps");

/* UDP: the last send system call entered on each CPU (its datagrams go out inside it, on that CPU;
 * a thread moved to another CPU mid-call, or preempted by another sender, loses its send stage). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lat_send);
} udp_sends SEC(".maps");

/* TCP GSO packets by (socket, end sequence): a copy of the session, finished by the packet itself
 * or, when it was split, by its last segment. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_GSO_MAX);
	__type(key, struct lat_gso_key);
	__type(value, struct lat_session);
} gso SEC(".maps");

/* Drops of followed packets by (direction, reason). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LAT_DROP_ROWS);
	__type(key, struct lat_drop_key);
	__type(value, __u64);
} drops SEC(".maps");

/* Index 0: TAI − REALTIME in ns, written by the user side each interval (the kernel's RX timestamp
 * is CLOCK_REALTIME; BPF reads CLOCK_TAI). Index 1: GSO copies waiting in `gso` (an estimate: a
 * segment with no session is looked up there only while some wait). */
#define LAT_G_TAI_OFF 0
#define LAT_G_GSO_OPEN 1
#define LAT_GLOBALS 2
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LAT_GLOBALS);
	__type(key, __u32);
	__type(value, __u64);
} globals SEC(".maps");

/* --sample: packets that passed the filters, per CPU and direction. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LAT_DIRS);
	__type(key, __u32);
	__type(value, __u64);
} seen_by_cpu SEC(".maps");

/* TX function stages (IP layer) of a packet whose session starts later, at the device. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_EARLY_MAX);
	__type(key, __u64);
	__type(value, struct lat_early);
} tx_early SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LAT_DIRS * LAT_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

#if LAT_DETAILS
/* details --stack: per session, the stack where its slowest step so far ended (sized to 1 entry
 * before load without --stack). A step ending at the last stage takes its stack at submit. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_STACKS_MAX);
	__type(key, struct lat_key);
	__type(value, struct lat_stack);
} slow_stacks SEC(".maps");
#endif

#endif

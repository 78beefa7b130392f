/* The maps of both latency tools: one session per skb, keyed by its address and direction, in an
 * LRU map; the session each CPU carries; per-socket FIFOs for UDP reads; the send calls and IP-layer
 * times a TX packet picks up at the device; the per-direction counters; and, for details --stack,
 * the slowest step's stack. The including program defines LAT_DETAILS (0 or 1) first. */
#ifndef LATENCY_MAPS_H
#define LATENCY_MAPS_H

#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "system_network_latency.h"

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

/* UDP: the thread in a send system call, and when it entered it (its datagrams go out inside it). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LAT_SENDS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} udp_sends SEC(".maps");

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

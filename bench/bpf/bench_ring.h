/* The event bench_ring.bpf.c produces: packet_drop_details' struct drop_event
 * (packages/packet-drop/bpf/packet_drop.h), copied rather than included so that no project reads
 * another's headers. src/pipeline.ts checks its size, from this object's BTF, against the size the
 * tool's decoder reads before it runs. */
#ifndef BENCH_RING_H
#define BENCH_RING_H

/* Header bytes the tool copies per dropped packet, and its kernel stack depth. */
#define HDR_CAPTURE 128
#define STACK_DEPTH 32
#define DEV_NAME_LEN 16
#define COMM_LEN 16

/* The captured header starts at the MAC header. */
#define HDR_START_MAC 0

struct drop_event {
	__u64 ts_ns;
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
	__u16 protocol;
	__u16 hdr_len;
	__u8  hdr_start;
	__u8  _pad[3];
	__s32 stack_len;
	__u8  hdr[HDR_CAPTURE];
	__u64 stack[STACK_DEPTH];
};

_Static_assert(sizeof(struct drop_event) == 96 + HDR_CAPTURE + 8 * STACK_DEPTH, "drop_event is packet_drop_details' event");

#endif

// SPDX-License-Identifier: GPL-2.0
/* bench_ring: how fast does the user side of packet_drop_details decode events, and what is lost
 * when the kernel produces faster? One packet_drop_details event per run, reserved in a ring of the
 * tool's size exactly as the tool reserves it (reserve failures counted in `lost`). Run with
 * BPF_PROG_TEST_RUN and `repeat` (agents/ringprod.c); the test packet is the captured header.
 * The event is the tool's own struct drop_event (packages/packet-drop/bpf/packet_drop.h, on this
 * project's include path: the bench measures that tool). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "netstrata/loss.h"
#include "packet_drop.h"

char LICENSE[] SEC("license") = "GPL";

/* A kernel text address and a drop reason of the running kernel, so the user side symbolizes and
 * names them as it does for real drops. */
const volatile __u64 targ_location = 0;
const volatile __u32 targ_reason = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/* Runs of this program: every run is one event offered to the ring (delivered or counted lost). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} produced SEC(".maps");

SEC("tc")
int produce(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&produced, &zero);
	struct drop_event *e;
	__u64 seq = 0;

	if (n)
		seq = (*n += 1);
	/* As packet_drop_details reserves without --stack. */
	e = nst_event_reserve(&events, DROP_EVENT_NO_STACK);
	if (!e)
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->location = targ_location;
	e->skb = (__u64)(long)skb;
	e->reason = targ_reason;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = 0;
	e->tid = 0;
	__builtin_memcpy(e->comm, "ringprod", 9);
	e->netns = 0;
	e->ifindex = skb->ifindex;
	__builtin_memcpy(e->dev, "lo", 3);
	e->pkt_len = skb->len;
	e->protocol = bpf_ntohs(skb->protocol);
	e->hdr_start = HDR_START_MAC;
	e->hdr_len = 0;
	if (!bpf_skb_load_bytes(skb, 0, e->hdr, 64))
		e->hdr_len = 64;
	/* Each event its own IP id, as real drops have: the user side cannot serve a line from a cache. */
	e->hdr[18] = seq >> 8;
	e->hdr[19] = seq;
	e->stack_len = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

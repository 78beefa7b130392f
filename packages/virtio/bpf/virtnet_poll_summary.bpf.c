// SPDX-License-Identifier: GPL-2.0
/* virtnet_poll_summary: how does each virtio-net queue of this guest get polled?
 * At the return of virtio_net's poll functions (fexit), else napi:napi_poll, which runs after every
 * NAPI poll of every device: a poll whose function is virtio_net's RX (or TX) poll is counted against
 * its device and queue, by what ran it, with the packets it took
 * against its budget and the queue's interrupt state as the driver left it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "netstrata/flavours.h"
#include "netstrata/hist.h"
#include "netstrata/loss.h"
#include "virtio_queue.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VIRTIO_ROWS_MAX);
	__type(key, struct virtio_q_key);
	__type(value, struct virtio_poll_row);
} rows SEC(".maps");

static const struct virtio_poll_row zero_row = {};

static __always_inline int on_poll(struct napi_struct *napi, int work, int budget)
{
	struct virtio_q_key key = {};
	struct virtqueue *vq = NULL;
	struct virtio_poll_row *r;

	if (!napi || !virtio_poll_key(napi, &key, &vq))
		return 0;
	r = nst_lookup_or_init(&rows, &key, &zero_row);
	if (!r)
		return 0;
	if (!r->name[0])
		BPF_CORE_READ_STR_INTO(&r->name, napi, dev, name);
	__u32 kind = virtio_poll_kind(napi);
	__u64 n = work > 0 ? work : 0;

	if (kind < VIRTIO_POLL_KINDS) {
		__sync_fetch_and_add(&r->polls[kind], 1);
		__sync_fetch_and_add(&r->packets[kind], n);
	}
	if (budget > 0 && work >= budget)
		__sync_fetch_and_add(&r->exhausted, 1);
	if (!n)
		__sync_fetch_and_add(&r->empty, 1);
	if (budget > 0 && (__u32)budget > r->budget)
		r->budget = budget;
	nst_hist_add(&r->per_poll, n);
	if (virtio_note_state(&key, vq))
		__sync_fetch_and_add(&r->irq_off, 1);
	return 0;
}

/* virtio_net's own poll functions, at their return (the packets taken): they run for virtio-net
 * queues only, where napi:napi_poll runs for every device's polls. */
SEC("fexit/virtnet_poll")
int BPF_PROG(virtnet_poll_fexit, struct napi_struct *napi, int budget, int ret)
{
	return on_poll(napi, ret, budget);
}

SEC("fexit/virtnet_poll_tx")
int BPF_PROG(virtnet_poll_tx_fexit, struct napi_struct *napi, int budget, int ret)
{
	return on_poll(napi, ret, budget);
}

NST_TP_FLAVOURS(napi, napi_poll, (struct napi_struct *napi, int work, int budget), on_poll(napi, work, budget),
		napi_poll, on_poll(args->napi, args->work, args->budget))

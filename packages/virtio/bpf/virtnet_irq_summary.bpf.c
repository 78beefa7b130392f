// SPDX-License-Identifier: GPL-2.0
/* virtnet_irq_summary: what do the virtio-net interrupts of this guest do?
 * irq:irq_handler_exit runs after every interrupt handler; the interrupts of virtio-net devices
 * (found by the user side from the kernel's names for them) are counted per CPU, with the runs
 * whose handler returned IRQ_NONE. napi:napi_poll keeps each queue's interrupt state as the driver
 * left it after its last poll, for the interrupt that serves the queue. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "netstrata/flavours.h"
#include "netstrata/loss.h"
#include "virtio_queue.h"

char LICENSE[] SEC("license") = "GPL";

/* The interrupts followed (irq number -> 1), filled by the user side before it reads. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VIRTIO_IRQS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} irqs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VIRTIO_IRQ_ROWS_MAX);
	__type(key, struct virtio_irq_key);
	__type(value, struct virtio_irq_row);
} rows SEC(".maps");

#define IRQ_NONE_RET 0     /* enum irqreturn: IRQ_NONE */

static __always_inline int on_exit(int irq, int ret)
{
	__u32 key32 = irq;

	if (!bpf_map_lookup_elem(&irqs, &key32))
		return 0;
	struct virtio_irq_key key = { .irq = irq, .cpu = bpf_get_smp_processor_id() };
	struct virtio_irq_row init = { .runs = 1, .none = ret == IRQ_NONE_RET };
	struct virtio_irq_row *r = bpf_map_lookup_elem(&rows, &key);

	if (r) {
		__sync_fetch_and_add(&r->runs, 1);
		if (ret == IRQ_NONE_RET)
			__sync_fetch_and_add(&r->none, 1);
		return 0;
	}
	if (bpf_map_update_elem(&rows, &key, &init, BPF_NOEXIST)) {
		r = bpf_map_lookup_elem(&rows, &key);
		if (!r) {
			nst_count_loss(NST_MAP_FULL);
			return 0;
		}
		__sync_fetch_and_add(&r->runs, 1);
		if (ret == IRQ_NONE_RET)
			__sync_fetch_and_add(&r->none, 1);
	}
	return 0;
}

static __always_inline int on_poll(struct napi_struct *napi)
{
	struct virtio_q_key key = {};
	struct virtqueue *vq = NULL;

	if (napi && virtio_poll_key(napi, &key, &vq))
		virtio_note_state(&key, vq);
	return 0;
}

NST_TP_FLAVOURS(irq, irq_handler_exit, (int irq, struct irqaction *action, int ret), on_exit(irq, ret),
		irq_handler_exit, on_exit(args->irq, args->ret))
SEC("fexit/virtnet_poll")
int BPF_PROG(virtnet_poll_fexit, struct napi_struct *napi, int budget, int ret)
{
	return on_poll(napi);
}

SEC("fexit/virtnet_poll_tx")
int BPF_PROG(virtnet_poll_tx_fexit, struct napi_struct *napi, int budget, int ret)
{
	return on_poll(napi);
}

NST_TP_FLAVOURS(napi, napi_poll, (struct napi_struct *napi, int work, int budget), on_poll(napi),
		napi_poll, on_poll(args->napi))

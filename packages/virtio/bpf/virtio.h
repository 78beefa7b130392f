/* Records shared by the virtio BPF programs and their TypeScript decoders (src/layout.ts). */
#ifndef VIRTIO_H
#define VIRTIO_H

#include "netstrata/btf.h"
#include "netstrata/hist_types.h"

/* Rows kept: one per virtio-net queue (device, direction, queue). */
#define VIRTIO_ROWS_MAX 1024
/* Interrupt rows: one per interrupt and CPU. */
#define VIRTIO_IRQ_ROWS_MAX 4096
/* Interrupts followed: the virtio-net devices' vectors, found by the user side. */
#define VIRTIO_IRQS_MAX 1024
#define VIRTIO_NAME_LEN 16

/* What ran a poll. */
#define VIRTIO_POLL_SOFTIRQ  0     /* NET_RX softirq: after an interrupt, or again after a poll that used its whole budget */
#define VIRTIO_POLL_BUSY     1     /* busy polling: a socket's recv/poll (busy_read, busy_poll, SO_BUSY_POLL) ran it */
#define VIRTIO_POLL_THREADED 2     /* the device's NAPI thread (threaded NAPI) */
#define VIRTIO_POLL_KINDS    3

#define VIRTIO_DIR_RX 0
#define VIRTIO_DIR_TX 1

struct virtio_q_key {
	__u32 ifindex;
	__u32 netns;               /* network namespace inode */
	__s32 queue;               /* queue pair index; -1 when the driver's structs are not in BTF */
	__u32 dir;                 /* VIRTIO_DIR_* */
};
NST_BTF_STRUCT(virtio_q_key);

/* A queue's interrupt state, as the driver left it after its last poll. */
struct virtio_q_state {
	__u64 last_ns;             /* the last poll's time (bpf_ktime_get_ns) */
	__u32 irq_off;             /* 1: callbacks disabled (no interrupt when the device returns buffers) */
	__u32 pending;             /* buffers the device had returned and the driver had not taken */
	__u32 known;               /* 1: the state was read (the ring's structs are in BTF) */
	__u32 _pad;
};
NST_BTF_STRUCT(virtio_q_state);

struct virtio_poll_row {
	char  name[VIRTIO_NAME_LEN];
	__u64 polls[VIRTIO_POLL_KINDS];
	__u64 packets[VIRTIO_POLL_KINDS];
	__u64 exhausted;           /* polls that used their whole budget: NAPI runs the queue again */
	__u64 empty;               /* polls that found nothing to do */
	__u64 irq_off;             /* polls after which the queue's interrupts stayed off */
	__u32 budget;              /* the largest budget seen */
	__u32 _pad;
	struct nst_hist per_poll;  /* packets (RX) or completions (TX) per poll */
};
NST_BTF_STRUCT(virtio_poll_row);

struct virtio_irq_key {
	__u32 irq;
	__u32 cpu;
};
NST_BTF_STRUCT(virtio_irq_key);

struct virtio_irq_row {
	__u64 runs;                /* handler runs on this CPU */
	__u64 none;                /* runs that returned IRQ_NONE: nothing for the handler to do */
};
NST_BTF_STRUCT(virtio_irq_row);

#endif

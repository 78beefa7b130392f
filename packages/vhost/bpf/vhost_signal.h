/* Records shared by the vhost BPF programs and their TypeScript decoders (src/layout.ts). */
#ifndef VHOST_SIGNAL_H
#define VHOST_SIGNAL_H

#include "netstrata/btf.h"
#include "netstrata/hist_types.h"

/* Virtqueues kept (vhost-net has two per device: RX 0, TX 1; one device per queue pair). */
#define VHOST_QUEUES_MAX 1024
/* Worker threads followed for their wait for a CPU. */
#define VHOST_WORKERS_MAX 1024
/* Virtqueues of one device looked through to find a virtqueue's index. */
#define VHOST_VQS_SCAN 8
#define VHOST_COMM_LEN 16

struct vhost_key {
	__u64 dev;                     /* the vhost device (struct vhost_dev), an identity only */
	__u32 vq;                      /* the virtqueue's index in the device */
	__u32 _pad;
};

/* One virtqueue. */
struct vhost_vq_stats {
	__u32 worker_tid;              /* the worker thread that last ran the queue's handler */
	__u32 worker_pid;              /* its thread group (the VM's process on 6.4+; the worker on older kernels) */
	char  worker_comm[VHOST_COMM_LEN]; /* vhost-<pid of the VM's process> */
	__u32 ring_size;               /* the virtqueue's size (descriptors) */
	__u32 _pad;
	__u64 kicks;                   /* the guest's notifications (kick eventfd wakeups) */
	__u64 runs;                    /* handle_rx / handle_tx runs (vhost-net) */
	__u64 used;                    /* used entries added: buffers given back to the guest */
	__u64 checks;                  /* used entries published with a signal check (vhost_add_used_and_signal*) */
	__u64 signals;                 /* of which signalled the guest (its call eventfd) */
	__u64 empty;                   /* the worker found the ring empty and asked the guest for a kick */
	struct nst_hist used_per_run;  /* used entries added by each handle_rx / handle_tx run */
};

/* A worker thread's waits for a CPU once woken or preempted. */
struct vhost_worker_stats {
	char  comm[VHOST_COMM_LEN];
	__u32 pid;
	__u32 _pad;
	__u64 waits;
	struct nst_hist wait_ns;
};

/* A handler run in progress, by worker tid. */
struct vhost_run {
	struct vhost_key key;
	__u64 used;                    /* used entries the run added so far */
};

/* A signal check in progress (the guest's call eventfd it may signal), by worker tid. */
struct vhost_check {
	struct vhost_key key;
	__u64 ctx;
};

/* vhost_queue_details: one notable queue event. */
#define VHOST_EV_RX_EMPTY 1            /* RX ring empty while a packet waits: the guest did not refill */
#define VHOST_EV_SUPPRESSED 2          /* used entries given back with no signal, past the threshold since the last */
#define VHOST_EV_TX_FULL 3             /* a TX run began with every descriptor of the ring posted by the guest and waiting */

struct vhost_event {
	__u64 ts_ns;
	__u64 dev;
	__u32 vq;
	__u32 kind;
	__u32 tid;
	__u32 pid;
	char  comm[VHOST_COMM_LEN];
	__u32 num;                     /* ring size */
	__u16 last_avail_idx;          /* the next descriptor vhost takes */
	__u16 avail_idx;               /* the guest's avail index, as vhost last read it (TX_FULL: as the guest wrote it) */
	__u16 last_used_idx;           /* the next used entry vhost writes */
	__u16 signalled_used;          /* the used index at the last signal */
	__u16 used_flags;              /* vhost's flags to the guest (VRING_USED_F_NO_NOTIFY) */
	__u16 _pad;
	__u64 since_signal_ns;         /* SUPPRESSED: time since the queue's last signal (0: none yet) */
	__u64 suppressed;              /* SUPPRESSED: signal checks without a signal since the last signal */
};

/* vhost_queue_details: per virtqueue, the last signal and the checks suppressed since. */
struct vhost_signal_state {
	__u64 last_signal_ns;
	__u64 since_ns;                /* when the first check with no signal came (0: none since the last signal) */
	__u64 suppressed;
	__u32 reported;                /* this stretch without signals has had its event */
	__u32 _pad;
};

_Static_assert(sizeof(struct vhost_event) == 80, "vhost_event size is mirrored in src/layout.ts");
NST_BTF_STRUCT(vhost_event);
_Static_assert(sizeof(struct vhost_key) == 16, "vhost_key size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct vhost_vq_stats) == 32 + 48 + sizeof(struct nst_hist), "vhost_vq_stats size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct vhost_worker_stats) == 32 + sizeof(struct nst_hist), "vhost_worker_stats size is mirrored in src/layout.ts");
NST_BTF_STRUCT(vhost_key);
NST_BTF_STRUCT(vhost_vq_stats);
NST_BTF_STRUCT(vhost_worker_stats);

#endif

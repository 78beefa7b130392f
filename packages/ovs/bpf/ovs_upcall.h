/* Records shared by the OVS BPF programs and their TypeScript decoders (src/layout.ts). */
#ifndef OVS_UPCALL_H
#define OVS_UPCALL_H

#include "netstrata/btf.h"
#include "netstrata/hist_types.h"
#include "netstrata/filter_types.h"

/* Rows kept: one per input port, flow or handler thread (--by). */
#define OVS_ROWS_MAX 4096
/* Upcalls waiting for ovs-vswitchd's answer, by frame fingerprint. */
#define OVS_PENDING_MAX 16384
/* Upcalls of identical frames (same fingerprint) timed at once; more are counted as untimed. */
#define OVS_PENDING_SAME 4
#define OVS_NAME_LEN 16

/* --by: what a row is. */
#define OVS_BY_PORT    0
#define OVS_BY_FLOW    1
#define OVS_BY_HANDLER 2

/* OVS_PACKET_CMD_MISS (uapi/linux/openvswitch.h): the datapath had no flow for the packet. The other
 * upcalls (OVS_PACKET_CMD_ACTION) are a flow's userspace action: sampling, the controller. */
#define OVS_CMD_MISS 1

struct ovs_row_key {
	__u32 id;                      /* port: the input device's ifindex; handler: the thread's tid; flow: 0 */
	__u32 netns;                   /* port: the device's network namespace (inode) */
	struct nst_flow flow;          /* flow: the packet's 5-tuple; zero otherwise */
};

struct ovs_row {
	char  name[OVS_NAME_LEN];      /* port: the input device; handler: the thread (handlerN) */
	__u64 upcalls;                 /* misses sent up to ovs-vswitchd (handler rows: those it executed) */
	__u64 executed;                /* sent back down and executed, timed */
	__u64 failed;                  /* the upcall itself failed (queue to ovs-vswitchd full, no handler): needs the ovs_dp_upcall return hook */
	__u64 untimed;                 /* executed or sent up with OVS_PENDING_SAME identical frames already waiting: counted, not timed */
	__u64 action_upcalls;          /* userspace-action upcalls (sampling, controller): not answered by an execute */
	struct nst_hist latency_ns;    /* upcall -> first action of the packet's execute */
};

/* Upcalls of one frame waiting for their execute, oldest first. */
struct ovs_pending {
	__u64 ts[OVS_PENDING_SAME];
	__u32 head;                    /* index of the oldest */
	__u32 n;                       /* waiting */
	struct ovs_row_key key;        /* the row the upcalls counted in (port, flow) */
};

/* The execute in progress on a CPU: its actions run one after another there, all with one skb. */
struct ovs_exec {
	__u64 skb;
	__s32 rem;                     /* the action list left at the last action (its own length included) */
	__u32 _pad;
};

/* The upcall in progress on a CPU, for its return (failed or not). */
struct ovs_upcalling {
	__u64 fp;
	__u32 counted;                 /* timed in `pending` (1) or counted untimed (0) */
	__u32 _pad;
	struct ovs_row_key key;
};

#endif

/* Records shared by the vm-network BPF programs and their TypeScript decoders (src/layout.ts). */
#ifndef VM_NETWORK_H
#define VM_NETWORK_H

#include "netstrata/btf.h"
#include "netstrata/hist_types.h"
#include "netstrata/filter_types.h"

/* VM and physical interfaces the tool follows packets between. */
#define VMNET_IFACES_MAX 16
/* Packets followed at once (LRU: a packet whose path no hook closes, such as one delivered to
 * the host itself, ages out). */
#define VMNET_SESSIONS_MAX 65536

#define VMNET_DIR_TX 0 /* from the VM: its interface receives, the physical interface sends */
#define VMNET_DIR_RX 1 /* to the VM: the physical interface receives, the VM's sends, its reader reads */

/* The stamps of a packet's path, in order (0: not on this path). */
#define VMNET_T_BACKLOG 0 /* netif_rx: queued to a CPU's backlog (paths that enter that way) */
#define VMNET_T_RECEIVE 1 /* netif_receive_skb: the stack takes it */
#define VMNET_T_UPCALL  2 /* OVS: its datapath found no flow and sent the packet up to ovs-vswitchd */
#define VMNET_T_EXECUTE 3 /* OVS: ovs-vswitchd sent it back down to be executed (a new skb) */
#define VMNET_T_QUEUE   4 /* net_dev_queue on the way out: forwarded (bridge, OVS, routing) */
#define VMNET_T_XMIT    5 /* net_dev_start_xmit: out of the qdisc, to the driver */
#define VMNET_T_DONE    6 /* TX: net_dev_xmit, the driver took it; RX: the VM's reader copied it out of the TAP */
#define VMNET_STAMPS    7

/* Packets the OVS datapath sent up to ovs-vswitchd and not yet back, by fingerprint. */
#define VMNET_UPCALLS_MAX 4096

struct vmnet_key {
	__u32 vm_ifindex;
	__u32 dir;
};

/* One VM interface and direction. */
struct vmnet_stats {
	__u64 started;                  /* packets whose path began */
	__u64 completed;                /* of which came out at the far end */
	__u64 dropped;                  /* of which the kernel dropped on the way */
	__u64 lost;                     /* came out with their start forgotten (the session table let it go) */
	/* The stages, each when both its stamps were seen. */
	struct nst_hist backlog_ns;     /* netif_rx -> netif_receive_skb: waiting in a CPU's backlog */
	struct nst_hist forward_ns;     /* netif_receive_skb -> net_dev_queue, less any upcall: bridge, OVS, routing, netfilter */
	struct nst_hist upcall_ns;      /* OVS: up to ovs-vswitchd -> back down to the datapath */
	struct nst_hist qdisc_ns;       /* net_dev_queue -> net_dev_start_xmit: the out device's qdisc */
	struct nst_hist out_ns;         /* TX: to the driver -> it took it; RX: into the TAP's ring -> read out */
	struct nst_hist total_ns;       /* first stamp -> done */
};

/* A packet on its way, keyed by skb address. */
struct vmnet_session {
	__u64 ts[VMNET_STAMPS];
	__u32 vm_ifindex;
	__u32 dir;
	__u32 out_ifindex;              /* the device it went out through (phy for TX, the VM's for RX) */
	__u32 _pad;
	struct nst_flow flow;           /* the details tool's: parsed when the path begins */
};

/* vm_network_latency_details: one packet whose path took at least the threshold. */
struct vmnet_event {
	__u64 ts[VMNET_STAMPS];         /* each stamp (0: not on this path); ts[VMNET_T_DONE] is the end */
	struct nst_flow flow;
	__u32 vm_ifindex;
	__u32 dir;
	__u32 out_ifindex;
	__u32 cpu;                      /* where the path ended */
	__u32 pid;                      /* the task it ended in (rx: the VM's reader) */
	__u32 tid;
	char  comm[16];
};

/* A packet up in ovs-vswitchd: its path so far, and the skb that went up. */
struct vmnet_upcall {
	__u64 skb;
	struct vmnet_session s;
};

_Static_assert(sizeof(struct vmnet_event) == 136, "vmnet_event size is mirrored in src/layout.ts");
NST_BTF_STRUCT(vmnet_event);

_Static_assert(sizeof(struct vmnet_key) == 8, "vmnet_key size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct vmnet_stats) == 32 + 6 * sizeof(struct nst_hist), "vmnet_stats size is mirrored in src/layout.ts");
NST_BTF_STRUCT(vmnet_key);
NST_BTF_STRUCT(vmnet_stats);

#endif

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

/* ovs_megaflow_details ------------------------------------------------------------------------ */

/* The fields of a struct sw_flow_key the tool decodes: of a flow's key, its mask, or an upcall's
 * key. Addresses by the key's Ethernet type: IPv4 in the first 4 bytes, IPv6 all 16. */
struct ovs_key_fields {
	__u8  eth_src[6];
	__u8  eth_dst[6];
	__u16 eth_type;                /* network order */
	__u16 vlan_tci;                /* network order; 0: no VLAN */
	__u32 recirc_id;
	__u16 in_port;                 /* the datapath's port number */
	__u8  ip_proto;
	__u8  ip_tos;
	__u8  ip_ttl;
	__u8  ip_frag;
	__u8  ct_state;
	__u8  _pad;
	__u16 ct_zone;
	__u16 tp_src;                  /* network order */
	__u16 tp_dst;
	__u16 tcp_flags;
	__u8  src[16];
	__u8  dst[16];
};

#define OVS_ACTIONS_MAX 256

#define OVS_EV_FLOW   1
#define OVS_EV_UPCALL 2

/* A megaflow installed (ovs_flow_tbl_insert), by the ovs-vswitchd thread that asked for it. */
struct ovs_flow_event {
	__u32 kind;                    /* OVS_EV_FLOW */
	__u32 tid;
	__u64 ts_ns;
	__u32 pid;
	char  comm[OVS_NAME_LEN];
	__u32 ufid_len;                /* 0: the flow is known by its key (no UFID) */
	__u32 ufid[4];
	__u16 mask_start;              /* the bytes of sw_flow_key the mask covers */
	__u16 mask_end;
	struct ovs_key_fields key;     /* the flow's key (masked) */
	struct ovs_key_fields mask;
	__u32 actions_len;             /* the whole action list, bytes */
	__u32 actions_copied;          /* of which in `actions` */
	__u8  actions[OVS_ACTIONS_MAX];
};

/* A miss sent up: the user side matches it to the flow it causes (its key under the flow's mask). */
struct ovs_upcall_event {
	__u32 kind;                    /* OVS_EV_UPCALL */
	__u32 _pad;
	__u64 ts_ns;
	struct ovs_key_fields key;
};

NST_BTF_STRUCT(ovs_key_fields);
NST_BTF_STRUCT(ovs_flow_event);
NST_BTF_STRUCT(ovs_upcall_event);

#endif

/* Records shared by icmp_rtt_details and its decoders (src/icmp-rtt/layout.ts). */
#ifndef ICMP_RTT_H
#define ICMP_RTT_H

#include "netstrata/btf.h"

/* Pings followed at once, from the request's arrival (or send) to its reply: far more than a host
 * has in flight; an LRU evicts the oldest beyond that (counted by difference, see the final record). */
#define IR_SESSIONS_MAX 16384
/* Forwarded requests between the receiving device and the transmit queue of the other one (or
 * delivered to this host, where they stay until the LRU takes them: they cost a slot, no count). */
#define IR_ARRIVALS_MAX 4096
#define IR_COMM_LEN 16

/* The two legs of a ping through this host. */
#define IR_REQUEST 0
#define IR_REPLY 1
#define IR_DIRS 2

/* Stage slots of each leg, in path order; a stage the packet did not pass, or whose hook this
 * kernel lacks, stays 0. Function stages (fentry or kprobe) are marked (fn). */
#define IR_SEND 0     /* request of a local ping: the pinger's send call (syscalls:sys_enter_sendto/sendmsg) */
#define IR_RECEIVE 1  /* net:netif_receive_skb on the device it enters by (request: rx-if; reply: tx-if) */
#define IR_IP 2       /* (fn) ip_rcv, ipv6_rcv */
#define IR_FORWARD 3  /* (fn) ip_forward, ip6_forward */
#define IR_UPCALL 4   /* openvswitch:ovs_dp_upcall: the OVS datapath had no flow, up to ovs-vswitchd */
#define IR_OVS 5      /* openvswitch:ovs_do_execute_action: the datapath's first action on it */
#define IR_ICMP 6     /* (fn) icmp_rcv, icmpv6_rcv: the reply of a local ping reaches ICMP */
#define IR_QUEUE 7    /* net:net_dev_queue on the device it leaves by */
#define IR_START 8    /* net:net_dev_start_xmit: out of the qdisc, to the driver */
#define IR_XMIT 9     /* net:net_dev_xmit: the driver took it (request: the outside time starts) */
#define IR_SOCKET 10  /* reply of a local ping: queued to the pinger's socket (sock:sk_data_ready) */
#define IR_STAGES 11

/* Per-CPU counters (PERCPU_ARRAY `counts`). Every ping that starts ends as completed, or is let go
 * by the user side (unanswered or incomplete after --timeout-ms), replaced or evicted. */
#define IR_STARTED 0   /* requests followed (left by tx-if) */
#define IR_COMPLETED 1 /* replies that came back through every stage in time (events, and those under the threshold) */
#define IR_LATE 2      /* replies that came after --timeout-ms: their ping counts as unanswered */
#define IR_REPLACED 3  /* a request with the identity of a ping still followed: the older one is let go */
#define IR_COUNTERS 4

/* A ping's identity, oriented as its request: the pinger (the request's source), the target, the
 * ICMP echo identifier and sequence number (host order). A reply is looked up with its addresses
 * swapped. IPv4 addresses use the first 4 bytes. */
struct ir_key {
	__u8  requester[16];
	__u8  target[16];
	__u16 id;
	__u16 seq;
	__u8  family;                  /* NST_AF_INET or NST_AF_INET6 */
	__u8  _pad[3];
};

/* A forwarded request on its way from rx-if to tx-if (keyed by its identity: an OVS upcall sends
 * it back down as a new skb). */
struct ir_arrival {
	__u64 ts[IR_STAGES];
	__u32 len;
	__u32 _pad;
};

struct ir_session {
	__u64 ts[IR_DIRS][IR_STAGES];  /* bpf_ktime_get_ns at each stage of each leg, 0 = not passed */
	__u32 len;                     /* the request's IP length */
	__u32 pid;                     /* local ping: the pinger (the task that sent the request) */
	char  comm[IR_COMM_LEN];
	__u32 late;                    /* the reply came after --timeout-ms: left to the user side (unanswered) */
	__u32 _pad;
};

/* One ping whose round trip through this host took at least the threshold. */
struct ir_event {
	struct ir_key key;
	struct ir_session s;
	__u32 cpu;                     /* where the reply's last stage ran */
	__u32 _pad;
};

/* The request or reply this CPU is handing to the driver: net:net_dev_start_xmit and the
 * net:net_dev_xmit after it run back to back on one CPU, and the skb may be gone by the second. */
struct ir_xmit {
	__u64 skb;                     /* 0: none */
	struct ir_key key;
	__u32 dir;
	__u32 _pad;
};

/* A local ping's send call on this CPU, until its request reaches the device. */
struct ir_send {
	__u64 ts;
	__u32 tid;
	__u32 _pad;
};

_Static_assert(sizeof(struct ir_key) == 40, "ir_key size is mirrored in src/icmp-rtt/layout.ts");
_Static_assert(sizeof(struct ir_arrival) == 8 * IR_STAGES + 8, "ir_arrival size is mirrored in src/icmp-rtt/layout.ts");
_Static_assert(sizeof(struct ir_session) == 16 * IR_STAGES + 32, "ir_session size is mirrored in src/icmp-rtt/layout.ts");
_Static_assert(sizeof(struct ir_event) == 40 + 16 * IR_STAGES + 32 + 8, "ir_event size is mirrored in src/icmp-rtt/layout.ts");
_Static_assert(sizeof(struct ir_xmit) == 8 + 40 + 8, "ir_xmit size is mirrored in src/icmp-rtt/layout.ts");
NST_BTF_STRUCT(ir_key);
NST_BTF_STRUCT(ir_arrival);
NST_BTF_STRUCT(ir_session);
NST_BTF_STRUCT(ir_event);
NST_BTF_STRUCT(ir_xmit);
NST_BTF_STRUCT(ir_send);

#endif

// SPDX-License-Identifier: GPL-2.0
/* ovs_megaflow_details: which flows does the OVS datapath install, and how long after the upcall
 * that caused each? One event per flow ovs-vswitchd installs (ovs_flow_tbl_insert, a function hook:
 * the datapath has no tracepoint there) with its key and mask as the kernel holds them, its actions
 * and its UFID, read from the module's structs by CO-RE. Each miss sent up (openvswitch:ovs_dp_upcall)
 * goes to user space too, with its key: the user side finds the upcall whose key, under the new
 * flow's mask, is the flow's key. One run per upcall and one per flow installed. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/loss.h"
#include "netstrata/ovs_flavours.h"
#include "ovs_upcall.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* The module's structs, only the members read (CO-RE against the openvswitch module's BTF; the
 * kernel's own nest some of them in anonymous unions, which CO-RE looks into). */
struct sw_flow_key___nst {
	struct {
		__u16 in_port;
	} phy;
	__u32 recirc_id;
	struct {
		__u8 src[6];
		__u8 dst[6];
		struct {
			__be16 tci;
		} vlan;
		__be16 type;
	} eth;
	__u8 ct_state;
	struct {
		__u8 proto;
		__u8 tos;
		__u8 ttl;
		__u8 frag;
	} ip;
	__u16 ct_zone;
	struct {
		__be16 src;
		__be16 dst;
		__be16 flags;
	} tp;
	struct {
		struct {
			__be32 src;
			__be32 dst;
		} addr;
	} ipv4;
	struct {
		struct {
			struct in6_addr src;
			struct in6_addr dst;
		} addr;
	} ipv6;
} __attribute__((preserve_access_index));

struct sw_flow_actions___nst {
	__u32 actions_len;
	struct nlattr actions[];
} __attribute__((preserve_access_index));

struct sw_flow___nst {
	struct sw_flow_key___nst key;
	struct {
		__u32 ufid_len;
		__u32 ufid[4];
	} id;
	struct sw_flow_actions___nst *sf_acts;
} __attribute__((preserve_access_index));

struct sw_flow_mask___nst {
	struct {
		unsigned short start;
		unsigned short end;
	} range;
	struct sw_flow_key___nst key;
} __attribute__((preserve_access_index));

#define OVS_ETH_P_IPV6 0xdd86 /* htons(0x86dd) */

/* The module's types are in BTF only once openvswitch is loaded: without them every read above is
 * left out (and the program, verified on such a kernel, does nothing). */
#define OVS_TYPES() (bpf_core_type_exists(struct sw_flow___nst) && bpf_core_type_exists(struct sw_flow_mask___nst))

/* `family_type`: the Ethernet type that says which addresses to read (a mask's own is all ones). */
static __always_inline void read_key(struct ovs_key_fields *f, const struct sw_flow_key___nst *k, __u16 family_type)
{
	BPF_CORE_READ_INTO(&f->eth_src, k, eth.src);
	BPF_CORE_READ_INTO(&f->eth_dst, k, eth.dst);
	f->eth_type = BPF_CORE_READ(k, eth.type);
	f->vlan_tci = BPF_CORE_READ(k, eth.vlan.tci);
	f->recirc_id = BPF_CORE_READ(k, recirc_id);
	f->in_port = BPF_CORE_READ(k, phy.in_port);
	f->ip_proto = BPF_CORE_READ(k, ip.proto);
	f->ip_tos = BPF_CORE_READ(k, ip.tos);
	f->ip_ttl = BPF_CORE_READ(k, ip.ttl);
	f->ip_frag = BPF_CORE_READ(k, ip.frag);
	f->ct_state = BPF_CORE_READ(k, ct_state);
	f->ct_zone = BPF_CORE_READ(k, ct_zone);
	f->tp_src = BPF_CORE_READ(k, tp.src);
	f->tp_dst = BPF_CORE_READ(k, tp.dst);
	f->tcp_flags = BPF_CORE_READ(k, tp.flags);
	if (family_type == OVS_ETH_P_IPV6) {
		BPF_CORE_READ_INTO(&f->src, k, ipv6.addr.src);
		BPF_CORE_READ_INTO(&f->dst, k, ipv6.addr.dst);
	} else {
		BPF_CORE_READ_INTO((__be32 *)f->src, k, ipv4.addr.src);
		BPF_CORE_READ_INTO((__be32 *)f->dst, k, ipv4.addr.dst);
	}
}

static __always_inline int on_upcall(const void *key, const void *info)
{
	const struct sw_flow_key___nst *k = key;

	if (!k || !bpf_core_type_exists(struct sw_flow_key___nst))
		return 0;
	struct ovs_upcall_event *e = nst_event_reserve(&events, sizeof(*e));

	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = OVS_EV_UPCALL;
	e->ts_ns = bpf_ktime_get_ns();
	read_key(&e->key, k, BPF_CORE_READ(k, eth.type));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline int on_insert(const void *flow_ptr, const void *mask_ptr)
{
	const struct sw_flow___nst *flow = flow_ptr;
	const struct sw_flow_mask___nst *mask = mask_ptr;
	__u64 id = bpf_get_current_pid_tgid();

	if (!flow || !mask || !OVS_TYPES())
		return 0;
	struct ovs_flow_event *e = nst_event_reserve(&events, sizeof(*e));

	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = OVS_EV_FLOW;
	e->ts_ns = bpf_ktime_get_ns();
	e->tid = (__u32)id;
	e->pid = id >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->ufid_len = BPF_CORE_READ(flow, id.ufid_len);
	if (e->ufid_len)
		BPF_CORE_READ_INTO(&e->ufid, flow, id.ufid);
	e->mask_start = BPF_CORE_READ(mask, range.start);
	e->mask_end = BPF_CORE_READ(mask, range.end);
	__u16 type = BPF_CORE_READ(flow, key.eth.type);

	read_key(&e->key, &flow->key, type);
	read_key(&e->mask, &mask->key, type);
	const struct sw_flow_actions___nst *acts = BPF_CORE_READ(flow, sf_acts);

	if (acts) {
		__u32 len = BPF_CORE_READ(acts, actions_len);
		__u32 n = len < OVS_ACTIONS_MAX ? len : OVS_ACTIONS_MAX;

		e->actions_len = len;
		n &= OVS_ACTIONS_MAX * 2 - 1; /* for the verifier: n <= OVS_ACTIONS_MAX already */
		if (n > OVS_ACTIONS_MAX)
			n = OVS_ACTIONS_MAX;
		if (n && !bpf_probe_read_kernel(e->actions, n, (const void *)acts + bpf_core_field_offset(acts->actions)))
			e->actions_copied = n;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

NST_OVS_UPCALL_FLAVOURS(on_upcall(key, info))

/* ovs_flow_tbl_insert(table, flow, mask): a function hook, fentry else kprobe. */
struct flow_table;
struct sw_flow;
struct sw_flow_mask;

SEC("fentry/ovs_flow_tbl_insert")
int BPF_PROG(ovs_flow_tbl_insert_fentry, struct flow_table *table, struct sw_flow *flow, const struct sw_flow_mask *mask)
{
	return on_insert(flow, mask);
}

SEC("kprobe/ovs_flow_tbl_insert")
int BPF_KPROBE(ovs_flow_tbl_insert_kprobe, struct flow_table *table, struct sw_flow *flow, const struct sw_flow_mask *mask)
{
	return on_insert(flow, mask);
}

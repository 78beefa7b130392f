// SPDX-License-Identifier: GPL-2.0
/* ovs_upcall_latency_summary: how long do packets the OVS datapath has no flow for wait for
 * ovs-vswitchd? A miss goes up at openvswitch:ovs_dp_upcall (in the receiving context) and comes
 * back as a new skb that a handler thread has the datapath execute (openvswitch:ovs_do_execute_action
 * in that thread, an skb with no input interface). The two are matched by the frame's fingerprint.
 * Per input port, flow or handler thread: upcalls, the ones executed and their latency; with the
 * ovs_dp_upcall return hook (a function hook), the upcalls that failed. One run per upcall and one per
 * action of each packet the datapath executes: a packet that hits a datapath flow costs one run per
 * action and leaves at its first check. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/skb.h"
#include "netstrata/loss.h"
#include "netstrata/hist.h"
#include "netstrata/flavours.h"
#include "netstrata/frame.h"
#include "netstrata/ovs_flavours.h"
#include "ovs_upcall.h"

char LICENSE[] SEC("license") = "GPL";

/* --by (OVS_BY_*). */
const volatile __u32 targ_by = OVS_BY_PORT;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, OVS_ROWS_MAX);
	__type(key, struct ovs_row_key);
	__type(value, struct ovs_row);
} rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, OVS_PENDING_MAX);
	__type(key, __u64);
	__type(value, struct ovs_pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ovs_exec);
} executing SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ovs_upcalling);
} upcalling SEC(".maps");

/* Too large for the BPF stack: new rows start from this. */
static const struct ovs_row zero_row = {};

/* The module's upcall info: only its command is read (CO-RE, from the openvswitch module's BTF). */
struct dp_upcall_info___nst {
	__u8 cmd;
} __attribute__((preserve_access_index));

static __always_inline struct ovs_row *row_of(const struct ovs_row_key *key)
{
	return nst_lookup_or_init(&rows, key, &zero_row);
}

static __always_inline void name_row(struct ovs_row *r, const char *name)
{
	if (!r->name[0])
		bpf_probe_read_kernel_str(r->name, sizeof(r->name), name);
}

static __always_inline int on_upcall(struct sk_buff *skb, const void *info)
{
	struct ovs_row_key key = {};
	struct nst_flow flow = {};
	__u32 ifindex, netns, zero = 0;

	/* Newer kernels type these tracepoints' skb as possibly NULL under tp_btf. */
	if (!skb)
		return 0;
	if (!nst_skb_pass(skb, &ifindex, &netns, &flow, targ_by == OVS_BY_FLOW))
		return 0;
	if (targ_by == OVS_BY_PORT) {
		key.id = ifindex;
		key.netns = netns;
	} else if (targ_by == OVS_BY_FLOW) {
		key.flow = flow;
	}
	__u8 cmd = info && bpf_core_type_exists(struct dp_upcall_info___nst) ? BPF_CORE_READ((const struct dp_upcall_info___nst *)info, cmd) : OVS_CMD_MISS;
	struct ovs_row *r = targ_by == OVS_BY_HANDLER ? NULL : row_of(&key);

	if (r && targ_by == OVS_BY_PORT) {
		struct net_device *dev = BPF_CORE_READ(skb, dev);

		if (dev)
			name_row(r, dev->name);
	}
	if (cmd != OVS_CMD_MISS) {
		if (r)
			__sync_fetch_and_add(&r->action_upcalls, 1);
		return 0;
	}
	if (r)
		__sync_fetch_and_add(&r->upcalls, 1);

	struct ovs_upcalling *u = bpf_map_lookup_elem(&upcalling, &zero);
	__u64 fp = nst_frame_fingerprint(skb);

	if (u) {
		u->fp = fp;
		u->counted = 0;
		u->key = key;
	}
	if (!fp) {
		if (r)
			__sync_fetch_and_add(&r->untimed, 1);
		return 0;
	}
	struct ovs_pending init = { .key = key };
	struct ovs_pending *p = bpf_map_lookup_elem(&pending, &fp);

	if (!p) {
		if (bpf_map_update_elem(&pending, &fp, &init, BPF_ANY)) {
			nst_count_loss(NST_MAP_FULL);
			return 0;
		}
		p = bpf_map_lookup_elem(&pending, &fp);
		if (!p)
			return 0;
	}
	if (p->n >= OVS_PENDING_SAME) {
		if (r)
			__sync_fetch_and_add(&r->untimed, 1);
		return 0;
	}
	p->ts[(p->head + p->n) % OVS_PENDING_SAME] = bpf_ktime_get_ns();
	p->n++;
	if (u)
		u->counted = 1;
	return 0;
}

/* The upcall returned (the ovs_dp_upcall return hook): a failed one never reaches ovs-vswitchd. */
static __always_inline int on_upcall_return(long ret)
{
	__u32 zero = 0;
	struct ovs_upcalling *u = bpf_map_lookup_elem(&upcalling, &zero);

	if (!u || !u->fp)
		return 0;
	__u64 fp = u->fp;

	u->fp = 0;
	if (!ret)
		return 0;
	if (targ_by != OVS_BY_HANDLER) {
		struct ovs_row *r = row_of(&u->key);

		if (r)
			__sync_fetch_and_add(&r->failed, 1);
	}
	if (!u->counted)
		return 0;
	/* Take back the timestamp it left (the newest). */
	struct ovs_pending *p = bpf_map_lookup_elem(&pending, &fp);

	if (p && p->n) {
		p->n--;
		if (!p->n)
			bpf_map_delete_elem(&pending, &fp);
	}
	return 0;
}

/* The first action of an execute on this CPU: its actions run one after another with one skb, each
 * with less of the action list left after it (`rem`, nested lists too); a new execute starts with its
 * whole list. */
static __always_inline bool first_action(const struct sk_buff *skb, int rem)
{
	__u32 zero = 0;
	struct ovs_exec *x = bpf_map_lookup_elem(&executing, &zero);

	if (!x)
		return true;
	bool same = x->skb == (__u64)skb && rem < x->rem;

	x->skb = (__u64)skb;
	x->rem = rem;
	return !same;
}

static __always_inline int on_execute(struct sk_buff *skb, int rem)
{
	if (!skb)
		return 0;
	/* A packet that hit a datapath flow came in on a device (skb_iif); one ovs-vswitchd sends down
	 * has none. */
	if (BPF_CORE_READ(skb, skb_iif))
		return 0;
	if (!first_action(skb, rem))
		return 0;
	__u64 fp = nst_frame_fingerprint(skb);
	struct ovs_pending *p = fp ? bpf_map_lookup_elem(&pending, &fp) : NULL;

	if (!p || !p->n)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	__u64 ts = p->ts[p->head % OVS_PENDING_SAME];
	struct ovs_row_key key = p->key;

	p->head = (p->head + 1) % OVS_PENDING_SAME;
	p->n--;
	if (!p->n)
		bpf_map_delete_elem(&pending, &fp);
	if (targ_by == OVS_BY_HANDLER) {
		key.id = (__u32)bpf_get_current_pid_tgid();
		key.netns = 0;
	}
	struct ovs_row *r = row_of(&key);

	if (!r)
		return 0;
	if (targ_by == OVS_BY_HANDLER) {
		if (!r->name[0])
			bpf_get_current_comm(r->name, sizeof(r->name));
		__sync_fetch_and_add(&r->upcalls, 1);
	}
	__sync_fetch_and_add(&r->executed, 1);
	nst_hist_add(&r->latency_ns, now > ts ? now - ts : 0);
	return 0;
}

/* The datapath's tracepoints: the programs attach only where the openvswitch module is loaded. */
NST_OVS_UPCALL_FLAVOURS(on_upcall(skb, info))
NST_OVS_EXECUTE_FLAVOURS(on_execute(skb, rem))

/* ovs_dp_upcall's return, where the kernel hooks functions: an error means the upcall never
 * reached ovs-vswitchd (its queue full, or no handler listening). */
SEC("fexit/ovs_dp_upcall")
int BPF_PROG(ovs_dp_upcall_fexit, struct datapath *dp, struct sk_buff *skb, const struct sw_flow_key *key,
	     const struct dp_upcall_info *info, __u32 cutlen, int ret)
{
	return on_upcall_return(ret);
}

SEC("kretprobe/ovs_dp_upcall")
int BPF_KRETPROBE(ovs_dp_upcall_kretprobe, int ret)
{
	return on_upcall_return(ret);
}

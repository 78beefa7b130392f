/* A dropped packet's connection tracking, read from the skb as the kernel frees it: the entry
 * skb->_nfct points to (its state in the pointer's low bits), and the entry's zone, status and mark.
 * Shared by conntrack_summary and conntrack_details. Every read is CO-RE and guarded: _nfct exists
 * only where the kernel has conntrack, zone and mark only with CONFIG_NF_CONNTRACK_ZONES/_MARK, and
 * struct nf_conn is in the nf_conntrack module's BTF on kernels that build it as a module (absent
 * until it is loaded, when no packet can carry an entry either). */
#ifndef CONNTRACK_SKB_H
#define CONNTRACK_SKB_H

#include <bpf/bpf_core_read.h>
#include "conntrack.h"

/* skb->_nfct: the entry's address, with enum ip_conntrack_info in the low 3 bits (NFCT_INFOMASK;
 * entries are aligned to 8 bytes). */
#define CT_INFOMASK 7UL
/* enum ip_conntrack_status: IPS_TEMPLATE_BIT, the same value since it was added (uapi). */
#define CT_IPS_TEMPLATE (1UL << 11)

/* Drops of this enum skb_drop_reason only (NETFILTER_DROP, named from the kernel's BTF by the user
 * side); 0 counts none. */
const volatile __u32 targ_nf_drop = 0;

struct ct_seen {
	__u64 status;
	__u32 mark;
	__u16 zone;
	__u8 state;    /* enum ct_state */
	__u8 ctinfo;
	__u8 flags;    /* CT_* */
};

static __always_inline void ct_of_skb(struct sk_buff *skb, struct ct_seen *c)
{
	unsigned long nfct = 0;
	struct nf_conn *ct;
	__u8 info;

	if (bpf_core_field_exists(skb->_nfct))
		nfct = BPF_CORE_READ(skb, _nfct);
	info = nfct & CT_INFOMASK;
	c->ctinfo = info;
	ct = (struct nf_conn *)(nfct & ~CT_INFOMASK);
	if (!ct) {
		/* Untracked packets carry the state alone, with no entry. */
		c->state = info == IP_CT_UNTRACKED ? CT_STATE_UNTRACKED : CT_STATE_NONE;
		return;
	}
	if (!bpf_core_type_exists(struct nf_conn)) {
		c->state = CT_STATE_NONE;
		return;
	}
	c->status = BPF_CORE_READ(ct, status);
	if (bpf_core_field_exists(ct->zone)) {
		c->zone = BPF_CORE_READ(ct, zone.id);
		c->flags |= CT_HAS_ZONE;
	}
	if (c->status & CT_IPS_TEMPLATE) {
		/* A template (a zone or helper set by a rule before conntrack): conntrack has not looked
		 * at the packet yet. Its zone is the one the packet's entry would have had. */
		c->flags |= CT_TEMPLATE;
		c->state = CT_STATE_NONE;
		c->status = 0;
		return;
	}
	c->flags |= CT_HAS_ENTRY;
	if (bpf_core_field_exists(ct->mark)) {
		c->mark = BPF_CORE_READ(ct, mark);
		c->flags |= CT_HAS_MARK;
	}
	if (info >= IP_CT_IS_REPLY) {
		c->flags |= CT_REPLY;
		info -= IP_CT_IS_REPLY;
	}
	c->state = info == IP_CT_NEW ? CT_STATE_NEW : info == IP_CT_RELATED ? CT_STATE_RELATED : CT_STATE_ESTABLISHED;
}

#endif

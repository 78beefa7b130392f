/* The openvswitch module's datapath tracepoints, in their BTF flavours (NST_BTF_FLAVOURS): the
 * programs attach only where the module is loaded. The core call sees the tracepoint's arguments by
 * name: dp, skb, key, and info for an upcall; a and rem (the action and the list left) for an
 * executed action. */
#ifndef NETSTRATA_OVS_FLAVOURS_H
#define NETSTRATA_OVS_FLAVOURS_H

#include "netstrata/flavours.h"

struct datapath;
struct sw_flow_key;
struct dp_upcall_info;
struct nlattr;

/* A packet sent up to ovs-vswitchd (a miss, or a flow's userspace action). */
#define NST_OVS_UPCALL_FLAVOURS(call)									\
	NST_BTF_FLAVOURS(ovs_dp_upcall, (struct datapath *dp, struct sk_buff *skb, const struct sw_flow_key *key,	\
					 const struct dp_upcall_info *info), call)
/* One action the datapath executes on a packet. */
#define NST_OVS_EXECUTE_FLAVOURS(call)									\
	NST_BTF_FLAVOURS(ovs_do_execute_action, (struct datapath *dp, struct sk_buff *skb, struct sw_flow_key *key,	\
						 const struct nlattr *a, int rem), call)

#endif

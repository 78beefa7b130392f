// SPDX-License-Identifier: GPL-2.0
/* system_network_metrics_summary: the host's network vital signs per interval: per-device packets, bytes
 * and errors, qdisc statistics, drops by reason, conntrack per namespace, and per-CPU NET_RX/NET_TX
 * softirqs and softnet_stat.
 * What the kernel already counts (devices, qdiscs, conntrack, softirq runs, softnet_stat) the user
 * side reads from the kernel; these programs count only what it does not. By default only the drop
 * counter is attached (it runs per dropped packet); qdisc sojourn, NAPI polls per device and
 * softirq time are options, as they run per queued packet, per poll and per softirq. One header
 * per concern, each with its maps, its core and its hook flavours. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "system_network.h"

char LICENSE[] SEC("license") = "GPL";

#include "metrics_qdisc.h"
#include "metrics_napi.h"
#include "metrics_drops.h"
#include "metrics_softirqs.h"

// SPDX-License-Identifier: GPL-2.0
/* system_network_metrics_summary: the host's network vital signs per interval: per-device packets, bytes,
 * qdisc sojourn, NAPI polls and drops by reason, and NET_RX/NET_TX softirq time per CPU.
 * What the kernel already counts per device (packets, bytes, errors) the user side reads from the
 * kernel; these programs count only what it does not, per CPU, read once per interval. One header
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

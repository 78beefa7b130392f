// SPDX-License-Identifier: GPL-2.0
/* packet_path_details: which requests were lost, and where: in this host on the way in, outside
 * it, or in this host on the way back? The summary's tracer, with an event for every request the
 * kernel side finishes other than complete (and complete ones too with --all). */
#include "vmlinux.h"
#define PATH_EVENTS
#include "packet_path.bpf.h"

char LICENSE[] SEC("license") = "GPL";

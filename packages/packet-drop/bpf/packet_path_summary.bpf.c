// SPDX-License-Identifier: GPL-2.0
/* packet_path_summary: is the loss in this host or outside it? Follows each request from the
 * interface it enters by to the one it leaves by, and its reply back, and counts every request by
 * its fate; the kernel side finishes complete requests, the user side classifies the rest after
 * --timeout-ms. */
#include "vmlinux.h"
#include "packet_path.bpf.h"

char LICENSE[] SEC("license") = "GPL";

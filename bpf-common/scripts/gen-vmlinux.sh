#!/usr/bin/env bash
# Regenerate the committed vmlinux.h for this machine's architecture from the running kernel's BTF.
# CO-RE relocates field accesses at load time, so one header serves every kernel with BTF.
set -euo pipefail
common=$(cd "$(dirname "$0")/.." && pwd)
case "$(uname -m)" in x86_64) arch=x86 ;; aarch64) arch=arm64 ;; *) echo "unsupported arch" >&2; exit 1 ;; esac
btf=${1:-/sys/kernel/btf/vmlinux}
mkdir -p "$common/bpf/vmlinux/$arch"
bpftool btf dump file "$btf" format c > "$common/bpf/vmlinux/$arch/vmlinux.h"
echo "wrote bpf/vmlinux/$arch/vmlinux.h from $btf"

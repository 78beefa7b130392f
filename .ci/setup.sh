#!/usr/bin/env bash
# Installs what netstrata needs on Debian 12 (as root) and builds it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
# prometheus: the e2e test scrapes --prometheus with a real Prometheus it starts itself.
# libc6-dev (and linux-libc-dev, its dependency): the tests and the bench build small C programs (lock
# contention, the flood, the ring producer). bpftrace: the bench compares the tools with bpftrace scripts.
# strace: the bad-input tests prove a rejected invocation made no bpf(2) call at all.
# conntrack: conntrack_summary counts each table's entries by zone from conntrack(8)'s dump.
# qemu-system-x86, busybox-static, kmod, cpio, xz-utils, zstd: the guest tier boots Debian's kernels under
# QEMU (their image packages are downloaded, never installed); openvswitch-switch: OVS in those guests; ethtool: the virtio NICs' per-queue counters in them.
for p in clang llvm libbpf-dev libbpf1 libc6-dev bpftool iproute2 nftables iputils-ping util-linux libelf1 zlib1g python3 strace bpftrace prometheus \
  qemu-system-x86 busybox-static kmod cpio xz-utils zstd openvswitch-switch ethtool conntrack; do
  have "$p" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's prometheus starts a system service on install (port 9090, its own storage): keep
  # maintainer scripts from starting services; the tests run their own instances on free ports.
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
# Whatever installed it before, no system prometheus may hold ports the tests use.
if [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus.service >/dev/null 2>&1 || true
elif [ -x /etc/init.d/prometheus ]; then
  /etc/init.d/prometheus stop >/dev/null 2>&1 || true
fi

# Tracepoint attachment and the lab's fault checks need tracefs; BPF needs nothing pinned.
if [ ! -d /sys/kernel/tracing/events ]; then
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi

# npm install, not npm ci: npm 11 here writes lock files without other platforms' optional
# packages (nx, rollup) and then refuses them in npm ci. Versions still come from the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
npm run build

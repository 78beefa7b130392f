#!/usr/bin/env bash
# Installs what netstrata needs on Debian 12 (as root) and builds it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in clang llvm libbpf-dev libbpf1 bpftool iproute2 nftables iputils-ping util-linux libelf1 zlib1g; do
  have "$p" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
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

#!/usr/bin/env bash
# Compile every bpf/*.bpf.c of one package into build/bpf/*.bpf.o (CO-RE, BTF kept, DWARF stripped).
# Usage: build-bpf.sh PACKAGE_DIR [INCLUDE_DIR...]
# Extra include directories are for a project that measures another's kernel records (the bench);
# tools include only their own bpf/ and bpf-common's headers.
set -euo pipefail
pkg=$(cd "${1:?usage: build-bpf.sh PACKAGE_DIR [INCLUDE_DIR...]}" && pwd)
shift
extra=()
for dir in "$@"; do extra+=(-I "$(cd "$dir" && pwd)"); done
common=$(cd "$(dirname "$0")/.." && pwd)
case "$(uname -m)" in
  x86_64) arch=x86 ;;
  aarch64) arch=arm64 ;;
  *) echo "build-bpf: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
clang=${CLANG:-clang}
strip=${LLVM_STRIP:-llvm-strip}
command -v "$clang" >/dev/null || { echo "build-bpf: clang not found (apt-get install clang)" >&2; exit 1; }
[ -f /usr/include/bpf/bpf_helpers.h ] || { echo "build-bpf: libbpf headers not found (apt-get install libbpf-dev)" >&2; exit 1; }
out="$pkg/build/bpf"
mkdir -p "$out"
shopt -s nullglob
for src in "$pkg"/bpf/*.bpf.c; do
  obj="$out/$(basename "${src%.c}").o"
  "$clang" -target bpf -g -O2 -Wall -Werror -D__TARGET_ARCH_$arch \
    -I "$common/bpf/vmlinux/$arch" -I "$common/bpf/include" -I "$pkg/bpf" "${extra[@]}" \
    -c "$src" -o "$obj"
  "$strip" -g "$obj" 2>/dev/null || true
done

#!/usr/bin/env bash
# npm run bench: installs what is missing and builds (.ci/setup.sh), then measures every tool's cost
# side by side and regenerates docs/benchmarks.md (its soak block is kept). Takes about 15 minutes
# on 2 CPUs with the defaults. Options pass through (node bench/dist/bench.js --help), or
# set them in the environment: BENCH_ROUNDS, BENCH_TRIAL_SECONDS, BENCH_PHASES, …
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root (namespaces and BPF)" >&2; exit 1; }
bash .ci/setup.sh >/dev/null
exec node bench/dist/bench.js "$@"

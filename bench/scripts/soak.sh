#!/usr/bin/env bash
# The soak: installs and builds what is missing, then runs every summary tool for an hour (by
# default) under steady lab traffic; RSS and map sizes go to docs/soak.csv and docs/benchmarks.md.
# Arguments pass through: --minutes N, --sample-seconds N, --csv PATH, --doc PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash .ci/setup.sh >/dev/null
exec node bench/dist/soak.js "$@"

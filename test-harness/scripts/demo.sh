#!/usr/bin/env bash
# The demo: installs what is missing, builds, creates a lab with injected faults, runs
# packet_drop_summary over live traffic for a few seconds, prints what it found, removes the lab.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash .ci/setup.sh >/dev/null
exec node test-harness/dist/demo.js

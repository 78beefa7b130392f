#!/usr/bin/env bash
# The demo: installs what is missing, builds, and runs the `faults` lab: hosts routed in network
# namespaces with four injected faults, netstrata diagnose on them, its verdict beside the truth.
# The lab is removed when it ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash .ci/setup.sh >/dev/null
exec node packages/cli/dist/netstrata.js lab run faults

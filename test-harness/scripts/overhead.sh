#!/usr/bin/env bash
# Overhead of the summary tools on a UDP flood over a veth pair.
#
# Two private namespaces joined by one veth (10.201.0.1 -> 10.201.0.2); a sendmmsg sender and a
# recvmmsg sink (test-harness/agents/flood.c). Trials alternate between no tool and each summary tool
# (none, metrics, latency, packet_drop, none, ...). Per trial: packets per second at the sink, the
# tool's CPU (utime+stime of its node process) and the host's sys+softirq CPU (/proc/stat), all over
# the flood window only. The tools run unfiltered (whole host), --interval 3600, so no report is
# printed during a trial; they are stopped with SIGINT after it.
#
# Run as root from anywhere after `npm run build`:
#   bash test-harness/scripts/overhead.sh
# Knobs (environment): ROUNDS (5), TRIAL_SECONDS (5), SETTLE_SECONDS (2), PAYLOAD (64 bytes).
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-5}
TRIAL_SECONDS=${TRIAL_SECONDS:-5}
SETTLE_SECONDS=${SETTLE_SECONDS:-2}
PAYLOAD=${PAYLOAD:-64}
PORT=9000
READY_TIMEOUT=20
CONFIGS=(none metrics latency packet_drop)

die() { echo "overhead: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (namespaces and BPF)"
for c in ip clang node taskset bpftool; do
  command -v "$c" >/dev/null || die "$c not found"
done

# The built tools (dist/bin/ or dist/, depending on the build layout)
bin_of() {
  local pkg=$1 name=$2 f
  for f in "packages/$pkg/dist/bin/$name.js" "packages/$pkg/dist/$name.js"; do
    [ -f "$f" ] && { echo "$f"; return; }
  done
  die "packages/$pkg/dist/{bin/,}$name.js not found: run npm run build"
}
declare -A BIN=(
  [metrics]=$(bin_of system-network system_network_metrics_summary)
  [latency]=$(bin_of system-network system_network_latency_summary)
  [packet_drop]=$(bin_of packet-drop packet_drop_summary)
)

NS_TX="nstov-$$-tx"
NS_RX="nstov-$$-rx"
tmp=$(mktemp -d /tmp/nstov-$$.XXXXXX)
PIDS=()      # children to kill on exit
TOOL_PID=""

cleanup() {
  local p
  # The tool first, with SIGINT so it detaches its programs; SIGKILL if it lingers
  if [ -n "$TOOL_PID" ] && kill -0 "$TOOL_PID" 2>/dev/null; then
    kill -INT "$TOOL_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$TOOL_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$TOOL_PID" 2>/dev/null || true
  fi
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$NS_TX" 2>/dev/null || true
  ip netns del "$NS_RX" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

prog_ids() { bpftool prog show 2>/dev/null | awk -F: '/^[0-9]+:/ {print $1}' | sort; }
# Programs some live process holds an fd to (prog or link fds carry prog_id in their fdinfo)
held_prog_ids() { cat /proc/"${1:-[0-9]*}"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" {print $2}' | sort -u; }
netns_names() { ip netns list | awk '{print $1}' | grep -v "^nstov-$$-" | sort || true; }
PROGS_BEFORE=$(prog_ids)
NETNS_BEFORE=$(netns_names)

# --- the flood agent ---------------------------------------------------------------------------
clang -O2 -Wall -o "$tmp/flood" test-harness/agents/flood.c 2>"$tmp/cc.err" || {
  cat "$tmp/cc.err" >&2
  die "compiling flood.c failed (libc headers missing? apt-get install libc6-dev)"
}

# --- the lab: tx namespace --veth-- rx namespace, static neighbours (no ARP in the counts) ------
ip netns add "$NS_TX"
ip netns add "$NS_RX"
ip link add va netns "$NS_TX" address 02:00:0a:c9:00:01 type veth \
  peer name vb netns "$NS_RX" address 02:00:0a:c9:00:02
ip -n "$NS_TX" addr add 10.201.0.1/24 dev va
ip -n "$NS_RX" addr add 10.201.0.2/24 dev vb
for ns in "$NS_TX" "$NS_RX"; do ip -n "$ns" link set lo up; done
ip -n "$NS_TX" link set va up
ip -n "$NS_RX" link set vb up
ip -n "$NS_TX" neigh replace 10.201.0.2 lladdr 02:00:0a:c9:00:02 dev va nud permanent
ip -n "$NS_RX" neigh replace 10.201.0.1 lladdr 02:00:0a:c9:00:01 dev vb nud permanent

# Sender and sink on different CPUs when there are two
NCPU=$(nproc)
if [ "$NCPU" -ge 2 ]; then PIN_TX=(taskset -c 0); PIN_RX=(taskset -c 1); else PIN_TX=(); PIN_RX=(); fi

# --- measurements ------------------------------------------------------------------------------
# /proc/stat "cpu" line: prints "sys+softirq total" in ticks, all CPUs
cpu_ticks() { awk '$1 == "cpu" {print $4 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit}' /proc/stat; }
# utime+stime of a process (all threads), in ticks; the command name may contain spaces
proc_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
json_num() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$2"; }
HZ=$(getconf CLK_TCK)

# Starts the tool for config $1 in the background; sets TOOL_PID; waits for its ready file
start_tool() {
  local cfg=$1 ready="$tmp/ready.$1"
  rm -f "$ready"
  local cmd=(node "${BIN[$cfg]}" --interval 3600 --output json --ready-file "$ready")
  "${cmd[@]}" >"$tmp/tool.out" 2>"$tmp/tool.err" &
  TOOL_PID=$!
  local deadline=$((SECONDS + READY_TIMEOUT))
  until [ -s "$ready" ]; do
    kill -0 "$TOOL_PID" 2>/dev/null || { cat "$tmp/tool.err" >&2; die "$cfg exited before it was ready"; }
    [ "$SECONDS" -lt "$deadline" ] || { cat "$tmp/tool.err" >&2; die "$cfg not ready after ${READY_TIMEOUT}s"; }
    sleep 0.05
  done
}

# SIGINT, then the final record must be there and the exit clean
stop_tool() {
  local cfg=$1 rc=0
  kill -INT "$TOOL_PID"
  for _ in $(seq 200); do kill -0 "$TOOL_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$TOOL_PID" 2>/dev/null && { kill -KILL "$TOOL_PID"; die "$cfg did not stop within 20s of SIGINT"; }
  wait "$TOOL_PID" || rc=$?
  TOOL_PID=""
  [ "$rc" = 0 ] || { cat "$tmp/tool.err" >&2; die "$cfg exited with $rc after SIGINT"; }
  [ -s "$tmp/tool.out" ] || { cat "$tmp/tool.err" >&2; die "$cfg printed no final record"; }
}

run_trial() {
  local cfg=$1 round=$2 c0 c1 t0=0 t1=0 sent_json recv_json rpid rready="$tmp/recv.ready"
  [ "$cfg" = none ] || start_tool "$cfg"
  sleep "$SETTLE_SECONDS"   # start-up work (symbols, BTF) stays out of the window

  # Sink up before the sender starts
  rm -f "$rready"
  FLOOD_READY_FILE="$rready" ip netns exec "$NS_RX" "${PIN_RX[@]}" \
    "$tmp/flood" recv 10.201.0.2 "$PORT" $((TRIAL_SECONDS + 10)) 500 >"$tmp/recv.out" &
  rpid=$!
  PIDS+=("$rpid")
  for _ in $(seq 100); do [ -e "$rready" ] && break; sleep 0.02; done
  [ -e "$rready" ] || die "sink did not bind"

  # The window: the sender's run
  c0=$(cpu_ticks)
  [ -z "$TOOL_PID" ] || t0=$(proc_ticks "$TOOL_PID")
  sent_json=$(ip netns exec "$NS_TX" "${PIN_TX[@]}" "$tmp/flood" send 10.201.0.2 "$PORT" "$PAYLOAD" "$TRIAL_SECONDS")
  c1=$(cpu_ticks)
  [ -z "$TOOL_PID" ] || t1=$(proc_ticks "$TOOL_PID")
  # Someone else loading BPF or building labs meanwhile: the trial is flagged
  local busy=0 ours=""
  [ -z "$TOOL_PID" ] || ours=$(held_prog_ids "$TOOL_PID")
  [ -z "$(comm -23 <(prog_ids) <(printf '%s\n' "$PROGS_BEFORE" "$ours" | sort -u))" ] || busy=1
  [ "$(netns_names)" = "$NETNS_BEFORE" ] || busy=1

  wait "$rpid" || die "sink failed"
  recv_json=$(cat "$tmp/recv.out")
  [ "$cfg" = none ] || stop_tool "$cfg"

  local secs recv sent
  secs=$(json_num seconds "$sent_json")
  sent=$(json_num packets "$sent_json")
  recv=$(json_num packets "$recv_json")
  read -r s0 a0 <<<"$c0"
  read -r s1 a1 <<<"$c1"
  awk -v cfg="$cfg" -v r="$round" -v recv="$recv" -v sent="$sent" -v secs="$secs" \
      -v tt=$((t1 - t0)) -v hz="$HZ" -v ds=$((s1 - s0)) -v da=$((a1 - a0)) -v busy="$busy" 'BEGIN {
    printf "%s\t%d\t%.0f\t%.0f\t%.2f\t%.2f\t%.0f\t%d\n", cfg, r, recv / secs, sent / secs,
      100 * tt / hz / secs, (da > 0 ? 100 * ds / da : 0), (recv > 0 ? ds / hz * 1e9 / recv : 0), busy
  }' | tee -a "$tmp/results.tsv" |
    awk -F'\t' '{printf "  round %d %-12s recv %9s pps  sent %9s pps  tool %5s%%  sys+softirq %6s%% (%s ns/pkt)%s\n",
      $2, $1, $3, $4, $5, $6, $7, ($8 ? "  [other BPF programs or namespaces appeared]" : "")}'
}

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
col() { awk -F'\t' -v c="$1" -v k="$2" '$1 == c {print $k}' "$tmp/results.tsv"; }

# --- run ---------------------------------------------------------------------------------------
# Which build is measured; a rebuild during the run would mix two builds
bin_sums() { for cfg in "${CONFIGS[@]:1}"; do sha256sum "${BIN[$cfg]}"; done; }
SUMS_BEFORE=$(bin_sums)
others=$(ip netns list | awk '{print $1}' | grep -v "^nstov-$$-" | tr '\n' ' ' || true)
[ -z "$others" ] || echo "warning: other network namespaces exist ($others): their traffic adds noise and the unfiltered tools see it" >&2
echo "nproc $NCPU; sender ${PIN_TX[*]:-unpinned}, sink ${PIN_RX[*]:-unpinned}, tools unpinned"
echo "payload $PAYLOAD bytes, $ROUNDS rounds x ${#CONFIGS[@]} configurations, ${TRIAL_SECONDS}s each (+${SETTLE_SECONDS}s settle)"
echo "tool command lines (READY is a fresh file per trial):"
for cfg in "${CONFIGS[@]:1}"; do
  echo "  $cfg: node ${BIN[$cfg]} --interval 3600 --output json --ready-file READY  (sha256 $(sha256sum "${BIN[$cfg]}" | cut -c1-12))"
done
echo "flood: ip netns exec $NS_TX ${PIN_TX[*]} flood send 10.201.0.2 $PORT $PAYLOAD $TRIAL_SECONDS"
echo "sink:  ip netns exec $NS_RX ${PIN_RX[*]} flood recv 10.201.0.2 $PORT $((TRIAL_SECONDS + 10)) 500"

# Warm-up flood, not recorded (first-touch costs: page cache, socket buffers)
run_trial none 0 >/dev/null
: >"$tmp/results.tsv"

for round in $(seq "$ROUNDS"); do
  for cfg in "${CONFIGS[@]}"; do run_trial "$cfg" "$round"; done
done

[ "$(bin_sums)" = "$SUMS_BEFORE" ] || die "a tool binary changed during the run (rebuilt?): results mix two builds"

# --- table -------------------------------------------------------------------------------------
base=$(col none 3 | median)
echo
echo "medians over $ROUNDS trials of ${TRIAL_SECONDS}s; tool CPU in % of one core (resolution 1 tick = $((1000 / HZ)) ms);"
echo "sys+softirq in % of all $NCPU CPUs, and as CPU time per received packet"
printf '%-12s %11s %9s %9s %12s %8s %19s %7s\n' configuration "median pps" "vs none" "tool CPU" "sys+softirq" "ns/pkt" "pps min..max" "flagged"
for cfg in "${CONFIGS[@]}"; do
  pps=$(col "$cfg" 3 | median)
  tool=$(col "$cfg" 5 | median)
  sys=$(col "$cfg" 6 | median)
  nspp=$(col "$cfg" 7 | median)
  lo=$(col "$cfg" 3 | sort -g | head -1)
  hi=$(col "$cfg" 3 | sort -g | tail -1)
  flagged=$(col "$cfg" 8 | awk '{n += $1} END {print n + 0}')
  awk -v c="$cfg" -v p="$pps" -v b="$base" -v t="$tool" -v s="$sys" -v n="$nspp" -v lo="$lo" -v hi="$hi" -v f="$flagged" -v r="$ROUNDS" 'BEGIN {
    printf "%-12s %11.0f %+8.1f%% %8.2f%% %11.2f%% %8.0f %9.0f..%.0f %5d/%d\n", c, p, 100 * (p - b) / b, t, s, n, lo, hi, f, r
  }'
done

# --- nothing left behind -----------------------------------------------------------------------
cleanup
trap - EXIT
! ip netns list | grep -q "^nstov-$$-" || die "namespaces left behind"
# New programs that no live process holds are leaks (pinned or attached without an fd); new ones
# that another process holds belong to whoever else is using BPF on this machine
# (the kernel frees programs after an RCU grace period, and others' come and go: ask again for 5 s)
for _ in $(seq 10); do
  left=$(comm -13 <(echo "$PROGS_BEFORE") <(prog_ids) | comm -23 - <(held_prog_ids) | tr '\n' ' ')
  [ -n "${left// /}" ] || break
  sleep 0.5
done
[ -z "${left// /}" ] || die "BPF programs left behind, held by no process: ids $left"
echo
echo "clean: no nstov-$$ namespaces, no new BPF programs left that no process holds"

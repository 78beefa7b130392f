#!/bin/bash
# Inside a test guest: netem as the delay and loss injector. Two namespaces on a veth; netem on the
# sender's side; N datagrams through a DELAY_MS delay, then N more through 100 % loss, watched by
# system_network_latency_summary (--direction tx) and packet_drop_summary in the sender's namespace.
# Prints the two tools' final records as one JSON line: {"latency": ..., "drops": ...}.
# Usage: netem.sh REPO N DELAY_MS
set -euo pipefail
repo=$1 n=$2 delay=$3
modprobe veth
modprobe sch_netem
a=nstnem-a b=nstnem-b dir=$(mktemp -d)
cleanup() {
  for p in ${pids:-}; do kill -INT "$p" 2>/dev/null || true; done
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
for ns in "$a" "$b"; do
  ip netns add "$ns"
  # No IPv6 (no neighbour discovery or MLD to drop beside the injected loss).
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add nstna netns "$a" address 02:4e:53:00:01:01 type veth peer name nstnb netns "$b" address 02:4e:53:00:01:02
for x in "$a nstna 10.252.0.1 10.252.0.2 02:4e:53:00:01:02" "$b nstnb 10.252.0.2 10.252.0.1 02:4e:53:00:01:01"; do
  set -- $x
  ip -n "$1" link set lo up
  ip -n "$1" addr add "$3/24" dev "$2"
  ip -n "$1" link set "$2" up
  ip -n "$1" neigh replace "$4" lladdr "$5" dev "$2" nud permanent
done
tc -n "$a" qdisc add dev nstna root netem delay "${delay}ms"
node "$repo/packages/system-network/dist/system_network_latency_summary.js" --direction tx --netns "$a" --interface nstna \
  --protocol udp --dst-port 9 --interval 3600 --output json --ready-file "$dir/lat.ready" > "$dir/lat.json" &
pids=$!
node "$repo/packages/packet-drop/dist/packet_drop_summary.js" --netns "$a" --interval 3600 --output json --ready-file "$dir/drop.ready" > "$dir/drop.json" &
pids="$pids $!"
while [ ! -e "$dir/lat.ready" ] || [ ! -e "$dir/drop.ready" ]; do sleep 0.1; done
send() { ip netns exec "$a" node "$repo/test-harness/agents/traffic.mjs" "{\"mode\":\"udp-send\",\"dst\":\"10.252.0.2\",\"dport\":$1,\"count\":$n}" > /dev/null; }
send 9
# Every delayed datagram has left once the qdisc holds none.
while [ "$(tc -n "$a" -s -j qdisc show dev nstna | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].qlen))')" != 0 ]; do sleep 0.05; done
tc -n "$a" qdisc change dev nstna root netem loss 100%
send 10
for p in $pids; do kill -INT "$p"; done
wait
pids=
final() { node -e 'const r=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).find(x=>x.type==="final");console.log(JSON.stringify(r))' "$1"; }
echo "{\"latency\":$(final "$dir/lat.json"),\"drops\":$(final "$dir/drop.json")}"

#!/bin/bash
# Inside a test guest: an Open vSwitch bridge on the kernel datapath (ovs-vswitchd from the shared
# root, openvswitch.ko of the booted kernel) between two namespaces, N pings across it, then
# everything removed. Prints one JSON line with what happened.
set -euo pipefail
n=${1:-20}
for m in openvswitch crc32c_generic nfnetlink veth; do modprobe "$m"; done
run=$(mktemp -d /run/ovs.XXXX)
export OVS_RUNDIR=$run OVS_DBDIR=$run OVS_LOGDIR=$run OVS_SYSCONFDIR=$run
cleanup() {
  for d in ovs-vswitchd ovsdb-server; do [ -e "$run/$d.pid" ] && kill "$(cat "$run/$d.pid")" 2>/dev/null || true; done
  ip netns del nstovs1 2>/dev/null || true
  ip netns del nstovs2 2>/dev/null || true
  ovs-dpctl del-dp ovs-system 2>/dev/null || true
}
trap cleanup EXIT
ovsdb-tool create "$run/conf.db" /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server "$run/conf.db" --remote="punix:$run/db.sock" --pidfile --detach --log-file -vconsole:off
ovs-vsctl --no-wait init
# Debian's ovs-vswitchd 3.1.0 counts no CPUs during the first 10 s after boot (count_cpu_cores
# refreshes every 10 s of monotonic time, from 0) and then starts no upcall handler, so nothing is
# forwarded. Fixed in 3.1.1 and 3.2.0; here it is started after that.
while [ "$(cut -d. -f1 /proc/uptime)" -lt 11 ]; do sleep 0.2; done
started=$(cut -d' ' -f1 /proc/uptime)
ovs-vswitchd --pidfile --detach --log-file -vconsole:off
ovs-vsctl add-br nstbr0 -- set bridge nstbr0 datapath_type=system
ip link set nstbr0 up
for i in 1 2; do
  ip netns add "nstovs$i"
  ip link add "nstv$i" type veth peer name "nstp$i"
  ip link set "nstv$i" netns "nstovs$i"
  ip -n "nstovs$i" addr add "10.251.0.$i/24" dev "nstv$i"
  ip -n "nstovs$i" link set "nstv$i" up
  ip -n "nstovs$i" link set lo up
  ip link set "nstp$i" up
  ovs-vsctl add-port nstbr0 "nstp$i"
done
received=$(ip netns exec nstovs1 ping -n -q -c "$n" -i 0.2 -W 2 10.251.0.2 | sed -n 's/.* \([0-9]*\) received.*/\1/p')
handlers=$(sed -n 's/.*Overriding n-handler-threads to \([0-9]*\).*/\1/p' "$run/ovs-vswitchd.log" | tail -1)
flows=$(ovs-appctl dpctl/dump-flows | grep -c 'in_port' || true)
printf '{"started_at_uptime":%s,"sent":%d,"received":%d,"handlers":%s,"datapath_flows":%d}\n' "$started" "$n" "${received:-0}" "${handlers:-null}" "$flows"

#!/bin/bash
# Inside a test guest: an Open vSwitch bridge on the kernel datapath (ovs-vswitchd from the shared
# root, openvswitch.ko of the booted kernel) between two namespaces, N pings across it, then
# everything removed. Prints one JSON line with what happened.
#   ovs-bridge.sh N [CLOCK_S]
# With CLOCK_S, ovs-vswitchd runs in a time namespace whose monotonic clock reads CLOCK_S seconds
# at its start (how the fault below is reproduced at will); without it, it starts past that fault.
set -euo pipefail
n=${1:-20}
clock=${2:-}
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
# Debian's ovs-vswitchd 3.1.0 counts no CPUs while its monotonic clock reads under 10 s:
# count_cpu_cores() refreshes its cached count every 10 s of that clock, measured from 0, so every
# call before then returns the initial 0. In per-CPU upcall dispatch the handler threads are one
# per CPU, hence "Overriding n-handler-threads to 0": no handler reads an upcall and nothing that
# misses the datapath's flow table is forwarded. A daemon started at boot hits it; the tier starts
# it past 10 s, or on a clock set below 10 s to show the fault.
if [ -n "$clock" ]; then
  up=$(cut -d. -f1 /proc/uptime)
  started=$clock
  unshare --time --monotonic="$((clock - up))" --fork ovs-vswitchd --pidfile --detach --log-file -vconsole:off
else
  while [ "$(cut -d. -f1 /proc/uptime)" -lt 11 ]; do sleep 0.2; done
  started=$(cut -d' ' -f1 /proc/uptime)
  ovs-vswitchd --pidfile --detach --log-file -vconsole:off
fi
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
# ping exits 1 when nothing comes back, which is a result here.
received=$({ ip netns exec nstovs1 ping -n -q -c "$n" -i 0.2 -W 2 10.251.0.2 || true; } | sed -n 's/.* \([0-9]*\) received.*/\1/p')
handlers=$(sed -n 's/.*Overriding n-handler-threads to \([0-9]*\).*/\1/p' "$run/ovs-vswitchd.log" | tail -1)
flows=$(ovs-appctl dpctl/dump-flows | grep -c 'in_port' || true)
printf '{"vswitchd_clock_s":%s,"sent":%d,"received":%d,"handlers":%s,"datapath_flows":%d}\n' "$started" "$n" "${received:-0}" "${handlers:-null}" "$flows"

#!/bin/bash
# PID 1 of a test guest after switch_root (the host's root, read-only, under a tmpfs): mounts the
# kernel file systems, makes the booted kernel's modules the ones modprobe sees, brings up the NIC,
# and runs the agent that executes the host's commands. When the agent ends, the guest powers off.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
arg() { local a; for a in $(cat /proc/cmdline); do case $a in "$1"=*) echo "${a#"$1"=}"; return ;; esac; done; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
# /tmp stays the overlay's (writable, and the host's /tmp shows through: a checkout may live there).
for d in /dev/shm /run /var/log; do mount -t tmpfs tmpfs "$d"; done
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# The host's /lib/modules is not this kernel's: show modprobe the booted kernel's tree only.
mkdir -p /lib/modules && mount -t tmpfs tmpfs /lib/modules
ln -s "$(arg nst.modules)" "/lib/modules/$(uname -r)"
echo /sbin/modprobe > /proc/sys/kernel/modprobe
mkdir -p /mnt/out && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /mnt/out
hostname "nst-guest-$(uname -r | cut -d. -f1-2)"
ip link set lo up
addr=$(arg nst.addr)
if [ -n "$addr" ]; then
  modprobe virtio_net
  mac=$(arg nst.mac)
  dev=
  for d in /sys/class/net/*; do [ "$(cat "$d/address")" = "$mac" ] && dev=${d##*/}; done
  [ -n "$dev" ] || dev=$(ls /sys/class/net | grep -v '^lo$' | head -1)
  ip addr add "$addr" dev "$dev" && ip link set "$dev" up
fi
# A script the host asked to run before the agent (early in boot), in the background.
early=$(arg nst.early)
[ -n "$early" ] && "$early" > /mnt/out/early.log 2>&1 &
# The agent's port, found by the name the host gave it.
port=
for p in /sys/class/virtio-ports/*; do [ "$(cat "$p/name" 2>/dev/null)" = nst.agent ] && port=/dev/${p##*/}; done
echo "nst-guest: up at $(cut -d' ' -f1 /proc/uptime) s, agent port ${port:-missing}"
node "$(arg nst.agent)" "$port"
echo "nst-guest: agent ended ($?), powering off"
echo o > /proc/sysrq-trigger
sleep 10

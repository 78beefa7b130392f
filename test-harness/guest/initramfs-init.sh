#!/bin/busybox sh
# PID 1 of the guest's initramfs (busybox): loads the modules the root needs, mounts the host's root
# read-only over 9p with a tmpfs on top, and hands over to nst.init (a host path) as the new PID 1.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do insmod "/modules/$m" || echo "nst-initramfs: insmod $m failed"; done
init=
for a in $(cat /proc/cmdline); do case $a in nst.init=*) init=${a#nst.init=} ;; esac; done
mkdir -p /lower /upper /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower || { echo "nst-initramfs: 9p mount failed"; poweroff -f; }
mount -t tmpfs -o size=75% tmpfs /upper
mkdir -p /upper/up /upper/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/up,workdir=/upper/work /newroot || { echo "nst-initramfs: overlay failed"; poweroff -f; }
umount /proc /dev
exec switch_root /newroot "${init:-/bin/sh}"

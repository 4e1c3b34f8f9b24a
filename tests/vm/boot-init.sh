#!/bin/sh
# Stage-1 /init of the ZUFS test VM (busybox sh, from vm_build_boot).
# The guest userland is an ext4 image on the last virtio disk (label
# zufs-root, read-only); this mounts it under a tmpfs overlay, copies the
# rest of the initramfs (kernel modules, the run's payload) over it and
# hands PID 1 to /zufs/init (guest-init.sh).
export PATH=/bin
busybox mount -t proc proc /proc
busybox mount -t sysfs sysfs /sys
busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

fail() {
	echo "stage1: $*"
	# the host sees no result line and a console without DONE: it fails
	# the run; power off so it need not wait for its timeout
	echo o >/proc/sysrq-trigger
	busybox sleep 30
	exit 1
}

read -r rel </proc/sys/kernel/osrelease
for m in /usr/lib/modules/"$rel"/vm-root/*.ko; do
	[ -f "$m" ] || continue
	busybox insmod "$m" || fail "insmod $m failed"
done

root=
for _ in $(busybox seq 100); do
	root=$(busybox findfs LABEL=zufs-root 2>/dev/null) && break
	busybox sleep 0.1
done
[ -n "$root" ] || fail "no disk with the label zufs-root (the guest root image)"
busybox mount -t ext4 -o ro "$root" /ro || fail "cannot mount $root"
busybox mount -t tmpfs -o mode=755 tmpfs /rw || fail "cannot mount tmpfs"
busybox mkdir -p /rw/upper /rw/work
busybox mount -t overlay overlay \
	-o lowerdir=/ro,upperdir=/rw/upper,workdir=/rw/work /newroot ||
	fail "cannot mount the overlay root"
for d in /*; do
	case $d in
	/bin | /init | /dev | /proc | /sys | /ro | /rw | /newroot) ;;
	*) busybox cp -a "$d" /newroot/ || fail "cannot copy $d" ;;
	esac
done
[ -x /newroot/zufs/init ] || fail "/zufs/init missing from the payload"
# What guest-init.sh would otherwise mount with a process each.
busybox mkdir -p /dev/pts /dev/shm /newroot/tmp /newroot/run
busybox mount -t devpts -o gid=5,mode=620 devpts /dev/pts
busybox mount -t tmpfs -o mode=1777 tmpfs /dev/shm
busybox mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
busybox mount -t tmpfs -o mode=755 tmpfs /newroot/run
busybox ln -sf /proc/self/fd /dev/fd
busybox ln -sf /proc/self/fd/0 /dev/stdin
busybox ln -sf /proc/self/fd/1 /dev/stdout
busybox ln -sf /proc/self/fd/2 /dev/stderr
busybox stty -F /dev/ttyS1 raw -echo 2>/dev/null
busybox mount --move /dev /newroot/dev
busybox mount --move /proc /newroot/proc
busybox mount --move /sys /newroot/sys
busybox mount -t debugfs debugfs /newroot/sys/kernel/debug 2>/dev/null
exec busybox switch_root /newroot /zufs/init

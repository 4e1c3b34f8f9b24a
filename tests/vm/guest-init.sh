#!/bin/bash
# PID 1 of the ZUFS test VM (/zufs/init; the stage-1 init, boot-init.sh,
# mounted the guest root and hands over to it).
# Sets the machine up, runs /zufs/suite/[0-9]* in order and reports each on
# the result channel (/dev/ttyS1) as "RESULT PASS|FAIL|SKIP name", then DONE.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C HOME=/root TERM=dumb

# boot-init.sh mounted /proc, /sys, /dev (with pts and shm), /tmp, /run
# and debugfs with its static busybox: a process of this dynamically linked
# userland costs a quarter of a second under TCG.
if [ ! -e /proc/self ]; then
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	mkdir -p /dev/pts /dev/shm /tmp /run
	mount -t devpts -o gid=5,mode=620 devpts /dev/pts
	mount -t tmpfs -o mode=1777 tmpfs /dev/shm
	mount -t tmpfs -o mode=1777 tmpfs /tmp
	mount -t tmpfs -o mode=755 tmpfs /run
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	ln -sf /proc/self/fd /dev/fd 2>/dev/null
	ln -sf /proc/self/fd/0 /dev/stdin; ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
fi
exec </dev/console >/dev/console 2>&1
echo zufs-vm >/proc/sys/kernel/hostname

ZUFS_TEST_TIMEOUT=300
# shellcheck source=/dev/null
[ -r /zufs/run.env ] && . /zufs/run.env

# (no command substitution: every fork costs under TCG)
say() {
	local up _
	read -r up _ </proc/uptime
	echo "init[$up]: $*"
}

RES=/dev/ttyS1 # (made raw by boot-init.sh)
result() { echo "$*" >$RES; echo "== $*"; }

poweroff_now() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 30
	exit 1 # last resort: init exits -> panic -> QEMU ends (-no-reboot)
}

read -r krel </proc/sys/kernel/osrelease
say "==== zufs-vm $krel run=${ZUFS_RUN_NAME:-} ===="

# Make hangs visible quickly; never panic on them (the host decides).
sysctl_w() { echo "$2" >"/proc/sys/kernel/$1" || say "cannot set kernel.$1"; }
sysctl_w hung_task_timeout_secs 30
sysctl_w hung_task_panic 0
sysctl_w hung_task_warnings -1
sysctl_w softlockup_panic 0
sysctl_w panic_on_oops 0
sysctl_w panic_on_warn 0
sysctl_w printk "7 4 1 7"
sysctl_w dmesg_restrict 0

# (the tests insmod /zufs/zuf.ko: no depmod here, it costs seconds a boot)

# (one modprobe for all: every process costs under TCG)
mods="virtio_pci virtio_blk loop fuse nfit nd_pmem dax_pmem device_dax"
# shellcheck disable=SC2086
modprobe -qa $mods || say "modprobe of one of $mods failed"

# Wait for devices (no udev here: devtmpfs creates the nodes).
for ((i = 0; i < 100; i++)); do [ -b /dev/vda ] && break; sleep 0.1; done
[ -b /dev/vda ] || say "/dev/vda missing"

pmem_ok() {
	local dax=
	[ -b /dev/pmem0 ] && read -r dax </sys/block/pmem0/queue/dax 2>/dev/null &&
		[ "$dax" = 1 ]
}
pmem_setup() {
	local i
	for ((i = 0; i < 50; i++)); do
		compgen -G '/sys/bus/nd/devices/region*' >/dev/null && break
		sleep 0.1
	done
	# A namespace in fsdax mode is claimed by a pfn device (its holder);
	# ask ndctl only when that is not so.
	local holder=
	for ((i = 0; i < 20; i++)); do
		pmem_ok && return 0
		read -r holder </sys/bus/nd/devices/namespace0.0/holder 2>/dev/null
		case $holder in pfn*) break ;; esac
		sleep 0.1
	done
	case $holder in pfn*) ;; *) holder=$(ndctl list -N 2>/dev/null) ;; esac
	if ! grep -q -e '^pfn' -e '"mode":"fsdax"' <<<"$holder"; then
		say "no fsdax namespace, creating one"
		ndctl disable-region all &&
			ndctl init-labels -f all &&
			ndctl enable-region all &&
			ndctl create-namespace -m fsdax || return 1
	fi
	for ((i = 0; i < 50; i++)); do pmem_ok && return 0; sleep 0.1; done
	return 1
}
if pmem_setup && pmem_ok; then
	read -r sectors </sys/block/pmem0/size
	say "pmem ok: /dev/pmem0 fsdax, $((sectors / 2048)) MiB"
else
	say "pmem setup FAILED"
	ndctl list -RNDi 2>&1 | head -n 40
	ls -l /dev/pmem* 2>&1
	result "RESULT FAIL pmem-setup"
fi

# (no ldconfig: the staged libzus is in a directory ld.so searches anyway;
# the guest root image has the test user already)
[ -d /home/zutest ] || useradd -m -u 1000 -s /bin/bash zutest

export ZUF_KO=/zufs/zuf.ko PMEM=/dev/pmem0 SLOW=/dev/vda ZUFS_SUITE=/zufs/suite
export TEST_USER=zutest ZUFS_LIB=/zufs/guest-lib.sh TMPDIR=/tmp
export ZUFS_KREL=$krel ZUFS_LINE ZUFS_TEST_TIMEOUT

say "setup done, running tests"
cd /tmp || exit 1
for t in /zufs/suite/[0-9]*; do
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
	name=${t##*/}
	echo "==== BEGIN $name ===="
	printf -v t0 '%(%s)T' -1
	# timeout signals the whole process group it creates, so children of a
	# hung test die too.
	TEST_NAME=$name timeout -k 10 "$ZUFS_TEST_TIMEOUT" "$t" </dev/null
	rc=$?
	printf -v dt '%(%s)T' -1
	dt=$((dt - t0))
	case $rc in
	0) st=PASS ;;
	77) st=SKIP ;;
	124 | 137) st=FAIL; echo "[$name] TIMEOUT after ${ZUFS_TEST_TIMEOUT}s" ;;
	*) st=FAIL ;;
	esac
	echo "==== END $name rc=$rc ${dt}s $st ===="
	result "RESULT $st $name"
	cd /tmp || true
done
result DONE
echo "==== zufs-vm init: done ===="
poweroff_now

#!/bin/bash
# PID 1 of the ZUFS test VM (installed as /init in the initramfs).
# Sets the machine up, runs /zufs/suite/[0-9]* in order and reports each on
# the result channel (/dev/ttyS1) as "RESULT PASS|FAIL|SKIP name", then DONE.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C HOME=/root TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm /tmp /run
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t fusectl fusectl /sys/fs/fuse/connections 2>/dev/null
ln -sf /proc/self/fd /dev/fd 2>/dev/null
ln -sf /proc/self/fd/0 /dev/stdin; ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
hostname zufs-vm

ZUFS_TEST_TIMEOUT=300
# shellcheck source=/dev/null
[ -r /zufs/run.env ] && . /zufs/run.env

# (no command substitution: every fork costs under TCG)
say() {
	local up _
	read -r up _ </proc/uptime
	echo "init[$up]: $*"
}

RES=/dev/ttyS1
stty -F $RES raw -echo 2>/dev/null
result() { echo "$*" >$RES; echo "== $*"; }

poweroff_now() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 30
	exit 1 # last resort: init exits -> panic -> QEMU ends (-no-reboot)
}

say "==== zufs-vm $(uname -r) run=${ZUFS_RUN_NAME:-} ===="

# Make hangs visible quickly; never panic on them (the host decides).
sysctl -q -w kernel.hung_task_timeout_secs=30 kernel.hung_task_panic=0 \
	kernel.hung_task_warnings=-1 \
	kernel.softlockup_panic=0 kernel.panic_on_oops=0 kernel.panic_on_warn=0 \
	kernel.printk="7 4 1 7" kernel.dmesg_restrict=0 2>/dev/null

krel=$(uname -r)
# (the tests insmod /zufs/zuf.ko: no depmod here, it costs seconds a boot)

for m in virtio_pci virtio_blk loop fuse nfit nd_pmem dax_pmem device_dax; do
	modprobe -q "$m" || say "modprobe $m failed"
done

# Wait for devices (no udev here: devtmpfs creates the nodes).
for _ in $(seq 100); do [ -b /dev/vda ] && break; sleep 0.1; done
[ -b /dev/vda ] || say "/dev/vda missing"

pmem_ok() {
	[ -b /dev/pmem0 ] && [ "$(cat /sys/block/pmem0/queue/dax 2>/dev/null)" = 1 ]
}
pmem_setup() {
	for _ in $(seq 50); do
		compgen -G '/sys/bus/nd/devices/region*' >/dev/null && break
		sleep 0.1
	done
	if ! ndctl list -N 2>/dev/null | grep -q '"mode":"fsdax"'; then
		say "no fsdax namespace, creating one"
		ndctl disable-region all &&
			ndctl init-labels -f all &&
			ndctl enable-region all &&
			ndctl create-namespace -m fsdax || return 1
	fi
	for _ in $(seq 50); do pmem_ok && return 0; sleep 0.1; done
	return 1
}
if pmem_setup && pmem_ok; then
	say "pmem ok: $(ndctl list -N 2>/dev/null | tr -d '\n ')"
else
	say "pmem setup FAILED"
	ndctl list -RNDi 2>&1 | head -n 40
	ls -l /dev/pmem* 2>&1
	result "RESULT FAIL pmem-setup"
fi

say "pmem done"
ldconfig
id zutest >/dev/null 2>&1 || useradd -m -u 1000 -s /bin/bash zutest

export ZUF_KO=/zufs/zuf.ko PMEM=/dev/pmem0 SLOW=/dev/vda ZUFS_SUITE=/zufs/suite
export TEST_USER=zutest ZUFS_LIB=/zufs/guest-lib.sh TMPDIR=/tmp
export ZUFS_KREL=$krel ZUFS_LINE ZUFS_TEST_TIMEOUT

say "setup done, running tests"
cd /tmp || exit 1
for t in /zufs/suite/[0-9]*; do
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
	name=${t##*/}
	echo "==== BEGIN $name ===="
	t0=$(date +%s)
	# timeout signals the whole process group it creates, so children of a
	# hung test die too.
	TEST_NAME=$name timeout -k 10 "$ZUFS_TEST_TIMEOUT" "$t" </dev/null
	rc=$?
	dt=$(($(date +%s) - t0))
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

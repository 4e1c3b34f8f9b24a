# shellcheck shell=bash
# shellcheck disable=SC2119,SC2120  # helpers take optional arguments
# Helpers of the namespace suite (sourced, not a test): zuf.ko + zuf-root,
# a zusd serving pmemfs, mkfs/mount/fsck of /dev/pmem0, and cleanup that
# leaves the machine as it found it (mounts gone, zusd stopped, module
# unloaded). Modelled on the transport suite's zus-lib.sh.
# shellcheck source=tests/vm/guest-lib.sh
. "$ZUFS_LIB"

ZT_TESTS=""
for d in /usr/lib/zus/tests /usr/local/lib/zus/tests; do
	[ -d "$d" ] && { ZT_TESTS=$d; break; }
done
ZUSD=$(command -v zusd)
ZUSD_LOG=/tmp/zusd-$TEST_NAME.log
ZUSD_PID=""
MNT=/mnt/pmemfs
NS_POSIX=$ZT_TESTS/zufs-posix

_zusd_pids() { pgrep -x zusd; }

_umount_pmemfs() {
	local m p
	for _ in 1 2 3; do
		m=$(awk '$3 == "pmemfs" { print $2 }' /proc/mounts | tac)
		[ -z "$m" ] && break
		for p in $m; do umount "$p" 2>/dev/null || umount -l "$p"; done
	done
}

ns_cleanup() {
	local p
	_umount_pmemfs
	for p in $(_zusd_pids); do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 100); do [ -z "$(_zusd_pids)" ] && break; sleep 0.1; done
	for p in $(_zusd_pids); do kill -KILL "$p" 2>/dev/null; done
	for _ in $(seq 50); do [ -z "$(_zusd_pids)" ] && break; sleep 0.1; done
	_umount_pmemfs
	zuf_cleanup
	return 0
}

# ns_require: the staged zus install and the module; cleanup on exit.
ns_require() {
	require_module
	[ -n "$ZUSD" ] || die "zusd not installed in the VM (make stage?)"
	command -v mkfs.pmemfs >/dev/null || die "mkfs.pmemfs not installed in the VM"
	trap ns_cleanup EXIT
	zuf_loaded && die "zuf already loaded before the test"
	[ -z "$(_zusd_pids)" ] || die "a zusd is already running"
}

# ns_require_posix: the conformance test program is installed.
ns_require_posix() {
	[ -x "$NS_POSIX" ] || die "$NS_POSIX not installed (make -C zus install-tests)"
}

# ns_up: insmod, zuf-root at /sys/fs/zuf, zusd with the pmemfs plugin.
ns_up() {
	local i
	insmod "$ZUF_KO" || die "insmod $ZUF_KO failed"
	mount -t zuf nodev /sys/fs/zuf || die "mount -t zuf nodev /sys/fs/zuf failed"
	: >"$ZUSD_LOG"
	"$ZUSD" -c /dev/null -p pmemfs "$@" >>"$ZUSD_LOG" 2>&1 &
	ZUSD_PID=$!
	for i in $(seq 200); do
		if grep -qE '[[:space:]]pmemfs$' /proc/filesystems &&
			grep -q 'zusd: ready' "$ZUSD_LOG"; then
			log "zusd pid $ZUSD_PID ready after ~$((i / 10)).$((i % 10)) s"
			return 0
		fi
		kill -0 "$ZUSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed "s/^/[$TEST_NAME]   zusd| /" "$ZUSD_LOG"
	die "zusd did not become ready (pmemfs not in /proc/filesystems)"
}

# ns_mkfs [MKFS ARGS]: a new pmemfs on $PMEM.
ns_mkfs() {
	mkfs.pmemfs -f -q "$@" "$PMEM" >/tmp/mkfs.out 2>&1 ||
		{ cat /tmp/mkfs.out; die "mkfs.pmemfs $* $PMEM failed"; }
}

# ns_mount [DIR]: mount $PMEM (default at $MNT).
ns_mount() {
	local d=${1:-$MNT}
	mkdir -p "$d"
	mount -t pmemfs "$PMEM" "$d" || die "mount -t pmemfs $PMEM $d failed"
}

ns_umount() {
	local d=${1:-$MNT}
	umount "$d" || die "umount $d failed"
}

# ns_fsck: fsck.pmemfs -n -f must find the filesystem clean.
ns_fsck() {
	local out rc
	out=$(fsck.pmemfs -n -f "$PMEM" 2>&1)
	rc=$?
	printf '%s\n' "$out" | tail -n 3 | sed "s/^/[$TEST_NAME]   fsck| /"
	[ $rc = 0 ] || { printf '%s\n' "$out" | head -n 40; die "fsck.pmemfs: exit $rc, not clean"; }
}

# zusd_rss_kib: VmRSS of the running zusd in KiB.
zusd_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$ZUSD_PID/status"; }

# zusd_alive: zusd must still run (no crash).
zusd_alive() {
	kill -0 "$ZUSD_PID" 2>/dev/null && return 0
	sed "s/^/[$TEST_NAME]   zusd| /" "$ZUSD_LOG"
	die "zusd died"
}

# ns_down: unmount, SIGTERM zusd (must exit 0), zuf-root, rmmod.
ns_down() {
	local i
	mountpoint -q "$MNT" && ns_umount
	kill -TERM "$ZUSD_PID" || die "zusd pid $ZUSD_PID is gone"
	for i in $(seq 200); do
		kill -0 "$ZUSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$ZUSD_PID" 2>/dev/null && die "zusd did not exit within 20 s of SIGTERM"
	wait "$ZUSD_PID"
	local rc=$?
	grep -iE 'error|warn|leak' "$ZUSD_LOG" | sed "s/^/[$TEST_NAME]   zusd| /"
	assert_eq "$rc" 0 "zusd exit status after SIGTERM"
	ZUSD_PID=""
	umount /sys/fs/zuf || die "umount /sys/fs/zuf failed"
	rmmod zuf || die "rmmod zuf failed"
}

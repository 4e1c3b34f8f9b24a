# shellcheck shell=bash
# shellcheck disable=SC2119,SC2120  # helpers take optional arguments
# Helpers of the transport suite (sourced, not a test): zuf.ko + zuf-root,
# a zusd with the zutest plugin, zutest mounts, and cleanup that leaves the
# machine as it found it (zusd stopped, mounts gone, module unloaded).
# shellcheck source=tests/vm/guest-lib.sh
. "$ZUFS_LIB"

ZT_TESTS=""
for d in /usr/lib/zus/tests /usr/local/lib/zus/tests; do
	[ -x "$d/zufs-echo" ] && { ZT_TESTS=$d; break; }
done
ZUSD=$(command -v zusd)
ZUSD_LOG=/tmp/zusd-$TEST_NAME.log
ZUSD_PID=""
MNT=/mnt/zutest

# Every zusd this test started (also ones it lost track of).
_zusd_pids() { pgrep -x zusd; pgrep -x zusd-abi-test; }

zus_cleanup() {
	local p m
	for p in $(_zusd_pids); do kill -KILL "$p" 2>/dev/null; done
	for _ in $(seq 50); do [ -z "$(_zusd_pids)" ] && break; sleep 0.1; done
	for _ in 1 2 3; do
		m=$(awk '$3 == "zutest" { print $2 }' /proc/mounts | tac)
		[ -z "$m" ] && break
		for p in $m; do umount "$p" 2>/dev/null || umount -l "$p"; done
	done
	zuf_cleanup
	return 0
}

# zus_require: the staged zus install and the module; cleanup on exit.
zus_require() {
	require_module
	[ -n "$ZUSD" ] || die "zusd not installed in the VM (make stage?)"
	[ -n "$ZT_TESTS" ] || die "zus test tools not installed (make -C zus install-tests)"
	trap zus_cleanup EXIT
	zuf_loaded && die "zuf already loaded before the test"
	[ -z "$(_zusd_pids)" ] || die "a zusd is already running"
}

# zuf_up: insmod + mount zuf-root at /sys/fs/zuf.
zuf_up() {
	insmod "$ZUF_KO" || die "insmod $ZUF_KO failed"
	mount -t zuf nodev /sys/fs/zuf || die "mount -t zuf nodev /sys/fs/zuf failed"
}

zutest_registered() { grep -qE '^nodev[[:space:]]+zutest$' /proc/filesystems; }

# zusd_start [ZUSD ARGS]: start zusd (zutest plugin, no config file) in the
# background, logging to $ZUSD_LOG; wait until zutest is registered.
zusd_start() {
	local i
	: >"$ZUSD_LOG"
	"$ZUSD" -c /dev/null -p zutest "$@" >>"$ZUSD_LOG" 2>&1 &
	ZUSD_PID=$!
	for i in $(seq 200); do
		if zutest_registered && grep -q 'zusd: ready' "$ZUSD_LOG"; then
			log "zusd pid $ZUSD_PID ready after ~$((i / 10)).$((i % 10)) s"
			return 0
		fi
		kill -0 "$ZUSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed "s/^/[$TEST_NAME]   zusd| /" "$ZUSD_LOG"
	die "zusd did not become ready (zutest not in /proc/filesystems)"
}

# zusd_wait_exit PID SECS: wait for PID to exit; sets ZUSD_RC.
zusd_wait_exit() {
	local pid=$1 i
	for i in $(seq $(($2 * 10))); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; ZUSD_RC=$?; return 0; }
		sleep 0.1
	done
	return 1
}

# zusd_stop: SIGTERM, must exit 0 with every thread joined.
zusd_stop() {
	kill -TERM "$ZUSD_PID" || die "zusd pid $ZUSD_PID is gone"
	zusd_wait_exit "$ZUSD_PID" 20 || die "zusd did not exit within 20 s of SIGTERM"
	sed "s/^/[$TEST_NAME]   zusd| /" "$ZUSD_LOG"
	assert_eq "$ZUSD_RC" 0 "zusd exit status after SIGTERM"
	grep -q 'zusd: stopped: all .* joined' "$ZUSD_LOG" ||
		die "zusd did not report all threads joined"
	ZUSD_PID=""
}

# mount_zutest [OPTIONS]
mount_zutest() {
	mkdir -p "$MNT"
	if [ -n "${1:-}" ]; then
		mount -t zutest -o "$1" none "$MNT" || die "mount -t zutest -o $1 failed"
	else
		mount -t zutest none "$MNT" || die "mount -t zutest failed"
	fi
}

# zus_down: stop zusd, unmount everything, unload the module.
zus_down() {
	if mountpoint -q "$MNT"; then umount "$MNT" || die "umount $MNT failed"; fi
	[ -n "$ZUSD_PID" ] && zusd_stop
	umount /sys/fs/zuf || die "umount /sys/fs/zuf failed"
	rmmod zuf || die "rmmod zuf failed"
}

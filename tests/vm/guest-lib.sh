# shellcheck shell=bash
# Helpers for ZUFS VM tests. In the guest: . /zufs/guest-lib.sh  (= $ZUFS_LIB)
# A test is an executable /zufs/suite/[0-9]*: exit 0 = PASS, 77 = SKIP,
# anything else (or the per-test timeout) = FAIL. Its output goes to the
# serial console between "==== BEGIN name" / "==== END name" markers.

TEST_NAME=${TEST_NAME:-$(basename "$0")}

log() { echo "[$TEST_NAME] $*"; }

# die MSG: fail the test now.
die() {
	echo "[$TEST_NAME] FAIL: $*" >&2
	exit 1
}

# skip MSG: the test does not apply here (exit 77).
skip() {
	echo "[$TEST_NAME] SKIP: $*"
	exit 77
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || die "${3:-value}: got '$1', expected '$2'"
}

# assert CMD...: the command must succeed.
assert() {
	"$@" || die "command failed (rc=$?): $*"
}

# _errno_text ENAME: strerror text of an errno name (EPERM -> "Operation not
# permitted").
_errno_text() {
	python3 -c 'import errno,os,sys; print(os.strerror(getattr(errno, sys.argv[1])))' "$1" 2>/dev/null
}

# expect_fail WHAT CMD...: CMD must fail. WHAT is an errno name (EPERM,
# EBUSY, ...: its strerror text must appear in CMD's output), any other
# text (must appear in the output, case-insensitive), or "-" (any failure).
# The output is echoed and left in $EXPECT_FAIL_OUT.
expect_fail() {
	local what=$1 rc pat
	shift
	EXPECT_FAIL_OUT=$("$@" 2>&1)
	rc=$?
	[ -n "$EXPECT_FAIL_OUT" ] && printf '%s\n' "$EXPECT_FAIL_OUT" | sed "s/^/[$TEST_NAME]   | /"
	[ $rc != 0 ] || die "expected failure ($what) but succeeded: $*"
	[ "$what" = - ] && return 0
	pat=$what
	if [[ $what =~ ^E[A-Z0-9]+$ ]]; then
		pat=$(_errno_text "$what")
		[ -n "$pat" ] || die "expect_fail: unknown errno name $what"
	fi
	printf '%s\n' "$EXPECT_FAIL_OUT" | grep -qiF -- "$pat" ||
		die "expected '$pat' ($what) from: $* (rc=$rc)"
	return 0
}

# dmesg_mark: remember the current end of the kernel log (writes a marker
# line into it). dmesg_since_mark: print the kernel lines after the last mark.
_DMESG_MARK=""
dmesg_mark() {
	_DMESG_MARK="zufs-test-mark:$TEST_NAME:$$:$RANDOM$RANDOM"
	echo "$_DMESG_MARK" >/dev/kmsg
}
# Extra args go to dmesg (e.g. -x to see levels: "kern  :err   : ...").
dmesg_since_mark() {
	if [ -z "$_DMESG_MARK" ]; then
		dmesg "$@"
		return
	fi
	dmesg "$@" | awk -v m="$_DMESG_MARK" 'found { print } index($0, m) { found = 1 }'
}

# dmesg_grep ERE: grep the kernel lines since the mark (case-insensitive).
dmesg_grep() { dmesg_since_mark | grep -Ei -- "$1"; }

# dmesg_errors_since_mark: kernel lines of level err or worse since the mark.
dmesg_errors_since_mark() { dmesg_since_mark -x | grep -E '^[a-z]+ *:(emerg|alert|crit|err) *:'; }

# as_user CMD...: run CMD as the unprivileged $TEST_USER (no capabilities).
as_user() {
	setpriv --reuid="${TEST_USER:-zutest}" --regid="${TEST_USER:-zutest}" \
		--init-groups --inh-caps=-all --bounding-set=-all -- "$@"
}

# require_module: fail clearly when the module under test was not supplied.
require_module() {
	[ -f "${ZUF_KO:-/zufs/zuf.ko}" ] ||
		die "module ${ZUF_KO:-/zufs/zuf.ko} not in the VM (not built for $(uname -r)?)"
}

# zuf_loaded: is zuf.ko loaded?
zuf_loaded() { [ -d /sys/module/zuf ]; }

# zuf_cleanup: unmount every zuf mount and unload the module (best effort);
# use in an EXIT trap so each test leaves the machine clean.
zuf_cleanup() {
	local m
	for _ in 1 2 3; do
		m=$(awk '$3 == "zuf" { print $2 }' /proc/mounts | tac)
		[ -z "$m" ] && break
		for d in $m; do umount "$d" 2>/dev/null || umount -l "$d" 2>/dev/null; done
	done
	zuf_loaded && rmmod zuf 2>/dev/null
	return 0
}

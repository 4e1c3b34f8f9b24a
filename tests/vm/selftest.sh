#!/bin/bash
# Harness self-test: a module that WARNs at init must turn a VM run red.
#   tests/vm/selftest.sh [--kver LINE|RELEASE]... [--fault-dir DIR] [--pmem-dir DIR]
# (default: every installed line; DIR/<release>/zuf.ko, default build/kmod-fault)
# Runs the module suite with build/kmod-fault/<rel>/zuf.ko and --expect-fail,
# then checks the run was red *because of* the WARNING on the console.
# The first boot of that run is a stand-in QEMU (fixtures/fake-qemu.sh) that
# writes the console of a kernel that oopsed before userspace: the harness
# must boot again (vm_boot) and still catch the WARNING. A second run whose
# every boot oopses early must be red after VM_EARLY_RETRIES reboots.
# Writes "PASS|FAIL <line>/harness/catches-warn" and ".../reboots-early-oops"
# to stdout and to build/results/vm-<line>-selftest.txt. Exit 0 only if all
# lines PASS.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/host-lib.sh"

kvers=()
fault_dir=$VM_REPO/build/kmod-fault
pmem_dir=""
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kvers+=("$2"); shift ;;
	--fault-dir) fault_dir=$2; shift ;;
	--pmem-dir) pmem_dir=$2; shift ;;
	*) echo "selftest.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
if [ ${#kvers[@]} = 0 ]; then
	mapfile -t kvers < <("$VM_REPO/scripts/kernels.sh" --image | sed -E 's/^([0-9]+\.[0-9]+).*/\1/' | sort -uV)
fi
[ ${#kvers[@]} -gt 0 ] || { echo "selftest.sh: no kernels installed" >&2; exit 2; }

# with_fake_qemu EARLY CMD...: run CMD with QEMU replaced by the stand-in
# whose first EARLY boots oops before userspace.
with_fake_qemu() {
	local early=$1 real=$VM_QEMU
	shift
	rm -f "$fake_count"
	FAKE_QEMU_REAL=$real FAKE_QEMU_COUNT=$fake_count FAKE_QEMU_EARLY=$early \
		VM_QEMU=$HERE/fixtures/fake-qemu.sh "$@"
}
retries=${VM_EARLY_RETRIES:-2}

rc=0
for k in "${kvers[@]}"; do
	vm_resolve_kver "$k" || { rc=1; continue; }
	res=$VM_REPO/build/results/vm-$VM_LINE-selftest.txt
	mkdir -p "$(dirname "$res")"
	: >"$res"
	ko=$fault_dir/$VM_REL/zuf.ko
	inner=$VM_BUILD/logs/$VM_LINE-selftest.results
	why="" early=""
	fake_count=$VM_BUILD/run/fake-qemu-$VM_LINE.count
	if [ ! -f "$ko" ]; then
		why="fault module $ko not built"
	else
		pm=()
		[ -n "$pmem_dir" ] && pm=(--pmem "$pmem_dir/pmem-$VM_LINE.img")
		# The inner run is meant to fail: indent its result lines so
		# they are not counted as this suite's results.
		log=$VM_BUILD/logs/$VM_LINE-selftest.log
		rm -f "$log".early-*
		with_fake_qemu 1 "$HERE/run.sh" --kver "$VM_REL" --suite "$HERE/suites/module" "${pm[@]}" \
			--module "$ko" --expect-fail --name selftest --results "$inner" \
			--timeout "${SELFTEST_TIMEOUT:-300}" 2>&1 | sed 's/^/  expected-red run: /'
		r=${PIPESTATUS[0]}
		if [ ! -f "$log.early-1" ] || [ -e "$log.early-2" ]; then
			early="the boot that oopsed before userspace was not booted again exactly once"
		fi
		if [ $r != 0 ]; then
			why="run.sh did not report the faulty module's run as red"
		elif ! grep -q "console-clean" "$inner"; then
			why="run was red but console-clean did not fail"
		elif ! tr -d '\r' <"$log" | grep -qE '\[ *[0-9.]+\] WARNING:'; then
			why="no kernel WARNING line on the console"
		fi
	fi
	if [ -z "$why" ]; then
		line="PASS $VM_LINE/harness/catches-warn"
	else
		line="FAIL $VM_LINE/harness/catches-warn"
		echo "selftest: $VM_LINE: $why" >&2
		rc=1
	fi
	echo "$line"
	echo "$line" >>"$res"

	# Every boot oopses before userspace: booted again, then red.
	if [ -z "$early" ]; then
		rm -f "$VM_BUILD/logs/$VM_LINE-early.log".early-*
		out=$(with_fake_qemu 99 "$HERE/run.sh" --kver "$VM_REL" --suite "$HERE/suites/module" \
			--name early --results "$VM_BUILD/logs/$VM_LINE-early.results" --timeout 120 2>&1)
		r=$?
		n=$(cat "$fake_count" 2>/dev/null)
		if [ $r = 0 ]; then
			early="a run whose every boot oopsed before userspace was green"
		elif [ "$n" != $((retries + 1)) ]; then
			early="the harness booted ${n:-0} times, not $((retries + 1))"
		elif ! grep -q 'Oops: int3' <<<"$out" || ! grep -q 'before it started userspace' <<<"$out"; then
			early="the red run did not show the oops and the reboots"
		fi
		[ -n "$early" ] && printf '%s\n' "$out" | tail -n 30 | sed 's/^/  all-early run: /' >&2
	fi
	if [ -z "$early" ]; then
		line="PASS $VM_LINE/harness/reboots-early-oops"
	else
		line="FAIL $VM_LINE/harness/reboots-early-oops"
		echo "selftest: $VM_LINE: $early" >&2
		rc=1
	fi
	echo "$line"
	echo "$line" >>"$res"
done
exit $rc

#!/bin/bash
# Run one ZUFS VM test suite in QEMU (TCG) and report one line per test.
#
# tests/vm/run.sh --kver <LINE|RELEASE> --suite <DIR> [--name NAME]
#     [--pmem FILE] [--fresh-pmem] [--pmem-size SIZE] [--timeout SEC]
#     [--test-timeout SEC] [--module PATH] [--results FILE] [--expect-fail]
#     [--append ARGS]
#
# Prints "PASS|FAIL|SKIP <line>/<name>/<test>" per test (also written to
# --results, default build/results/vm-<line>-<name>.txt) plus the pseudo
# tests console-clean and vm-completed when they fail. Exit 0 only when all
# passed or skipped and the console is clean; with --expect-fail, exit 0
# only when the run was red.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/host-lib.sh disable=SC2034
. "$HERE/host-lib.sh"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

kver="" suite="" name="" pmem="" fresh="" timeout=600 ttimeout="" module=""
results="" expect_fail=0 append=""
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kver=$2; shift ;;
	--suite) suite=$2; shift ;;
	--name) name=$2; shift ;;
	--pmem) pmem=$2; shift ;;
	--fresh-pmem) fresh=1 ;;
	--pmem-size) VM_PMEM_SIZE=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--test-timeout) ttimeout=$2; shift ;;
	--module) module=$2; shift ;;
	--results) results=$2; shift ;;
	--expect-fail) expect_fail=1 ;;
	--append) append=$2; shift ;;
	-h | --help) usage ;;
	*) echo "run.sh: unknown argument $1" >&2; usage ;;
	esac
	shift
done
[ -n "$kver" ] && [ -n "$suite" ] || usage
[ -d "$suite" ] || { echo "run.sh: no suite directory $suite" >&2; exit 2; }
suite=$(cd "$suite" && pwd)
vm_resolve_kver "$kver" || exit 2
name=${name:-$(basename "$suite")}
: "${ttimeout:=$timeout}"
pmem=${pmem:-$VM_BUILD/pmem-$VM_LINE.img}
slow=$(dirname "$pmem")/slow-$(basename "$pmem" .img | sed 's/^pmem-//').img
module=${module:-$VM_REPO/build/kmod/$VM_REL/zuf.ko}
results=${results:-$VM_REPO/build/results/vm-$VM_LINE-$name.txt}
logdir=$VM_BUILD/logs
tag=$VM_LINE-$name
mkdir -p "$logdir" "$VM_BUILD/run" "$(dirname "$results")" || exit 2
: >"$results"

t_start=$SECONDS
VM_ROOT=$(vm_build_base) || exit 2
boot=$(vm_build_boot) || exit 2
mods=$(vm_build_modules "$VM_REL") || exit 2
payload=$VM_BUILD/run/$tag.payload.cpio
vm_build_payload "$payload" --suite "$suite" --module "$module" \
	--timeout "$ttimeout" --name "$name" --line "$VM_LINE" || exit 2
VM_INITRD=$VM_BUILD/run/$tag.initrd
vm_make_initrd "$VM_INITRD" "$boot" "$mods" "$payload" || exit 2
vm_prepare_disks "$pmem" "$slow" "$fresh" || exit 2
VM_PMEM=$pmem VM_SLOW=$slow
VM_CONSOLE=$logdir/$tag.log VM_RESULT=$logdir/$tag.result VM_APPEND=$append
t_prep=$((SECONDS - t_start))

trap 'vm_kill' EXIT
trap 'vm_kill; exit 130' INT TERM
echo "vm: $VM_REL suite=$name module=$module pmem=$pmem log=$VM_CONSOLE" >&2
t_boot=$SECONDS
# QEMU gets a hard SIGKILL a little after our own deadline.
vm_boot $((timeout + 30)) || exit 2
if vm_wait_line '^DONE' "$timeout"; then
	vm_wait_exit 20 || { vm_msg "QEMU did not power off after DONE: killing it"; vm_kill; }
else
	vm_running && vm_msg "no DONE after ${timeout}s: killing QEMU"
	vm_kill
fi
trap - EXIT INT TERM
t_run=$((SECONDS - t_boot))

# --- evaluate -------------------------------------------------------------
red=0
report() { # STATUS TEST
	local l="$1 $VM_LINE/$name/$2"
	echo "$l"
	echo "$l" >>"$results"
	[ "$1" = FAIL ] && red=1
	return 0
}

failed_tests=()
while read -r tag_ st t; do
	[ "$tag_" = RESULT ] || continue
	report "$st" "$t"
	[ "$st" = FAIL ] && failed_tests+=("$t")
done < <(vm_results "$VM_RESULT")

completed=0
vm_results "$VM_RESULT" | grep -qx DONE && completed=1
if [ $completed = 0 ]; then
	# The test that was running when the VM died or hung.
	cur=$(tr -d '\r' <"$VM_CONSOLE" | sed -n 's/^==== BEGIN \(.*\) ====$/\1/p' | tail -n1)
	if [ -n "$cur" ] && ! vm_results "$VM_RESULT" | grep -q " $cur\$"; then
		report FAIL "$cur"
		failed_tests+=("$cur")
	fi
	report FAIL vm-completed
fi

splat=$(vm_scan_console "$VM_CONSOLE")
[ -n "$splat" ] && report FAIL console-clean

for t in "${failed_tests[@]}"; do
	echo "---- $VM_LINE/$name/$t failed; its console output (tail):"
	vm_test_output "$VM_CONSOLE" "$t" 40
done
if [ -n "$splat" ]; then
	echo "---- kernel problems on the console ($VM_CONSOLE):"
	printf '%s\n' "$splat" | head -n 200
fi
if [ $completed = 0 ]; then
	echo "---- VM did not complete (timeout ${timeout}s or crash); last console lines:"
	tr -d '\r' <"$VM_CONSOLE" | tail -n 60
	[ -s "$VM_CONSOLE.qemu" ] && { echo "---- QEMU said:"; cat "$VM_CONSOLE.qemu"; }
fi

echo "vm: $VM_LINE/$name: prepare ${t_prep}s, VM ${t_run}s, console $VM_CONSOLE" >&2

if [ $expect_fail = 1 ]; then
	if [ $red = 1 ]; then
		echo "vm: run was red, as expected (--expect-fail)" >&2
		exit 0
	fi
	echo "vm: run was GREEN but --expect-fail was given" >&2
	exit 1
fi
exit $red

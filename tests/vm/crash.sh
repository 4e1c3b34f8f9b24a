#!/bin/bash
# Crash-consistency test of pmemfs over ZUFS: kill QEMU at a random instant
# during a metadata-heavy workload, reboot, check, repeat.
#
# tests/vm/crash.sh --kver <LINE|RELEASE> [--cycles N] [--seed S] [--data]
#     [--min-delay SEC] [--max-delay SEC] [--module KO] [--fs pmemfs|ext4|tmpfs]
#     [--workers W] [--churn 0|1] [--keep N] [--boot-timeout SEC] [--stage DIR]
#
# Cycle k: boot k runs the workload and reports every completed operation
# on the result channel (ttyS1) while the host SIGKILLs QEMU after a random
# delay (--min-delay..--max-delay after the workload started, default
# 2..8 s, drawn from the seed). The workload: --workers processes (default
# 2) side by side, each in its own directory /c<k>w<i> (concurrent
# transactions), plus with --churn 1 (default) an unrecorded load process
# in /c<k>x (big writes, truncates, unlinks of open files) that only fsck
# and the recovery mount judge. Boot k+1 then checks cycle k: the host
# runs fsck.pmemfs -n -f on a copy of the killed image (unfinished
# transactions rolled back in the copy: 0 problems required), the guest
# mounts (recovery), dumps the tree to the virtio disk, unmounts and runs
# fsck.pmemfs -n -f (must be clean), and the host compares the dump with its
# model: every recorded operation present, the one in flight entirely done
# or not done, nothing else changed, earlier cycles' directories intact.
# Boot 1 runs mkfs; boot N+1 only checks and stops cleanly (line "final").
# --data adds writes made durable with fsync or O_SYNC; --fs ext4 (mounted
# -o sync,dirsync) and --fs tmpfs (must FAIL: nothing survives) test the
# harness itself.
#
# Prints "PASS|FAIL <line>/<name>/cycle-<k>" (name: crash, crash-data,
# crash-<fs>...), also written to build/results/vm-<line>-<name>.txt. Stops
# at the first failure (the killed image is kept under build/vm/<line>-<name>/).
# Exit 0 only when every cycle passed. Console logs:
# build/vm/logs/<line>-<name>-boot<k>.log (+ .result: the result channel).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/host-lib.sh disable=SC2034
. "$HERE/host-lib.sh"
CRASHFS=$HERE/crash/suite/crashfs.py

usage() { sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

kver="" cycles=20 seed="" mode=meta min_delay=2 max_delay=8 module="" fs=pmemfs
boot_timeout=240 stage_arg="" workers=2 churn=1 keep=16
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kver=$2; shift ;;
	--cycles) cycles=$2; shift ;;
	--seed) seed=$2; shift ;;
	--data) mode=data ;;
	--min-delay) min_delay=$2; shift ;;
	--max-delay) max_delay=$2; shift ;;
	--module) module=$2; shift ;;
	--fs) fs=$2; shift ;;
	--boot-timeout) boot_timeout=$2; shift ;;
	--stage) stage_arg=$2; shift ;;
	--workers) workers=$2; shift ;;
	--churn) churn=$2; shift ;;
	--keep) keep=$2; shift ;;
	-h | --help) usage ;;
	*) echo "crash.sh: unknown argument $1" >&2; usage ;;
	esac
	shift
done
[ -n "$kver" ] || usage
[[ $cycles =~ ^[1-9][0-9]*$ ]] || { echo "crash.sh: --cycles needs a positive number" >&2; exit 2; }
[[ $workers =~ ^[1-9]$ ]] || { echo "crash.sh: --workers needs 1..9" >&2; exit 2; }
[[ $churn =~ ^[01]$ ]] || { echo "crash.sh: --churn 0|1" >&2; exit 2; }
[[ $keep =~ ^[1-9][0-9]*$ ]] || { echo "crash.sh: --keep needs a positive number" >&2; exit 2; }
case $fs in pmemfs | ext4 | tmpfs) ;; *) echo "crash.sh: --fs pmemfs|ext4|tmpfs" >&2; exit 2 ;; esac
[ -n "$seed" ] || seed=$(( $(date +%s%N) % 1000000000 ))
[[ $seed =~ ^[0-9]+$ ]] || { echo "crash.sh: --seed needs a number" >&2; exit 2; }
vm_resolve_kver "$kver" || exit 2

name=crash
[ "$mode" = data ] && name=$name-data
[ "$fs" != pmemfs ] && name=$name-$fs
tag=$VM_LINE-$name
work=$VM_BUILD/$tag
logdir=$VM_BUILD/logs
results=$VM_REPO/build/results/vm-$tag.txt
module=${module:-$VM_REPO/build/kmod/$VM_REL/zuf.ko}
stage=$(realpath "${stage_arg:-$VM_REPO/build/stage}") || exit 2
pmem=$VM_BUILD/pmem-$tag.img
slow=$VM_BUILD/slow-$tag.img
model=$work/model.json
mkdir -p "$logdir" "$(dirname "$results")" || exit 2
if ! exec 8>"$VM_BUILD/.$tag.lock" || ! flock -n 8; then
	echo "crash.sh: another crash run of $tag is in progress" >&2
	exit 2
fi
: >"$results"
rm -f "$logdir/$tag"-boot*

msg() { echo "crash: $*" >&2; }
red=0
report() { # STATUS TEST [WHY]
	local l="$1 $VM_LINE/$name/$2"
	echo "$l${3:+ ($3)}"
	echo "$l${3:+ ($3)}" >>"$results"
	[ "$1" = FAIL ] && red=1
	return 0
}

msg "$VM_REL fs=$fs mode=$mode workers=$workers churn=$churn cycles=$cycles seed=$seed delay=${min_delay}-${max_delay}s module=$module stage=$stage"
again="tests/vm/crash.sh --kver $VM_LINE --cycles $cycles --seed $seed"
[ "$mode" = data ] && again+=" --data"
[ "$fs" != pmemfs ] && again+=" --fs $fs"
[ "$workers" != 2 ] && again+=" --workers $workers"
[ "$churn" != 1 ] && again+=" --churn $churn"
[ "$keep" != 16 ] && again+=" --keep $keep"
[ "$min_delay/$max_delay" != 2/8 ] && again+=" --min-delay $min_delay --max-delay $max_delay"
[ -n "$stage_arg" ] && again+=" --stage $stage_arg"
msg "reproduce: $again"
t_start=$SECONDS

# ---- one initrd for the whole run (a snapshot of module and stage) --------
rm -rf "$work"
mkdir -p "$work" || exit 2
# the model and the verifier against a host directory first (~3 s)
if ! python3 "$CRASHFS" selftest >"$work/selftest.txt" 2>&1; then
	cat "$work/selftest.txt" >&2
	echo "crash.sh: crashfs.py selftest failed" >&2
	exit 2
fi
VM_ROOT=$(vm_build_base) || exit 2
boot=$(vm_build_boot) || exit 2
mods=$(vm_build_modules "$VM_REL") || exit 2
payload=$work/payload.cpio
# vm_build_payload overlays $VM_REPO/build/stage: point it at --stage
mkdir -p "$work/repo/build" && ln -s "$stage" "$work/repo/build/stage" || exit 2
VM_REPO=$work/repo vm_build_payload "$payload" --suite "$HERE/crash/suite" --module "$module" \
	--timeout 300 --name "$name" --line "$VM_LINE" || exit 2
if [ "$fs" = pmemfs ]; then
	listing=$(cpio -it --quiet <"$payload")
	for f in zufs/zuf.ko usr/sbin/zusd usr/sbin/mkfs.pmemfs usr/sbin/fsck.pmemfs; do
		grep -qx "$f" <<<"$listing" || { echo "crash.sh: $f missing from the payload (make modules stage; stage: $stage)" >&2; exit 2; }
	done
	grep -q '/zus/pmemfs\.so$' <<<"$listing" ||
		msg "warning: no pmemfs.so plugin in $stage: zusd will not serve pmemfs"
	# the host's copy of the checker, from the same stage
	cp "$stage/usr/sbin/fsck.pmemfs" "$work/fsck.pmemfs" || exit 2
fi
# Python under TCG: compiling crashfs.py at every start costs a second per
# boot (the guest root has the rest of Python compiled). Ship an
# unchecked-hash .pyc of it; a Python that cannot use it compiles as before.
pyc=$work/pyc.cpio
python3 - "$HERE/crash/suite" "$work/pyc" <<'EOF' || exit 2
import importlib.util, os, py_compile, sys
suite, dest = sys.argv[1:]
os.makedirs(dest + "/zufs/suite")
py_compile.compile(suite + "/crashfs.py", importlib.util.cache_from_source(dest + "/zufs/suite/crashfs.py"),
                   dfile="/zufs/suite/crashfs.py", doraise=True,
                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
EOF
(cd "$work/pyc" && find . -type d -exec chmod 755 {} +) && _vm_cpio "$work/pyc" "$pyc" -R 0:0 || exit 2
rm -rf "$work/pyc"
VM_INITRD=$work/initrd
vm_make_initrd "$VM_INITRD" "$boot" "$mods" "$payload" "$pyc" || exit 2
rm -f "$payload" "$pyc"
VM_SLOW_SIZE=64M
vm_prepare_disks "$pmem" "$slow" fresh || exit 2
# The guest reads the host's TSC; on a busy host its PIT calibration can be
# far off (guest time then runs many times too fast): give the frequency.
tsc=""
if gcc -O2 -Wall -Wextra -Werror -o "$work/tsc-khz" "$HERE/crash/tsc-khz.c" 2>"$work/tsc-khz.log" &&
	khz=$("$work/tsc-khz" 2>>"$work/tsc-khz.log"); then
	tsc="tsc_early_khz=$khz"
else
	msg "warning: could not measure the TSC frequency ($(head -n 1 "$work/tsc-khz.log")): guest clock may drift"
fi
VM_PMEM=$pmem VM_SLOW=$slow

fsck_pid=""
cleanup() {
	vm_kill
	[ -n "$fsck_pid" ] && kill "$fsck_pid" 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# res BOOT: that boot's result channel, CR stripped
res() { vm_results "$logdir/$tag-boot$1.result"; }
# cr_line BOOT WORD: the first "CR WORD ..." line of a boot (without "CR ")
cr_line() { res "$1" | sed -n "s/^CR $2\( \|\$\)/$2 /p" | head -n 1; }

# console_part BOOT pre|post|all: the console before/after the workload marker
console_part() {
	tr -d '\r' <"$logdir/$tag-boot$1.log" | awk -v w="$2" '
		/^==== crash: workload ====/ { wl = 1 }
		w == "all" || (w == "pre" && !wl) || (w == "post" && wl)'
}
splats() { # BOOT PART: kernel splats in that part of the console
	local f=$work/console.tmp
	console_part "$1" "$2" >"$f"
	vm_scan_console "$f" 20
}

# --keep: cycles whose directories stay; boot b removes cycle b-keep-1's
# before its workload, so long runs stay within the filesystem's inodes.
# Directories the guest dumps in full at boot b (the others are checked by
# presence at the root): the cycle just killed and a kept older one in
# rotation. Bounded, so a boot's check does not grow with the run.
full_dirs() {
	local b=$1 d=() lo=$(($1 - keep > 1 ? $1 - keep : 1))
	[ "$b" -gt 1 ] && d+=("c$((b - 1))")
	# one of the kept older cycles lo..b-2
	[ $((b - 1 - lo)) -gt 0 ] && d+=("c$((lo + (b * 7) % (b - 1 - lo)))")
	local IFS=,
	echo "${d[*]}"
}

fs_off=""
# snapshot_crashed K: copy the killed image of cycle K and start the host's
# fsck on it (pmemfs). Must run before the next boot touches the pmem.
snapshot_crashed() {
	local k=$1 img=$work/crashed-$1.img out=$work/fsck-host-$1.txt
	[ "$fs" = pmemfs ] || return 0
	if [ -z "$fs_off" ]; then
		fs_off=$(python3 "$CRASHFS" pmemfs-offset "$pmem") || { fs_off=""; echo "no pmemfs superblock in $pmem" >"$out"; return 1; }
	fi
	dd if="$pmem" of="$img" bs=1M skip="$fs_off" iflag=skip_bytes conv=sparse status=none || return 1
	("$work/fsck.pmemfs" -n -f "$img" >"$out" 2>&1; echo "rc=$?" >>"$out") &
	fsck_pid=$!
}

# evaluate K: decide cycle K (workload of boot K, checked by boot K+1).
evaluate() {
	local k=$1 b=$(($1 + 1)) why=() l out
	VERIFY=""
	# boot k: the workload ran and was killed during it
	if [ -z "$(cr_line "$k" WL-START)" ]; then
		l=$(cr_line "$k" ERROR)
		why+=("boot $k did not start the workload${l:+: ${l#ERROR }}")
	fi
	l=$(cr_line "$k" WL-BAD)
	[ -n "$l" ] && why+=("workload: $l")
	l=$(cr_line "$k" CHURN-ERR)
	[ -n "$l" ] && why+=("churn process: $l")
	l=$(cr_line "$k" WL-EXIT)
	[ -n "$l" ] && why+=("workload ended before the kill: $l")
	# host fsck of the killed image
	if [ "$fs" = pmemfs ] && [ -n "$(cr_line "$k" WL-START)" ]; then
		[ -n "$fsck_pid" ] && wait "$fsck_pid"
		fsck_pid=""
		out=$work/fsck-host-$k.txt
		if ! grep -qx 'rc=0' "$out" 2>/dev/null; then
			why+=("fsck.pmemfs -n -f of the killed image: $(grep -v '^rc=' "$out" | tail -n 1) ($(grep '^rc=' "$out"))")
		fi
	fi
	# boot b: recovery mount, dump, model
	l=$(cr_line "$b" ERROR)
	[ -n "$l" ] && why+=("boot $b: ${l#ERROR }")
	if [ -z "$(cr_line "$b" MOUNT)" ]; then
		[ -z "$l" ] && why+=("boot $b did not mount")
	elif [ -z "$(cr_line "$b" DUMP)" ]; then
		why+=("boot $b wrote no dump")
	else
		local ign=()
		[ "$fs" = ext4 ] && ign=(--ignore-root lost+found)
		if VERIFY=$(python3 "$CRASHFS" verify --model "$model" --ops "$logdir/$tag-boot$k.result" \
			--dump "$slow" --boot "$b" --full "$(full_dirs "$b")" --out "$model.new" "${ign[@]}"); then
			mv -f "$model.new" "$model"
			# boot b removed an old cycle after the dump: so does the model
			l=$(cr_line "$b" PRUNED)
			if [ -n "$l" ] && ! python3 "$CRASHFS" prune --model "$model" --dirs "${l#PRUNED }"; then
				why+=("could not prune ${l#PRUNED } from the model")
			fi
		else
			why+=("model: $(head -n 1 <<<"$VERIFY" | cut -c1-200)")
		fi
	fi
	l=$(cr_line "$b" FSCK1)
	if [ -n "$l" ] && [[ ! $l =~ ^FSCK1\ rc=0\  ]]; then
		why+=("fsck -n -f after recovery mount + umount: ${l#FSCK1 }")
	fi
	# kernel splats: boot k (all of it), boot b before its workload
	local sk sb
	sk=$(splats "$k" all) || why+=("kernel problems on boot $k's console")
	sb=$(splats "$b" pre) || why+=("kernel problems on boot $b's console")
	if [ ${#why[@]} = 0 ]; then
		report PASS "cycle-$k"
		l=""
		if [ "$fs" = pmemfs ]; then
			l=$(grep -hE 'rolled back|orphan' "$work/fsck-host-$k.txt" | tr '\n' ';')
			l="; killed image: ${l:-no unfinished transaction}"
		fi
		msg "cycle $k: ${VERIFY#OK: }$l"
		rm -f "$work/crashed-$k.img"
		return 0
	fi
	report FAIL "cycle-$k" "${why[0]}"
	for l in "${why[@]}"; do echo "    $l"; done
	[ -n "${VERIFY:-}" ] && tail -n +2 <<<"$VERIFY" | sed 's/^/    /'
	[ -n "$sk" ] && { echo "---- boot $k console:"; echo "$sk" | head -n 80; }
	[ -n "$sb" ] && { echo "---- boot $b console:"; echo "$sb" | head -n 80; }
	if [ "$fs" = pmemfs ] && [ -f "$work/fsck-host-$k.txt" ]; then
		echo "---- fsck.pmemfs -n -f of the killed image of cycle $k ($work/crashed-$k.img):"
		sed 's/^/    /' "$work/fsck-host-$k.txt" | tail -n 30
		if ! grep -qx 'rc=0' "$work/fsck-host-$k.txt" && [ -f "$work/crashed-$k.img" ]; then
			echo "---- what fsck.pmemfs -y does to a copy of it:"
			cp --sparse=always "$work/crashed-$k.img" "$work/repaired-$k.img" &&
				"$work/fsck.pmemfs" -y "$work/repaired-$k.img" 2>&1 | sed 's/^/    /' | tail -n 30
			echo "    rc=${PIPESTATUS[0]}"
			"$work/fsck.pmemfs" -n -f "$work/repaired-$k.img" 2>&1 | sed 's/^/    then -n -f: /' | tail -n 5
			rm -f "$work/repaired-$k.img"
		fi
	fi
	echo "---- boot $b result channel: $(res "$b" | grep '^CR' | tr '\n' ';' | cut -c1-600)"
	echo "---- last console lines of boot $b ($logdir/$tag-boot$b.log):"
	console_part "$b" pre | tail -n 25
	return 1
}

boots=$((cycles + 1))
for ((b = 1; b <= boots; b++)); do
	wl=$((b <= cycles ? 1 : 0))
	VM_CONSOLE=$logdir/$tag-boot$b.log
	VM_RESULT=$logdir/$tag-boot$b.result
	VM_APPEND="$tsc zcrash.cycle=$b zcrash.seed=$seed zcrash.fs=$fs zcrash.mode=$mode zcrash.workload=$wl zcrash.workers=$workers zcrash.churn=$churn zcrash.full=$(full_dirs "$b")"
	[ $wl = 1 ] && [ "$b" -gt $((keep + 1)) ] && VM_APPEND+=" zcrash.prune=c$((b - keep - 1))"
	t0=$SECONDS
	# the killed VM's wrapper may hold the pmem lock for a moment more
	flock -w 30 "$pmem.lock" true
	vm_boot $((boot_timeout + 120)) || exit 2
	killed=0 where=""
	if [ $wl = 1 ]; then
		if vm_wait_line '^CR WL-START' "$boot_timeout"; then
			t_boot=$((SECONDS - t0))
			delay=$(python3 "$CRASHFS" delay "$seed" "$b" "$min_delay" "$max_delay")
			end=$(date +%s.%N | awk -v d="$delay" '{ printf "%.3f", $1 + d }')
			while vm_running && awk -v e="$end" -v n="$(date +%s.%N)" 'BEGIN { exit !(n < e) }'; do
				sleep 0.05
			done
			if vm_running; then
				vm_kill
				killed=1
			fi
			last=$(res "$b" | grep -E '^(OP|TRY) ' | tail -n 1 | cut -d' ' -f1-3)
			where="killed ${delay}s after the workload started (boot ${t_boot}s), last: ${last:-nothing}"
		elif vm_running; then
			vm_kill
			where="no workload start within ${boot_timeout}s"
		else
			vm_wait_exit 5
			where="the boot ended before the workload started"
		fi
	else
		vm_wait_line '^DONE' "$boot_timeout" || true
		vm_wait_exit 30 || vm_kill
		where="final boot $((SECONDS - t0))s"
	fi
	msg "boot $b: $where"
	if [ $killed = 1 ]; then
		snapshot_crashed "$b" || msg "could not copy the killed image of cycle $b"
	fi
	if [ "$b" -gt 1 ]; then
		evaluate $((b - 1)) || break
	fi
	if [ $wl = 1 ] && [ $killed = 0 ]; then
		# nothing to check next boot: report now
		report FAIL "cycle-$b" "$where; $(cr_line "$b" ERROR)"
		echo "---- last console lines of boot $b ($VM_CONSOLE):"
		tr -d '\r' <"$VM_CONSOLE" | tail -n 40
		break
	fi
	if [ $wl = 0 ]; then
		l=$(cr_line "$b" FINAL)
		if [ -n "$l" ] && res "$b" | grep -qx 'RESULT PASS 10-cycle' && res "$b" | grep -qx DONE &&
			splats "$b" all >/dev/null; then
			report PASS final
		else
			report FAIL final "clean unmount and zusd stop after the last check"
			res "$b" | sed 's/^/    /' | tail -n 10
			tr -d '\r' <"$VM_CONSOLE" | tail -n 30
		fi
	fi
done
trap - EXIT INT TERM
cleanup
rm -f "$VM_INITRD" "$work/console.tmp"
np=$(grep -c '^PASS' "$results")
nf=$(grep -c '^FAIL' "$results")
if [ "$fs" = pmemfs ]; then
	nk=$(find "$work" -name 'fsck-host-*.txt' | wc -l)
	nt=$(grep -l 'rolled back' "$work"/fsck-host-*.txt 2>/dev/null | wc -l)
	msg "$VM_LINE/$name: $nt of $nk kills left unfinished transactions (rolled back by recovery)"
fi
msg "$VM_LINE/$name: $np passed, $nf failed in $((SECONDS - t_start))s (seed $seed); logs $logdir/$tag-boot*.log"
[ $red = 0 ] && [ "$nf" = 0 ] && [ "$np" -gt 0 ]

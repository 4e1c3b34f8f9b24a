# shellcheck shell=bash disable=SC2034
# Host-side building blocks of the ZUFS QEMU test harness.
#
#   . tests/vm/host-lib.sh
#   vm_resolve_kver 6.12            # sets VM_REL VM_LINE VM_KERNEL
#   VM_ROOT=$(vm_build_base)        # cached guest userland (ext4 image)
#   boot=$(vm_build_boot)           # cached stage-1 initramfs (busybox)
#   mods=$(vm_build_modules "$VM_REL")
#   vm_build_payload /tmp/p.cpio --suite DIR [--module KO] [--timeout S]
#   vm_make_initrd OUT "$boot" "$mods" /tmp/p.cpio
#   vm_prepare_disks PMEMFILE SLOWFILE [fresh]
#   VM_INITRD=OUT VM_ROOT=... VM_PMEM=... VM_SLOW=... VM_CONSOLE=log VM_RESULT=res \
#       vm_start 600                # sets VM_PID (qemu) and VM_TPID
#   vm_boot 600                     # vm_start, rebooting a kernel that failed
#                                   # before userspace (see there)
#   vm_wait_line '^DONE' 300        # wait for a line on the result channel
#   vm_kill                         # kill -9 QEMU (crash tests)
#   vm_wait_exit 60                 # wait for QEMU to end by itself
#   vm_scan_console LOG             # kernel splats in the console log?
#
# All functions are bash; they report on stderr with a "vm:" prefix and
# return non-zero on failure (they never exit the caller).

VM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_REPO=${VM_REPO:-$(cd "$VM_LIB_DIR/../.." && pwd)}
VM_BUILD=${VM_BUILD:-$VM_REPO/build/vm}
VM_QEMU=${VM_QEMU:-qemu-system-x86_64}
VM_MEM=${VM_MEM:-2G,slots=2,maxmem=4G}
VM_SMP=${VM_SMP:-2}
VM_PMEM_SIZE=${VM_PMEM_SIZE:-1G}
VM_SLOW_SIZE=${VM_SLOW_SIZE:-1G}
VM_MIRROR=${VM_MIRROR:-http://deb.debian.org/debian}
VM_SECURITY_MIRROR=${VM_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Bump when the recipe of the cached base image changes (not its package list).
VM_BASE_RECIPE=5
# Kernel modules copied into the guest (plus their dependencies). Built-in
# ones and ones a kernel does not have are skipped.
VM_GUEST_MODULES=${VM_GUEST_MODULES:-"nfit libnvdimm nd_pmem nd_btt nd_e820 dax_pmem
 dax_pmem_core dax_pmem_compat device_dax virtio_pci virtio_blk virtio_console
 ext4 jbd2 mbcache crc16 crc32c_generic crc32c_intel libcrc32c fuse loop
 overlay"}
# What the stage-1 init (vm_build_boot) loads to reach the root image.
VM_ROOT_MODULES="virtio_pci virtio_blk overlay"
# Kernel console patterns that make a run red (matched only on kernel
# lines, i.e. after a printk timestamp).
VM_SPLAT_RE='BUG:|WARNING:|Oops|general protection fault|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|hung_task|blocked for more than|rcu_sched self-detected stall|rcu: INFO:|detected stall|Kernel panic|UBSAN:|KASAN:|kernel BUG|watchdog: BUG: soft lockup'

vm_msg() { echo "vm: $*" >&2; }

# vm_resolve_kver LINE|RELEASE -> VM_REL, VM_LINE, VM_KERNEL
vm_resolve_kver() {
	local arg=$1 rel
	if [[ $arg =~ ^[0-9]+\.[0-9]+$ ]]; then
		rel=$("$VM_REPO/scripts/kernels.sh" "$arg" --image) || return 1
		if [ -z "$rel" ]; then
			vm_msg "no installed kernel of line $arg (with /boot/vmlinuz-*)"
			return 1
		fi
	else
		rel=$arg
	fi
	if [ ! -r "/boot/vmlinuz-$rel" ]; then
		vm_msg "kernel image /boot/vmlinuz-$rel missing or unreadable"
		return 1
	fi
	if [ ! -d "/lib/modules/$rel" ]; then
		vm_msg "/lib/modules/$rel missing"
		return 1
	fi
	VM_REL=$rel
	VM_LINE=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$rel")
	VM_KERNEL=/boot/vmlinuz-$rel
}

_vm_pkgs() { sed -e 's/#.*//' -e 's/[[:space:]]//g' "$VM_LIB_DIR/guest-packages.list" | grep -v '^$'; }

# Pack directory $1 into newc cpio $2 (uncompressed: under TCG the kernel
# copies it faster than it could decompress it). Extra args go to cpio.
_vm_cpio() {
	local dir=$1 out=$2
	shift 2
	(cd "$dir" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet "$@") >"$out.tmp.$$" &&
		mv -f "$out.tmp.$$" "$out"
}

# vm_build_base: print the path of the cached guest userland, an ext4
# image the VM mounts read-only as its root (under a tmpfs overlay), built
# first (mmdebstrap, ~1 min) when guest-packages.list or the recipe changed.
# A disk, not an initramfs: the kernel would unpack all of its ~220 MB at
# every boot (6 s under TCG); from a disk it reads what the run uses.
vm_build_base() {
	local hash out dir pkgs rc mb
	hash=$({ echo "recipe=$VM_BASE_RECIPE"; _vm_pkgs; } | sha256sum | cut -c1-16)
	out=$VM_BUILD/base-$hash.img
	mkdir -p "$VM_BUILD" || return 1
	(
		flock 9
		[ -s "$out" ] && exit 0
		dir=$VM_BUILD/base-$hash.tmp
		rm -rf "$dir"
		pkgs=$(_vm_pkgs | paste -sd,)
		vm_msg "building guest root ($pkgs)"
		local t0=$SECONDS
		mmdebstrap --variant=minbase --include="$pkgs" \
			--dpkgopt='path-exclude=/usr/share/man/*' \
			--dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-exclude=/usr/share/info/*' \
			--dpkgopt='path-exclude=/usr/share/locale/*' \
			--dpkgopt='path-include=/usr/share/locale/locale.alias' \
			--dpkgopt='path-exclude=/usr/share/lintian/*' \
			--customize-hook='chroot "$1" useradd -m -u 1000 -s /bin/bash zutest' \
			bookworm "$dir" \
			"deb $VM_MIRROR bookworm main" \
			"deb $VM_MIRROR bookworm-updates main" \
			"deb $VM_SECURITY_MIRROR bookworm-security main" \
			</dev/null >"$VM_BUILD/base-$hash.mmdebstrap.log" 2>&1
		rc=$?
		if [ $rc != 0 ]; then
			tail -n 30 "$VM_BUILD/base-$hash.mmdebstrap.log" >&2
			vm_msg "mmdebstrap failed (rc=$rc), log: $VM_BUILD/base-$hash.mmdebstrap.log"
			rm -rf "$dir"
			exit 1
		fi
		# Strip what a test VM does not need.
		rm -rf "$dir"/usr/share/{doc,man,info,locale,lintian,bash-completion} \
			"$dir"/var/cache/apt/* "$dir"/var/lib/apt/lists/* \
			"$dir"/var/cache/debconf/*-old "$dir"/var/log/* \
			"$dir"/etc/modprobe.d/nvdimm-security.conf \
			"$dir"/usr/share/locale
		# Full perl is only there for usrmerge's postinst; perl-base stays.
		rm -rf "$dir"/usr/share/perl/5.* "$dir"/usr/lib/x86_64-linux-gnu/perl/5.* \
			"$dir"/usr/lib/x86_64-linux-gnu/libperl.so.* "$dir"/usr/bin/perl5.*.*
		echo zufs-vm >"$dir/etc/hostname"
		mkdir -p "$dir/zufs" "$dir/ro" "$dir/rw"
		# (Python's compiled stdlib stays: compiling it at each start
		# costs seconds under TCG)
		mb=$(du -sm "$dir" | cut -f1)
		mkfs.ext4 -q -F -L zufs-root -m 0 -b 4096 -O ^has_journal \
			-d "$dir" "$out.tmp" "$((mb + mb / 4 + 64))M" >&2 ||
			{ rm -rf "$dir" "$out.tmp"; exit 1; }
		mv -f "$out.tmp" "$out"
		rm -rf "$dir"
		vm_msg "guest root $out ($(du -h "$out" | cut -f1)) built in $((SECONDS - t0))s"
	) 9>"$VM_BUILD/.base.lock" || return 1
	echo "$out"
}

# vm_build_boot: print the path of the cached stage-1 initramfs: Debian's
# static busybox and an /init that loads the modules VM_ROOT_MODULES lists
# (from the modules cpio, in the order its vm-root-modules file gives),
# mounts the root image (the last virtio disk, read-only) under a tmpfs
# overlay, copies the rest of the initramfs (modules, payload) over it and
# switches to /zufs/init (guest-init.sh).
vm_build_boot() {
	local bb key out dir
	bb=$(command -v busybox) || bb=/bin/busybox
	if ! "$bb" --list 2>/dev/null | grep -qx switch_root ||
		readelf -l "$bb" 2>/dev/null | grep -q 'INTERP'; then
		vm_msg "the static busybox is missing: apt-get install busybox-static (make deps)"
		return 1
	fi
	key=$({ sha256sum "$bb"; sha256sum "$VM_LIB_DIR/boot-init.sh"; } | sha256sum | cut -c1-12)
	out=$VM_BUILD/boot-$key.cpio
	mkdir -p "$VM_BUILD" || return 1
	(
		flock 9
		[ -s "$out" ] && exit 0
		dir=$VM_BUILD/boot.tmp
		rm -rf "$dir"
		mkdir -p "$dir"/{bin,dev,proc,sys,ro,rw,newroot} || exit 1
		cp "$bb" "$dir/bin/busybox" || exit 1
		ln -s busybox "$dir/bin/sh"
		install -m 755 "$VM_LIB_DIR/boot-init.sh" "$dir/init" || exit 1
		_vm_cpio "$dir" "$out" -R 0:0 || exit 1
		rm -rf "$dir"
	) 9>"$VM_BUILD/.boot.lock" || return 1
	echo "$out"
}

# vm_build_modules REL: print the path of a cpio with the guest kernel
# modules of REL (the VM_GUEST_MODULES closure + depmod), cached.
vm_build_modules() {
	local rel=$1 key out dir
	key=$({ echo "$VM_GUEST_MODULES root: $VM_ROOT_MODULES"; stat -c %Y "/lib/modules/$rel/modules.dep"; } |
		sha256sum | cut -c1-8)
	out=$VM_BUILD/modules-$rel-$key.cpio
	mkdir -p "$VM_BUILD" || return 1
	(
		flock 9
		[ -s "$out" ] && exit 0
		dir=$VM_BUILD/modules-$rel.tmp
		rm -rf "$dir"
		mkdir -p "$dir/usr/lib/modules/$rel"
		# shellcheck disable=SC2086
		python3 - "$rel" $VM_GUEST_MODULES <<'EOF' >"$dir/files" || exit 1
import sys, os
rel, wanted = sys.argv[1], sys.argv[2:]
base = "/lib/modules/" + rel
norm = lambda n: n.replace("-", "_")
name = lambda p: norm(os.path.basename(p).split(".ko")[0])
deps, builtin = {}, set()
for l in open(base + "/modules.dep"):
    mod, _, rest = l.partition(":")
    deps[name(mod)] = (mod, rest.split())
for l in open(base + "/modules.builtin"):
    builtin.add(name(l.strip()))
out, todo = set(), [norm(w) for w in wanted]
while todo:
    n = todo.pop()
    if n in builtin or n not in deps:
        continue
    path, d = deps[n]
    if path in out:
        continue
    out.add(path)
    todo += [name(x) for x in d]
print("\n".join(sorted(out)))
EOF
		while read -r f; do
			mkdir -p "$dir/usr/lib/modules/$rel/$(dirname "$f")"
			cp "/lib/modules/$rel/$f" "$dir/usr/lib/modules/$rel/$f" || exit 1
		done <"$dir/files"
		rm -f "$dir/files"
		cp "/lib/modules/$rel"/modules.{order,builtin,builtin.modinfo} \
			"$dir/usr/lib/modules/$rel/" 2>/dev/null
		depmod -b "$dir/usr" "$rel" || exit 1
		# vm-root/: what the stage-1 init loads, in order, uncompressed
		# (busybox insmod): modprobe's own dependency order.
		local n=10 m seen=" "
		mkdir -p "$dir/usr/lib/modules/$rel/vm-root"
		# shellcheck disable=SC2086
		for m in $(modprobe -S "$rel" --show-depends -a $VM_ROOT_MODULES |
			awk '$1 == "insmod" { print $2 }'); do
			case $seen in *" $m "*) continue ;; esac
			seen="$seen$m "
			local b=${m##*/}
			b=${b%%.ko*}
			case $m in
			*.ko.xz) xz -dc "$m" ;;
			*.ko.zst) zstd -qdc "$m" ;;
			*.ko.gz) gzip -dc "$m" ;;
			*) cat "$m" ;;
			esac >"$dir/usr/lib/modules/$rel/vm-root/$n-$b.ko" || exit 1
			n=$((n + 1))
		done
		_vm_cpio "$dir" "$out" -R 0:0 || exit 1
		rm -rf "$dir"
	) 9>"$VM_BUILD/.modules.lock" || return 1
	echo "$out"
}

# vm_build_payload OUT --suite DIR [--module KO] [--timeout SEC] [--name N]
#                      [--line L] [--env K=V]...
# Per-run cpio: /zufs/{init,guest-lib.sh,zuf.ko,suite/,run.env} and
# build/stage/ overlaid on /.
vm_build_payload() {
	local out=$1 suite="" module="" ttimeout=300 name="" line="" dir
	local -a envs=()
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--suite) suite=$2; shift ;;
		--module) module=$2; shift ;;
		--timeout) ttimeout=$2; shift ;;
		--name) name=$2; shift ;;
		--line) line=$2; shift ;;
		--env) envs+=("$2"); shift ;;
		*) vm_msg "vm_build_payload: bad arg $1"; return 1 ;;
		esac
		shift
	done
	if [ -z "$suite" ] || [ ! -d "$suite" ]; then
		vm_msg "suite directory '$suite' missing"
		return 1
	fi
	dir=$(mktemp -d "$VM_BUILD/payload.XXXXXX") || return 1
	if [ -d "$VM_REPO/build/stage" ]; then
		cp -a "$VM_REPO/build/stage/." "$dir/" || { rm -rf "$dir"; return 1; }
	fi
	mkdir -p "$dir/zufs/suite"
	install -m 755 "$VM_LIB_DIR/guest-init.sh" "$dir/zufs/init"
	install -m 644 "$VM_LIB_DIR/guest-lib.sh" "$dir/zufs/guest-lib.sh"
	cp -a "$suite/." "$dir/zufs/suite/"
	# vm.include: files of other suites (paths relative to tests/vm/)
	# this one sources, copied next to its tests.
	if [ -f "$suite/vm.include" ]; then
		local inc
		for inc in $(cat "$suite/vm.include"); do
			cp -a "$VM_LIB_DIR/$inc" "$dir/zufs/suite/" ||
				{ rm -rf "$dir"; return 1; }
		done
	fi
	if [ -n "$module" ]; then
		if [ -f "$module" ]; then
			install -m 644 "$module" "$dir/zufs/zuf.ko"
		else
			vm_msg "module $module not found: tests that need it will fail"
		fi
	fi
	{
		printf 'ZUFS_TEST_TIMEOUT=%q\n' "$ttimeout"
		printf 'ZUFS_RUN_NAME=%q\n' "$name"
		printf 'ZUFS_LINE=%q\n' "$line"
		local e
		for e in "${envs[@]}"; do printf 'export %q\n' "$e"; done
	} >"$dir/zufs/run.env"
	_vm_cpio "$dir" "$out" -R 0:0
	local rc=$?
	rm -rf "$dir"
	return $rc
}

# vm_make_initrd OUT CPIO... : concatenate cpio archives into one initrd.
vm_make_initrd() {
	local out=$1
	shift
	cat "$@" >"$out.tmp.$$" && mv -f "$out.tmp.$$" "$out"
}

# vm_prepare_disks PMEM SLOW [fresh]: create the sparse backing files when
# missing (or when "fresh"). Existing ones are kept: they persist, unless
# the pmem file is not VM_PMEM_SIZE bytes (a suite ran with another size).
vm_prepare_disks() {
	local pmem=$1 slow=$2 fresh=${3:-} want
	mkdir -p "$(dirname "$pmem")" "$(dirname "$slow")" || return 1
	want=$(numfmt --from=iec "$VM_PMEM_SIZE") || return 1
	if [ -e "$pmem" ] && [ "$(stat -c %s "$pmem")" != "$want" ]; then
		vm_msg "$pmem is not $VM_PMEM_SIZE: recreating it"
		fresh=1
	fi
	if [ -n "$fresh" ]; then rm -f "$pmem" "$slow"; fi
	[ -e "$pmem" ] || truncate -s "$VM_PMEM_SIZE" "$pmem" || return 1
	[ -e "$slow" ] || truncate -s "$VM_SLOW_SIZE" "$slow" || return 1
}

# vm_start HARD_TIMEOUT: start QEMU in the background, killed with SIGKILL
# after HARD_TIMEOUT seconds whatever happens; holds a lock on VM_PMEM.lock. Inputs: VM_KERNEL VM_INITRD VM_ROOT
# VM_PMEM VM_SLOW VM_CONSOLE VM_RESULT [VM_APPEND]. Sets VM_PID (QEMU's pid,
# for kill -9) and VM_TPID (the timeout wrapper, for wait).
vm_start() {
	local hard=${1:-600} pidfile i
	local append="console=ttyS0,115200 panic=-1 printk.time=1 loglevel=7 \
rdinit=/init ignore_loglevel softlockup_panic=0 nmi_watchdog=0 tsc=reliable mitigations=off \
random.trust_cpu=on ${VM_APPEND:-}"
	: "${VM_KERNEL:?} ${VM_INITRD:?} ${VM_ROOT:?} ${VM_PMEM:?} ${VM_SLOW:?} ${VM_CONSOLE:?} ${VM_RESULT:?}"
	mkdir -p "$(dirname "$VM_CONSOLE")" "$(dirname "$VM_RESULT")"
	: >"$VM_CONSOLE"
	: >"$VM_RESULT"
	pidfile=$VM_CONSOLE.pid
	rm -f "$pidfile"
	# The lock on the pmem file keeps two VMs off the same "hardware".
	flock -n -E 75 "$VM_PMEM.lock" timeout -s KILL "$hard" "$VM_QEMU" \
		-nodefaults -display none -no-reboot \
		-accel tcg,thread=multi -cpu max -smp "$VM_SMP" \
		-m "$VM_MEM" -machine pc,nvdimm=on \
		-object memory-backend-file,id=m1,share=on,mem-path="$VM_PMEM",size="$VM_PMEM_SIZE" \
		-device nvdimm,memdev=m1,id=nv1,label-size=128K \
		-drive file="$VM_SLOW",format=raw,if=virtio,cache=unsafe \
		-drive file="$VM_ROOT",format=raw,if=virtio,readonly=on \
		-serial file:"$VM_CONSOLE" -serial file:"$VM_RESULT" \
		-kernel "$VM_KERNEL" -initrd "$VM_INITRD" -append "$append" \
		-pidfile "$pidfile" \
		</dev/null >"$VM_CONSOLE.qemu" 2>&1 &
	VM_TPID=$!
	VM_PID=""
	for ((i = 0; i < 200; i++)); do
		if [ -s "$pidfile" ]; then
			VM_PID=$(cat "$pidfile")
			[ -n "$VM_PID" ] && break
		fi
		kill -0 "$VM_TPID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$VM_PID" ]; then
		wait "$VM_TPID"
		[ $? = 75 ] && vm_msg "$VM_PMEM is in use by another VM"
		vm_msg "QEMU did not start:"
		cat "$VM_CONSOLE.qemu" >&2
		return 1
	fi
	return 0
}

vm_running() { [ -n "${VM_TPID:-}" ] && kill -0 "$VM_TPID" 2>/dev/null; }

# vm_early_problem LOG: print the first kernel problem line the console
# shows before the kernel started userspace ("Run /init as init process")
# and succeed; fail when there is none. Before that line nothing of ZUFS
# and nothing of the test has run (the stage-1 init is userspace).
vm_early_problem() {
	local pre=$1.pre hit
	tr -d '\r' <"$1" | sed '/Run \/init as init process/q' >"$pre"
	hit=$(vm_scan_console "$pre" 0 | sed -n 's/^>> //p' | head -n 1)
	rm -f "$pre"
	[ -n "$hit" ] && echo "$hit"
}

# vm_boot HARD: vm_start, then wait until the kernel has started userspace.
# A boot whose kernel oopsed before that point (e.g. the stale-int3 "Oops:
# int3" QEMU's multi-threaded TCG rarely leaves behind when the kernel
# patches its own text at boot, twice in the several hundred boots of this project so far) ran nothing
# of ZUFS and touched no disk: its console is kept as LOG.early-N, the
# reason is printed, and the VM boots again, up to VM_EARLY_RETRIES (2)
# times. So does a kernel that has not started userspace after
# VM_EARLY_TIMEOUT (180) seconds, or a QEMU that ended before it did
# without any problem line. A problem after userspace started is never
# retried.
vm_boot() {
	local hard=${1:-600} try=0 end early wait=${VM_EARLY_TIMEOUT:-180}
	while :; do
		vm_start "$hard" || return 1
		end=$((SECONDS + wait))
		while vm_running && [ $SECONDS -lt $end ] &&
			! grep -aq 'Run /init as init process' "$VM_CONSOLE"; do
			sleep 0.1
		done
		if early=$(vm_early_problem "$VM_CONSOLE"); then
			:
		elif grep -aq 'Run /init as init process' "$VM_CONSOLE"; then
			return 0
		elif vm_running; then
			# a kernel stuck at boot (seen once under TCG, at
			# "Key type blacklist registered") would sit out the
			# whole run's timeout
			early="[] no userspace after ${wait}s, last: $(tr -d '\r' <"$VM_CONSOLE" | tail -n 1)"
		else
			# QEMU ended without a word (a triple fault under
			# -no-reboot; seen once right after "sched_clock:
			# Marking stable", where the stale int3 oopsed before)
			early="[] QEMU ended before userspace, last: $(tr -d '\r' <"$VM_CONSOLE" | tail -n 1)"
		fi
		[ "$try" -ge "${VM_EARLY_RETRIES:-2}" ] && return 0
		try=$((try + 1))
		vm_kill
		mv -f "$VM_CONSOLE" "$VM_CONSOLE.early-$try"
		vm_msg "the guest kernel failed before it started userspace, before anything of ZUFS ran: ${early#*] }; console kept as $VM_CONSOLE.early-$try; booting again ($try of ${VM_EARLY_RETRIES:-2})"
	done
}

# vm_wait_line ERE TIMEOUT [FILE]: wait until FILE (default VM_RESULT) has a
# line matching ERE. Fails on timeout or when QEMU ended without it.
vm_wait_line() {
	local re=$1 to=$2 file=${3:-$VM_RESULT} end=$((SECONDS + $2))
	while :; do
		tr -d '\r' <"$file" 2>/dev/null | grep -Eq -- "$re" && return 0
		if ! vm_running; then
			tr -d '\r' <"$file" 2>/dev/null | grep -Eq -- "$re"
			return
		fi
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

# vm_wait_exit TIMEOUT: wait for QEMU to end; returns 1 if still running.
vm_wait_exit() {
	local end=$((SECONDS + $1))
	while vm_running; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
	wait "$VM_TPID" 2>/dev/null
	return 0
}

# vm_kill: SIGKILL QEMU now (simulates power loss) and reap it.
vm_kill() {
	[ -n "${VM_PID:-}" ] && kill -9 "$VM_PID" 2>/dev/null
	[ -n "${VM_TPID:-}" ] && { kill -9 "$VM_TPID" 2>/dev/null; wait "$VM_TPID" 2>/dev/null; }
	VM_PID=""
	return 0
}

# vm_results FILE: the result-channel lines, CR stripped.
vm_results() { tr -d '\r' <"${1:-$VM_RESULT}" 2>/dev/null; }

# vm_scan_console LOG [CONTEXT]: print kernel splat lines with context;
# returns 0 when the console is clean, 1 otherwise. Only kernel lines count
# (printk timestamp); lines a test echoes with its "[name] " prefix do not.
vm_scan_console() {
	local log=$1 ctx=${2:-30} hits
	hits=$(tr -d '\r' <"$log" | grep -nE "\[ *[0-9]+\.[0-9]+\].*($VM_SPLAT_RE)" |
		grep -vE '^[0-9]+:\[ *[0-9.]+\] (Kernel )?[Cc]ommand line:' |
		grep -vE '^[0-9]+:\[[^]]*[^]0-9. ][^]]*\] ' | cut -d: -f1)
	[ -z "$hits" ] && return 0
	tr -d '\r' <"$log" | awk -v hits="$hits" -v ctx="$ctx" '
		BEGIN { n = split(hits, h, "\n"); for (i = 1; i <= n; i++) {
			for (j = h[i] - 3; j <= h[i] + ctx; j++) show[j] = 1; mark[h[i]] = 1 } }
		show[NR] { if (last && NR != last + 1) print "    ..."; last = NR
			printf "%s %s\n", (mark[NR] ? ">>" : "  "), $0 }'
	return 1
}

# vm_test_output LOG TEST [LINES]: the tail of one test's console output
# (between the BEGIN/END markers written by the guest init), after the
# first 20 lines with FAIL that come before that tail.
vm_test_output() {
	tr -d '\r' <"$1" | awk -v t="$2" -v n="${3:-40}" '
		$0 ~ "^==== BEGIN " t " ====" { on = 1 }
		on { line[++k] = $0 }
		$0 ~ "^==== END " t " " { on = 0 }
		END {
			first = k > n ? k - n + 1 : 1
			for (i = 1; i < first; i++)
				if (line[i] ~ /FAIL/ && ++f <= 20)
					print "(earlier) " line[i]
			for (i = first; i <= k; i++)
				print line[i]
		}'
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end test of the .debs in a real Debian 12 VM (systemd, apt, dkms;
# QEMU/TCG, no network: a local apt repository on a second disk).
#
#   tests/pkg/e2e.sh [--results FILE] [--no-ansible] [--no-upgrade] [--debs DIR]
#
# Steps, one PASS/FAIL/SKIP line each:
#   pkg/install       apt install ./zufs-dkms_*.deb ./zus_*.deb on 6.1:
#                     DKMS builds and signs zuf, it is loaded, zuf-root is
#                     mounted and zusd is active
#   pkg/boot-6.1      reboot: module, zuf-root, zusd, an fstab mount bound
#                     to zusd (x-systemd.requires=zusd.service), no failed
#                     unit, no ordering cycle
#   pkg/pmemfs-6.1    mkfs.pmemfs + fstab mount + data written
#   pkg/upgrade       apt install of a newer build: DKMS rebuilds, zusd is
#                     restarted, the bound mount unmounted and remounted
#   pkg/kernel-6.12   apt install of the 6.12 kernel and headers from the
#                     local repository: DKMS builds zuf for it by itself
#   pkg/boot-6.12     reboot into 6.12: everything up again
#   pkg/pmemfs-6.12   the data is intact
#   pkg/ansible-*     tests/pkg/ansible-check.sh on the same VM (zus removed
#                     first; the role installs it from the local repository)
#   pkg/purge         apt purge: no module, unit, mount or file left
# --no-upgrade: no upgrade step (one DKMS build fewer; make check uses it,
# make pkg-check does not), reported as SKIP.
# --debs: the .debs of this tree already built by packaging/deb/build.sh
# (tests/pkg/run.sh passes its own; default: built here, without lintian).
# Caches (guest image, kernel debs): build/pkg/. This run's disks, consoles
# and log: build/pkg/run/ (PKG_RUN), log build/pkg/run/e2e.log.
set -uo pipefail
here=${PKG_SELF_DIR:-$(cd "$(dirname "$0")" && pwd)}
# bash reads a script as it runs it: run a copy, so that editing this file
# during a (long) run does not derail the run.
if [ -z "${PKG_SELF_COPY:-}" ]; then
	copy=$(mktemp "${TMPDIR:-/tmp}/zufs-pkg-e2e.XXXXXX")
	cp "$0" "$copy"
	PKG_SELF_COPY=$copy PKG_SELF_DIR=$here bash "$copy" "$@"
	rc=$?
	rm -f "$copy"
	exit $rc
fi
unset PKG_SELF_COPY PKG_SELF_DIR
top=$(cd "$here/../.." && pwd)
# shellcheck source=tests/pkg/vm-lib.sh
. "$here/vm-lib.sh"

results=$PKG_BUILD/results.txt
ansible=1
upgrade=1
prebuilt=""
while [ $# -gt 0 ]; do
	case "$1" in
	--results) results=$2; shift 2 ;;
	--no-ansible) ansible=0; shift ;;
	--no-upgrade) upgrade=0; shift ;;
	--debs) prebuilt=$(cd "$2" && pwd); shift 2 ;;
	*) echo "usage: $0 [--results FILE] [--no-ansible] [--no-upgrade] [--debs DIR]" >&2; exit 2 ;;
	esac
done
mkdir -p "$PKG_BUILD" "$PKG_RUN" "$(dirname "$results")"
log=$PKG_RUN/e2e.log
: > "$log"
fails=0
T0=$SECONDS
result() {	# PASS|FAIL|SKIP step [detail]
	local line="$1 pkg/$2${3:+ ($3)}"
	echo "$line"
	echo "$line" >> "$results"
	echo "== $line" >> "$log"
	[ "$1" != FAIL ] || fails=$((fails + 1))
}
say() { echo "pkg: [$((SECONDS - T0))s] $*" >&2; echo "-- $*" >> "$log"; }
gsh() { pkg_ssh "$@" >> "$log" 2>&1; }	# guest command, output to the log
gq() { pkg_ssh "$@" 2>> "$log"; }		# guest command, stdout to the caller

trap 'pkg_vm_kill' EXIT
for t in "$PKG_QEMU" qemu-img mmdebstrap mkfs.ext4 dpkg-scanpackages apt-ftparchive ssh; do
	if ! command -v "$t" > /dev/null; then
		result SKIP e2e "missing $t (scripts/deps.sh)"
		exit 0
	fi
done
[ "$(id -u)" = 0 ] || { result SKIP e2e "needs root (mmdebstrap)"; exit 0; }

# ---- host: packages -------------------------------------------------------
ver=$(sed -n '1{s/[[:space:]]//g;p;q}' "$top/VERSION")
debs=${prebuilt:-$PKG_BUILD/zufs-debs}
debs2=$PKG_RUN/upgrade-debs
# The upgrade: the same packages with a higher version (repacked, not
# rebuilt: what an upgrade does does not depend on the payload).
repack() {	# DEB NEWVERSION OUTDIR
	local d
	d=$(mktemp -d)
	dpkg-deb -R "$1" "$d/p" &&
		sed -i "s/^Version: .*/Version: $2/" "$d/p/DEBIAN/control" &&
		dpkg-deb -b -Zxz "$d/p" "$3/" > /dev/null
	local rc=$?
	rm -rf "$d"
	return $rc
}
rm -rf "$debs2"
mkdir -p "$debs2"
if [ -z "$prebuilt" ]; then
	say "building the packages"
	"$top/packaging/deb/build.sh" --out "$debs" --no-lintian >> "$log" 2>&1 ||
		{ result FAIL e2e "package build failed, see $log"; exit 1; }
fi
if ! repack "$debs/zufs-dkms_${ver}_all.deb" "$ver+e2e1" "$debs2" ||
   ! repack "$debs/zus_${ver}_amd64.deb" "$ver+e2e1" "$debs2"; then
	result FAIL e2e "repacking the packages for the upgrade failed, see $log"
	exit 1
fi
dkms_deb=$(ls "$debs"/zufs-dkms_"$ver"_all.deb)
zus_deb=$(ls "$debs"/zus_"$ver"_amd64.deb)
dkms_deb2=$(ls "$debs2"/zufs-dkms_"$ver"+e2e1_all.deb)
zus_deb2=$(ls "$debs2"/zus_"$ver"+e2e1_amd64.deb)
# pmemfs steps need its tool and its plugin in the zus package.
dpkg-deb -c "$zus_deb" > "$PKG_RUN/zus.contents"
has_pmemfs=0
grep -q '/usr/sbin/mkfs\.pmemfs$' "$PKG_RUN/zus.contents" &&
	grep -q '/zus/pmemfs\.so$' "$PKG_RUN/zus.contents" && has_pmemfs=1

# ---- host: guest image, repo disk, VM ---------------------------------------
say "guest image"
pkg_image >> "$log" 2>&1 || { result FAIL e2e "guest image build failed, see $log"; exit 1; }
pkg_prune_images
repo=$PKG_RUN/repo.img
mkdir -p "$PKG_RUN"
pkg_repo_disk "$repo" "$dkms_deb" "$zus_deb" "$dkms_deb2" "$zus_deb2" "$debs"/libzus-dev_*.deb \
	>> "$log" 2>&1 || { result FAIL e2e "repo disk failed"; exit 1; }
pkg_vm_new || { result FAIL e2e "overlay disk failed"; exit 1; }

boot() {	# KERNEL INITRD
	say "booting $(basename "$1")"
	local t=$SECONDS
	if ! pkg_vm_start "$1" "$2" "$repo" 600 >> "$log" 2>&1; then
		tail -n 40 "$PKG_CONSOLE" >> "$log"
		return 1
	fi
	# Let the boot finish (zusd and the mounts are ordered before it).
	gsh 'systemctl is-system-running --wait' || true
	# The repository disk is a nofail mount with a short device timeout,
	# which a slow TCG boot can miss.
	gsh 'mountpoint -q /srv/repo || mount /srv/repo' || true
	say "booted in $((SECONDS - t))s"
}

# Key facts of the guest, as shell assignments.
state() {
	gq 'bash -s' <<-'EOS'
	echo "kernel='$(uname -r)'"
	v=absent; [ -d /sys/module/zuf ] && v=$(cat /sys/module/zuf/version 2>/dev/null || echo loaded)
	echo "module='$v'"
	echo "zufroot='$(findmnt -n -o FSTYPE /sys/fs/zuf 2>/dev/null || echo none)'"
	echo "zusd='$(systemctl is-active zusd.service 2>/dev/null)'"
	echo "zusd_pid='$(systemctl show -p MainPID --value zusd.service 2>/dev/null)'"
	echo "canary='$(findmnt -n -o FSTYPE /mnt/zufs-canary 2>/dev/null || echo none)'"
	echo "failed='$(systemctl list-units --failed --plain --no-legend 2>/dev/null | awk '{print $1}' | tr '\n' ' ')'"
	echo "cycles='$(journalctl -b --no-pager 2>/dev/null | grep -c -i 'ordering cycle')'"
	EOS
}
# check_up LINE: the running system has everything up on kernel LINE.
check_up() {
	local line=$1 kernel="" module="" zufroot="" zusd="" canary="" failed="" cycles="" zusd_pid="" why=""
	eval "$(state)"
	echo "state: kernel=$kernel module=$module zufroot=$zufroot zusd=$zusd canary=$canary failed=[$failed] cycles=$cycles" >> "$log"
	case "$kernel" in "$line".*) ;; *) why="$why kernel $kernel;" ;; esac
	[ "$module" = "$ver" ] || why="$why module $module;"
	[ "$zufroot" = zuf ] || why="$why zuf-root $zufroot;"
	[ "$zusd" = active ] || why="$why zusd $zusd;"
	[ "${2:-}" = nocanary ] || [ "$canary" = tmpfs ] || why="$why bound mount $canary;"
	[ -z "${failed// /}" ] || why="$why failed units: $failed;"
	[ "$cycles" = 0 ] || why="$why $cycles ordering cycles;"
	[ -z "$why" ] || { echo "${why%;}"; return 1; }
	echo "kernel $kernel"
}
gather_journal() {	# on failure: what zusd and the mounts said
	gsh 'journalctl -b --no-pager -u zusd.service -u sys-fs-zuf.mount -u mnt-zufs\\x2dcanary.mount -u mnt-pmem.mount | tail -n 60; dmesg | grep -i zuf | tail -n 20' || true
}

boot "$PKG_KERNEL" "$PKG_INITRD" || { result FAIL e2e "first boot failed, see $log"; exit 1; }
k61=$(gq uname -r)

# Persistent memory: an fsdax namespace on the emulated NVDIMM. (ndctl's
# monitor, which has nothing to monitor here and fails, is masked in the
# image: not our unit.)
gsh 'bash -s' <<-'EOS'
	set -x
	apt-get update
	modprobe -a nfit nd_pmem dax_pmem 2>/dev/null
	if [ ! -b /dev/pmem0 ] || [ "$(cat /sys/block/pmem0/queue/dax 2>/dev/null)" != 1 ]; then
		ndctl disable-region all && ndctl init-labels -f all &&
		ndctl enable-region all && ndctl create-namespace -m fsdax
	fi
	udevadm settle
	ls -l /dev/pmem0 && cat /sys/block/pmem0/queue/dax
EOS

APT='DEBIAN_FRONTEND=noninteractive apt-get'

# ---- 1: install ---------------------------------------------------------------
say "step install"
pkg_scp_to "$dkms_deb" "$zus_deb" "$dkms_deb2" "$zus_deb2" /root/ >> "$log" 2>&1
t=$SECONDS
if gsh "$APT install -y ./$(basename "$dkms_deb") ./$(basename "$zus_deb")"; then
	dt=$((SECONDS - t))
	st=$(gq "dkms status zufs/$ver -k $k61")
	signer=$(gq 'modinfo -F signer zuf' || true)
	if echo "$st" | grep -q ': installed' && why=$(check_up 6.1 nocanary); then
		result PASS install "${dt}s, zuf $ver for $k61, signer '${signer:-none}'"
	else
		gather_journal
		result FAIL install "${why:-dkms: $st}"
	fi
else
	result FAIL install "apt-get install failed, see $log"
fi

# fstab: a canary mount bound to zusd, and pmemfs.
gsh 'bash -s' <<-'EOS'
	mkdir -p /mnt/zufs-canary
	echo 'zufs-canary /mnt/zufs-canary tmpfs size=1M,x-systemd.requires=zusd.service 0 0' >> /etc/fstab
EOS
if [ $has_pmemfs = 1 ]; then
	gsh 'bash -s' <<-'EOS'
	set -e
	mkfs.pmemfs /dev/pmem0
	mkdir -p /mnt/pmem
	echo '/dev/pmem0 /mnt/pmem pmemfs x-systemd.requires=zusd.service 0 0' >> /etc/fstab
	EOS
fi

# ---- 2: reboot on 6.1 ------------------------------------------------------------
say "step boot-6.1"
t=$SECONDS
pkg_vm_stop 180 >> "$log" 2>&1
if boot "$PKG_KERNEL" "$PKG_INITRD" && why=$(check_up 6.1); then
	result PASS boot-6.1 "$((SECONDS - t))s, $why"
else
	gather_journal
	result FAIL boot-6.1 "${why:-boot failed}"
fi
if [ $has_pmemfs = 1 ]; then
	if gsh 'set -e; findmnt -n -t pmemfs /mnt/pmem; head -c 8M /dev/urandom > /mnt/pmem/data; sha256sum /mnt/pmem/data > /root/data.sha256; sync'; then
		result PASS pmemfs-6.1 "fstab mount up, 8 MiB written"
	else
		gather_journal
		result FAIL pmemfs-6.1 "see $log"
	fi
else
	result FAIL pmemfs-6.1 "the zus package lacks mkfs.pmemfs or pmemfs.so"
fi

# ---- upgrade -----------------------------------------------------------------------------
# apt install of the same packages with a higher version.
step_upgrade() {
	local old_pid ko_before ko_after why kernel="" zusd_pid="" canary=""
	say "step upgrade"
	eval "$(state | grep '^zusd_pid=')"
	old_pid=$zusd_pid
	gsh 'touch /mnt/zufs-canary/before-upgrade'
	ko_before=$(gq "stat -c %Y /lib/modules/$k61/updates/dkms/zuf.ko*")
	t=$SECONDS
	if gsh "$APT install -y ./$(basename "$dkms_deb2") ./$(basename "$zus_deb2")"; then
		kernel="" zusd_pid="" canary=""
		eval "$(state)"
		why=""
		ko_after=$(gq "stat -c %Y /lib/modules/$k61/updates/dkms/zuf.ko*")
		gq "dkms status zufs/$ver -k $k61" | grep -q ': installed' && [ -n "$ko_after" ] &&
			[ "$ko_after" != "$ko_before" ] || why="$why not rebuilt for $k61 ($ko_before -> $ko_after);"
		[ "$zusd_pid" != "$old_pid" ] && [ "$(gq 'systemctl is-active zusd')" = active ] || why="$why zusd not restarted ($old_pid -> $zusd_pid);"
		[ "$canary" = tmpfs ] && ! gq 'test -e /mnt/zufs-canary/before-upgrade' || why="$why bound mount not remounted;"
		[ $has_pmemfs = 0 ] || gsh 'findmnt -n -t pmemfs /mnt/pmem && sha256sum -c /root/data.sha256' ||
			why="$why pmemfs not mounted again or its data changed;"
		if [ -z "$why" ]; then
			result PASS upgrade "$((SECONDS - t))s, rebuilt for $k61, zusd restarted, bound mounts remounted, pmemfs data intact"
		else
			gather_journal
			result FAIL upgrade "${why%;}"
		fi
	else
		result FAIL upgrade "apt-get install failed, see $log"
	fi
}
if [ $upgrade = 1 ]; then
	step_upgrade
else
	result SKIP upgrade "left out by --no-upgrade; make pkg-check runs it"
fi

# ---- 3: new kernel line from the local repository -------------------------------------
say "step kernel-6.12"
t=$SECONDS
k612=""
if gsh "apt-get update && $APT install -y $PKG_LATER_PACKAGES"; then
	k612=$(gq 'ls /lib/modules | grep "^6\.12\." | sort -V | tail -n 1')
	st=$(gq "dkms status zufs/$ver -k $k612")
	if [ -n "$k612" ] && echo "$st" | grep -q ': installed' &&
	   pkg_scp_from "/boot/vmlinuz-$k612" "$PKG_RUN/vmlinuz-6.12" &&
	   pkg_scp_from "/boot/initrd.img-$k612" "$PKG_RUN/initrd-6.12"; then
		result PASS kernel-6.12 "$((SECONDS - t))s, DKMS built zuf for $k612 during the kernel install"
	else
		result FAIL kernel-6.12 "dkms: ${st:-nothing for ${k612:-no 6.12 kernel}}"
		k612=""
	fi
else
	result FAIL kernel-6.12 "apt-get install failed, see $log"
fi

# ---- 4: reboot into 6.12 ---------------------------------------------------------------
say "step boot-6.12"
if [ -n "$k612" ]; then
	t=$SECONDS
	pkg_vm_stop 180 >> "$log" 2>&1
	if boot "$PKG_RUN/vmlinuz-6.12" "$PKG_RUN/initrd-6.12" && why=$(check_up 6.12); then
		result PASS boot-6.12 "$((SECONDS - t))s, $why"
	else
		gather_journal
		result FAIL boot-6.12 "${why:-boot failed}"
	fi
	if [ $has_pmemfs = 1 ]; then
		if gsh 'set -e; findmnt -n -t pmemfs /mnt/pmem; sha256sum -c /root/data.sha256'; then
			result PASS pmemfs-6.12 "data intact after the kernel change"
		else
			result FAIL pmemfs-6.12 "see $log"
		fi
	else
		result FAIL pmemfs-6.12 "the zus package lacks mkfs.pmemfs or pmemfs.so"
	fi
else
	result SKIP boot-6.12 "no 6.12 kernel installed"
fi

# ---- ansible ---------------------------------------------------------------------------------------
# Before the purge, with zufs-dkms kept (its modules are built for both
# kernels: this saves two DKMS builds under TCG); zus is removed first, so
# the role installs it from the repository.
if [ $ansible = 1 ]; then
	say "ansible"
	gsh 'umount /mnt/pmem 2>/dev/null; DEBIAN_FRONTEND=noninteractive apt-get purge -y zus'
	PKG_VM_PORT=$PKG_VM_PORT PKG_KEY=$PKG_KEY "$here/ansible-check.sh" --attach --results "$results" ||
		fails=$((fails + 1))
else
	result SKIP ansible "left out by --no-ansible; make pkg-check runs it"
fi

# ---- 5: purge --------------------------------------------------------------------------------
say "step purge"
# The fstab lines, their mount points and the apt source the Ansible role
# wrote are the admin's (and the test's), not the packages': they go first,
# as an admin would remove them.
t=$SECONDS
gsh "umount /mnt/zufs-canary /mnt/pmem; sed -i '/zufs-canary\|pmemfs/d' /etc/fstab; systemctl daemon-reload; rmdir /mnt/zufs-canary /mnt/pmem; rm -f /etc/apt/sources.list.d/zufs.list"
if gsh 'DEBIAN_FRONTEND=noninteractive apt-get purge -y zus zufs-dkms'; then
	left=$(gq 'bash -s' <<-'EOS'
	[ -d /sys/module/zuf ] && echo "module loaded;"
	findmnt /sys/fs/zuf > /dev/null && echo "zuf-root mounted;"
	[ -e /sys/fs/zuf ] && echo "/sys/fs/zuf exists;"
	systemctl list-unit-files --no-legend 'zusd*' 'sys-fs-zuf*' 2>/dev/null | grep -q . && echo "units left;"
	systemctl is-active -q zusd 2>/dev/null && echo "zusd running;"
	f=$(find / -xdev \( -path /proc -o -path /sys -o -path /root -o -path /srv -o -path /var/cache/apt -o -path /var/lib/apt/lists \) -prune -o \
		\( -name '*zufs*' -o -name 'zuf.ko*' -o -name 'zusd*' -o -name 'libzus*' -o -name 'sys-fs-zuf*' \) -print 2>/dev/null |
		grep -v '^/var/lib/dpkg/info/.*\.list-old$' | head -n 10 | tr '\n' ' ')
	[ -n "$f" ] && echo "files left: $f;"
	dpkg -l zus zufs-dkms 2>/dev/null | grep -E '^(ii|rc)' | awk '{print "package " $2 " " $1 ";"}'
	true
	EOS
	)
	if [ -z "$left" ]; then
		result PASS purge "$((SECONDS - t))s, no module, unit, mount or file left"
	else
		result FAIL purge "$(echo "$left" | tr '\n' ' ')"
	fi
else
	result FAIL purge "apt-get purge failed, see $log"
fi

pkg_vm_stop 180 >> "$log" 2>&1
say "done in $((SECONDS - T0))s, $fails failed"
[ $fails = 0 ]

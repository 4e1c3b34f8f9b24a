# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# A full Debian 12 VM (systemd, apt, dkms, the 6.1 cloud kernel and its
# headers) for the package tests, driven over SSH on a loopback port
# forward. QEMU under TCG only (no KVM), no network: the guest's only apt
# source is a local repository on a second disk.
#
#   . tests/pkg/vm-lib.sh
#   pkg_image                      # cached root image + kernel + repo debs
#   pkg_prune_images               # drop the caches of other recipes
#   pkg_repo_disk OUT DEB...       # repo disk: cached kernel debs + DEB...
#   pkg_vm_new                     # fresh overlay disk and pmem file
#   pkg_vm_start KERNEL INITRD     # boot, wait for SSH (sets PKG_VM_PORT)
#   pkg_ssh CMD...                 # run in the guest (root)
#   pkg_scp_to FILE... DEST / pkg_scp_from SRC DEST
#   pkg_vm_stop                    # poweroff, wait for QEMU to exit
#
# Everything lives under build/pkg/ (PKG_BUILD).

PKG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKG_REPO_TOP=$(cd "$PKG_LIB_DIR/../.." && pwd)
PKG_BUILD=${PKG_BUILD:-$PKG_REPO_TOP/build/pkg}
PKG_RUN=${PKG_RUN:-$PKG_BUILD/run}
PKG_QEMU=${PKG_QEMU:-qemu-system-x86_64}
# The guest's CPU model. Not "max": under TCG its AVX2, which glibc's string
# functions pick, costs more than it gives; the DKMS build of zuf in the
# guest took 211 s with max and 158 s with qemu64 (-j2, idle host).
PKG_CPU=${PKG_CPU:-qemu64}
PKG_MIRROR=${PKG_MIRROR:-http://deb.debian.org/debian}
PKG_SECURITY_MIRROR=${PKG_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Bump when the recipe of the cached image changes.
PKG_IMAGE_RECIPE=4
PKG_IMAGE_SIZE=${PKG_IMAGE_SIZE:-8G}
PKG_GUEST_PACKAGES="systemd-sysv udev kmod dbus openssh-server ca-certificates
 linux-image-cloud-amd64 linux-headers-cloud-amd64 dkms build-essential
 openssl zstd ndctl python3 python3-apt procps psmisc less"
# What step 3 of the e2e test installs from the local repository.
PKG_LATER_PACKAGES="linux-image-6.12-cloud-amd64 linux-headers-6.12-cloud-amd64"
PKG_SSH_OPTS=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o LogLevel=ERROR -o ConnectTimeout=10 -o BatchMode=yes
	-o ServerAliveInterval=15 -o ServerAliveCountMax=8)

pkg_msg() { echo "pkg: $*" >&2; }
# shellcheck disable=SC2086
_pkg_list() { printf '%s\n' $PKG_GUEST_PACKAGES | paste -sd, -; }

# The cache key: the recipe (the text of pkg_image itself included, so an
# edit of it cannot reuse a stale image) and the packages.
_pkg_hash() {
	{ echo "recipe=$PKG_IMAGE_RECIPE size=$PKG_IMAGE_SIZE"; echo "$PKG_GUEST_PACKAGES";
	  echo "$PKG_LATER_PACKAGES"; declare -f pkg_image; } | sha256sum | cut -c1-16
}

# pkg_image: build (once) and describe the cached guest:
#   PKG_IMAGE   raw ext4 root filesystem image (read-only base of overlays)
#   PKG_KERNEL  PKG_INITRD  its 6.1 kernel and initrd
#   PKG_DEBS    directory of the .debs of PKG_LATER_PACKAGES and their
#               dependencies missing from the image
#   PKG_KEY     SSH private key accepted by the guest's root
pkg_image() {
	local hash dir key rc
	hash=$(_pkg_hash)
	PKG_IMAGE=$PKG_BUILD/root-$hash.img
	PKG_DEBS=$PKG_BUILD/debs-$hash
	PKG_KEY=$PKG_BUILD/ssh/id_ed25519
	mkdir -p "$PKG_BUILD/ssh"
	[ -s "$PKG_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C zufs-pkg-test -f "$PKG_KEY" || return 1
	(
		flock 9
		[ -s "$PKG_IMAGE" ] && [ -s "$PKG_IMAGE.kernel" ] && exit 0
		dir=$PKG_BUILD/root-$hash.d
		rm -rf "$dir" "$PKG_DEBS.tmp"
		mkdir -p "$PKG_DEBS.tmp"
		key=$(cat "$PKG_KEY.pub")
		pkg_msg "building the guest image ($(_pkg_list))"
		local t0=$SECONDS
		# shellcheck disable=SC2016
		mmdebstrap --variant=minbase --include="$(_pkg_list)" \
			--dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-include=/usr/share/doc/*/copyright' \
			--dpkgopt='path-exclude=/usr/share/locale/*' \
			--dpkgopt='path-exclude=/usr/share/info/*' \
			--customize-hook='echo zufs-pkg > "$1/etc/hostname"' \
			--customize-hook='printf "%s\n" "/dev/vda / ext4 rw,errors=remount-ro 0 1" "LABEL=zufsrepo /srv/repo ext4 ro,nofail,x-systemd.device-timeout=90s 0 0" > "$1/etc/fstab"' \
			--customize-hook='mkdir -p "$1/srv/repo" "$1/root/.ssh" && chmod 700 "$1/root/.ssh"' \
			--customize-hook="echo '$key' > \"\$1/root/.ssh/authorized_keys\"" \
			--customize-hook='printf "[Match]\nName=e*\n\n[Network]\nDHCP=yes\n" > "$1/etc/systemd/network/10-wired.network"' \
			--customize-hook='chroot "$1" systemctl enable systemd-networkd' \
			--customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer ndctl-monitor.service' \
			--customize-hook='printf "MODULES=dep\nCOMPRESSLEVEL=1\n" > "$1/etc/initramfs-tools/conf.d/test-vm"' \
			--customize-hook='echo force-unsafe-io > "$1/etc/dpkg/dpkg.cfg.d/test-vm"' \
			--customize-hook='chroot "$1" apt-get clean' \
			--customize-hook="chroot \"\$1\" apt-get install -y -q --download-only $PKG_LATER_PACKAGES" \
			--customize-hook="cp \"\$1\"/var/cache/apt/archives/*.deb '$PKG_DEBS.tmp/'" \
			--customize-hook='chroot "$1" apt-get clean' \
			--customize-hook='echo "deb [trusted=yes] file:/srv/repo ./" > "$1/etc/apt/sources.list"' \
			bookworm "$dir" \
			"deb $PKG_MIRROR bookworm main" \
			"deb $PKG_MIRROR bookworm-updates main" \
			"deb $PKG_SECURITY_MIRROR bookworm-security main" \
			</dev/null >"$PKG_BUILD/root-$hash.log" 2>&1
		rc=$?
		if [ $rc != 0 ]; then
			tail -n 30 "$PKG_BUILD/root-$hash.log" >&2
			pkg_msg "mmdebstrap failed (rc=$rc), log: $PKG_BUILD/root-$hash.log"
			rm -rf "$dir" "$PKG_DEBS.tmp"
			exit 1
		fi
		rm -f "$dir"/var/lib/apt/lists/*_Packages "$dir"/var/lib/apt/lists/*Release* 2>/dev/null
		local k i
		k=$(find "$dir/boot" -name 'vmlinuz-6.1.*' | sort -V | tail -n 1)
		i=$dir/boot/initrd.img-${k##*/vmlinuz-}
		if [ ! -f "$k" ] || [ ! -f "$i" ]; then
			pkg_msg "no 6.1 kernel/initrd in the guest image"
			rm -rf "$dir" "$PKG_DEBS.tmp"
			exit 1
		fi
		cp "$k" "$PKG_IMAGE.kernel.tmp" && cp "$i" "$PKG_IMAGE.initrd.tmp" || exit 1
		rm -f "$PKG_IMAGE.tmp"
		mkfs.ext4 -q -F -L zufsroot -d "$dir" "$PKG_IMAGE.tmp" "$PKG_IMAGE_SIZE" || exit 1
		rm -rf "$dir" "$PKG_DEBS"
		mv "$PKG_DEBS.tmp" "$PKG_DEBS"
		mv "$PKG_IMAGE.initrd.tmp" "$PKG_IMAGE.initrd"
		mv "$PKG_IMAGE.kernel.tmp" "$PKG_IMAGE.kernel"
		mv "$PKG_IMAGE.tmp" "$PKG_IMAGE"
		pkg_msg "guest image ready in $((SECONDS - t0))s: $PKG_IMAGE"
	) 9>"$PKG_BUILD/.image.lock" || return 1
	# shellcheck disable=SC2034
	PKG_KERNEL=$PKG_IMAGE.kernel
	# shellcheck disable=SC2034
	PKG_INITRD=$PKG_IMAGE.initrd
}

# pkg_prune_images: remove the cached images and kernel debs of other
# recipes (after pkg_image), so that build/pkg/ holds one image.
pkg_prune_images() {
	local hash
	hash=$(_pkg_hash)
	find "$PKG_BUILD" -maxdepth 1 \( -name 'root-*' -o -name 'debs-*' \) \
		! -name "root-$hash*" ! -name "debs-$hash" -exec rm -rf {} + 2>/dev/null
	return 0
}

# pkg_extra_debs DIR DEB...: download into DIR (with the host's apt) the
# run-time dependencies of the given .debs, recursively, that the guest
# image lacks, so that the guest can install them without network. An
# alternative (a | b) already satisfied in the image needs nothing; else
# the first real package of it is taken, as apt would.
pkg_extra_debs() {
	local dir=$1 p m pick group missing=""
	shift
	mkdir -p "$dir"
	local -A have=()
	for p in $(debugfs -R 'cat /var/lib/dpkg/status' "$PKG_IMAGE" 2>/dev/null |
		awk '/^Package:/ {p = $2} /^Provides:/ {gsub(/\([^)]*\)|,/, " "); for (i = 2; i <= NF; i++) print $i} /^Status: install ok installed/ {print p}'); do
		have[$p]=1
	done
	[ ${#have[@]} -gt 100 ] || { pkg_msg "cannot read the guest's dpkg status"; return 1; }
	for p in zus zufs-dkms libzus-dev; do have[$p]=1; done
	# Dependency groups, one per line, alternatives space separated.
	local queue
	queue=$(for d in "$@"; do dpkg-deb -f "$d" Pre-Depends Depends; done |
		sed 's/^[A-Za-z-]*: *//' | tr ',' '\n' | sed 's/([^)]*)//g; s/|/ /g' |
		grep -v 'zufs-abi-' | sed 's/^ *//; s/ *$//' | grep -v '^$')
	while [ -n "$queue" ]; do
		group=$(head -n 1 <<< "$queue")
		queue=$(tail -n +2 <<< "$queue")
		pick=""
		for m in $group; do
			m=${m#<}; m=${m%>}; m=${m%%:*}
			if [ -n "${have[$m]:-}" ]; then pick=""; continue 2; fi
		done
		for m in $group; do
			case "$m" in "<"*) continue ;; esac
			pick=${m%%:*}
			break
		done
		[ -n "$pick" ] || { pkg_msg "no real package for '$group'"; continue; }
		have[$pick]=1
		missing="$missing $pick"
		queue=$(printf '%s\n%s' "$queue" "$(apt-cache depends --no-recommends --no-suggests \
			--no-conflicts --no-breaks --no-replaces --no-enhances "$pick" 2>/dev/null |
			awk '/^ *\|?(Pre)?Depends:/ { alt = ($1 ~ /^\|/); sub(/^ *\|?(Pre)?Depends: */, "");
				line = line (line == "" ? "" : " ") $0; if (!alt) { print line; line = "" } }')" |
			grep -v '^$')
	done
	[ -n "$missing" ] || return 0
	pkg_msg "run-time dependencies missing from the guest image:$missing"
	# shellcheck disable=SC2086
	(cd "$dir" && apt-get download -q $missing 2>&1 | grep -v '^W: Download is performed unsandboxed') >&2
}

# pkg_repo_disk OUT DEB...: an ext4 image labelled zufsrepo holding a flat
# apt repository: the cached PKG_DEBS, the given .debs and their run-time
# dependencies the image lacks (pkg_extra_debs).
pkg_repo_disk() {
	local out=$1 dir size
	shift
	dir=$out.d
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -l "$PKG_DEBS"/*.deb "$dir/" 2>/dev/null || cp "$PKG_DEBS"/*.deb "$dir/" || return 1
	[ $# -eq 0 ] || cp "$@" "$dir/" || return 1
	pkg_extra_debs "$dir" "$@" || return 1
	(cd "$dir" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null > Packages &&
		apt-ftparchive release . > Release) || return 1
	size=$(( $(du -sm "$dir" | cut -f1) * 12 / 10 + 64 ))
	rm -f "$out"
	mkfs.ext4 -q -F -L zufsrepo -d "$dir" "$out" "${size}M" || return 1
	rm -rf "$dir"
}

# pkg_vm_new: a fresh copy-on-write disk over PKG_IMAGE and a fresh pmem
# backing file (PKG_DISK, PKG_PMEM).
pkg_vm_new() {
	mkdir -p "$PKG_RUN"
	PKG_DISK=$PKG_RUN/root.qcow2
	PKG_PMEM=$PKG_RUN/pmem.img
	rm -f "$PKG_DISK" "$PKG_PMEM"
	qemu-img create -q -f qcow2 -F raw -b "$PKG_IMAGE" "$PKG_DISK" || return 1
	truncate -s 1G "$PKG_PMEM"
}

_pkg_free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$(( 20000 + RANDOM % 20000 ))
		if ! ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# pkg_vm_start KERNEL INITRD [REPO_DISK] [TIMEOUT]: boot PKG_DISK, wait for
# SSH. Console: $PKG_RUN/console-<n>.log. Sets PKG_VM_PID, PKG_VM_PORT.
PKG_BOOTS=0
pkg_vm_start() {
	local kernel=$1 initrd=$2 repo=${3:-} timeout=${4:-400} i
	PKG_BOOTS=$((PKG_BOOTS + 1))
	PKG_CONSOLE=$PKG_RUN/console-$PKG_BOOTS.log
	PKG_VM_PORT=$(_pkg_free_port) || { pkg_msg "no free port"; return 1; }
	local repo_args=()
	[ -n "$repo" ] && repo_args=(-drive "file=$repo,format=raw,if=virtio,readonly=on")
	rm -f "$PKG_RUN/qemu.pid"
	"$PKG_QEMU" -nodefaults -display none -no-reboot \
		-accel tcg,thread=multi -cpu "$PKG_CPU" -smp 2 \
		-machine pc,nvdimm=on -m 2G,slots=2,maxmem=4G \
		-object memory-backend-file,id=m1,share=on,mem-path="$PKG_PMEM",size=1G \
		-device nvdimm,memdev=m1,id=nv1,label-size=128K \
		-drive "file=$PKG_DISK,format=qcow2,if=virtio,cache=unsafe" \
		"${repo_args[@]}" \
		-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$PKG_VM_PORT-:22" \
		-device virtio-net-pci,netdev=n0 \
		-device virtio-rng-pci \
		-serial "file:$PKG_CONSOLE" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "root=/dev/vda rw console=ttyS0,115200 net.ifnames=0 panic=-1 mitigations=off tsc=reliable" \
		-pidfile "$PKG_RUN/qemu.pid" -daemonize \
		> "$PKG_RUN/qemu.log" 2>&1 || { cat "$PKG_RUN/qemu.log" >&2; return 1; }
	PKG_VM_PID=$(cat "$PKG_RUN/qemu.pid")
	for ((i = 0; i < timeout; i += 3)); do
		if ! kill -0 "$PKG_VM_PID" 2>/dev/null; then
			pkg_msg "QEMU exited during boot; console: $PKG_CONSOLE"
			tail -n 30 "$PKG_CONSOLE" >&2
			return 1
		fi
		if pkg_ssh -o ConnectTimeout=3 true 2>/dev/null; then
			return 0
		fi
		sleep 3
	done
	pkg_msg "no SSH after ${timeout}s; console: $PKG_CONSOLE"
	tail -n 30 "$PKG_CONSOLE" >&2
	return 1
}

pkg_ssh() {
	ssh "${PKG_SSH_OPTS[@]}" -i "$PKG_KEY" -p "$PKG_VM_PORT" root@127.0.0.1 "$@"
}
pkg_scp_to() {	# FILE... DEST
	local n=$#
	local dest=${!n}
	scp -q "${PKG_SSH_OPTS[@]}" -i "$PKG_KEY" -P "$PKG_VM_PORT" "${@:1:n-1}" "root@127.0.0.1:$dest"
}
pkg_scp_from() {	# SRC DEST
	scp -q "${PKG_SSH_OPTS[@]}" -i "$PKG_KEY" -P "$PKG_VM_PORT" "root@127.0.0.1:$1" "$2"
}

# pkg_vm_stop [TIMEOUT]: clean poweroff; kill QEMU if it does not exit.
pkg_vm_stop() {
	local timeout=${1:-180} i
	[ -n "${PKG_VM_PID:-}" ] || return 0
	pkg_ssh 'systemctl poweroff' > /dev/null 2>&1 || true
	for ((i = 0; i < timeout; i++)); do
		kill -0 "$PKG_VM_PID" 2>/dev/null || { PKG_VM_PID=""; return 0; }
		sleep 1
	done
	pkg_msg "guest did not power off in ${timeout}s: killing QEMU"
	kill -9 "$PKG_VM_PID" 2>/dev/null || true
	PKG_VM_PID=""
	return 1
}

pkg_vm_kill() {
	[ -n "${PKG_VM_PID:-}" ] || return 0
	kill -9 "$PKG_VM_PID" 2>/dev/null || true
	PKG_VM_PID=""
}

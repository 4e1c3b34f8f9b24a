#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build the .debs from a clean copy of the tree inside a clean Debian 12
# (bookworm) root made by mmdebstrap, proving the build depends only on
# what debian/control declares.
#
#   packaging/deb/build-in-chroot.sh [--tree DIR] [--out DIR]
# The root (buildd variant + Build-Depends + lintian) is cached as
# build/chroot/bookworm-<hash of the Build-Depends>.tar; each build unpacks
# a fresh copy of it. Results: build/deb-chroot/*.deb (default --out).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tree=$top
out=$top/build/deb-chroot
while [ $# -gt 0 ]; do
	case "$1" in
	--tree) tree=$(cd "$2" && pwd); shift 2 ;;
	--out) mkdir -p "$2"; out=$(cd "$2" && pwd); shift 2 ;;
	*) echo "usage: $0 [--tree DIR] [--out DIR]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "build-in-chroot: needs root (chroot, bind mounts)" >&2; exit 1; }
command -v mmdebstrap > /dev/null || { echo "build-in-chroot: apt-get install mmdebstrap" >&2; exit 1; }

# Build-Depends of debian/control, as apt package names.
deps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$here/debian/control" |
	sed 's/^Build-Depends://; /^[A-Z][A-Za-z-]*:/d' | tr ',' '\n' |
	sed 's/(.*)//; s/\[.*\]//; s/|.*//; s/[[:space:]]//g' | grep -v '^$' |
	sed 's/^debhelper-compat$/debhelper/' | sort -u | tr '\n' ',')
deps="${deps}lintian,fakeroot"
key=$(printf '%s\n' "$deps" | sha256sum | cut -c1-16)
cache=$top/build/chroot
base=$cache/bookworm-$key.tar
mkdir -p "$cache" "$out"
if [ ! -s "$base" ]; then
	echo "build-in-chroot: creating $base (bookworm, buildd, $deps)"
	mmdebstrap --variant=buildd --include="$deps" bookworm "$cache/tmp-$key.tar" \
		> "$cache/bookworm-$key.log" 2>&1 || {
		tail -n 20 "$cache/bookworm-$key.log" >&2
		rm -f "$cache/tmp-$key.tar"
		exit 1
	}
	mv "$cache/tmp-$key.tar" "$base"
fi

root=$(mktemp -d "$cache/root.XXXXXX")
cleanup() {
	for m in dev/pts dev proc sys; do
		umount "$root/$m" 2>/dev/null || true
	done
	rm -rf --one-file-system "$root"
}
trap cleanup EXIT INT TERM
tar -x -C "$root" -f "$base"
for m in proc sys dev dev/pts; do
	mkdir -p "$root/$m"
	mount --bind "/$m" "$root/$m"
done

# The tree to build, with the packaging of this checkout (as build.sh does).
"$top/packaging/copy-tree.sh" "$tree" "$root/build/zufs"
rm -rf "$root/build/zufs/packaging"
cp -r "$top/packaging" "$root/build/zufs/packaging"
cp "$top/dkms.conf" "$root/build/zufs/dkms.conf"

echo "build-in-chroot: building in $root"
rc=0
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	LC_ALL=C.UTF-8 ${DEB_VERSION:+DEB_VERSION=$DEB_VERSION} \
	sh -c 'cd /build/zufs && packaging/deb/build.sh --out /build/out' || rc=$?
cp "$root"/build/out/*.log "$out/" 2>/dev/null || true
if [ $rc != 0 ]; then
	echo "build-in-chroot: build failed (logs in $out)" >&2
	exit $rc
fi
rm -f "$out"/*.deb
cp "$root"/build/out/*.deb "$root"/build/out/*.changes "$out/"
ls -1 "$out"/*.deb

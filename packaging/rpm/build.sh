#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build the rpms (zufs-dkms, zus, zus-devel) with rpmbuild and a private
# %_topdir: build/rpm/{SOURCES,SPECS,BUILD,BUILDROOT,RPMS,SRPMS}.
# Source0 is a tarball of the tree; the spec gets the tree's VERSION and
# ZUFS_ABI_MAJOR as defines. Then rpmlint on the result (errors fail).
#
#   packaging/rpm/build.sh [--tree DIR] [--no-rpmlint]
# On Debian, BuildRequires cannot be checked against an rpm database:
# rpmbuild runs with --nodeps there (the Debian build-deps are the same).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tree=$top
lint=1
while [ $# -gt 0 ]; do
	case "$1" in
	--tree) tree=$(cd "$2" && pwd); shift 2 ;;
	--no-rpmlint) lint=0; shift ;;
	*) echo "usage: $0 [--tree DIR] [--no-rpmlint]" >&2; exit 2 ;;
	esac
done
command -v rpmbuild > /dev/null || { echo "rpm: apt-get install rpm" >&2; exit 1; }

ver=$(sed -n '1{s/[[:space:]]//g;p;q}' "$tree/VERSION")
abi=$(sed -n 's/^#define[[:space:]]\{1,\}ZUFS_ABI_MAJOR[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p' "$tree/src/zus_api.h")
if [ -z "$ver" ] || [ -z "$abi" ]; then
	echo "rpm: cannot read VERSION or ZUFS_ABI_MAJOR" >&2
	exit 1
fi

topdir=$top/build/rpm
rm -rf "$topdir"
mkdir -p "$topdir/SOURCES" "$topdir/SPECS" "$topdir/BUILD" "$topdir/RPMS" "$topdir/SRPMS"

# Source0: the tree with the packaging of this checkout.
stage=$topdir/stage/zufs-$ver
"$top/packaging/copy-tree.sh" "$tree" "$stage"
rm -rf "$stage/packaging"
cp -r "$top/packaging" "$stage/packaging"
cp "$top/dkms.conf" "$stage/dkms.conf"
tar -C "$topdir/stage" --owner=0 --group=0 --sort=name -czf "$topdir/SOURCES/zufs-$ver.tar.gz" "zufs-$ver"
rm -rf "$topdir/stage"
cp "$here/zufs.spec" "$topdir/SPECS/"

nodeps=""
brp=""
if [ -e /etc/debian_version ]; then
	nodeps=--nodeps
	# Debian's rpm runs brp-compress (bash syntax) with dash.
	brp="bash $(rpm --eval '%__brp_compress')"
fi
echo "rpm: building zufs $ver (zufs-abi-$abi) in $topdir"
# shellcheck disable=SC2086
rpmbuild -ba $nodeps \
	--define "_topdir $topdir" \
	--define "zufs_version $ver" \
	--define "zufs_abi_major $abi" \
	${brp:+--define "__brp_compress $brp"} \
	"$topdir/SPECS/zufs.spec" > "$topdir/build.log" 2>&1 || {
	tail -n 40 "$topdir/build.log" >&2
	echo "rpm: rpmbuild failed; full log: $topdir/build.log" >&2
	exit 1
}
find "$topdir/RPMS" "$topdir/SRPMS" -name '*.rpm' | sort

if [ $lint = 1 ] && command -v rpmlint > /dev/null; then
	rc=0
	# shellcheck disable=SC2046
	rpmlint -r "$here/rpmlintrc" "$topdir/SPECS/zufs.spec" $(find "$topdir/RPMS" "$topdir/SRPMS" -name '*.rpm' | sort) \
		> "$topdir/rpmlint.log" 2>&1 || rc=$?
	cat "$topdir/rpmlint.log"
	if grep -q ' E: ' "$topdir/rpmlint.log" || [ $rc -ge 64 ]; then
		echo "rpm: rpmlint found errors" >&2
		exit 1
	fi
fi

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copy the source tree (without build/, .git and build products) to DEST
# for the packaging tests, optionally with test stand-ins for the parts
# that cannot be built yet (tests/pkg/stub/README).
#   tests/pkg/make-tree.sh DEST [--stub-src] [--stub-zus] [--auto]
# --auto: use a stand-in for src/ if it does not build for the newest
# installed 6.1 kernel, and for zus/ if it has no Makefile or does not build.
# Writes DEST/.stubs naming the stand-ins used (empty: the real tree).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 DEST [--stub-src] [--stub-zus] [--auto]" >&2; exit 2; }
dest=$1
shift
stub_src=0 stub_zus=0 auto=0
for a in "$@"; do
	case "$a" in
	--stub-src) stub_src=1 ;;
	--stub-zus) stub_zus=1 ;;
	--auto) auto=1 ;;
	*) echo "make-tree: unknown option $a" >&2; exit 2 ;;
	esac
done

copy_tree() {	# DEST
	"$top/packaging/copy-tree.sh" "$top" "$1"
}
copy_tree "$dest"

if [ $auto = 1 ]; then
	kver=$("$top/scripts/kernels.sh" --headers 6.1 || true)
	if [ $stub_src = 0 ]; then
		if [ -z "$kver" ] || ! make -s -C "$dest/src" KVER="$kver" > "$dest/.src-build.log" 2>&1; then
			echo "make-tree: src/ does not build for ${kver:-a 6.1 kernel}: using the stand-in (log: $dest/.src-build.log)" >&2
			stub_src=1
		fi
		make -s -C "$dest/src" KVER="$kver" clean > /dev/null 2>&1 || true
		rm -f "$dest/src/zuf_config.h"
	fi
	if [ $stub_zus = 0 ]; then
		if [ ! -f "$dest/zus/Makefile" ] ||
		   ! make -s -C "$dest/zus" PREFIX=/usr > "$dest/.zus-build.log" 2>&1; then
			echo "make-tree: zus/ does not build: using the stand-in (log: $dest/.zus-build.log)" >&2
			stub_zus=1
		fi
		# Start the real build from clean again.
		if [ $stub_zus = 0 ]; then
			keep=$(mktemp -d)
			mv "$dest/.zus-build.log" "$keep/"
			rm -rf "$dest/zus"
			(cd "$top" && tar -c --exclude='*.o' --exclude='*.so' --exclude='*.so.*' \
				--exclude='*.a' zus) | tar -x -C "$dest"
			mv "$keep/.zus-build.log" "$dest/"
			rmdir "$keep"
		fi
	fi
fi

: > "$dest/.stubs"
if [ $stub_src = 1 ]; then
	# Keep the real ABI header (the packages parse ZUFS_ABI_MAJOR from it).
	cp "$dest/src/zus_api.h" "$dest/.zus_api.h"
	rm -rf "$dest/src"
	cp -r "$here/stub/src" "$dest/src"
	mv "$dest/.zus_api.h" "$dest/src/zus_api.h"
	echo src >> "$dest/.stubs"
fi
if [ $stub_zus = 1 ]; then
	rm -rf "$dest/zus"
	cp -r "$here/stub/zus" "$dest/zus"
	echo zus >> "$dest/.stubs"
fi
echo "make-tree: $dest (stand-ins: $(tr '\n' ' ' < "$dest/.stubs" | sed 's/ $//;s/^$/none/'))"

#!/bin/bash
# Build zuf.ko for every installed supported kernel (or those given).
#   scripts/build-modules.sh [--fault] [RELEASE...]
# Output: build/kmod/<release>/zuf.ko (--fault: build/kmod-fault/..., a
# module that WARNs at init, used by the VM harness self-test).
# Each kernel builds in its own copy of src/, as DKMS does.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=kmod
fault=
if [ "${1:-}" = "--fault" ]; then
	out=kmod-fault
	fault=warn
	shift
fi
kernels=${*:-$("$top/scripts/kernels.sh" --headers)}
if [ -z "$kernels" ]; then
	echo "build-modules: no supported kernel headers installed (run: make deps)" >&2
	exit 1
fi
version=$(cat "$top/VERSION")
for k in $kernels; do
	dir="$top/build/$out/$k"
	mkdir -p "$dir"
	# Refresh sources. When any changed, or the kernel's headers did,
	# build from scratch: an incremental kbuild of an external module
	# (6.1) can leave symbols out of zuf.ko's modversions table, and the
	# kernel then refuses to load it ("no symbol version for ...").
	changed=
	for f in "$top"/src/*.c "$top"/src/*.h "$top"/src/Kbuild "$top"/src/Makefile "$top"/src/probe.sh; do
		case "$f" in */zuf_config.h) continue ;; esac
		cmp -s "$f" "$dir/$(basename "$f")" || { cp "$f" "$dir/"; changed=1; }
	done
	mkdir -p "$dir/probes"
	for f in "$top"/src/probes/*.c; do
		cmp -s "$f" "$dir/probes/$(basename "$f")" || { cp "$f" "$dir/probes/"; changed=1; }
	done
	headers=$(cksum <"/lib/modules/$k/build/Module.symvers" 2>/dev/null || echo none)
	[ "$(cat "$dir/.headers" 2>/dev/null)" = "$headers" ] || changed=1
	if [ -n "$changed" ]; then
		(cd "$dir" && rm -f ./*.o ./*.ko ./*.mod ./*.mod.c ./.*.cmd ./.*.d \
			Module.symvers modules.order zuf_config.h .headers)
	fi
	echo "  KMOD    $k${fault:+ (fault=$fault)}"
	if ! make -s -C "$dir" KVER="$k" ZUFS_VERSION="$version" ZUF_WERROR=1 \
		ZUF_FAULT="$fault" > "$dir/build.log" 2>&1; then
		grep -v '^Skipping BTF generation' "$dir/build.log" >&2
		echo "build-modules: zuf.ko for $k failed" >&2
		exit 1
	fi
	echo "$headers" >"$dir/.headers"
	grep -v '^Skipping BTF generation' "$dir/build.log" || true
done

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
	# Refresh sources, keep objects: kbuild rebuilds only what changed.
	for f in "$top"/src/*.c "$top"/src/*.h "$top"/src/Kbuild "$top"/src/Makefile "$top"/src/probe.sh; do
		case "$f" in */zuf_config.h) continue ;; esac
		cmp -s "$f" "$dir/$(basename "$f")" || cp "$f" "$dir/"
	done
	mkdir -p "$dir/probes"
	for f in "$top"/src/probes/*.c; do
		cmp -s "$f" "$dir/probes/$(basename "$f")" || cp "$f" "$dir/probes/"
	done
	echo "  KMOD    $k${fault:+ (fault=$fault)}"
	if ! make -s -C "$dir" KVER="$k" ZUFS_VERSION="$version" ZUF_WERROR=1 \
		ZUF_FAULT="$fault" > "$dir/build.log" 2>&1; then
		grep -v '^Skipping BTF generation' "$dir/build.log" >&2
		echo "build-modules: zuf.ko for $k failed" >&2
		exit 1
	fi
	grep -v '^Skipping BTF generation' "$dir/build.log" || true
done

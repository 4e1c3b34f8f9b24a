#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# DKMS on the host, from the top-level dkms.conf (no package involved):
# dkms add of a staged source (dkms.conf, VERSION, src/), dkms build for
# every installed supported kernel with headers, the BUILD_EXCLUSIVE skip
# for an unsupported kernel, dkms remove --all. Modules are not loaded.
#   tests/pkg/dkms-check.sh [--results FILE] [--tree DIR]
# --tree: the source tree to stage (default: this checkout).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
results=""
tree=""
while [ $# -gt 0 ]; do
	case "$1" in
	--results) results=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	*) echo "usage: $0 [--results FILE] [--tree DIR]" >&2; exit 2 ;;
	esac
done
fails=0
result() {	# PASS|FAIL|SKIP name [detail]
	line="$1 pkg/$2${3:+ ($3)}"
	echo "$line"
	[ -z "$results" ] || echo "$line" >> "$results"
	[ "$1" != FAIL ] || fails=$((fails + 1))
}

if [ "$(id -u)" != 0 ] || ! command -v dkms > /dev/null; then
	result SKIP dkms-host "needs root and dkms"
	exit 0
fi
[ -n "$tree" ] || tree=$top
ver=$(sed -n '1{s/[[:space:]]//g;p;q}' "$tree/VERSION")
if [ -e "/var/lib/dkms/zufs/$ver" ] || [ -e "/usr/src/zufs-$ver" ]; then
	result SKIP dkms-host "zufs/$ver already registered here (package installed?)"
	exit 0
fi

stage=$top/build/pkg/dkms/zufs-$ver
rm -rf "$stage"
"$top/packaging/stage-dkms.sh" "$stage" "$tree"
log=$top/build/pkg/dkms/log
: > "$log"
cleanup() {
	dkms remove "zufs/$ver" --all >> "$log" 2>&1 || true
	rm -rf "/usr/src/zufs-$ver"
}
trap cleanup EXIT

# The version comes from VERSION through the computed line of dkms.conf.
if dkms add "$stage" >> "$log" 2>&1 && dkms status zufs | grep -q "^zufs/$ver"; then
	result PASS dkms-add "zufs/$ver"
else
	result FAIL dkms-add "see $log"
	exit 1
fi

kernels=$("$top/scripts/kernels.sh" --headers)
for line in 6.1 6.12; do
	ks=$(echo "$kernels" | grep -E "^$(echo "$line" | sed 's/\./\\./')\\.[0-9]" || true)
	if [ -z "$ks" ]; then
		result SKIP "dkms-build-$line" "no $line kernel headers installed"
		continue
	fi
	for k in $ks; do
		t0=$(date +%s)
		if dkms build "zufs/$ver" -k "$k" >> "$log" 2>&1; then
			ko=/var/lib/dkms/zufs/$ver/$k/x86_64/module/zuf.ko
			[ -f "$ko" ] || ko=$(find "/var/lib/dkms/zufs/$ver/$k" -path "*/module/zuf.ko*" 2>/dev/null | head -n 1)
			vm=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
			mv=$(modinfo -F version "$ko" 2>/dev/null)
			if [ "$vm" = "$k" ] && [ "$mv" = "$ver" ]; then
				result PASS "dkms-build-$k" "$(( $(date +%s) - t0 ))s"
			else
				result FAIL "dkms-build-$k" "vermagic '$vm' version '$mv'"
			fi
		else
			result FAIL "dkms-build-$k" "see $log"
		fi
	done
done

# An unsupported kernel line: skipped with exit 77 and the BUILD_EXCLUSIVE
# notice, before any headers are looked at.
rc=0
out=$(dkms build "zufs/$ver" -k 5.10.0-99-amd64 2>&1) || rc=$?
echo "$out" >> "$log"
if [ $rc = 77 ] && echo "$out" | grep -q BUILD_EXCLUSIVE; then
	result PASS dkms-exclusive "5.10 refused with exit 77"
else
	result FAIL dkms-exclusive "exit $rc: $out"
fi

trap - EXIT
if dkms remove "zufs/$ver" --all >> "$log" 2>&1 && [ ! -e "/var/lib/dkms/zufs/$ver" ] &&
   ! ls /lib/modules/*/updates/dkms/zuf.ko* > /dev/null 2>&1; then
	result PASS dkms-remove
else
	result FAIL dkms-remove "see $log"
fi
rm -rf "/usr/src/zufs-$ver"
[ $fails = 0 ]

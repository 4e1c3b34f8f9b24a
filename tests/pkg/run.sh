#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# All package tests (make pkg-check), one PASS/FAIL/SKIP line per check:
#   pkg/dkms-*      dkms add/build/remove on the host (tests/pkg/dkms-check.sh)
#   pkg/deb-build   .debs + lintian (packaging/deb/build.sh)
#   pkg/rpm-build   .rpms + rpmlint (packaging/rpm/build.sh)
#   pkg/compare-*   deb vs rpm (packaging/compare.sh)
#   pkg/<step>      the VM test (tests/pkg/e2e.sh, with tests/pkg/ansible-check.sh)
# The tree packaged is this one where src/ and zus/ build, the stand-ins of
# tests/pkg/stub otherwise (tests/pkg/make-tree.sh --auto; the lines say so).
#
#   tests/pkg/run.sh [--results FILE] [--no-vm]
set -uo pipefail
here=${PKG_SELF_DIR:-$(cd "$(dirname "$0")" && pwd)}
# bash reads a script as it runs it: run a copy, so that editing this file
# during a (long) run does not derail the run.
if [ -z "${PKG_SELF_COPY:-}" ]; then
	copy=$(mktemp "${TMPDIR:-/tmp}/zufs-pkg-run.XXXXXX")
	cp "$0" "$copy"
	PKG_SELF_COPY=$copy PKG_SELF_DIR=$here bash "$copy" "$@"
	rc=$?
	rm -f "$copy"
	exit $rc
fi
unset PKG_SELF_COPY PKG_SELF_DIR
top=$(cd "$here/../.." && pwd)
results=$top/build/pkg/results.txt
vm=1
while [ $# -gt 0 ]; do
	case "$1" in
	--results) results=$2; shift 2 ;;
	--no-vm) vm=0; shift ;;
	*) echo "usage: $0 [--results FILE] [--no-vm]" >&2; exit 2 ;;
	esac
done
mkdir -p "$top/build/pkg" "$(dirname "$results")"
mine=$top/build/pkg/results.run
: > "$mine"
rc=0
result() {
	local line="$1 pkg/$2${3:+ ($3)}"
	echo "$line"
	echo "$line" >> "$mine"
	[ "$1" != FAIL ] || rc=1
}

tree=$top/build/pkg/tree
"$here/make-tree.sh" "$tree" --auto || { result FAIL tree "make-tree failed"; exit 1; }
stubs=$(tr '\n' ' ' < "$tree/.stubs" | sed 's/ $//')
note=${stubs:+stand-in $stubs}

"$here/dkms-check.sh" --tree "$tree" --results "$mine" || rc=1

t=$SECONDS
if "$top/packaging/deb/build.sh" --tree "$tree" > "$top/build/pkg/deb-build.log" 2>&1; then
	result PASS deb-build "$((SECONDS - t))s, $(grep '^deb: lintian:' "$top/build/pkg/deb-build.log" | sed 's/^deb: //')${note:+, $note}"
else
	tail -n 20 "$top/build/pkg/deb-build.log"
	result FAIL deb-build "see build/pkg/deb-build.log"
fi
t=$SECONDS
if "$top/packaging/rpm/build.sh" --tree "$tree" > "$top/build/pkg/rpm-build.log" 2>&1; then
	result PASS rpm-build "$((SECONDS - t))s, rpmlint: $(grep 'packages and .* specfiles checked' "$top/build/pkg/rpm-build.log" | sed 's/.*checked; //; s/; has taken.*//')${note:+, $note}"
else
	tail -n 20 "$top/build/pkg/rpm-build.log"
	result FAIL rpm-build "see build/pkg/rpm-build.log"
fi
"$top/packaging/compare.sh" --results "$mine" || rc=1

if [ $vm = 1 ]; then
	"$here/e2e.sh" --results "$mine" || rc=1
fi

cat "$mine" >> "$results"
echo "pkg: $(grep -c '^PASS' "$mine") passed, $(grep -c '^FAIL' "$mine") failed, $(grep -c '^SKIP' "$mine") skipped"
exit $rc

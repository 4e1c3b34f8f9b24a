#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# All package tests (make pkg-check), one PASS/FAIL/SKIP line per check:
#   pkg/dkms-*      dkms add/build/remove on the host (tests/pkg/dkms-check.sh)
#   pkg/deb-build   .debs + lintian (packaging/deb/build.sh)
#   pkg/rpm-build   .rpms + rpmlint (packaging/rpm/build.sh)
#   pkg/compare-*   deb vs rpm (packaging/compare.sh)
#   pkg/<step>      the VM test (tests/pkg/e2e.sh, with tests/pkg/ansible-check.sh),
#                   on the .debs of pkg/deb-build
# Each line says how long its stage took; the last line is
#   pkg: N passed, N failed, N skipped
#
#   tests/pkg/run.sh [--results FILE] [--no-vm] [--no-upgrade] [--no-ansible]
# --no-upgrade, --no-ansible: the VM test without its upgrade step, without
# the Ansible role (make check: the install, reboot, 6.12 kernel, reboot
# and purge steps only).
# PKG_VM_WRAP=CMD: run the VM test as CMD tests/pkg/e2e.sh ... (a wrapper
# that limits concurrent guests on a shared machine).
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
e2e_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--results) results=$2; shift 2 ;;
	--no-vm) vm=0; shift ;;
	--no-upgrade|--no-ansible) e2e_args+=("$1"); shift ;;
	*) echo "usage: $0 [--results FILE] [--no-vm] [--no-upgrade] [--no-ansible]" >&2; exit 2 ;;
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

T0=$SECONDS
stage() { echo "pkg: stage $1 took $((SECONDS - $2))s"; }

# The guest image of the VM test (cached under build/pkg/, keyed by its
# recipe) is built, when missing, beside the host stages: it waits mostly
# on the network and dpkg. e2e.sh takes it, waiting for the build's lock.
image_pid=""
if [ $vm = 1 ] && [ "$(id -u)" = 0 ] && command -v mmdebstrap > /dev/null; then
	# shellcheck source=tests/pkg/vm-lib.sh
	( . "$here/vm-lib.sh" && pkg_image ) > "$top/build/pkg/image.log" 2>&1 &
	image_pid=$!
fi

t=$SECONDS
"$here/dkms-check.sh" --results "$mine" || rc=1
stage dkms $t

# The .debs: built once, linted, compared with the rpms and installed in the VM.
debs=$top/build/pkg/debs
t=$SECONDS
if "$top/packaging/deb/build.sh" --out "$debs" > "$top/build/pkg/deb-build.log" 2>&1; then
	result PASS deb-build "$((SECONDS - t))s, $(grep '^deb: lintian:' "$top/build/pkg/deb-build.log" | sed 's/^deb: //')"
else
	tail -n 20 "$top/build/pkg/deb-build.log"
	result FAIL deb-build "see build/pkg/deb-build.log"
	debs=""
fi
t=$SECONDS
if "$top/packaging/rpm/build.sh" > "$top/build/pkg/rpm-build.log" 2>&1; then
	result PASS rpm-build "$((SECONDS - t))s, rpmlint: $(grep 'packages and .* specfiles checked' "$top/build/pkg/rpm-build.log" | sed 's/.*checked; //; s/; has taken.*//')"
else
	tail -n 20 "$top/build/pkg/rpm-build.log"
	result FAIL rpm-build "see build/pkg/rpm-build.log"
fi
t=$SECONDS
if [ -n "$debs" ]; then
	"$top/packaging/compare.sh" --deb "$debs" --results "$mine" || rc=1
else
	result SKIP compare "no .debs"
fi
stage compare $t

if [ $vm = 1 ]; then
	t=$SECONDS
	if [ -n "$image_pid" ]; then
		wait "$image_pid" || echo "pkg: the guest image build failed (build/pkg/image.log); e2e.sh tries again"
		grep -h 'guest image ready' "$top/build/pkg/image.log" || true
		stage image-wait $t
		t=$SECONDS
	fi
	if [ -n "$debs" ]; then
		# shellcheck disable=SC2086
		${PKG_VM_WRAP:-} "$here/e2e.sh" "${e2e_args[@]}" --debs "$debs" --results "$mine" || rc=1
	else
		result FAIL e2e "no .debs to install"
	fi
	stage e2e $t
fi
echo "pkg: all stages took $((SECONDS - T0))s"

cat "$mine" >> "$results"
echo "pkg: $(grep -c '^PASS' "$mine") passed, $(grep -c '^FAIL' "$mine") failed, $(grep -c '^SKIP' "$mine") skipped"
exit $rc

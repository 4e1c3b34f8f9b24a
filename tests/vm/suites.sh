#!/bin/bash
# Every VM suite on one kernel line, one suite after another (QEMU locks
# the line's pmem file), then the harness self-test.
#   tests/vm/suites.sh 6.1|6.12 [SUITE...]
# A suite directory may hold a file `vm.args` with extra run.sh arguments
# (e.g. --fresh-pmem, --timeout 900).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
line=${1:?usage: suites.sh LINE [SUITE...]}
shift
if [ $# -gt 0 ]; then
	suites=("$@")
else
	suites=()
	for d in "$HERE"/suites/*/; do suites+=("$(basename "$d")"); done
fi
rc=0
for s in "${suites[@]}"; do
	dir=$HERE/suites/$s
	args=()
	[ -f "$dir/vm.args" ] && read -r -a args <"$dir/vm.args"
	"$HERE/run.sh" --kver "$line" --suite "$dir" "${args[@]}" || rc=1
done
"$HERE/selftest.sh" --kver "$line" || rc=1
exit $rc

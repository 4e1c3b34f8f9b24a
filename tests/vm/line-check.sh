#!/bin/bash
# What make check runs on one kernel line, one VM at a time: every suite
# and the harness self-test (suites.sh), then the crash test with data.
# make check runs the two lines side by side (one VM each).
#   tests/vm/line-check.sh LINE [CRASH-CYCLES]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
line=${1:?usage: line-check.sh LINE [CRASH-CYCLES]}
cycles=${2:-20}
rc=0
"$HERE/suites.sh" "$line" || rc=1
"$HERE/crash.sh" --kver "$line" --cycles "$cycles" --data || rc=1
exit $rc

#!/bin/bash
# make demo: boot the newest supported kernel in QEMU with an emulated
# NVDIMM, run tests/vm/demo/ there and print what it did, step by step.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$HERE/../.." && pwd)
line=$("$top/scripts/kernels.sh" --image | tail -n 1 | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
[ -n "$line" ] || { echo "demo: no supported kernel installed (make deps)" >&2; exit 1; }
echo "ZUFS demo: booting Linux $("$top/scripts/kernels.sh" "$line" --image) under QEMU (TCG) with a 1 GiB NVDIMM..."
"$HERE/run.sh" --kver "$line" --suite "$HERE/demo" --name demo --timeout 900 >"$top/build/demo-run.txt" 2>&1
rc=$?
log=$top/build/vm/logs/$line-demo.log
# The demo's own output, without the harness' test prefix.
tr -d '\r' <"$log" | sed -n 's/^\[10-demo\] \{0,1\}//p'
echo
cat "$top/build/demo-run.txt" | grep -E '^(PASS|FAIL|SKIP) '
if [ $rc -ne 0 ]; then
	echo "demo: FAILED (console log: $log)"
	tail -n 40 "$top/build/demo-run.txt"
	exit 1
fi
echo "demo: OK (console log: $log)"

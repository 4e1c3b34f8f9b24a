#!/bin/bash
# Run test stages, count their results, print one closing line:
#   N passed, N failed[, N skipped]
#
#   scripts/check.sh STAGE-NAME -- COMMAND... [ ;; STAGE-NAME -- COMMAND... ]
#
# A stage's count comes from its own closing "N passed, N failed" line if
# it prints one, else from its "PASS x" / "FAIL x" / "SKIP x" lines. A stage
# that exits non-zero without reporting a failure counts as one failure.
# Every stage runs even when an earlier one failed; logs: build/logs/.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
logdir="$top/build/logs"
mkdir -p "$logdir"

total_p=0 total_f=0 total_s=0
failed_stages=()

run_stage() {
	local name=$1; shift
	local log="$logdir/check-$name.log"
	local rc p f s line
	echo "=== $name: $*"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^([A-Za-z_-]+: )?[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1 || true)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^([A-Za-z_-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
		f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
		s=$(sed -nE 's/.* ([0-9]+) skipped$/\1/p' <<<"$line")
		s=${s:-0}
	else
		p=$(grep -cE '^PASS ' "$log" || true)
		f=$(grep -cE '^FAIL ' "$log" || true)
		s=$(grep -cE '^SKIP ' "$log" || true)
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name (exit status $rc)"
		f=1
	fi
	[ "$f" -ne 0 ] && failed_stages+=("$name")
	echo "=== $name: $p passed, $f failed, $s skipped"
	total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
}

while [ $# -gt 0 ]; do
	name=$1; shift
	[ "${1:-}" = "--" ] && shift
	cmd=()
	while [ $# -gt 0 ] && [ "$1" != ";;" ]; do cmd+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	run_stage "$name" "${cmd[@]}"
done

if [ ${#failed_stages[@]} -gt 0 ]; then
	# A digest close to the last line: CI shows only the end of the log.
	echo "---- failure digest (full logs: build/logs/check-<stage>.log)"
	for st in "${failed_stages[@]}"; do
		grep -E 'FAIL|not ok|BUG|WARNING|Oops|error:|did not complete' \
			"$logdir/check-$st.log" | grep -v '^=== ' | cut -c1-200 |
			awk '!seen[$0]++' | head -n 20 | sed "s/^/$st: /"
	done
	echo "failed stages: ${failed_stages[*]}"
fi
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]

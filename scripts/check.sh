#!/bin/bash
# Run test stages, count their results, print one closing line:
#   N passed, N failed[, N skipped]
#
#   scripts/check.sh STAGE-NAME -- COMMAND... [ ;; STAGE-NAME -- COMMAND... ]
#
# A stage whose name ends in '&' runs in the background, beside the stages
# after it (the package test and the two kernel lines' VM stages); the
# output of every background stage is printed, and counted, at the end,
# in the order the stages were started.
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

# count_stage NAME RC: add the stage's results (from its log) to the totals.
count_stage() {
	local name=$1 rc=$2 log="$logdir/check-$1.log" p f s line
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
		echo "FAIL $name (exit status $rc)" | tee -a "$log"
		f=1
	fi
	[ "$f" -ne 0 ] && failed_stages+=("$name")
	echo "=== $name: $p passed, $f failed, $s skipped ($(elapsed "$name"))"
	total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
}

declare -A started
elapsed() {
	local t=$((SECONDS - ${started[$1]})) f="$logdir/.check-$1.secs"
	[ -f "$f" ] && t=$(cat "$f") && rm -f "$f"
	printf '%dm%02ds' $((t / 60)) $((t % 60))
}

run_stage() {
	local name=$1; shift
	started[$name]=$SECONDS
	echo "=== $name: $*"
	"$@" 2>&1 | tee "$logdir/check-$name.log"
	count_stage "$name" "${PIPESTATUS[0]}"
}

bg_names=() bg_pids=()
start_bg_stage() {
	local name=$1; shift
	started[$name]=$SECONDS
	echo "=== $name: $* (in the background: output when it ends)"
	rm -f "$logdir/.check-$name.secs"
	{
		local t0=$SECONDS rc
		"$@"
		rc=$?
		echo $((SECONDS - t0)) >"$logdir/.check-$name.secs"
		exit $rc
	} >"$logdir/check-$name.log" 2>&1 &
	bg_names+=("$name")
	bg_pids+=($!)
}

join_bg_stages() {
	local i rc
	for i in "${!bg_pids[@]}"; do
		wait "${bg_pids[$i]}"
		rc=$?
		echo "=== ${bg_names[$i]} (ran in the background):"
		cat "$logdir/check-${bg_names[$i]}.log"
		count_stage "${bg_names[$i]}" "$rc"
	done
}

while [ $# -gt 0 ]; do
	name=$1; shift
	[ "${1:-}" = "--" ] && shift
	cmd=()
	while [ $# -gt 0 ] && [ "$1" != ";;" ]; do cmd+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	if [ "${name%&}" != "$name" ]; then
		start_bg_stage "${name%&}" "${cmd[@]}"
	else
		run_stage "$name" "${cmd[@]}"
	fi
done
join_bg_stages

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

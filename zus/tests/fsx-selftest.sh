#!/bin/sh
# fsx-selftest.sh ZUFS_FSX DIR: host self-test of the data verifier on the
# build host's filesystem (what it does not support is left out with -A):
# a clean run must pass, and a run whose model is corrupted on purpose
# (-X) must fail and name the differing byte.
fsx=$1 dir=$2
passed=0 failed=0
f=$dir/fsx-selftest.$$
if "$fsx" -A -N 20000 -S 11 -c 5000 "$f" >"$f.out" 2>&1; then
	echo "PASS fsx/host-run"; passed=$((passed + 1))
else
	echo "FAIL fsx/host-run"; cat "$f.out"; failed=$((failed + 1))
fi
if "$fsx" -A -N 3000 -S 11 -k 50 -X 1000 "$f" >"$f.out" 2>&1; then
	echo "FAIL fsx/catches-corruption (a corrupted model passed)"
	failed=$((failed + 1))
elif grep -q "FAIL at operation .*byte 0x" "$f.out"; then
	echo "PASS fsx/catches-corruption"; passed=$((passed + 1))
else
	echo "FAIL fsx/catches-corruption (no byte named)"; cat "$f.out"
	failed=$((failed + 1))
fi
rm -f "$f" "$f.out"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

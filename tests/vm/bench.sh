#!/bin/bash
# Benchmarks in the VM, every supported kernel line, one VM run each.
#   tests/vm/bench.sh roundtrip [LINE...]
# Results: a table on stdout and build/bench/<bench>-<line>.csv.
# A benchmark reports numbers; it never fails on a time.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$HERE/../.." && pwd)
bench=${1:?usage: bench.sh roundtrip [LINE...]}
shift
lines=("$@")
[ ${#lines[@]} -gt 0 ] || lines=(6.1 6.12)
out=$top/build/bench
suite=$out/suite-$bench
rm -rf "$suite"
mkdir -p "$suite"
cp "$HERE/bench/$bench" "$suite/10-$bench"
cp "$HERE/suites/transport/zus-lib.sh" "$suite/"
rc=0
for line in "${lines[@]}"; do
	"$HERE/run.sh" --kver "$line" --suite "$suite" --name "bench-$bench" \
		--pmem "$out/pmem-$line.img" --timeout 900 >"$out/$bench-$line.run" 2>&1 || {
		echo "bench: $bench on $line failed; see $out/$bench-$line.run"
		tail -n 30 "$out/$bench-$line.run"
		rc=1
		continue
	}
	csv=$out/$bench-$line.csv
	tr -d '\r' <"$top/build/vm/logs/$line-bench-$bench.log" |
		sed -n "s/^\(\[10-$bench\] \)\{0,1\}CSV //p" >"$csv"
	echo "== $bench on Linux $line (QEMU TCG; medians and p99 in ns) =="
	python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
hdr, data = rows[0], {r[0]: r for r in rows[1:]}
med = {k: int(v[2]) for k, v in data.items()}
print(f"{'operation':<14}{'iterations':>11}{'median':>10}{'p99':>10}{'vs fuse':>9}")
for k, r in data.items():
    ratio = med[k] / med['fuse-stat'] if med.get('fuse-stat') else float('nan')
    print(f"{k:<14}{r[1]:>11}{r[2]:>10}{r[3]:>10}{ratio:>9.2f}")
if 'zufs-noop' in med and 'fuse-stat' in med:
    print(f"ZUFS round trip / FUSE round trip (median): {med['zufs-noop']/med['fuse-stat']:.2f} (goal <= 0.50)")
PY
	echo "csv: $csv"
done
exit $rc

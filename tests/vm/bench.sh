#!/bin/bash
# Benchmarks in the VM, every supported kernel line, one VM run each.
#   tests/vm/bench.sh roundtrip|io|NAME [LINE...]   (NAME: tests/vm/bench/NAME)
# Results: a table on stdout and build/bench/<bench>-<line>.csv.
# A benchmark reports numbers; it never fails on a time.
# io: BENCH_RUNTIME (seconds per run, default 3), BENCH_ROUNDS (runs of
# each workload, default 3; the table shows their median) and BENCH_SIZE
# (file per job, default 256m) are passed to the guest.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$HERE/../.." && pwd)
bench=${1:?usage: bench.sh roundtrip|io|NAME [LINE...]}
shift
lines=("$@")
[ ${#lines[@]} -gt 0 ] || lines=(6.1 6.12)
out=$top/build/bench
suite=$out/suite-$bench
rm -rf "$suite"
[ -f "$HERE/bench/$bench" ] || { echo "bench.sh: no tests/vm/bench/$bench" >&2; exit 2; }
mkdir -p "$suite"
cp "$HERE/bench/$bench" "$suite/10-$bench"
timeout=900
case $bench in
roundtrip) cp "$HERE/suites/transport/zus-lib.sh" "$suite/" ;;
io)
	cp "$HERE/suites/namespace/ns-lib.sh" "$suite/"
	printf 'BENCH_RUNTIME=%q\nBENCH_ROUNDS=%q\nBENCH_SIZE=%q\n' \
		"${BENCH_RUNTIME:-3}" "${BENCH_ROUNDS:-3}" "${BENCH_SIZE:-256m}" \
		>"$suite/bench.env"
	timeout=1800
	;;
*)
	cp "$HERE/suites/namespace/ns-lib.sh" "$HERE/suites/transport/zus-lib.sh" "$suite/"
	;;
esac

# table_generic CSV LINE: the CSV as columns.
# shellcheck disable=SC2317
table_generic() {
	echo "== $bench on Linux $2 (QEMU TCG) =="
	column -s, -t <"$1"
}

# table_roundtrip CSV LINE (called as table_$bench)
# shellcheck disable=SC2317
table_roundtrip() {
	echo "== roundtrip on Linux $2 (QEMU TCG; medians and p99 in ns) =="
	python3 - "$1" <<'PY'
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
}

# table_io CSV LINE
# shellcheck disable=SC2317
table_io() {
	echo "== io on Linux $2 (QEMU TCG; fio psync; MiB/s, IOPS, completion latency p50/p99 in us; median of the rounds) =="
	python3 - "$1" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
fss = []
runs = {}
for r in rows:
    if r["fs"] not in fss:
        fss.append(r["fs"])
    runs.setdefault((r["workload"], r["jobs"], r["fs"]), []).append(r)
# each number: its median over the rounds (a CSV without rounds has one)
res = {k: {f: statistics.median(float(x[f]) for x in v)
           for f in ("kib_s", "iops", "p50_us", "p99_us")}
       for k, v in runs.items()}
print(f"rounds per workload: {max(len(v) for v in runs.values())}")
peers = [f for f in fss if f != "zufs"]
order = ["seqwrite", "seqread", "randwrite", "randread"]
keys = sorted({(w, j) for w, j, _ in res}, key=lambda k: (k[1], order.index(k[0]) if k[0] in order else 9))
print(f"{'workload':<10}{'jobs':>5}  " + "".join(f"{f:>34}" for f in fss) +
      "".join(f"{'zufs/' + p:>15}" for p in peers))
print(f"{'':<17}" + "".join(f"{'MiB/s':>9}{'IOPS':>9}{'p50':>8}{'p99':>8}" for f in fss))
for w, j in keys:
    line = f"{w:<10}{j:>5}  "
    for f in fss:
        r = res.get((w, j, f))
        line += (f"{int(r['kib_s']) / 1024:>9.1f}{int(r['iops']):>9}{float(r['p50_us']):>8.0f}{float(r['p99_us']):>8.0f}"
                 if r else f"{'-':>34}")
    z = res.get((w, j, "zufs"))
    for p in peers:
        r = res.get((w, j, p))
        line += (f"{int(z['kib_s']) / int(r['kib_s']):>15.2f}" if z and r and int(r["kib_s"]) else f"{'-':>15}")
    print(line)
if "ext4-dax" in fss:
    def ratio(w):
        v = [int(res[(w, j, "zufs")]["kib_s"]) / max(1, int(res[(w, j, "ext4-dax")]["kib_s"]))
             for j in ("1", "2") if (w, j, "zufs") in res and (w, j, "ext4-dax") in res]
        return min(v) if v else float("nan")
    print("ZUFS / ext4-dax, worst of 1 and 2 jobs: "
          f"4 KiB random read {ratio('randread'):.2f}, write {ratio('randwrite'):.2f} (goal >= 0.70); "
          f"1 MiB sequential read {ratio('seqread'):.2f}, write {ratio('seqwrite'):.2f} (goal >= 0.90)")
PY
}

# The emulated NVDIMM's backing file, fresh for every run, in memory when
# there is room (BENCH_PMEM_DIR, default /dev/shm): on a disk filesystem
# the host writes the dirty pages of the guest's pmem back every few
# seconds and write-protects them, and the next guest store to each page
# takes a host page fault; that noise fell on whichever filesystem ran
# at the time.
pmemdir=${BENCH_PMEM_DIR:-/dev/shm}
if [ ! -d "$pmemdir" ] || [ ! -w "$pmemdir" ] ||
   [ "$(df -k --output=avail "$pmemdir" | tail -n 1)" -lt $((3 * 1024 * 1024)) ]; then
	echo "bench: $pmemdir missing or less than 3 GiB free: pmem backed by $out" >&2
	pmemdir=$out
fi
rc=0
for line in "${lines[@]}"; do
	pmem=$pmemdir/pmem-bench-$line.img
	"$HERE/run.sh" --kver "$line" --suite "$suite" --name "bench-$bench" \
		--pmem "$pmem" --fresh-pmem --timeout $timeout >"$out/$bench-$line.run" 2>&1
	st=$?
	rm -f "$pmem" "$pmem.lock" "$pmemdir/slow-bench-$line.img"
	if [ $st != 0 ]; then
		echo "bench: $bench on $line failed; see $out/$bench-$line.run"
		tail -n 30 "$out/$bench-$line.run"
		rc=1
		continue
	fi
	csv=$out/$bench-$line.csv
	tr -d '\r' <"${VM_BUILD:-$top/build/vm}/logs/$line-bench-$bench.log" |
		sed -n "s/^\(\[10-$bench\] \)\{0,1\}CSV //p" >"$csv"
	if declare -F "table_$bench" >/dev/null; then
		"table_$bench" "$csv" "$line"
	else
		table_generic "$csv" "$line"
	fi
	echo "csv: $csv"
done
exit $rc

#!/bin/bash
# tests/vm/fsx-long.sh --kver 6.1|6.12 [--ops N]: the data verifier test
# (tests/vm/suites/data/60-fsx) alone, with N operations (default
# 2,000,000) instead of the 200,000 of make check. `make fsx-long`.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
kver="" ops=2000000
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kver=$2; shift ;;
	--ops) ops=$2; shift ;;
	*) echo "usage: fsx-long.sh --kver 6.1|6.12 [--ops N]" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$kver" ] || { echo "usage: fsx-long.sh --kver 6.1|6.12 [--ops N]" >&2; exit 2; }
suite=$HERE/../../build/vm/fsx-long-suite
rm -rf "$suite" && mkdir -p "$suite" || exit 2
cp "$HERE/suites/data/60-fsx" "$HERE/suites/data/vm.include" "$suite/" || exit 2
echo "FSX_OPS=$ops" >"$suite/fsx.env"
# about 1 ms per operation under TCG, and generous
timeout=$((ops / 500 + 600))
exec "$HERE/run.sh" --kver "$kver" --suite "$suite" --name fsx-long \
	--pmem "$HERE/../../build/vm/pmem-$kver-fsx-long.img" --fresh-pmem \
	--timeout "$timeout"

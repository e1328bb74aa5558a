#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--quick]   (run by `make bench [QUICK=1]`)
#
# Boots one 6.12 guest without slab debugging (run-vm.sh --no-slab-debug,
# BENCH_MEM of memory, default 4G, at most 16G), runs build/bench/cka_bench
# in it against the module built from this tree, and keeps what it wrote:
#   build/bench/bench-<stamp>.json  table-<stamp>.txt  (and latest.*)
#   build/bench/vm/                 the guest's results directory
# Method: Documentation/bench.rst.
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
quick=0
[ "${1:-}" = --quick ] && quick=1
mem=${BENCH_MEM:-4G}
timeout=${BENCH_TIMEOUT:-$([ $quick = 1 ] && echo 400 || echo 7200)}
out=$src/build/bench
stamp=$(date +%Y%m%d-%H%M%S)
label="module $(git -C "$src" log -1 --format=%h -- module uapi Kbuild 2>/dev/null), tree $(git -C "$src" describe --always --dirty 2>/dev/null)"

args=(--json /run/cka/bench.json --label "$label")
[ $quick = 1 ] && args+=(--quick --ktap)
[ -n "${BENCH_ARGS:-}" ] && read -r -a extra <<<"$BENCH_ARGS" && args+=("${extra[@]}")

rm -rf "$out/vm"
mkdir -p "$out"
echo "bench: $label; guest 6.12, $mem, no slab debugging; $([ $quick = 1 ] && echo quick || echo full) run" >&2
"$src/selftests/vm/run-vm.sh" --no-slab-debug --mem "$mem" --results "$out/vm" \
	--timeout "$timeout" 6.12 build/bench/cka_bench "${args[@]}" >/dev/null
rc=$?
if [ -f "$out/vm/bench.json" ]; then
	cp "$out/vm/bench.json" "$out/bench-$stamp.json"
	ln -sf "bench-$stamp.json" "$out/latest.json"
fi
if [ -f "$out/vm/output" ]; then
	# the table: from its header line to the end of the output
	awk '/^(# )?row +measure/ { on = 1 } on' "$out/vm/output" >"$out/table-$stamp.txt"
	ln -sf "table-$stamp.txt" "$out/latest.txt"
	cat "$out/table-$stamp.txt"
fi
echo "bench: exit $rc; $out/bench-$stamp.json, $out/table-$stamp.txt" >&2
exit $rc

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The output of show (text, -j, -p) for bench-print's made-up dumps, held
# to the sha256 sums in bench-print.sha256: printing must not change by
# accident. Host only (no module, no guest).
#
#   bench-print-check.sh            compare (exit 1 and name what differs)
#   bench-print-check.sh --record   write bench-print.sha256 anew
#
# BENCH_PRINT: the harness (default: ./bench-print beside this script,
# built by `make bench-print`).
set -u
dir=$(cd "$(dirname "$0")" && pwd)
bp=${BENCH_PRINT:-$dir/bench-print}
sums=$dir/bench-print.sha256
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# name|bench-print options|CLI arguments
cases='sess-1|-n 1500 -s 1|session show
sess-1-j|-n 1500 -s 1|-j session show
sess-1-p|-n 300 -s 1|-p session show
sess-2-o|-n 1500 -s 2 -o|session show
sess-2-o-j|-n 1500 -s 2 -o|-j session show
sess-2-o-p|-n 300 -s 2 -o|-p session show
sess-3-o|-n 1500 -s 3 -o|session show
sess-3-o-j|-n 1500 -s 3 -o|-j session show
ctx-1-o|-n 200 -s 1 -o|context show
ctx-1-o-j|-n 200 -s 1 -o|-j context show
ctx-1-o-p|-n 50 -s 1 -o|-p context show
intr|-n 1000 -s 9 -x -o|session show
intr-j|-n 1000 -s 9 -x -o|-j session show
one|-n 1 -s 4|session show
one-j|-n 1 -s 4|-j session show'

echo "$cases" | while IFS='|' read -r name opts args; do
	# shellcheck disable=SC2086
	"$bp" $opts -- $args >"$tmp/out" 2>"$tmp/err" ||
		{ echo "$name: bench-print failed:"; cat "$tmp/err"; exit 1; }
	echo "$(sha256sum <"$tmp/out" | cut -d' ' -f1)  $name"
done >"$tmp/got" || { cat "$tmp/got"; exit 1; }

if [ "${1:-}" = --record ]; then
	cp "$tmp/got" "$sums"
	echo "recorded $(wc -l <"$sums") sums in $sums"
	exit 0
fi
if ! diff -u "$sums" "$tmp/got" >"$tmp/diff"; then
	echo "show's output changed (- recorded, + now):"
	cat "$tmp/diff"
	exit 1
fi
echo "$(wc -l <"$sums") outputs as recorded"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scan-dmesg.sh RESULTS_DIR
#
# Look for kernel trouble that appeared after the guest runner's baseline
# marker. Source: RESULTS_DIR/dmesg when the guest got that far, else the
# serial console (a panic stops the guest before it can save dmesg).
# Prints one line per kind of problem:  <what>|<source>|<first matching line>
# and exits 1 if there was any, 0 if the log is clean.

dir=${1:?usage: scan-dmesg.sh RESULTS_DIR}
marker='cka-guest: ---- baseline: test starts ----'

if [ -s "$dir/dmesg" ]; then
	src=dmesg
else
	src=console.log
fi
[ -f "$dir/$src" ] || exit 0

awk -v marker="$marker" -v src="$src" '
BEGIN {
	# label, regex; checked in order, first match per line wins
	n = 0
	k[++n] = "Kernel panic";        r[n] = "Kernel panic"
	k[++n] = "kernel BUG";          r[n] = "kernel BUG|BUG: |BUG [a-z]"
	k[++n] = "kernel WARNING";      r[n] = "WARNING:"
	k[++n] = "Oops";                r[n] = "Oops"
	k[++n] = "general protection";  r[n] = "general protection"
	k[++n] = "KASAN";               r[n] = "KASAN"
	k[++n] = "KFENCE";              r[n] = "KFENCE"
	k[++n] = "UBSAN";               r[n] = "UBSAN"
	k[++n] = "kmemleak";            r[n] = "suspected memory leak|unreferenced object"
	k[++n] = "slab corruption";     r[n] = "Redzone|Poison overwritten|Object padding|INFO: Slab|Slab corruption|Freepointer corrupt"
	k[++n] = "hung task";           r[n] = "blocked for more than"
	k[++n] = "RCU stall";           r[n] = "detected stalls? on CPU|self-detected stall"
	k[++n] = "netdev refcount leak"; r[n] = "unregister_netdevice: waiting for"
	k[++n] = "ref_tracker";         r[n] = "ref_tracker: .*leaked"
	k[++n] = "Call Trace";          r[n] = "Call Trace"
}
# Keep only what follows the (last) marker; without a marker (the guest
# died before the test started) everything is scanned.
index($0, marker) { nl = 0; next }
{ lines[++nl] = $0 }
END {
	for (i = 1; i <= nl; i++) {
		line = lines[i]
		if (line ~ /cka-(guest|init):|[Cc]ommand line:/) continue
		for (j = 1; j <= n; j++) {
			if (line ~ r[j]) {
				cnt[j]++
				if (!(j in first)) first[j] = line
				break
			}
		}
	}
	bad = 0
	for (j = 1; j <= n; j++) {
		if (j in first) {
			sub(/\r$/, "", first[j])
			printf "%s|%s|%s (%d line%s)\n", k[j], src, first[j], cnt[j], (cnt[j] > 1 ? "s" : "")
			bad = 1
		}
	}
	exit bad
}
' "$dir/$src"

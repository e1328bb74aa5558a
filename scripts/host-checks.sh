#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# host-checks.sh [--out FILE] CHECK...
#
# Cheap host-side checks, reported as KTAP-ish lines ("ok host: ...",
# "not ok host: ..." followed by "# " diagnostics). Without --out they are
# printed numbered; with --out they go to FILE (unnumbered) for
# selftests/vm/run-suite.sh, which numbers and counts them with the VM
# results, and only progress is printed. Exit status 1 if any check failed.
#
# CHECKs:
#   build:KERNEL  W=1 build of the module for KERNEL (6.12, 6.1, a release,
#                 or debug) into build/mod-<release>; fails on any compiler
#                 or modpost warning
#   cli           make cli            selftests   make selftests
#   checkpatch    checkpatch.pl --strict on module/*.[ch] uapi/linux/*.h
#                 but module/netlink-gen.[ch] (see below)
#   ynl-gen       the files generated from the YAML spec (scripts/ynl-gen.sh)
#                 are what the spec gives now; fails on any difference
#   sparse        C=2 build for the default 6.12 kernel; fails on any warning
#   docs          kernel-doc -Wall -none on module/*.[ch] uapi/linux/*.h and a
#                 docutils parse (scripts/check-rst.py) of Documentation/*.rst
#                 and Documentation/netlink/*.rst; fails on any warning
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
make=${MAKE:-make}
out=
if [ "${1:-}" = --out ]; then
	out=$2
	shift 2
	mkdir -p "$(dirname "$out")"
	: >"$out"
fi

status=0 n=0
result() {	# result RC DESC [LOGFILE]
	local line
	if [ "$1" = 0 ]; then line="ok host: $2"; else line="not ok host: $2"; status=1; fi
	if [ -n "$out" ]; then
		echo "$line" >>"$out"
		echo "# host: $2: $([ "$1" = 0 ] && echo ok || echo FAILED)"
	else
		n=$((n + 1))
		echo "${line/host:/$n host:}"
	fi
	if [ "$1" != 0 ] && [ -n "${3:-}" ] && [ -s "$3" ]; then
		tail -n 60 "$3" | sed 's/^/# /' | if [ -n "$out" ]; then cat >>"$out"; else cat; fi
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for check in "$@"; do
	log=$tmp/log
	case $check in
	build:*)
		k=$("$src/scripts/kernels.sh" "${check#build:}" 2>"$log") || {
			result 1 "W=1 build ${check#build:}" "$log"; continue; }
		"$make" -s -C "$src" "build/mod-$k/coap_keepalive.ko" >"$log" 2>&1
		rc=$?
		w=$(cat "$src/build/mod-$k/warnings" 2>/dev/null || echo 0)
		if [ $rc = 0 ] && [ "$w" != 0 ]; then
			grep -E 'warning:|WARNING:|error:' "$src/build/mod-$k/build.log" >"$log"
			rc=1
		fi
		result $rc "W=1 build $k$([ "$w" != 0 ] && echo " ($w warnings)")" "$log"
		;;
	cli)
		"$make" -s -C "$src" cli >"$log" 2>&1
		result $? "build cli" "$log"
		;;
	selftests)
		"$make" -s -C "$src" selftests >"$log" 2>&1
		result $? "build selftests" "$log"
		;;
	checkpatch)
		cp=$src/build/ksrc/scripts/checkpatch.pl
		[ -f "$cp" ] || "$src/scripts/extract-ksrc.sh" >"$log" 2>&1
		# module/netlink-gen.[ch] are ynl-gen's output, never edited
		# (the ynl-gen check holds them to the spec): its policy lines
		# run past 100 columns. The generated uapi header is clean and
		# stays checked.
		(cd "$src" && perl "$cp" --strict --no-tree --no-summary --terse --showfile \
			-f $(ls module/*.[ch] | grep -v '^module/netlink-gen\.[ch]$') \
			uapi/linux/*.h) >"$log" 2>&1
		result $? "checkpatch" "$log"
		;;
	ynl-gen)
		"$src/scripts/ynl-gen.sh" --check >"$log" 2>&1
		result $? "generated files match the YAML spec (ynl-gen)" "$log"
		;;
	sparse)
		k=$("$src/scripts/kernels.sh" "${SPARSE_KERNEL:-6.12}" 2>"$log") || {
			result 1 "sparse" "$log"; continue; }
		command -v sparse >/dev/null || { echo "sparse not installed" >"$log"; result 1 "sparse" "$log"; continue; }
		"$src/scripts/build-module.sh" "$k" --dir "$src/build/sparse-$k" C=2 >/dev/null 2>&1
		rc=$?
		grep -E 'warning:|error:' "$src/build/sparse-$k/build.log" >"$log"
		[ -s "$log" ] && rc=1
		[ $rc != 0 ] && [ ! -s "$log" ] && tail -n 40 "$src/build/sparse-$k/build.log" >"$log"
		result $rc "sparse ($k)" "$log"
		;;
	docs)
		kd=$src/build/ksrc/scripts/kernel-doc
		[ -f "$kd" ] || "$src/scripts/extract-ksrc.sh" >"$log" 2>&1
		rc=0
		(cd "$src" && perl "$kd" -Wall -none module/*.[ch] uapi/linux/*.h) >"$log" 2>&1 || rc=1
		[ -s "$log" ] && rc=1
		(cd "$src" && python3 scripts/check-rst.py Documentation/*.rst \
			$(ls Documentation/netlink/*.rst 2>/dev/null)) >"$log.rst" 2>&1 || rc=1
		[ $rc = 0 ] || grep -v ': ok$' "$log.rst" >>"$log"
		result $rc "docs (kernel-doc, rst)" "$log"
		;;
	*)
		echo "host-checks: unknown check '$check'" >&2
		status=1
		;;
	esac
done
exit $status

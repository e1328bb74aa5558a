# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for shell tests that drive a command and check what it printed.
# Source after lib/ktap.sh; TMPD must name a scratch directory.

# r CMD...: run, never fail; sets OUT, ERR, RC and LASTCMD.
r() {
	local ef=$TMPD/err.$BASHPID
	LASTCMD="$*"
	OUT=$("$@" 2>"$ef") && RC=0 || RC=$?
	ERR=$(cat "$ef")
}

diag_cmd() {
	echo "  command: $LASTCMD"
	echo "  exit $RC; stdout: $OUT"
	echo "  stderr: $ERR"
}

expect_rc() {
	if [ "$RC" != "$1" ]; then
		echo "expected exit status $1"
		diag_cmd
		return 1
	fi
}

# expect_err TEXT...: stderr holds each TEXT.
expect_err() {
	local t
	for t in "$@"; do
		case $ERR in
		*"$t"*) ;;
		*) echo "stderr lacks '$t'"; diag_cmd; return 1 ;;
		esac
	done
}

expect_eq() {	# expect_eq WHAT EXPECTED GOT
	if [ "$2" != "$3" ]; then
		echo "$1: expected '$2'"
		echo "$1:      got '$3'"
		return 1
	fi
}

# field KEY [TEXT]: the word after KEY in a text output line.
field() {
	printf '%s\n' "${2-$OUT}" |
		awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}

# expect_fields LINE KEY VALUE...: the line has each KEY VALUE.
expect_fields() {
	local line=$1 got bad=0
	shift
	while [ $# -ge 2 ]; do
		got=$(field "$1" "$line")
		if [ "$got" != "$2" ]; then
			echo "$1: expected '$2', got '$got' in: $line"
			bad=1
		fi
		shift 2
	done
	return "$bad"
}

# run_check FN DESC: run check FN in a subshell (set -e) and report it as
# one KTAP line; exit 4 (with a "SKIP: why" line) skips it.
run_check() {
	local fn=$1 desc=$2 out rc start=$SECONDS
	out=$(set -e; "$fn" 2>&1)
	rc=$?
	out=${out:+$out$'\n'}"($fn: $((SECONDS - start)) s)"
	case $rc in
	0)
		ktap_ok "$desc"
		printf '%s\n' "$out" | ktap_diag
		;;
	4)
		ktap_skip "$desc" "$(printf '%s\n' "$out" | sed -n 's/^SKIP: //p' | tail -n1)"
		;;
	*)
		ktap_fail "$desc"
		printf '%s\n' "$out" | ktap_diag
		ktap_diag "($fn exited with $rc)"
		;;
	esac
}

# reset_state: kill the processes listed in $PIDS (started by the checks),
# delete the contexts listed in $CTXS (and so their sessions) with $CLI,
# and the network namespace $NETNS: what one check leaves, the next does
# not meet.
reset_state() {
	local p c
	while read -r p; do
		kill "$p" 2>/dev/null
	done <"$PIDS"
	while read -r p; do
		wait "$p" 2>/dev/null
	done <"$PIDS"
	: >"$PIDS"
	while read -r c; do
		"$CLI" context del "$c" >/dev/null 2>&1
	done <"$CTXS"
	: >"$CTXS"
	ip netns del "$NETNS" 2>/dev/null
}

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for shell tests that drive a command and check what it printed.
# Source after lib/ktap.sh; TMPD must name a scratch directory. It brings
# nap and wait_for (lib/wait.sh).
#
# They start no process of their own (no awk, cat or sleep): on the debug
# kernel under TCG every exec costs about half a second, and a check of a
# few dozen commands spent most of its time in its helpers.

# shellcheck source=selftests/lib/wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

# r CMD...: run, never fail; sets OUT, ERR, RC and LASTCMD.
r() {
	local ef=$TMPD/err.$BASHPID
	LASTCMD="$*"
	OUT=$("$@" 2>"$ef") && RC=0 || RC=$?
	IFS= read -rd '' ERR <"$ef" || :
	while [[ $ERR == *$'\n' ]]; do ERR=${ERR%$'\n'}; done
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

# fieldv KEY [TEXT]: FIELD is the word after KEY in TEXT (default $OUT),
# from the first line that has it; empty if none.
fieldv() {
	local line i
	local -a w
	FIELD=
	while IFS= read -r line; do
		read -ra w <<<"$line"
		for ((i = 0; i + 1 < ${#w[@]}; i++)); do
			if [ "${w[i]}" = "$1" ]; then
				FIELD=${w[i + 1]}
				return 0
			fi
		done
	done <<<"${2-$OUT}"
	return 0
}

# field KEY [TEXT]: print what fieldv finds.
field() {
	fieldv "$@"
	printf '%s\n' "$FIELD"
}

# expect_fields LINE KEY VALUE...: the line has each KEY VALUE.
expect_fields() {
	local line=$1 bad=0
	shift
	while [ $# -ge 2 ]; do
		fieldv "$1" "$line"
		if [ "$FIELD" != "$2" ]; then
			echo "$1: expected '$2', got '$FIELD' in: $line"
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
	# One process for all (a start costs seconds on the debug kernel).
	if [ -s "$CTXS" ]; then
		while read -r c; do
			echo "context del $c"
		done <"$CTXS" | "$CLI" --force --batch - >/dev/null 2>&1
	fi
	: >"$CTXS"
	[ ! -e "/run/netns/$NETNS" ] || ip netns del "$NETNS" 2>/dev/null
}

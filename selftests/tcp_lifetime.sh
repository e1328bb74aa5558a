#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tcp_lifetime.sh - KTAP test: unloading coap_keepalive while TCP and kTLS
# sessions are live. A plain TCP connection and a kTLS one (both ends on
# loopback, held by build/selftests/tcp_hold) have sessions that were
# pinged and answered and now have their next Ping out, unanswered;
# `rmmod coap_keepalive` succeeds with them live and leaves nothing
# behind; both connections then still carry data both ways (kTLS
# decrypts on both ends: the kernel's Ping records left the record
# sequence in order) and no Ping comes any more; after `insmod` new
# sessions on the same sockets are pinged and answered; closing the
# sockets ends the sessions with SESSION_GONE, reason closed, as the
# holder and `coap-keepalive monitor` both see.
#
# Runs as root in a throw-away guest with the module loaded; it leaves it
# loaded (insmod "$CKA_KO" again) for the harness's final rmmod.
#
# Environment (set by the VM harness): CKA_SRC, CKA_BUILD, CKA_KO, CKA_CLI.

# Functions run through step, wait_for and the EXIT trap.
# shellcheck disable=SC2317

SRC=${CKA_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
. "$SRC/selftests/lib/ktap.sh"
# shellcheck source-path=SCRIPTDIR source=lib/module.sh
. "$SRC/selftests/lib/module.sh"

HOLD=${CKA_BUILD:-$SRC/build}/selftests/tcp_hold
CLI=${CKA_CLI:-$SRC/tools/coap-keepalive/coap-keepalive}

ktap_header
module_prereqs "$HOLD"
modprobe tls 2>/dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/tcp_lifetime.XXXXXX") || exit 1
HOLD_PID=
MON_PID=
cleanup() {
	[ -z "$MON_PID" ] || kill "$MON_PID" 2>/dev/null
	if [ -n "$HOLD_PID" ]; then
		exec 3>&- 4<&-
		wait "$HOLD_PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# The holder reads commands on a fifo and answers on another; it opens
# its stdin first, as this shell opens fd 3 first: no deadlock.
mkfifo "$T/cmd" "$T/out" || exit 1
"$HOLD" "$T/sids" <"$T/cmd" >"$T/out" 2>&1 &
HOLD_PID=$!
exec 3>"$T/cmd" 4<"$T/out"

phase() {
	echo "$1" >&3
	while IFS= read -r line <&4; do
		case $line in
		"end $1 "*)
			return "${line##* }"
			;;
		*)
			printf '%s\n' "$line"
			;;
		esac
	done
	echo "tcp_hold exited before finishing '$1'"
	return 1
}

# step DESC CMD...: one KTAP result for CMD; what it printed follows as
# diagnostics, also when it passed (the holder's "ok:" lines are the
# evidence of what was checked).
step() {
	_desc=$1
	shift
	_out=$("$@" 2>&1)
	_rc=$?
	ktap_result "$_rc" "$_desc"
	[ -z "$_out" ] || printf '%s\n' "$_out" | ktap_diag
	[ "$_rc" -eq 0 ] || ktap_diag "$* exited with $_rc"
	return "$_rc"
}

# wait_for TENTHS CMD...: until CMD succeeds, at most TENTHS tenths of a second.
wait_for() {
	_n=$1
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# mon_gone SID: the monitor printed SESSION_GONE of SID with reason closed.
mon_gone() {
	grep -F '"event":"session-gone"' "$T/mon" | grep -E "\"session-id\":$1[,}]" |
		grep -qF '"gone-reason":"closed"'
}

close_seen() {
	phase close || return 1
	[ -n "$MON_PID" ] || { echo "no monitor to cross-check with"; return 0; }
	while read -r _ _ sid; do
		wait_for 50 mon_gone "$sid" ||
			{ echo "monitor: no session-gone closed for session $sid:"; cat "$T/mon"; return 1; }
	done <"$T/sids"
	grep -F '"event":"session-gone"' "$T/mon"
}

ktap_plan 8

step "TCP and kTLS sessions pinged and answered" phase start

step "rmmod with live TCP and kTLS sessions" rmmod "$MODNAME"
step "module and its slab caches gone" module_gone
step "sockets handed back: data both ways, kTLS in sequence, no Ping" phase unloaded

step "insmod again" insmod "$CKA_KO"
step "new sessions on the same sockets pinged and answered" phase reloaded

# an independent observer of the session-gone events
if [ -x "$CLI" ]; then
	"$CLI" -j monitor >"$T/mon" 2>"$T/mon.err" &
	MON_PID=$!
	wait_for 100 grep -q monitoring "$T/mon.err" || {
		ktap_diag "monitor never subscribed:"
		ktap_diag <"$T/mon.err"
		kill "$MON_PID"
		MON_PID=
	}
fi
step "closing the sockets ends the sessions: SESSION_GONE closed" close_seen
phase quit >/dev/null

# The harness unloads the module after the test; leave it loaded.
module_leave_loaded
ktap_finish

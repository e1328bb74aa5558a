#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# trace_test.sh - KTAP test of the module's tracepoints (module/trace.h)
# and of its debug messages, read the way a user reads them: tracefs text.
#
# In a tracefs instance of its own, with events/coap_keepalive/ enabled and
# no netlink listener at all (the CLI that adds a session exits at once,
# and nothing joins the events group): UDP sessions to coap-server-notls
# on 127.0.0.1 and ::1 (which answers the kernel's empty CON with RST), one
# to a bound socket that never answers, and a coap+tcp connection of an
# idle coap-client-notls to the server (7.02 Ping answered by 7.03). It
# checks that session_add, ping, pong, nack and session_gone fire with the
# session ids and inodes the CLI printed, the peer as IPv4 or IPv6 with its
# port, each event's own fields (message ids, attempts, timeouts, rtt,
# reasons), that nothing but a Ping already on its way follows a
# session's end, and that the format files are complete for perf and
# bpftrace: no enum name left unresolved. Last, the module's debug
# messages: off by default, printed once enabled through dynamic debug (a
# refused context at the per-user limit).
#
# Runs as root in a throw-away guest with the module loaded
# (selftests/vm/run-vm.sh KERNEL selftests/trace_test.sh); lo is up.
# Environment (set by the VM harness): CKA_SRC, CKA_CLI.

# The checks run through check.
# shellcheck disable=SC2317
set -u

SRC=${CKA_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
. "$SRC/selftests/lib/ktap.sh"
# shellcheck source-path=SCRIPTDIR source=lib/wait.sh
. "$SRC/selftests/lib/wait.sh"

CLI=${CKA_CLI:-$SRC/tools/coap-keepalive/coap-keepalive}
PORT=5683
SILENT_PORT=5699
ACK_MS=1000		# the UDP context's ack-timeout, random factor 1.0
PONG_MS=3000		# the TCP context's pong-timeout
# Seconds to wait for the events: a bound against hangs on slow TCG guests.
WAIT=${CKA_TRACE_WAIT:-30}
EVENTS="session_add ping pong nack session_gone"
TRACEFS=/sys/kernel/tracing
INST=
DDCTL=

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/trace_test.XXXXXX") || exit 1
PIDS=$TMPD/pids
: >"$PIDS"
CTX_MAX_SAVED=
CTXS=

cleanup() {
	local p
	# Helpers only: no need to let them finish.
	while read -r p; do
		kill -KILL "$p" 2>/dev/null
	done <"$PIDS"
	while read -r p; do
		wait "$p" 2>/dev/null
	done <"$PIDS"
	for p in $CTXS; do
		"$CLI" context del "$p" >/dev/null 2>&1
	done
	if [ -n "$INST" ] && [ -d "$INST" ]; then
		echo 0 >"$INST/events/coap_keepalive/enable" 2>/dev/null
		rmdir "$INST" 2>/dev/null
	fi
	[ -z "$CTX_MAX_SAVED" ] ||
		echo "$CTX_MAX_SAVED" >/sys/module/coap_keepalive/parameters/max_contexts_per_user
	[ -z "$DDCTL" ] || echo "module coap_keepalive -p" >"$DDCTL" 2>/dev/null
	rm -rf "$TMPD"
}
trap cleanup EXIT

# ---------------------------------------------------------------- helpers
#
# Bash builtins wherever they do: each program started in a TCG guest
# costs about half a second (loaded from the host over 9p).

# bg CMD...: run in the background, killed at exit; BG its pid, BGOUT
# the file it prints to.
NBG=0
bg() {
	NBG=$((NBG + 1))
	BGOUT=$TMPD/bg.$NBG
	"$@" >"$BGOUT" 2>&1 &
	BG=$!
	echo "$BG" >>"$PIDS"
}

is_num() {
	case $2 in
	'' | *[!0-9]*) echo "not a $1: '$2'"; return 1 ;;
	esac
}

# run CMD...: OUT its output, ERR its errors, RC its exit status.
run() {
	OUT=$("$@" 2>"$TMPD/err") && RC=0 || RC=$?
	ERR=
	IFS= read -rd '' ERR <"$TMPD/err" || true
	LASTCMD="$*"
}

expect_rc() {
	[ "$RC" = "$1" ] && return 0
	echo "$LASTCMD: exit status $RC, expected $1"
	echo "stdout: $OUT"
	echo "stderr: $ERR"
	return 1
}

# word KEY [TEXT]: VAL, the word after KEY in TEXT (default OUT).
word() {
	local w prev=
	VAL=
	for w in ${2-$OUT}; do
		if [ "$prev" = "$1" ]; then
			VAL=$w
			return 0
		fi
		prev=$w
	done
	return 1
}

# val KEY LINE: VAL, the value of KEY= in a trace line.
val() {
	local re=" $1=([^ ]*) "
	VAL=
	[[ " $2 " =~ $re ]] && VAL=${BASH_REMATCH[1]}
	return 0
}

# load_events: EVL, the trace as "EVENT key=value..." lines, in order.
# Read in one go: the read builtin seeks back on a seekable file, and a
# seek in tracefs's trace file iterates the buffer anew (lines seen twice
# or not at all).
load_events() {
	local l t re='^.* [0-9]+\.[0-9]+: (session_add|ping|pong|nack|session_gone): (.*)$'
	EVL=()
	t=$(<"$INST/trace")
	while IFS= read -r l; do
		[[ $l =~ $re ]] && EVL+=("${BASH_REMATCH[1]} ${BASH_REMATCH[2]}")
	done <<<"$t"
}

# find_ev EVENT SID KEY=VALUE...: FOUND, the first EVENT of session SID
# with every KEY=VALUE (SID '*': any session).
find_ev() {
	local e=$1 sid=$2 l kv
	shift 2
	for l in "${EVL[@]}"; do
		# shellcheck disable=SC2053
		[[ ${l%% *} == "$e" && ${l#* session=} == $sid\ * ]] || continue
		for kv in "$@"; do
			[[ " $l " == *" $kv "* ]] || continue 2
		done
		FOUND=$l
		return 0
	done
	return 1
}

# count_ev EVENT SID: N, how many.
count_ev() {
	local l
	N=0
	for l in "${EVL[@]}"; do
		# shellcheck disable=SC2053
		[[ ${l%% *} == "$1" && ${l#* session=} == $2\ * ]] && N=$((N + 1))
	done
	return 0
}

list_ev() {	# list_ev EVENT SID: print them
	local l
	for l in "${EVL[@]}"; do
		# shellcheck disable=SC2053
		[[ ${l%% *} == "$1" && ${l#* session=} == $2\ * ]] && echo "$l"
	done
	return 0
}

# expect_ev EVENT SID KEY=VALUE...: find_ev, printing the line, or what
# there was instead.
expect_ev() {
	if find_ev "$@"; then
		echo "$FOUND"
		return 0
	fi
	echo "no $1 of session $2 with ${*:3}; its $1 events:"
	list_ev "$1" "$2"
	return 1
}

# attach PID FD CTX: attach fd FD of process PID; SID, INO of the session.
attach() {
	run "$CLI" attach --pid "$1" --fd "$2" ctx "$3"
	expect_rc 0 || return 1
	word session-id && SID=$VAL
	word sock-inode && INO=$VAL
	is_num "session id" "${SID:-}" && is_num "inode" "${INO:-}"
}

# ping_pong SID TRANSPORT PEER KEY=VALUE...: a first Ping (attempt 0)
# with the KEY=VALUEs, and a pong whose message id is that of a Ping of
# the session; UDP's rtt (ktime) > 0, TCP's (jiffies, 0 on a fast
# loopback) only present.
ping_pong() {
	local sid=$1 transport=$2 peer=$3 mid rtt
	shift 3
	expect_ev ping "$sid" "transport=$transport" "peer=$peer" attempt=0 "$@" || return 1
	expect_ev pong "$sid" "transport=$transport" "peer=$peer" || return 1
	val mid "$FOUND"
	mid=$VAL
	val rtt_us "$FOUND"
	rtt=$VAL
	is_num "pong mid" "$mid" && is_num "rtt_us" "$rtt" || return 1
	find_ev ping "$sid" "mid=$mid" ||
		{ echo "pong mid $mid is no Ping's of session $sid"; return 1; }
	if [ "$transport" = udp ] && [ "$rtt" -le 0 ]; then
		echo "UDP pong with rtt_us $rtt"
		return 1
	fi
	if [ "$transport" != udp ] && [ "$mid" != 0 ]; then
		echo "TCP pong with a message id: $mid"
		return 1
	fi
	count_ev nack "$sid"
	[ "$N" = 0 ] || { echo "session $sid, answered, has a nack:"; list_ev nack "$sid"; return 1; }
}

# ----------------------------------------------------------------- checks

t_format() {
	local e f fmt fld
	for e in $EVENTS; do
		f=$TRACEFS/events/coap_keepalive/$e/format
		[ -r "$f" ] || { echo "no $f"; return 1; }
		fmt=
		IFS= read -rd '' fmt <"$f" || true
		for fld in "u32 session_id" "u32 ctx_id" "u64 ino" "u8 transport" \
			"u16 port" "u8 peer[28]"; do
			[[ $fmt == *"field:$fld;"* ]] ||
				{ echo "$e: no field '$fld':"; echo "$fmt"; return 1; }
		done
		# TRACE_DEFINE_ENUM: perf and bpftrace cannot resolve enum names.
		if [[ ${fmt#*print fmt:} == *COAP_KA_* ]]; then
			echo "$e: enum names left in print fmt:"
			echo "${fmt#*print fmt:}"
			return 1
		fi
	done
	echo "$fmt"
}

t_add() {
	expect_ev session_add "$S4" "ctx=$CTX_UDP" transport=udp "ino=$INO4" \
		"peer=127.0.0.1:$PORT" keepalive_secs=1 || return 1
	expect_ev session_add "$S6" "ctx=$CTX_UDP" transport=udp "ino=$INO6" \
		"peer=[::1]:$PORT" keepalive_secs=1 || return 1
	expect_ev session_add "$SQ" "ctx=$CTX_UDP" transport=udp "ino=$INOQ" \
		"peer=127.0.0.1:$SILENT_PORT" keepalive_secs=1 || return 1
	expect_ev session_add "$ST" "ctx=$CTX_TCP" transport=tcp "ino=$INOT" \
		"peer=127.0.0.1:$PORT" keepalive_secs=1 || return 1
	count_ev session_add '*'
	[ "$N" = 4 ] || { echo "$N session_add events:"; list_ev session_add '*'; return 1; }
}

t_udp4() {
	ping_pong "$S4" udp "127.0.0.1:$PORT" "timeout_ms=$ACK_MS" "ctx=$CTX_UDP" "ino=$INO4"
}

t_udp6() {
	ping_pong "$S6" udp "[::1]:$PORT" "timeout_ms=$ACK_MS" "ctx=$CTX_UDP" "ino=$INO6"
}

# max-retransmit 1: the Ping, its retransmission with the doubled
# timeout and the same message id, then the nack.
t_nack() {
	local mid
	expect_ev nack "$SQ" transport=udp "peer=127.0.0.1:$SILENT_PORT" \
		reason=too-many-retries attempts=2 "ino=$INOQ" || return 1
	val mid "$FOUND"
	mid=$VAL
	is_num "nack mid" "$mid" || return 1
	expect_ev ping "$SQ" "mid=$mid" attempt=0 "timeout_ms=$ACK_MS" || return 1
	expect_ev ping "$SQ" "mid=$mid" attempt=1 "timeout_ms=$((2 * ACK_MS))" || return 1
	count_ev pong "$SQ"
	[ "$N" = 0 ] || { echo "a pong from a peer that never answers:"; list_ev pong "$SQ"; return 1; }
}

t_tcp() {
	ping_pong "$ST" tcp "127.0.0.1:$PORT" mid=0 "timeout_ms=$PONG_MS" "ctx=$CTX_TCP" "ino=$INOT"
}

t_gone() {
	local l sid gone=" "
	expect_ev session_gone "$S4" reason=removed "peer=127.0.0.1:$PORT" "ino=$INO4" || return 1
	expect_ev session_gone "$S6" reason=closed "peer=[::1]:$PORT" || return 1
	expect_ev session_gone "$SQ" reason=closed "peer=127.0.0.1:$SILENT_PORT" || return 1
	expect_ev session_gone "$ST" reason=closed transport=tcp || return 1
	count_ev session_gone '*'
	[ "$N" = 4 ] || { echo "$N session_gone events:"; list_ev session_gone '*'; return 1; }
	# Nothing after a session's end, but a Ping already on its way.
	for l in "${EVL[@]}"; do
		val session "$l"
		sid=$VAL
		case ${l%% *} in
		session_gone) gone="$gone$sid " ;;
		ping) ;;
		*) [[ $gone != *" $sid "* ]] || { echo "after its session_gone: $l"; return 1; } ;;
		esac
	done
}

# Debug messages: present, off by default, on through dynamic debug.
t_dyndbg() {
	local sites before after
	DDCTL=/proc/dynamic_debug/control
	[ -w "$DDCTL" ] || DDCTL=/sys/kernel/debug/dynamic_debug/control
	[ -w "$DDCTL" ] || { DDCTL=; echo "SKIP: no dynamic debug control"; exit 4; }
	sites=$(grep '\[coap_keepalive\]' "$DDCTL")
	echo "$sites"
	[ "$(printf '%s\n' "$sites" | grep -c ' =_ ')" -ge 5 ] ||
		{ echo "fewer than 5 debug messages, all off"; return 1; }
	if printf '%s\n' "$sites" | grep -v ' =_ '; then
		echo "debug messages on by default"
		return 1
	fi
	CTX_MAX_SAVED=$(</sys/module/coap_keepalive/parameters/max_contexts_per_user)
	echo 1 >/sys/module/coap_keepalive/parameters/max_contexts_per_user
	before=$(dmesg | grep -c 'coap_keepalive: uid 0: context refused' || true)
	# Refused without a word in the log while the messages are off ...
	run "$CLI" context add
	expect_rc 1 || return 1
	[[ $ERR == *"per-user context limit reached"* ]] || { echo "stderr: $ERR"; return 1; }
	echo "module coap_keepalive +p" >"$DDCTL"
	# ... and with one once on.
	run "$CLI" context add
	expect_rc 1 || return 1
	echo "module coap_keepalive -p" >"$DDCTL"
	echo "$CTX_MAX_SAVED" >/sys/module/coap_keepalive/parameters/max_contexts_per_user
	CTX_MAX_SAVED=
	after=$(dmesg | grep 'coap_keepalive: uid 0: context refused' || true)
	echo "${after##*$'\n'}"
	after=$(printf '%s' "$after" | grep -c . || true)
	[ "$((after - before))" = 1 ] ||
		{ echo "$((after - before)) debug lines for the two refusals, expected 1"; return 1; }
}

# ------------------------------------------------------------------- main

# check FN DESC: run FN in a subshell, one KTAP result; what it printed
# follows as diagnostics; exit 4 with a "SKIP: why" line skips it.
check() {
	local out rc l why=
	out=$(set -e; "$1" 2>&1)
	rc=$?
	case $rc in
	0) ktap_ok "$2" ;;
	4)
		while IFS= read -r l; do
			[[ $l != "SKIP: "* ]] || why=${l#SKIP: }
		done <<<"$out"
		ktap_skip "$2" "$why"
		;;
	*) ktap_fail "$2" ;;
	esac
	[ -z "$out" ] || while IFS= read -r l; do echo "# $l"; done <<<"$out"
	[ "$rc" = 0 ] || [ "$rc" = 4 ] || echo "# ($1 exited with $rc)"
}

# The application side and the sessions, in this shell: S4, S6, SQ, ST
# the sessions (IPv4, IPv6, silent peer, TCP), INO* their sockets.
setup() {
	local l
	wait_for "$WAIT" sh -c "coap-client-notls -B 1 coap://127.0.0.1/ 2>/dev/null | grep -q libcoap" ||
		{ echo "coap-server-notls on 127.0.0.1 does not answer"; return 1; }
	wait_for "$WAIT" sh -c "coap-client-notls -B 1 'coap://[::1]/' 2>/dev/null | grep -q libcoap" ||
		{ echo "coap-server-notls on ::1 does not answer"; return 1; }
	wait_for "$WAIT" grep -qi ":$(printf %04X "$SILENT_PORT") " /proc/net/udp ||
		{ echo "the silent peer is not bound"; return 1; }
	# Connected UDP sockets held by a shell ...
	bg bash -c "exec 5<>/dev/udp/127.0.0.1/$PORT 6<>/dev/udp/::1/$PORT \
		7<>/dev/udp/127.0.0.1/$SILENT_PORT; exec sleep 600"
	HOLD=$BG
	# ... and an idle coap+tcp client observing a resource.
	bg coap-client-notls -s 600 -B 600 "coap+tcp://127.0.0.1/example_data"
	CL=$BG
	wait_for "$WAIT" test -s "$BGOUT" ||
		{ echo "coap-client-notls printed nothing"; return 1; }
	wait_for "$WAIT" test -e "/proc/$HOLD/fd/7" ||
		{ echo "holder has no fd 7"; return 1; }
	# Contexts; nobody listens on netlink from here on.
	run "$CLI" context add keepalive-secs 1 ack-timeout "$ACK_MS" \
		ack-random-factor 1 max-retransmit 1
	expect_rc 0 && word ctx-id || return 1
	CTX_UDP=$VAL
	CTXS=$CTX_UDP
	run "$CLI" context add keepalive-secs 1 pong-timeout "$PONG_MS"
	expect_rc 0 && word ctx-id || return 1
	CTX_TCP=$VAL
	CTXS="$CTXS $CTX_TCP"
	attach "$HOLD" 5 "$CTX_UDP" || return 1
	S4=$SID INO4=$INO
	attach "$HOLD" 6 "$CTX_UDP" || return 1
	S6=$SID INO6=$INO
	attach "$HOLD" 7 "$CTX_UDP" || return 1
	SQ=$SID INOQ=$INO
	run "$CLI" attach --pid "$CL" ctx "$CTX_TCP"
	expect_rc 0 || return 1
	word transport
	[ "$VAL" = tcp ] || { echo "not a tcp session: $OUT"; return 1; }
	word session-id && ST=$VAL
	word sock-inode && INOT=$VAL
	is_num "session id" "${ST:-}" && is_num "inode" "${INOT:-}" || return 1
	echo "sessions: udp4 $S4 udp6 $S6 silent $SQ tcp $ST; contexts $CTXS"
}

# Until every session has shown what it is there for.
all_seen() {
	load_events
	find_ev pong "$S4" && find_ev pong "$S6" && find_ev pong "$ST" && find_ev nack "$SQ"
}

all_gone() {
	load_events
	count_ev session_gone '*'
	[ "$N" -ge 4 ]
}

ktap_header
[ "$(id -u)" = 0 ] || ktap_skip_all "needs root"
grep -q '^coap_keepalive ' /proc/modules || ktap_skip_all "coap_keepalive is not loaded"
for tool in coap-server-notls coap-client-notls python3; do
	command -v "$tool" >/dev/null || ktap_skip_all "$tool not installed"
done
if [ ! -d "$TRACEFS/events" ]; then
	mount -t tracefs nodev "$TRACEFS" 2>/dev/null ||
		ktap_skip_all "cannot mount tracefs on $TRACEFS"
fi
ktap_plan 9

INST=$TRACEFS/instances/cka_trace_test.$$
if ! { mkdir "$INST" && echo 1 >"$INST/events/coap_keepalive/enable"; }; then
	ktap_fail "tracefs instance with events/coap_keepalive enabled"
	ktap_finish
fi
# Reading the trace while events come must not pause the buffer.
[ ! -e "$INST/options/pause-on-trace" ] || echo 0 >"$INST/options/pause-on-trace"
check t_format "tracefs: the five events and complete format files"

# The peers: servers on both families, and a bound socket that never reads.
bg coap-server-notls -A 127.0.0.1 -p "$PORT"
bg coap-server-notls -A ::1 -p "$PORT"
bg python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(600)' "$SILENT_PORT"
setup >"$TMPD/setup.log" 2>&1
rc=$?
ktap_result "$rc" "setup: two CoAP servers, a silent peer, a coap+tcp client, four sessions"
while IFS= read -r l; do echo "# $l"; done <"$TMPD/setup.log"
[ "$rc" = 0 ] || ktap_finish

wait_for "$WAIT" all_seen || echo "# not every pong and nack within $WAIT s"
# The ends: a delete, then the sockets closed.
"$CLI" session del "$S4" || echo "# session del $S4 failed"
kill "$HOLD" "$CL" 2>/dev/null
wait_for "$WAIT" all_gone || echo "# not 4 session_gone within $WAIT s"
echo 0 >"$INST/events/coap_keepalive/enable"
load_events
echo "# ${#EVL[@]} events traced"

check t_add "session_add: ids, inode, transport, IPv4/IPv6 peer, keepalive"
check t_udp4 "ping and pong of a UDP session to 127.0.0.1"
check t_udp6 "ping and pong of a UDP session to ::1"
check t_nack "ping, retransmission and nack of a peer that never answers"
check t_tcp "ping and pong of a coap+tcp session"
check t_gone "session_gone: removed, closed, nothing but a Ping after it"
check t_dyndbg "debug messages: off by default, on through dynamic debug"
ktap_finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# udp_cli.sh - KTAP test of coap-keepalive(8) sessions against the loaded
# module and unmodified libcoap programs: an idle coap-client-notls
# observing a resource of coap-server-notls on 127.0.0.1 is attached with
# "attach --pid" and kept alive by the kernel (pongs, counters, the client
# still gets its notifications), fd and filter handling, del, the
# session-gone event when the client dies, the kernel's refusals with
# their extended ACKs, and the JSON against the kernel's YNL cli.py; then
# the same discovery for coap+tcp: a client's and the server's TCP
# connections, found by "attach --pid", pinged and answered.
#
# Runs as root in a throw-away guest (selftests/vm/run-vm.sh KERNEL
# selftests/udp_cli.sh); lo is up. It starts coap-server-notls on
# 127.0.0.1:5683 for the whole run and clients per check, and makes the
# network namespace cka_udp_cli; every process, context, session and
# namespace it makes is gone at exit.
#
# Environment (set by the VM harness): CKA_SRC, CKA_CLI, CKA_YNL,
# CKA_SPEC (see selftests/vm/README).
#
# Each check runs in a subshell with errexit on, so any failed assertion
# ends it and prints why; between checks the clients are killed and the
# contexts deleted (which ends their sessions).

# The checks run through the TESTS table.
# shellcheck disable=SC2317
set -u

SRC=${CKA_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
. "$SRC/selftests/lib/ktap.sh"
# shellcheck source-path=SCRIPTDIR source=lib/cli.sh
. "$SRC/selftests/lib/cli.sh"

CLI=${CKA_CLI:-$SRC/tools/coap-keepalive/coap-keepalive}
SPEC=${CKA_SPEC:-$SRC/Documentation/netlink/specs/coap_keepalive.yaml}
HOST=127.0.0.1
PORT=5683
URI=coap://$HOST/example_data	# observable, changes only on PUT
# Seconds to wait for an event or a state: TCG guests on a loaded host and
# the debug kernel are slow (a 1 s keepalive was seen answered after 8 s),
# so these are bounds against hangs, not measurements. Every background
# process writes to files: the checks run in command substitutions.
WAIT=${CKA_UDP_CLI_WAIT:-20}
NETNS=cka_udp_cli
SESS_ENOENT="No such file or directory: no session with this id in this network namespace (attribute session-id)"

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/udp_cli.XXXXXX") || exit 1
PIDS=$TMPD/pids		# processes a check started
CTXS=$TMPD/ctxs		# contexts a check made
: >"$PIDS"
: >"$CTXS"
SERVER=
NFILE=0		# files made in TMPD so far

# ---------------------------------------------------------------- helpers

is_num() {
	case $2 in
	'' | 0 | *[!0-9]*) echo "not a $1: '$2'"; return 1 ;;
	esac
}

skip() {
	echo "SKIP: $*"
	exit 4
}

# mkctx [SETTING VALUE]...: make a context; CTX holds its id.
mkctx() {
	r "$CLI" context add "$@"
	expect_rc 0
	CTX=$(field ctx-id)
	is_num "context id" "$CTX"
	echo "$CTX" >>"$CTXS"
}

# sock_fds PID: "FD INODE" of every socket of PID (one find, not a
# readlink per fd: on the debug kernel an exec costs about a second).
sock_fds() {
	local fd l
	while read -r fd l; do
		l=${l#socket:[}
		echo "$fd ${l%]}"
	done <<<"$(find "/proc/$1/fd" -mindepth 1 -lname 'socket:*' -printf '%f %l\n' 2>/dev/null)"
}

# sock_row PID TABLE INODE: ROW_LPORT and ROW_RPORT (decimal) of the
# socket's line in /proc/PID/net/TABLE (udp, udp6, tcp, ...); fails if
# it has none. The table is read in one go first: a read loop on the file
# itself seeks back after every line, the kernel then walks the table
# again up to that offset, and a socket closing meanwhile (the previous
# check's processes) shifts the lines, so that another one was skipped
# (seen in a loaded make check).
sock_row() {
	local data
	local -a f
	IFS= read -rd '' data <"/proc/$1/net/$2" || :
	# sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
	while read -ra f; do
		[ "${f[9]:-}" = "$3" ] || continue
		ROW_LPORT=$((16#${f[1]##*:}))
		ROW_RPORT=$((16#${f[2]##*:}))
		return 0
	done <<<"$data"
	return 1
}

# in_table PID TABLE INODE [connected]: the socket is in /proc/PID/net/TABLE,
# with a remote port if "connected".
in_table() {
	sock_row "$1" "$2" "$3" || return 1
	[ -z "${4:-}" ] || [ "$ROW_RPORT" != 0 ]
}

# nlines TEXT: NLINES is the number of lines of TEXT (as wc -l of it
# printed with a newline).
nlines() {
	local -a l
	mapfile -t l <<<"$1"
	NLINES=${#l[@]}
}

# first2 TEXT: FIRST2 is the first two words of each line of TEXT.
first2() {
	local a b _ sep=
	FIRST2=
	while read -r a b _; do
		FIRST2+=$sep$a${b:+ $b}
		sep=$'\n'
	done <<<"$1"
}

# client_sock PID [TABLE]: CL_FD, CL_INO and CL_LPORT of PID's connected
# socket of /proc/PID/net/TABLE (default udp).
client_sock() {
	local fd ino table=${2:-udp}
	CL_FD=
	while read -r fd ino; do
		if [ -n "$ino" ] && in_table "$1" "$table" "$ino" connected; then
			CL_FD=$fd
			CL_INO=$ino
			CL_LPORT=$ROW_LPORT
		fi
	done <<<"$(sock_fds "$1")"
	[ -n "$CL_FD" ]
}

# start_client [URI TABLE]: an observing coap-client-notls of URI (default
# $URI, over UDP); CL its pid, CL_FD, CL_INO and CL_LPORT its connected
# socket (of /proc/net/TABLE), CL_OUT the file it prints to.
start_client() {
	local uri=${1:-$URI} table=${2:-udp}
	NFILE=$((NFILE + 1))
	CL_OUT=$TMPD/client.$NFILE
	coap-client-notls -s 300 -B 300 "$uri" >"$CL_OUT" 2>&1 &
	CL=$!
	echo "$CL" >>"$PIDS"
	# Ready once the first answer (the resource) is printed.
	wait_for "$WAIT" test -s "$CL_OUT" ||
		{ echo "coap-client-notls printed nothing in $WAIT s"; return 1; }
	# It is connected by now; a few tries in case the table changed
	# under our read.
	if ! wait_for 3 client_sock "$CL" "$table"; then
		echo "coap-client-notls $CL has no connected socket in /proc/net/$table:"
		ls -l "/proc/$CL/fd"
		cat "/proc/$CL/net/$table"
		return 1
	fi
}

# start_monitor [text]: "monitor -j" (or plain "monitor") in the
# background, subscribed; MON its output file.
start_monitor() {
	local j=-j
	[ "${1:-}" != text ] || j=
	NFILE=$((NFILE + 1))
	MON=$TMPD/mon.$NFILE
	# shellcheck disable=SC2086
	"$CLI" $j monitor >"$MON" 2>"$MON.err" &
	echo "$!" >>"$PIDS"
	wait_for "$WAIT" grep -q monitoring "$MON.err" ||
		{ echo "monitor never subscribed:"; cat "$MON.err"; return 1; }
}

# has_event EVENT SESSION [KEY JSONVALUE]: the monitor printed it.
has_event() {
	local line re_sid="\"session-id\":$2[,}]" re_kv="\"${3:-}\":${4:-}[,}]"
	while IFS= read -r line; do
		[[ $line == *"\"event\":\"$1\""* && $line =~ $re_sid ]] || continue
		[ $# -lt 4 ] && return 0
		[[ $line =~ $re_kv ]] && return 0
	done <"$MON"
	return 1
}

# attach_client: attach --pid $CL ctx $CTX; SID the session.
attach_client() {
	r "$CLI" attach --pid "$CL" ctx "$CTX"
	expect_rc 0
	SID=$(field session-id)
	is_num "session id" "$SID"
}

# attach_one TRANSPORT: attach_client, and it printed the one session.
attach_one() {
	attach_client
	expect_fields "$OUT" ctx-id "$CTX" sock-inode "$CL_INO" transport "$1" \
		peer-ipv4 "$HOST" peer-port "$PORT" state idle
	nlines "$OUT"
	expect_eq "lines printed by attach" 1 "$NLINES"
}

# wait_pong SID: the monitor prints a pong event of SID in CTX.
wait_pong() {
	wait_for "$((1 + WAIT))" has_event pong "$1" ctx-id "$CTX" ||
		{ echo "no pong for session $1 in $((1 + WAIT)) s:"; cat "$MON"; return 1; }
	grep -m1 -E "\"event\":\"pong\".*\"session-id\":$1[,}]" "$MON"
}

# put_notified: a PUT changes the resource; the client CL prints it.
put_notified() {
	local v="cka-cli-$$-$RANDOM"
	kill -0 "$CL" || { echo "coap-client-notls $CL died"; return 1; }
	r coap-client-notls -B 5 -m put -e "$v" "$URI"
	expect_rc 0
	wait_for "$WAIT" grep -q "$v" "$CL_OUT" ||
		{ echo "the client did not print the notification '$v':"; tail -c 300 "$CL_OUT"; return 1; }
	kill -0 "$CL" || { echo "coap-client-notls $CL died"; return 1; }
}

# json_get KEY...: the values of KEYs (strings unquoted, "<absent>" if
# missing) in the JSON of OUT, which must be an array of one flat object
# (-j prints one array, always). No python: it takes seconds to start on
# the debug kernel.
json_get() {
	local o=${OUT//[$'\n\t ']/} k v vals=() re
	if [[ $o != '[{'*'}]' || ${o:2:-2} == *[{}]* ]]; then
		echo "not an array of one flat object: $OUT" >&2
		return 1
	fi
	o=,${o:2:-2},
	for k in "$@"; do
		re=",\"$k\":(\"[^\"]*\"|[^,]*),"
		if [[ $o =~ $re ]]; then
			v=${BASH_REMATCH[1]}
			v=${v#\"}
			vals+=("${v%\"}")
		else
			vals+=("<absent>")
		fi
	done
	echo "${vals[*]}"
}

cleanup() {
	reset_state
	if [ -n "$SERVER" ]; then
		kill "$SERVER" 2>/dev/null
		wait "$SERVER" 2>/dev/null
	fi
	rm -rf "$TMPD"
}

start_server() {
	coap-server-notls -A "$HOST" -p "$PORT" >"$TMPD/server.log" 2>&1 &
	SERVER=$!
	wait_for "$WAIT" sh -c 'coap-client-notls -B 1 coap://'"$HOST"'/ 2>/dev/null | grep -q libcoap'
}

# The server's UDP socket (unconnected): SRV_FD.
server_udp_fd() {
	local fd ino
	SRV_FD=
	while read -r fd ino; do
		if in_table "$SERVER" udp "$ino"; then
			SRV_FD=$fd
		fi
	done <<<"$(sock_fds "$SERVER")"
	[ -n "$SRV_FD" ] || { echo "no UDP socket in coap-server-notls"; return 1; }
}

# ----------------------------------------------------------------- checks

# The main story: an unmodified, idle libcoap client kept alive.
t_attach_pong() {
	local t0 dt
	mkctx keepalive-secs 1
	start_monitor
	start_client
	t0=${EPOCHREALTIME/./}
	attach_one udp
	wait_pong "$SID"
	dt=$(((${EPOCHREALTIME/./} - t0) / 1000))
	echo "first pong event ${dt} ms after attach (1 s idle)"

	r "$CLI" -j session show "$SID"
	expect_rc 0
	read -r pings pongs nacks sid <<<"$(json_get pings pongs nacks session-id)"
	expect_eq "session-id" "$SID" "$sid"
	if [ "$pings" -lt 1 ] || [ "$pongs" -lt 1 ]; then
		echo "pings $pings pongs $pongs: expected at least 1 each"
		return 1
	fi
	expect_eq "nacks" 0 "$nacks"

	# The client lives, and still gets what the server sends it.
	put_notified
	# The kernel's pings were answered after the client's own traffic too.
	r "$CLI" session show "$SID"
	expect_rc 0
	expect_fields "$OUT" nacks 0
}

# attach --fd; show filtered by context and by inode; del.
t_fd_filters() {
	local ctx1 ctx2 s1 s2 ino1 ino2 cl1
	mkctx
	ctx1=$CTX
	mkctx
	ctx2=$CTX
	start_client
	cl1=$CL
	ino1=$CL_INO
	r "$CLI" attach --pid "$cl1" --fd "$CL_FD" ctx "$ctx1"
	expect_rc 0
	s1=$(field session-id)
	is_num "session id" "$s1"
	expect_fields "$OUT" ctx-id "$ctx1" sock-inode "$ino1"
	start_client
	ino2=$CL_INO
	CTX=$ctx2 attach_client
	s2=$SID

	r "$CLI" session show ctx "$ctx1"
	expect_rc 0
	first2 "$OUT"
	expect_eq "sessions of ctx $ctx1" "session-id $s1" "$FIRST2"
	r "$CLI" session show ctx "$ctx2"
	expect_rc 0
	first2 "$OUT"
	expect_eq "sessions of ctx $ctx2" "session-id $s2" "$FIRST2"
	r "$CLI" session show inode "$ino2"
	expect_rc 0
	first2 "$OUT"
	expect_eq "sessions of inode $ino2" "session-id $s2" "$FIRST2"
	r "$CLI" session show inode "$ino1" ctx "$ctx1"
	expect_rc 0
	first2 "$OUT"
	expect_eq "sessions of inode $ino1 in ctx $ctx1" "session-id $s1" "$FIRST2"
	r "$CLI" session show ctx "$ctx1" inode "$ino2"
	expect_rc 0
	expect_eq "sessions of inode $ino2 in ctx $ctx1" "" "$OUT"
	r "$CLI" -j session show ctx "$ctx2" inode "$ino1"
	expect_rc 0
	expect_eq "JSON of an empty filtered dump" "[]" "$OUT"
	r "$CLI" session show
	expect_rc 0
	printf '%s\n' "$OUT" | grep -q "^session-id $s1 " || { echo "dump lacks $s1"; diag_cmd; return 1; }
	printf '%s\n' "$OUT" | grep -q "^session-id $s2 " || { echo "dump lacks $s2"; diag_cmd; return 1; }

	r "$CLI" session del "$s1"
	expect_rc 0
	expect_eq "del stdout" "" "$OUT"
	expect_eq "del stderr" "" "$ERR"
	r "$CLI" session show "$s1"
	expect_rc 1
	expect_err "$SESS_ENOENT"
	r "$CLI" session del "$s1"
	expect_rc 1
	expect_err "$SESS_ENOENT"
	r "$CLI" session show ctx "$ctx1"
	expect_rc 0
	expect_eq "sessions of ctx $ctx1 after del" "" "$OUT"
	# The socket is the client's again: it can be attached anew.
	r "$CLI" attach --pid "$cl1" ctx "$ctx1"
	expect_rc 0
	expect_fields "$OUT" sock-inode "$ino1"
}

# The client dies: its socket closes, the session goes with it.
t_gone_closed() {
	local text
	mkctx keepalive-secs 30
	start_monitor text
	text=$MON
	start_monitor
	start_client
	attach_client
	kill "$CL"
	wait_for "$WAIT" has_event session-gone "$SID" ||
		{ echo "no session-gone for session $SID in $WAIT s:"; cat "$MON"; return 1; }
	grep -F '"event":"session-gone"' "$MON"
	has_event session-gone "$SID" gone-reason '"closed"' ||
		{ echo "session-gone of $SID without gone-reason closed"; return 1; }
	# The text monitor names the event and its attributes the same way.
	wait_for "$WAIT" grep -qE "^session-gone .*session-id $SID .*gone-reason closed" "$text" ||
		{ echo "text monitor:"; cat "$text"; return 1; }
	grep "^session-gone " "$text"
	r "$CLI" session show "$SID"
	expect_rc 1
	expect_err "$SESS_ENOENT"
}

# The CLI's own fd: a connected UDP socket of bash (IPv4 and IPv6).
t_session_add_own() {
	mkctx keepalive-secs 30
	r bash -c 'exec 5<>/dev/udp/127.0.0.1/9; exec "$@"' - "$CLI" session add ctx "$CTX" fd 5
	expect_rc 0
	expect_fields "$OUT" ctx-id "$CTX" transport udp peer-ipv4 127.0.0.1 peer-port 9 state idle pings 0
	r bash -c 'exec 5<>/dev/udp/::1/9; exec "$@"' - "$CLI" -j session add ctx "$CTX" fd 5
	expect_rc 0
	read -r peer port transport <<<"$(json_get peer-ipv6 peer-port transport)"
	expect_eq "peer-ipv6 peer-port transport" "::1 9 udp" "$peer $port $transport"
	r "$CLI" session add ctx "$CTX"
	expect_rc 2
	expect_err "missing fd N"
	r "$CLI" session add fd 0
	expect_rc 2
	expect_err "missing ctx ID"
	r "$CLI" session add ctx "$CTX" fd 0 peer 127.0.0.1
	expect_rc 2
	expect_err "peer ADDR and port P go together"
	r "$CLI" session add ctx "$CTX" fd 0 peer 127.0.0.300 port 1
	expect_rc 2
	expect_err "invalid peer address '127.0.0.300'"
	r "$CLI" session add ctx "$CTX" fd 0 port 65536 peer ::1
	expect_rc 2
	expect_err "invalid port '65536'"
	r "$CLI" session add ctx "$CTX" fd 0 transport sctp
	expect_rc 2
	expect_err "expected one of udp, dtls, tcp, tls"
}

# run_unbound CMD...: CMD with fd 5 an unconnected UDP socket bound to
# 127.0.0.1 (made by python3, which bash's /dev/udp cannot: it connects).
run_unbound() {
	r python3 -c 'import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
os.dup2(s.fileno(), 5)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

# Several peers of one unconnected socket in one session add: each session
# printed, in order; a refused peer refuses the whole (batch_test checks
# that nothing is left); usage errors. The sessions end with the CLI's
# process, the socket's only holder.
t_batch_add() {
	local lines line
	mkctx keepalive-secs 30
	run_unbound "$CLI" session add ctx "$CTX" fd 5 peer 127.0.0.7 port 9 \
		peer 127.0.0.8 port 10 peer 127.0.0.9 port 11
	expect_rc 0
	nlines "$OUT"
	expect_eq "lines (one per session)" 3 "$NLINES" || return 1
	mapfile -t lines <<<"$OUT"
	expect_fields "${lines[0]}" ctx-id "$CTX" transport udp peer-ipv4 127.0.0.7 peer-port 9 || return 1
	expect_fields "${lines[1]}" peer-ipv4 127.0.0.8 peer-port 10 || return 1
	expect_fields "${lines[2]}" peer-ipv4 127.0.0.9 peer-port 11 || return 1
	run_unbound "$CLI" -j session add ctx "$CTX" fd 5 peer 127.0.0.7 port 9 peer 127.0.0.8 port 10
	expect_rc 0
	read -r line <<<"$(python3 -c 'import json, sys
print(" ".join("%s:%s" % (o["peer-ipv4"], o["peer-port"]) for o in json.load(sys.stdin)))' <<<"$OUT")"
	expect_eq "JSON sessions" "127.0.0.7:9 127.0.0.8:10" "$line" || return 1
	# the same peer twice: refused whole, the kernel names the second
	run_unbound "$CLI" session add ctx "$CTX" fd 5 peer 127.0.0.7 port 9 peer 127.0.0.7 port 9
	expect_rc 1
	expect_err "this peer is already in the batch" || return 1
	r "$CLI" session add ctx "$CTX" fd 0 peer 127.0.0.1 peer 127.0.0.2 port 9
	expect_rc 2
	expect_err "each peer ADDR needs its own port P before the next peer"
}

# Refusals, each with the kernel's reason.
t_refusals() {
	local ctx
	mkctx keepalive-secs 30
	ctx=$CTX
	start_client

	# Not a socket: the client's stdin, the CLI's stdin (a pipe), no fd.
	r "$CLI" attach --pid "$CL" --fd 0 ctx "$ctx"
	expect_rc 1
	expect_err "Socket operation on non-socket: not a socket file descriptor of the calling process (attribute sock-fd)"
	r bash -c 'echo | "$@"' - "$CLI" session add ctx "$ctx" fd 0
	expect_rc 1
	expect_err "not a socket file descriptor of the calling process (attribute sock-fd)"
	r "$CLI" session add ctx "$ctx" fd 1000
	expect_rc 1
	expect_err "Bad file descriptor: not a socket file descriptor"
	r "$CLI" attach --pid "$CL" --fd 1000 ctx "$ctx"
	expect_rc 1
	expect_err "cannot get fd 1000 of process $CL: Bad file descriptor"

	# DTLS cannot be kept alive by the kernel.
	r "$CLI" attach --pid "$CL" --fd "$CL_FD" ctx "$ctx" transport dtls
	expect_rc 1
	expect_err "Operation not supported" "DTLS" "(attribute transport)"

	# Unknown context.
	r "$CLI" attach --pid "$CL" ctx 4294967295
	expect_rc 1
	expect_err "No such file or directory: no context with this id in this network namespace (attribute ctx-id)"

	# A second session for the same socket and peer.
	attach_client
	r "$CLI" attach --pid "$CL" --fd "$CL_FD" ctx "$ctx"
	expect_rc 1
	expect_err "File exists" "this peer already has a session on this socket"
	# A connected socket with another peer.
	r "$CLI" attach --pid "$CL" --fd "$CL_FD" ctx "$ctx" peer 127.0.0.2 port "$PORT"
	expect_rc 1
	expect_err "Invalid argument" "the socket is connected to another peer"

	# No such process; not a process id.
	r "$CLI" attach --pid 2147483647 ctx "$ctx"
	expect_rc 1
	expect_err "cannot open process 2147483647: no such process"
	r "$CLI" attach --pid x ctx "$ctx"
	expect_rc 2
	expect_err "invalid --pid 'x'"
	r "$CLI" attach --pid "$CL" ctx "$ctx" peer 127.0.0.1 port 9
	expect_rc 2
	expect_err "give --fd N"
	r "$CLI" attach --pid "$CL" ctx "$ctx" bogus 1
	expect_rc 2
	expect_err "unknown setting 'bogus'"
}

# The server's socket is not connected: it needs a peer.
t_unconnected() {
	local ctx
	mkctx keepalive-secs 30
	ctx=$CTX
	server_udp_fd
	r "$CLI" attach --pid "$SERVER" ctx "$ctx"
	expect_rc 1
	expect_err "skipping fd $SRV_FD of process $SERVER" "unconnected; give --fd $SRV_FD peer ADDR port P" \
		"no connected UDP or TCP socket in process $SERVER"
	expect_eq "stdout" "" "$OUT"
	r "$CLI" attach --pid "$SERVER" --fd "$SRV_FD" ctx "$ctx"
	expect_rc 1
	expect_err "Destination address required" "unconnected socket: give the peer's address and port"
	r "$CLI" attach --pid "$SERVER" --fd "$SRV_FD" ctx "$ctx" peer ::1 port 9
	expect_rc 1
	expect_err "Address family not supported by protocol" "an IPv4 socket cannot reach an IPv6 peer"
	# With a peer it is taken; then handed back.
	r "$CLI" attach --pid "$SERVER" --fd "$SRV_FD" ctx "$ctx" peer 127.0.0.1 port 9
	expect_rc 0
	expect_fields "$OUT" peer-ipv4 127.0.0.1 peer-port 9 transport udp
	r "$CLI" session del "$(field session-id)"
	expect_rc 0
}

# TCP: the server's listening socket is refused (it has no peer); attach
# --pid finds the established connection of an idle coap+tcp client and,
# on the server's side, the accepted one (never the listener), and
# libcoap answers the kernel's 7.02 Pings on both ends.
t_tcp() {
	local fd ino tfd=''
	mkctx keepalive-secs 1
	while read -r fd ino; do
		if in_table "$SERVER" tcp "$ino" || in_table "$SERVER" tcp6 "$ino"; then
			tfd=$fd
		fi
	done <<<"$(sock_fds "$SERVER")"
	[ -n "$tfd" ] || { echo "coap-server-notls $SERVER has no TCP listener"; return 1; }
	r "$CLI" attach --pid "$SERVER" --fd "$tfd" ctx "$CTX"
	expect_rc 1
	expect_err "Invalid argument" "a listening socket has no peer"

	start_monitor
	start_client "coap+tcp://$HOST/example_data" tcp
	attach_one tcp
	wait_pong "$SID"
	# One end at a time: the other's Pings would count as its activity.
	r "$CLI" session del "$SID"
	expect_rc 0

	server_udp_fd
	r "$CLI" attach --pid "$SERVER" ctx "$CTX"
	expect_rc 0
	nlines "$OUT"
	expect_eq "sessions added on the server's side" 1 "$NLINES"
	expect_fields "$OUT" ctx-id "$CTX" transport tcp peer-ipv4 "$HOST" peer-port "$CL_LPORT"
	expect_err "skipping fd $SRV_FD of process $SERVER"
	SID=$(field session-id)
	is_num "session id" "$SID"
	wait_pong "$SID"

	# The client, pinged by the server's kernel, still gets its notifications.
	put_notified
	r "$CLI" session show "$SID"
	expect_rc 0
	expect_fields "$OUT" nacks 0
}

# Settings given to attach override the context's for the session.
t_settings() {
	mkctx keepalive-secs 30
	start_client
	r "$CLI" attach --pid "$CL" ctx "$CTX" keepalive-secs 1 ack-timeout 500
	if [ "$RC" = 1 ]; then
		case $ERR in
		*"(attribute keepalive-secs)"* | *"(attribute ack-timeout-ms)"*)
			skip "this module does not take per-session settings yet: $ERR" ;;
		esac
	fi
	expect_rc 0
	expect_fields "$OUT" keepalive-secs 1 ack-timeout-ms 500
	SID=$(field session-id)
	r "$CLI" session show "$SID"
	expect_rc 0
	expect_fields "$OUT" keepalive-secs 1 ack-timeout-ms 500
	case $OUT in
	*" max-retransmit "*) echo "a setting that was not given is shown: $OUT"; return 1 ;;
	esac
	# Overridden 30 s -> 1 s: pinged within the wait.
	# shellcheck disable=SC2016
	wait_for "$((1 + WAIT))" sh -c '"$1" -j session show "$2" | grep -q "\"pongs\":[1-9]"' - "$CLI" "$SID" ||
		{ echo "no pong with keepalive-secs 1 set on the session"; "$CLI" session show "$SID"; return 1; }
	r "$CLI" attach --pid "$CL" ctx "$CTX" keepalive-secs 86401
	expect_rc 1
	expect_err "(attribute keepalive-secs) valid range 0..86400"
}

# A process of another network namespace: refused from here, with the
# hint; attached from its namespace with nsenter.
t_netns() {
	local p ctx
	command -v ip >/dev/null || skip "no ip(8)"
	command -v nsenter >/dev/null || skip "no nsenter(1)"
	mkctx
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo up
	ip netns exec "$NETNS" bash -c 'exec 5<>/dev/udp/127.0.0.1/9; exec sleep 300' \
		>/dev/null 2>&1 &
	p=$!
	echo "$p" >>"$PIDS"
	wait_for "$WAIT" client_sock "$p" ||
		{ echo "no connected UDP socket in process $p of $NETNS"; return 1; }
	r "$CLI" attach --pid "$p" ctx "$CTX"
	expect_rc 1
	expect_err "the socket belongs to another network namespace" \
		"process $p is in another network namespace: run 'nsenter -n -t $p"
	r nsenter -n -t "$p" "$CLI" context add keepalive-secs 30
	expect_rc 0
	ctx=$(field ctx-id)
	r nsenter -n -t "$p" "$CLI" attach --pid "$p" ctx "$ctx"
	expect_rc 0
	expect_fields "$OUT" ctx-id "$ctx" sock-inode "$CL_INO" peer-ipv4 127.0.0.1 peer-port 9
	r nsenter -n -t "$p" "$CLI" session show inode "$CL_INO"
	expect_rc 0
	expect_fields "$OUT" peer-ipv4 127.0.0.1 peer-port 9
}

# The JSON of the CLI is what the kernel's own YNL tool says.
t_ynl() {
	local ynl=${CKA_YNL:-} args=(--output-json) help schema cli_json
	# Two JSON renderings of one session-get compared in Python, which
	# starts slowly under KASAN in TCG; the request runs in t_attach_pong.
	case $(uname -r) in
	*cka-debug*) skip "debug kernel: the CLI's JSON against YNL's, no kernel path of its own" ;;
	esac
	if [ -z "$ynl" ] || [ ! -f "$ynl" ]; then
		skip "no YNL cli.py (CKA_YNL)"
	fi
	# its options, from its source: python starts in seconds on TCG
	IFS= read -rd '' help <"$ynl" || :
	case $help in *--output-json*) ;; *) skip "cli.py has no --output-json" ;; esac
	schema=$(dirname "$ynl")/../../../Documentation/netlink/genetlink-legacy.yaml
	# Validating the spec against the schema takes half a minute on TCG.
	if [[ $help == *--no-schema* ]]; then
		args+=(--no-schema)
	elif [ -r "$schema" ]; then
		args+=(--schema "$schema")
	fi
	mkctx keepalive-secs 30
	start_client
	attach_client
	r "$CLI" -j session show "$SID"
	expect_rc 0
	cli_json=$OUT
	r python3 "$ynl" --spec "$SPEC" "${args[@]}" --do session-get --json "{\"session-id\": $SID}"
	[[ $RC = 0 || $ERR != *"No module named 'yaml'"* ]] || skip "python3 has no yaml"
	expect_rc 0
	python3 - "$cli_json" "$OUT" <<'EOF'
import json, sys
cli, ynl = (json.loads(s) for s in sys.argv[1:3])
if not isinstance(cli, list) or len(cli) != 1:
    sys.exit("CLI: not an array of one object: %r" % (cli,))
cli = cli[0]
stable = ["session-id", "ctx-id", "sock-inode", "transport", "peer-ipv4",
          "peer-ipv6", "peer-port"]
bad = [k for k in stable if cli.get(k, "<absent>") != ynl.get(k, "<absent>")]
for k in bad:
    print("%s: CLI %r, YNL %r" % (k, cli.get(k, "<absent>"), ynl.get(k, "<absent>")))
if set(cli) != set(ynl):
    print("keys: CLI %s, YNL %s" % (sorted(cli), sorted(ynl)))
    bad.append("keys")
print("CLI:", json.dumps(cli, sort_keys=True))
sys.exit(1 if bad else 0)
EOF
}

TESTS=(
	"t_attach_pong:attach --pid of an idle coap-client: pong event, counters, client still served"
	"t_fd_filters:attach --fd; session show by ctx and inode; del, then ENOENT"
	"t_gone_closed:the client is killed: session-gone with reason closed"
	"t_session_add_own:session add of the CLI's own fd (IPv4 text, IPv6 JSON); usage errors"
	"t_batch_add:session add of several peers of one unconnected socket: each printed, all or none"
	"t_refusals:refusals with the kernel's reason: not a socket, DTLS, unknown context, EEXIST, no process"
	"t_unconnected:unconnected socket: skipped by attach, EDESTADDRREQ without peer, taken with one"
	"t_tcp:TCP: a listener is refused; attach --pid adds the client's and the server's connections, pinged and answered"
	"t_settings:settings given to attach override the context's for the session"
	"t_netns:a process of another netns: refused with a hint; nsenter attaches it"
	"t_ynl:session show -j equals the kernel's YNL cli.py session-get"
)


ktap_header
[ "$(id -u)" = 0 ] || ktap_skip_all "must run as root (in a test VM)"
[ -x "$CLI" ] || ktap_skip_all "$CLI not built (make -C tools/coap-keepalive)"
for tool in coap-server-notls coap-client-notls python3; do
	command -v $tool >/dev/null || ktap_skip_all "$tool not installed"
done
if ! "$CLI" session show >/dev/null 2>&1; then
	"$CLI" session show 2>&1 | ktap_diag
	ktap_skip_all "module coap_keepalive (with sessions) not loaded"
fi
trap cleanup EXIT
trap 'exit 1' INT TERM
start_server || ktap_skip_all "coap-server-notls did not answer on $HOST:$PORT"

ktap_plan ${#TESTS[@]}
for t in "${TESTS[@]}"; do
	run_check "${t%%:*}" "${t#*:}"
	reset_state
done
ktap_finish

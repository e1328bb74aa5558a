#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cli_json.sh - KTAP test of the shape of coap-keepalive(8)'s output:
#   - with -j (and -p) every command prints exactly one JSON array, as
#     ip -j does: add, set, show of one, of none, dumps, del, session add,
#     attach, and monitor (one array, an element per line, closed when it
#     ends), and nothing on stdout when the kernel refuses;
#   - show and monitor name the same things the same way (the YAML
#     attribute names), in text and in JSON, with the same values;
#   - monitor -t stamps each event (text "[TIME] ", JSON "timestamp"), in
#     ISO 8601 with microseconds and the UTC offset.
#
# Runs as root in a guest with the module loaded (selftests/vm). A small
# python3 peer on 127.0.0.1 answers the kernel's Pings with a Reset, so
# that pong events come; a sleeping bash holds the client socket. The
# outputs are kept in files and checked by one python3 run per check
# (python starts slowly under TCG).
# Env: CKA_SRC, CKA_CLI.

# The checks run through the TESTS table.
# shellcheck disable=SC2317
set -u

SRC=${CKA_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
. "$SRC/selftests/lib/ktap.sh"
# shellcheck source-path=SCRIPTDIR source=lib/cli.sh
. "$SRC/selftests/lib/cli.sh"

CLI=${CKA_CLI:-$SRC/tools/coap-keepalive/coap-keepalive}
NETNS=cka_json
PEER_PORT=5699
WAIT=20

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/cli_json.XXXXXX") || exit 1
PIDS=$TMPD/pids
CTXS=$TMPD/ctxs
: >"$PIDS"
: >"$CTXS"

# check SPEC...: the shape checks, each SPEC one of
#   array:FILE[:N]    FILE is one JSON array of objects (N of them)
#   lines:FILE        monitor -j: "[", an element per line, "]"
#   stamps:FILE       every element of FILE has a "timestamp"
#   stamp:STRING      STRING is a timestamp of -t
#   same:FILE:SHOW    the events in FILE name things as session show -j
#                     (in SHOW) does, with the same values; prints the
#                     events' names
cat >"$TMPD/shape.py" <<'PYEOF'
import datetime, json, re, sys

def doc(path):
    text = open(path).read()
    try:
        d = json.loads(text)
    except ValueError as e:
        sys.exit("%s: not JSON (%s): %r" % (path, e, text[:300]))
    if not isinstance(d, list):
        sys.exit("%s: not an array: %r" % (path, text[:300]))
    for o in d:
        if not isinstance(o, dict):
            sys.exit("%s: an element is not an object: %r" % (path, o))
    return d

def stamp_ok(s):
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d", s):
        sys.exit("timestamp %r is not YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM" % s)
    t = datetime.datetime.fromisoformat(s)
    age = (datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()
    if not -5 < age < 600:
        sys.exit("timestamp %s is %.0f s away from now" % (s, age))

only_events = {"event", "timestamp", "mid", "nack-reason", "gone-reason"}
ids = ["session-id", "ctx-id", "sock-inode", "peer-ipv4", "peer-ipv6", "peer-port"]

for spec in sys.argv[1:]:
    mode, _, arg = spec.partition(":")
    if mode == "array":
        path, _, n = arg.partition(":")
        d = doc(path)
        if n and len(d) != int(n):
            sys.exit("%s: %d objects, expected %s: %r" % (path, len(d), n, d))
    elif mode == "lines":
        doc(arg)
        lines = open(arg).read().splitlines()
        if lines[0] != "[" or lines[-1] != "]":
            sys.exit("%s: the array does not open and close on lines of their own" % arg)
        for i, l in enumerate(lines[1:-1]):
            if i:
                if not l.startswith(","):
                    sys.exit("%s: line %d does not start with its comma" % (arg, i + 2))
                l = l[1:]
            if not isinstance(json.loads(l), dict):
                sys.exit("%s: line %d is not one element: %r" % (arg, i + 2, l))
    elif mode == "stamps":
        for o in doc(arg):
            if "timestamp" not in o:
                sys.exit("%s: no timestamp in %r" % (arg, o))
            stamp_ok(o["timestamp"])
    elif mode == "stamp":
        stamp_ok(arg)
    elif mode == "same":
        path, _, showpath = arg.partition(":")
        show = doc(showpath)
        if len(show) != 1:
            sys.exit("session show -j: not an array of one: %r" % (show,))
        show = show[0]
        evs = [o for o in doc(path) if o.get("session-id") == show["session-id"]]
        if not evs:
            sys.exit("no event of session %s" % show["session-id"])
        for o in evs:
            odd = set(o) - set(show) - only_events
            if odd:
                sys.exit("event keys %s are not keys of session show %s"
                         % (sorted(odd), sorted(show)))
            for k in ids:
                if o.get(k) != show.get(k):
                    sys.exit("%s: event %r, session show %r" % (k, o.get(k), show.get(k)))
        print(" ".join(sorted({o["event"] for o in evs})))
    else:
        sys.exit("bad spec " + spec)
PYEOF
check() {
	python3 "$TMPD/shape.py" "$@"
}

# jr NAME ARGS...: the command with -j, into $TMPD/NAME (and OUT): it
# succeeds and prints one line, [...]; check array:... checks the rest.
jr() {
	local name=$1
	shift
	r "$CLI" -j "$@"
	expect_rc 0
	printf '%s\n' "$OUT" >"$TMPD/$name"
	case $OUT in
	*$'\n'*) echo "-j output is more than one line: $OUT"; return 1 ;;
	'['*']') ;;
	*) echo "-j output is not [...]: $OUT"; return 1 ;;
	esac
}

# jp NAME ARGS...: the same with -p (indented, several lines).
jp() {
	local name=$1
	shift
	r "$CLI" -p "$@"
	expect_rc 0
	printf '%s\n' "$OUT" >"$TMPD/$name"
}

# jid KEY: the number KEY has in OUT (its first object).
jid() {
	[[ $OUT =~ \"$1\":([0-9]+) ]] || { echo "no $1 in: $OUT" >&2; return 1; }
	echo "${BASH_REMATCH[1]}"
}

# mkctx ARGS...: a context; CTX its id.
mkctx() {
	jr ctx context add "$@"
	CTX=$(jid ctx-id)
	echo "$CTX" >>"$CTXS"
}

# The peer: answers an empty Confirmable (a Ping) with a Reset. Not on
# the check's stdout: run_check waits for that to close.
start_peer() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(2048)
    if len(d) == 4 and d[0] == 0x40 and d[1] == 0:
        s.sendto(bytes([0x70, 0, d[2], d[3]]), a)' "$PEER_PORT" >/dev/null 2>&1 &
	echo "$!" >>"$PIDS"
}

# A process holding a UDP socket connected to the peer: HOLDER.
start_holder() {
	bash -c 'exec 5<>/dev/udp/127.0.0.1/'"$PEER_PORT"'; exec sleep 300' \
		>/dev/null 2>&1 &
	HOLDER=$!
	echo "$HOLDER" >>"$PIDS"
	wait_for "$WAIT" sh -c 'readlink /proc/'"$HOLDER"'/fd/5 | grep -q socket' ||
		{ echo "holder $HOLDER has no socket"; return 1; }
}

# start_monitor NAME ARGS...: the CLI with ARGS (options, "monitor" and
# its arguments) in the background into $TMPD/NAME, subscribed.
start_monitor() {
	local f=$TMPD/$1
	shift
	"$CLI" "$@" >"$f" 2>"$f.err" &
	echo "$!" >"$f.pid"
	echo "$!" >>"$PIDS"
	wait_for "$WAIT" grep -q monitoring "$f.err" ||
		{ echo "monitor $* never subscribed:"; cat "$f.err"; return 1; }
}

# stop_monitor NAME: SIGTERM, and it ended with status 0.
stop_monitor() {
	local f=$TMPD/$1 pid rc
	pid=$(cat "$f.pid")
	kill -TERM "$pid"
	wait "$pid" && rc=0 || rc=$?
	expect_eq "monitor exit status after SIGTERM" 0 "$rc"
}

cleanup() {
	reset_state
	rm -rf "$TMPD"
}

# ----------------------------------------------------------------- checks

t_contexts() {
	local T=$TMPD
	mkctx keepalive-secs 30
	jr set context set "$CTX" jitter-pct 5
	jr show1 context show "$CTX"
	jp pshow1 context show "$CTX"
	jr dump context show
	jp pdump context show
	jr del context del "$CTX"
	expect_eq "context del -j" "[]" "$OUT"
	# Nothing in the namespace: an empty array.
	ip netns add "$NETNS"
	r ip netns exec "$NETNS" "$CLI" -j context show
	expect_rc 0
	expect_eq "empty dump" "[]" "$OUT"
	# Refused: the reason on stderr, nothing on stdout.
	r "$CLI" -j context show "$CTX"
	expect_rc 1
	expect_eq "stdout of a refused show" "" "$OUT"
	expect_err "no context with this id"
	check "array:$T/ctx:1" "array:$T/set:1" "array:$T/show1:1" \
		"array:$T/pshow1:1" "array:$T/dump" "array:$T/pdump"
}

t_sessions() {
	local T=$TMPD sid
	mkctx keepalive-secs 30
	start_holder
	jr att attach --pid "$HOLDER" ctx "$CTX"
	sid=$(jid session-id)
	jr show1 session show "$sid"
	jp pshow1 session show "$sid"
	jr dump session show
	jr byctx session show ctx "$CTX"
	jr none session show ctx "$CTX" inode 1
	expect_eq "empty filtered dump" "[]" "$OUT"
	# The CLI's own socket (it closes when the CLI exits).
	r bash -c 'exec 5<>/dev/udp/127.0.0.1/9; exec "$@"' - "$CLI" -j session add ctx "$CTX" fd 5
	expect_rc 0
	printf '%s\n' "$OUT" >"$T/own"
	jr del session del "$sid"
	expect_eq "session del -j" "[]" "$OUT"
	check "array:$T/att:1" "array:$T/show1:1" "array:$T/pshow1:1" \
		"array:$T/dump" "array:$T/byctx:1" "array:$T/own:1"
}

# Pongs and the end of a session, as session show names things.
t_same_names() {
	local sid events line want k v
	mkctx keepalive-secs 1
	start_peer
	start_monitor mon.json -j monitor
	start_monitor mon.txt monitor
	start_holder
	r "$CLI" -j attach --pid "$HOLDER" ctx "$CTX"
	expect_rc 0
	sid=$(jid session-id)
	wait_for "$WAIT" grep -qE "\"event\":\"pong\".*\"session-id\":${sid}[,}]" "$TMPD/mon.json" ||
		{ echo "no pong of session $sid:"; cat "$TMPD/mon.json"; return 1; }
	r "$CLI" -j session show "$sid"
	expect_rc 0
	printf '%s\n' "$OUT" >"$TMPD/show"
	r "$CLI" session show "$sid"
	expect_rc 0
	line=$OUT
	r "$CLI" session del "$sid"
	expect_rc 0
	wait_for "$WAIT" grep -q '"event":"session-gone"' "$TMPD/mon.json" ||
		{ echo "no session-gone:"; cat "$TMPD/mon.json"; return 1; }
	wait_for "$WAIT" grep -q '^session-gone ' "$TMPD/mon.txt" ||
		{ echo "no session-gone in text:"; cat "$TMPD/mon.txt"; return 1; }
	stop_monitor mon.json
	stop_monitor mon.txt
	events=$(check "lines:$TMPD/mon.json" "same:$TMPD/mon.json:$TMPD/show") ||
		{ echo "$events"; cat "$TMPD/mon.json"; return 1; }
	expect_eq "events of session $sid" "pong session-gone" "$events"

	# Text: after the event name, the same "name value" as session show;
	# the first pong and the end are enough.
	{
		grep -m1 -E "^pong session-id $sid " "$TMPD/mon.txt"
		grep -m1 -E "^session-gone session-id $sid " "$TMPD/mon.txt"
	} >"$TMPD/ev" || { echo "text events do not start with session-id $sid:"; cat "$TMPD/mon.txt"; return 1; }
	cat "$TMPD/ev"
	echo "$line"
	for k in session-id ctx-id sock-inode peer-ipv4 peer-port; do
		want=$(field "$k" "$line")
		[ -n "$want" ] || { echo "session show lacks $k: $line"; return 1; }
		while read -r v; do
			v=$(field "$k" "$v")
			expect_eq "$k in a text event" "$want" "$v"
		done <"$TMPD/ev"
	done
	# And what is not an event's own is a name session show uses.
	while read -r v; do
		# shellcheck disable=SC2086
		set -- $v
		shift
		while [ $# -ge 2 ]; do
			case $1 in
			mid | gone-reason | nack-reason) ;;
			*) case " $line " in
			   *" $1 "*) ;;
			   *) echo "text event name '$1' is not in session show: $line"; return 1 ;;
			   esac ;;
			esac
			shift 2
		done
	done <"$TMPD/ev"
}

t_monitor_array() {
	# No event: an empty array, opened and closed.
	r "$CLI" -j monitor --timeout 0
	expect_rc 0
	expect_eq "monitor -j without events" $'[\n]' "$OUT"
	r "$CLI" -p monitor --timeout 0
	expect_rc 0
	expect_eq "monitor -p without events" $'[\n]' "$OUT"
	# Events: one array, an element per line, closed at SIGTERM; and
	# --count ends it too, with the array closed.
	mkctx keepalive-secs 30
	start_monitor mon -j monitor
	start_monitor cnt -j monitor --timeout 60 --count 1
	start_holder
	r "$CLI" attach --pid "$HOLDER" ctx "$CTX"
	expect_rc 0
	r "$CLI" session del "$(field session-id)"
	expect_rc 0
	start_holder
	r "$CLI" attach --pid "$HOLDER" ctx "$CTX"
	expect_rc 0
	r "$CLI" context del "$CTX"
	# shellcheck disable=SC2016
	wait_for "$WAIT" sh -c '[ "$(grep -c "\"event\":\"session-gone\"" "$1")" = 2 ]' - "$TMPD/mon" ||
		{ echo "not two session-gone:"; cat "$TMPD/mon"; return 1; }
	stop_monitor mon
	# shellcheck disable=SC2016
	wait_for "$WAIT" sh -c '! kill -0 "$1" 2>/dev/null' - "$(cat "$TMPD/cnt.pid")" ||
		{ echo "monitor --count 1 did not end"; return 1; }
	cat "$TMPD/mon"
	check "lines:$TMPD/mon" "array:$TMPD/mon:2" "lines:$TMPD/cnt" "array:$TMPD/cnt:1"
}

t_timestamps() {
	local s
	mkctx keepalive-secs 30
	start_monitor txt monitor -t
	start_monitor js -j monitor -t
	start_monitor glob -t -j monitor
	start_holder
	r "$CLI" attach --pid "$HOLDER" ctx "$CTX"
	expect_rc 0
	r "$CLI" context del "$CTX"
	for s in txt js glob; do
		wait_for "$WAIT" grep -q 'session-gone' "$TMPD/$s" ||
			{ echo "no session-gone:"; cat "$TMPD/$s"; return 1; }
		stop_monitor "$s"
	done
	cat "$TMPD/txt" "$TMPD/js"
	s=$(sed -n 's/^\[\([^]]*\)\] session-gone session-id .*/\1/p' "$TMPD/txt")
	[ -n "$s" ] || { echo "text event without a [timestamp] prefix"; return 1; }
	check "stamp:$s" "stamps:$TMPD/js" "stamps:$TMPD/glob" "array:$TMPD/js:1"
	# Without -t, no timestamp.
	r "$CLI" -j monitor --timeout 0
	case $OUT in
	*timestamp*) echo "timestamp without -t: $OUT"; return 1 ;;
	esac
}

TESTS=(
	"t_contexts:-j: context add, set, show, dump, empty dump, del print one array; a refusal prints none"
	"t_sessions:-j: attach, session add, show, dumps, filtered empty dump, del print one array"
	"t_same_names:show and monitor name the same things alike, with the same values (text and JSON)"
	"t_monitor_array:monitor -j: one array, an element per line, closed at SIGTERM, --count, --timeout"
	"t_timestamps:monitor -t: [ISO 8601] prefix in text, timestamp in JSON, none without -t"
)

ktap_header
[ "$(id -u)" = 0 ] || ktap_skip_all "must run as root (in a test VM)"
[ -x "$CLI" ] || ktap_skip_all "$CLI not built (make -C tools/coap-keepalive)"
for tool in ip python3 awk; do
	command -v $tool >/dev/null || ktap_skip_all "$tool not installed"
done
if ! "$CLI" context show >/dev/null 2>&1; then
	"$CLI" context show 2>&1 | ktap_diag
	ktap_skip_all "module coap_keepalive not loaded"
fi
ip link set lo up
trap cleanup EXIT
trap 'exit 1' INT TERM

ktap_plan ${#TESTS[@]}
for t in "${TESTS[@]}"; do
	run_check "${t%%:*}" "${t#*:}"
	reset_state
done
ktap_finish

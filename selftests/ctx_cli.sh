#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ctx_cli.sh - KTAP test of coap-keepalive(8) against the loaded module:
# contexts (add/set/show/del, text and JSON), the kernel's refusals and
# their extended ACKs, ownership, the per-user limit, network namespaces,
# rmmod with contexts present, and monitor.
#
# Runs as root in a throw-away guest (selftests/vm/run-vm.sh KERNEL
# selftests/ctx_cli.sh): it unloads and reloads the module, changes the
# module parameter max_contexts_per_user and makes network namespaces
# cka_a and cka_b. Everything it changes is put back at exit.
#
# Environment (set by the VM harness): CKA_SRC repository root, CKA_CLI the
# command, CKA_KO the module (to reload it after rmmod), KVER, optionally
# CKA_YNL and CKA_SPEC (to compare the JSON with the kernel's YNL cli.py).
# CKA_TEST_UID / CKA_TEST_UID2: the unprivileged uids (1000 / 2000).
#
# Each check runs in a subshell with errexit on, so any failed assertion
# ends it and prints why; between checks the state is reset (contexts the
# test made are deleted, the parameter restored, namespaces removed), so
# the checks do not depend on each other's order.

# The checks (and the helpers only they use) run through the TESTS table.
# shellcheck disable=SC2317
set -u

SRC=${CKA_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
. "$SRC/selftests/lib/ktap.sh"
# shellcheck source-path=SCRIPTDIR source=lib/cli.sh
. "$SRC/selftests/lib/cli.sh"

CLI=${CKA_CLI:-$SRC/tools/coap-keepalive/coap-keepalive}
MODNAME=coap_keepalive
PARAM=/sys/module/$MODNAME/parameters/max_contexts_per_user
UID1=${CKA_TEST_UID:-1000}
UID2=${CKA_TEST_UID2:-2000}
SPEC=${CKA_SPEC:-$SRC/Documentation/netlink/specs/coap_keepalive.yaml}
NETNS="cka_a cka_b"
NETADMIN_CAPS=--inh-caps=-all,+net_admin
# Settings, as the text output prints them, of a context made with none.
DEFAULTS=(keepalive-secs 0 ack-timeout-ms 2000 ack-random-factor 1.500
	  max-retransmit 4 pong-timeout-ms 0 activity rxtx jitter-pct 0
	  action notify flags none sessions 0)
ENOENT_MSG="No such file or directory: no context with this id in this network namespace (attribute ctx-id)"
EDQUOT_MSG="Disk quota exceeded: coap_keepalive: per-user context limit reached (module parameter max_contexts_per_user)"

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/ctx_cli.XXXXXX") || exit 1
TRACK=$TMPD/made		# "NETNS ID" of every context a check made
: >"$TRACK"
PARAM_ORIG=

# ---------------------------------------------------------------- helpers

# pfx NETNS WHO: the command prefix (array PFX) that runs as WHO (root,
# user, user2, netadmin) in NETNS ("-" for the initial one).
pfx() {
	PFX=()
	[ "$1" = - ] || PFX=(ip netns exec "$1")
	case $2 in
	root) ;;
	user) PFX+=(setpriv --reuid "$UID1" --regid "$UID1" --clear-groups --inh-caps=-all) ;;
	user2) PFX+=(setpriv --reuid "$UID2" --regid "$UID2" --clear-groups --inh-caps=-all) ;;
	netadmin) PFX+=(setpriv --reuid "$UID1" --regid "$UID1" --clear-groups
			"$NETADMIN_CAPS" --ambient-caps=+net_admin) ;;
	*) echo "pfx: bad user $2"; return 1 ;;
	esac
}

# c NETNS WHO ARGS...: the command as WHO in NETNS, through r.
c() {
	local -a PFX
	pfx "$1" "$2"
	shift 2
	r "${PFX[@]}" "$CLI" "$@"
}

is_id() {
	case $1 in
	'' | 0 | *[!0-9]*) echo "not a context id: '$1'"; return 1 ;;
	esac
}

# mk NETNS WHO [SETTING VALUE]...: make a context; ID, OUT hold the reply.
mk() {
	local ns=$1 who=$2
	shift 2
	c "$ns" "$who" context add "$@"
	expect_rc 0
	ID=$(field ctx-id)
	is_id "$ID"
	echo "$ns $ID" >>"$TRACK"
	MADE=$OUT
}

# line_of ID [TEXT]: the dump line of context ID ("" if none).
line_of() {
	printf '%s\n' "${2-$OUT}" | awk -v id="$1" '$1 == "ctx-id" && $2 == id'
}

# count_owner UID NETNS: contexts of UID visible in NETNS.
count_owner() {
	local n
	c "$2" root context show
	expect_rc 0 >&2 || return 1
	n=$(printf '%s\n' "$OUT" | awk -v u="$1" '$1 == "ctx-id" && $4 == u' | wc -l)
	echo "$n"
}

slab_active() {
	awk '$1 == "coap_ka_ctx" { print $2; found = 1 } END { exit !found }' \
		/proc/slabinfo 2>/dev/null
}

family_present() {
	"$CLI" context show >/dev/null 2>&1
}

netns_reset() {
	local ns
	for ns in $NETNS; do
		[ ! -e "/run/netns/$ns" ] || ip netns del "$ns" 2>/dev/null || true
	done
	for ns in $NETNS; do
		ip netns add "$ns" || return 1
	done
}

skip() {
	echo "SKIP: $*"
	exit 4
}

# skip_on_debug WHY: a check of the CLI alone (its parsing, or its output
# through Python helpers), whose many process starts cost minutes under
# KASAN in TCG; the kernel paths it reaches run in other checks.
skip_on_debug() {
	case $(uname -r) in
	*cka-debug*) skip "debug kernel: $*" ;;
	esac
}

# Compare JSON on stdin with an expectation (see the modes below).
cat >"$TMPD/jcheck.py" <<'EOF'
import json, sys

mode = sys.argv[1]
try:
    got = json.load(sys.stdin)
except ValueError as e:
    sys.exit("not JSON: %s" % e)

def norm(o):
    if isinstance(o, dict) and isinstance(o.get("flags"), list):
        o = dict(o, flags=sorted(o["flags"]))
    return o

# -j prints one array, always (as ip -j): a command about one object
# prints an array of one.
def one(o):
    if not isinstance(o, list) or len(o) != 1 or not isinstance(o[0], dict):
        sys.exit("expected an array of one object, got %r" % (o,))
    return o[0]

if mode == "obj":		# obj EXPECTED: an array of exactly this object
    want = json.loads(sys.argv[2])
    got = one(got)
    if norm(got) != norm(want):
        for k in sorted(set(got) | set(want)):
            if got.get(k, "<absent>") != want.get(k, "<absent>"):
                print("  %s: expected %r, got %r" % (k, want.get(k, "<absent>"), got.get(k, "<absent>")))
        sys.exit("object differs")
elif mode == "list-has":	# list-has EXPECTED: an array holding it
    want = json.loads(sys.argv[2])
    if not isinstance(got, list):
        sys.exit("expected an array, got %r" % (got,))
    if norm(want) not in [norm(o) for o in got]:
        sys.exit("%r not in the array" % (want,))
elif mode == "keys":		# keys SPEC: keys are the spec's ctx-get reply
    import yaml
    spec = yaml.safe_load(open(sys.argv[2]))
    op = [o for o in spec["operations"]["list"] if o["name"] == "ctx-get"][0]
    want = set(op["do"]["reply"]["attributes"])
    if set(one(got)) != want:
        sys.exit("keys %s, the spec says %s" % (sorted(one(got)), sorted(want)))
elif mode == "get":		# get KEY: a member of the one object
    print(one(got)[sys.argv[2]])
elif mode == "len":
    if not isinstance(got, list):
        sys.exit("expected an array, got %r" % (got,))
    print(len(got))
else:
    sys.exit("bad mode " + mode)
EOF
jcheck() {
	python3 "$TMPD/jcheck.py" "$@"
}

# Put back what a check may have changed. With few process starts: each
# costs a second or two on the debug kernel, and this runs after every
# check (the contexts of a namespace go in one --batch --force process,
# and a namespace that is gone takes its contexts with it).
reset_state() {
	local ns
	if [ ! -d "/sys/module/$MODNAME" ] && [ -f "${CKA_KO:-}" ]; then
		insmod "$CKA_KO" >/dev/null 2>&1
	fi
	if [ -n "$PARAM_ORIG" ] && [ -w "$PARAM" ]; then
		echo "$PARAM_ORIG" >"$PARAM"
	fi
	if [ -d "/sys/module/$MODNAME" ]; then
		local -A dels=()
		local id
		while read -r ns id; do
			dels[$ns]+="context del $id"$'\n'
		done <"$TRACK"
		for ns in "${!dels[@]}"; do
			if [ "$ns" = - ]; then
				"$CLI" --force --batch - <<<"${dels[$ns]}"
			elif [ -e "/run/netns/$ns" ]; then
				ip netns exec "$ns" "$CLI" --force --batch - <<<"${dels[$ns]}"
			fi
		done
	fi >/dev/null 2>&1
	: >"$TRACK"
	for ns in $NETNS; do
		[ ! -e "/run/netns/$ns" ] || ip netns del "$ns" 2>/dev/null
	done
}

cleanup() {
	reset_state
	rm -rf "$TMPD"
}

# ----------------------------------------------------------------- checks

t_help() {
	local s
	skip_on_debug "the CLI's usage text: no kernel request"
	r "$CLI" --help
	expect_rc 0
	for s in context monitor keepalive-secs ack-timeout-ms ack-random-factor \
		 max-retransmit pong-timeout-ms activity jitter-pct action flags \
		 seconds ack-timeout random-factor pong-timeout jitter; do
		case $OUT in
		*"$s"*) ;;
		*) echo "--help does not mention $s"; return 1 ;;
		esac
	done
	r "$CLI" --version
	expect_rc 0
	r "$CLI"
	expect_rc 2
	expect_err "missing OBJECT" "--help"
}

t_add_defaults() {
	mk - root
	expect_fields "$OUT" ctx-id "$ID" owner-uid 0 "${DEFAULTS[@]}"
	c - root context show "$ID"
	expect_rc 0
	expect_eq "show $ID" "$MADE" "$OUT"
}

t_add_all() {
	local line
	mk - root keepalive-secs 30 ack-timeout-ms 500 ack-random-factor 2.25 \
		max-retransmit 10 pong-timeout-ms 3600000 activity rx \
		jitter-pct 50 action abort flags answer-pings,empty-ping
	line="ctx-id $ID owner-uid 0 keepalive-secs 30 ack-timeout-ms 500 ack-random-factor 2.250 max-retransmit 10 pong-timeout-ms 3600000 activity rx jitter-pct 50 action abort flags answer-pings,empty-ping sessions 0"
	expect_eq "add reply" "$line" "$OUT"
	c - root context show "$ID"
	expect_rc 0
	expect_eq "show $ID" "$line" "$OUT"

	# The aliases, and the other ends of the ranges.
	mk - root seconds 86400 ack-timeout 10 random-factor 4 pong-timeout 0 \
		jitter 0 max-retransmit 0 flags empty-ping
	expect_fields "$OUT" keepalive-secs 86400 ack-timeout-ms 10 \
		ack-random-factor 4.000 pong-timeout-ms 0 jitter-pct 0 \
		max-retransmit 0 flags empty-ping activity rxtx action notify
	mk - root random-factor 1 ack-timeout-ms 60000 flags none
	expect_fields "$OUT" ack-random-factor 1.000 ack-timeout-ms 60000 \
		flags none
	mk - root random-factor 1.005
	expect_fields "$OUT" ack-random-factor 1.005
}

t_set() {
	local before want
	mk - root keepalive-secs 30 ack-timeout-ms 500 ack-random-factor 2.5 \
		max-retransmit 2 pong-timeout-ms 700 activity rx jitter-pct 5 \
		action abort flags answer-pings
	before=$OUT

	c - root context set "$ID" keepalive-secs 45
	expect_rc 0
	want=${before/keepalive-secs 30 /keepalive-secs 45 }
	expect_eq "set reply" "$want" "$OUT"
	c - root context show "$ID"
	expect_eq "show after set" "$want" "$OUT"

	c - root context set "$ID" flags none activity rxtx random-factor 1.25
	expect_rc 0
	want=${want/flags answer-pings /flags none }
	want=${want/activity rx /activity rxtx }
	want=${want/ack-random-factor 2.500 /ack-random-factor 1.250 }
	expect_eq "set of three" "$want" "$OUT"

	# Nothing to change: the reply is the context as it is.
	c - root context set "$ID"
	expect_rc 0
	expect_eq "empty set" "$want" "$OUT"
}

t_dump() {
	local ids="" id n
	for n in 101 102 103; do
		mk - root keepalive-secs "$n"
		ids="$ids $ID"
	done
	c - root context show
	expect_rc 0
	local dump=$OUT
	for id in $ids; do
		n=$(line_of "$id" "$dump" | wc -l)
		expect_eq "dump lines of context $id" 1 "$n"
		c - root context show "$id"
		expect_eq "dump line of $id vs show $id" "$OUT" "$(line_of "$id" "$dump")"
	done
	# Every line is a context, none twice.
	n=$(printf '%s\n' "$dump" | awk '$1 != "ctx-id"' | wc -l)
	expect_eq "non-context lines in the dump" 0 "$n"
	n=$(printf '%s\n' "$dump" | awk '{ print $2 }' | sort | uniq -d | wc -l)
	expect_eq "ids listed twice" 0 "$n"
}

# A context message is 116 bytes: 300 of them need two 32 KiB dump
# messages. They are made in cka_a, which then takes them all along.
t_dump_big() {
	local i n want=300 t ok=0
	netns_reset
	if [ -w "$PARAM" ]; then
		echo 0 >"$PARAM"
	fi
	# All in one process (--batch): one exec per context cost minutes
	# on the debug kernel under TCG.
	for ((i = 1; i <= want; i++)); do
		echo "context add jitter-pct $((i % 51))"
	done >"$TMPD/big.cmds"
	ip netns exec cka_a "$CLI" --batch "$TMPD/big.cmds" >"$TMPD/big" ||
		{ echo "context add failed after $(wc -l <"$TMPD/big") contexts"; return 1; }
	c cka_a root context show
	expect_rc 0
	n=$(printf '%s\n' "$OUT" | wc -l)
	expect_eq "contexts in the dump" "$want" "$n"
	n=$(printf '%s\n' "$OUT" | awk '{ print $2 }' | sort | uniq -d | wc -l)
	expect_eq "ids listed twice" 0 "$n"
	if [ "$(sort "$TMPD/big")" != "$(printf '%s\n' "$OUT" | sort)" ]; then
		echo "the dump lines are not the add replies:"
		diff <(sort "$TMPD/big") <(printf '%s\n' "$OUT" | sort) | head -n 20
		return 1
	fi
	c cka_a root -j context show
	expect_rc 0
	expect_eq "objects in the JSON dump" "$want" "$(printf '%s\n' "$OUT" | jcheck len)"

	# Gone with the namespace: root is back under the usual limit.
	ip netns del cka_a
	if [ -w "$PARAM" ]; then
		echo "$PARAM_ORIG" >"$PARAM"
	fi
	for t in $(seq 100); do
		c - root context add
		if [ "$RC" = 0 ]; then
			ok=1
			echo "- $(field ctx-id)" >>"$TRACK"
			break
		fi
		sleep 0.2
	done
	[ "$ok" = 1 ] || { echo "root still over the limit 20 s after ip netns del"; diag_cmd; return 1; }
}

# t_batch: --batch runs each line as a command in one process, stops at
# the first failure (its line on stderr, its exit status), goes on with
# --force; comments, blank lines and quotes; -j gives an array per line.
t_batch() {
	local f=$TMPD/batch ids n
	cat >"$f" <<-'EOF'
	# three contexts, the second refused by the kernel
	context add jitter-pct 7

	context 'add' "jitter-pct" 51
	context add jitter-pct 9   # a comment after the words
	EOF
	c - root --batch "$f"
	expect_rc 1
	expect_err "jitter-pct" "batch line 4 failed"
	n=$(printf '%s\n' "$OUT" | grep -c '^ctx-id ' || :)
	expect_eq "contexts made before the failure" 1 "$n"
	expect_fields "$OUT" jitter-pct 7
	echo "- $(field ctx-id)" >>"$TRACK"

	c - root --force --batch "$f"
	expect_rc 1
	expect_err "batch line 4 failed"
	ids=$(printf '%s\n' "$OUT" | awk '$1 == "ctx-id" { print $2 }')
	for n in $ids; do echo "- $n" >>"$TRACK"; done
	expect_eq "contexts made with --force" 2 "$(printf '%s\n' "$ids" | wc -w)"
	expect_eq "settings with --force" "7 9" \
		"$(printf '%s\n' "$OUT" | awk '{ for (i = 1; i < NF; i++) if ($i == "jitter-pct") printf "%s%s", s, $(i + 1); s = " " }')"

	printf 'context show %s\ncontext show %s\n' $ids | {
		r "$CLI" -j --batch -
		expect_rc 0
		# one array per command, each of one object
		n=$(printf '%s\n' "$OUT" | python3 -c 'import json, sys
d = json.JSONDecoder(); s = sys.stdin.read().strip(); n = 0
while s:
    a, i = d.raw_decode(s); s = s[i:].strip()
    assert isinstance(a, list) and len(a) == 1, a
    n += 1
print(n)')
		expect_eq "JSON arrays" 2 "$n"
	}

	printf 'context show\n-j context show\n' | { r "$CLI" --batch -; expect_rc 2;
		expect_err "batch" "stdin line 2: options go on the command line"; }
	printf "context add 'jitter-pct 1\n" | { r "$CLI" --batch -; expect_rc 2;
		expect_err "stdin line 1: unterminated quote"; }
	c - root --batch "$TMPD/none"
	expect_rc 1
	expect_err "$TMPD/none: No such file or directory"
	c - root --batch "$f" context show
	expect_rc 2
	c - root --force context show
	expect_rc 2
	expect_err "--force goes with --batch"
}

t_del() {
	mk - root
	c - root context del "$ID"
	expect_rc 0
	expect_eq "del stdout" "" "$OUT"
	expect_eq "del stderr" "" "$ERR"
	c - root context show "$ID"
	expect_rc 1
	expect_err "$ENOENT_MSG"
	c - root context set "$ID" keepalive-secs 1
	expect_rc 1
	expect_err "$ENOENT_MSG"
	c - root context del "$ID"
	expect_rc 1
	expect_err "$ENOENT_MSG"
	c - root context show
	expect_rc 0
	expect_eq "dump line of deleted $ID" "" "$(line_of "$ID")"
}

t_json() {
	local want
	skip_on_debug "JSON formatting, checked by a Python process per assertion (the same requests run in t_add_all, t_set, t_dump)"
	c - root -j context add keepalive-secs 7 ack-random-factor 1.25 \
		activity rx action abort flags answer-pings
	expect_rc 0
	ID=$(printf '%s\n' "$OUT" | jcheck get ctx-id)
	is_id "$ID"
	echo "- $ID" >>"$TRACK"
	want='{"ctx-id": '$ID', "owner-uid": 0, "keepalive-secs": 7,
	       "ack-timeout-ms": 2000, "ack-random-factor": 1250,
	       "max-retransmit": 4, "pong-timeout-ms": 0, "activity": "rx",
	       "jitter-pct": 0, "action": "abort", "flags": ["answer-pings"],
	       "sessions": 0}'
	printf '%s\n' "$OUT" | jcheck obj "$want"
	if python3 -c 'import yaml' 2>/dev/null && [ -f "$SPEC" ]; then
		printf '%s\n' "$OUT" | jcheck keys "$SPEC"
	fi

	c - root -j context show "$ID"
	expect_rc 0
	printf '%s\n' "$OUT" | jcheck obj "$want"
	c - root --pretty context show "$ID"
	expect_rc 0
	printf '%s\n' "$OUT" | jcheck obj "$want"
	c - root -j context show
	expect_rc 0
	printf '%s\n' "$OUT" | jcheck list-has "$want"

	c - root -j context set "$ID" flags answer-pings,empty-ping activity rxtx
	expect_rc 0
	want=${want/\"rx\"/\"rxtx\"}
	want=${want/\[\"answer-pings\"\]/[\"answer-pings\", \"empty-ping\"]}
	printf '%s\n' "$OUT" | jcheck obj "$want"
	c - root -j context set "$ID" flags none
	want=${want/\[\"answer-pings\", \"empty-ping\"\]/[]}
	printf '%s\n' "$OUT" | jcheck obj "$want"

	# An empty dump is an empty array.
	netns_reset
	c cka_a root -j context show
	expect_rc 0
	expect_eq "empty JSON dump" "[]" "$OUT"
}

# The JSON of the CLI is what the kernel's own YNL tool says.
t_ynl() {
	local ynl=${CKA_YNL:-} args=() help
	if [ -z "$ynl" ] || [ ! -f "$ynl" ]; then
		skip "no YNL cli.py (CKA_YNL)"
	fi
	skip_on_debug "YNL's cli.py against the CLI's JSON; ctx_ynl.py compares the two in one process"
	python3 -c 'import yaml' 2>/dev/null || skip "python3 has no yaml"
	help=$(python3 "$ynl" --help 2>&1) || skip "cli.py --help fails"
	case $help in *--no-schema*) args+=(--no-schema) ;; esac
	mk - root keepalive-secs 9 random-factor 3.125 activity rx flags empty-ping,answer-pings
	r python3 "$ynl" --spec "$SPEC" "${args[@]}" --do ctx-get --json "{\"ctx-id\": $ID}"
	expect_rc 0
	local ynl_out=$OUT
	c - root -j context show "$ID"
	expect_rc 0
	# cli.py pretty-prints a Python literal (flags as a set).
	printf '%s\n' "$ynl_out" | python3 -c '
import ast, json, sys
d = ast.literal_eval(sys.stdin.read())
d = {k: sorted(v) if isinstance(v, (set, list)) else v for k, v in d.items()}
print(json.dumps(d))' >"$TMPD/ynl.json"
	printf '%s\n' "$OUT" | jcheck obj "$(cat "$TMPD/ynl.json")"
}

t_range() {
	local before spec k v range
	mk - root keepalive-secs 60
	before=$OUT
	for spec in keepalive-secs:86401:0..86400 ack-timeout-ms:5:10..60000 \
		    ack-timeout-ms:60001:10..60000 \
		    ack-random-factor:0.5:1.000..4.000 \
		    ack-random-factor:4.001:1.000..4.000 \
		    max-retransmit:11:0..10 pong-timeout-ms:3600001:0..3600000 \
		    jitter-pct:51:0..50; do
		IFS=: read -r k v range <<<"$spec"
		c - root context add "$k" "$v"
		expect_rc 1
		expect_err "Numerical result out of range: integer out of range (attribute $k) valid range $range"
		c - root context set "$ID" "$k" "$v"
		expect_rc 1
		expect_err "out of range (attribute $k) valid range $range"
	done
	c - root context show "$ID"
	expect_eq "context after refused sets" "$before" "$OUT"
}

t_flags() {
	local before
	c - root context show
	before=$OUT
	c - root context add flags bogus
	expect_rc 2
	expect_err "unknown flag 'bogus'"
	c - root context add flags answer-pings,bogus
	expect_rc 2
	expect_err "unknown flag 'bogus'"
	c - root context add flags none,answer-pings
	expect_rc 2
	c - root context add activity tx
	expect_rc 2
	expect_err "expected one of rxtx, rx"
	c - root context add action drop
	expect_rc 2
	expect_err "expected one of notify, abort"
	# Raw bits reach the kernel, which refuses those it does not know.
	c - root context add flags 0x4
	expect_rc 1
	expect_err "Invalid argument" "reserved bit set" "(attribute flags)"
	c - root context show
	expect_eq "dump after refused adds" "$before" "$OUT"
	mk - root flags 0x3
	expect_fields "$OUT" flags answer-pings,empty-ping
}

t_id0() {
	local args
	for args in "show 0" "set 0 keepalive-secs 1" "del 0"; do
		# shellcheck disable=SC2086
		c - root context $args
		expect_rc 1
		expect_err "Numerical result out of range" "out of range (attribute ctx-id) valid range 1..4294967295"
	done
}

t_bad_id() {
	local args
	for args in "show 4294967295" "set 4294967295 keepalive-secs 1" "del 4294967295"; do
		# shellcheck disable=SC2086
		c - root context $args
		expect_rc 1
		expect_err "$ENOENT_MSG"
	done
	for args in set del; do
		c - root context "$args"
		expect_rc 2
		expect_err "missing context id"
	done
	c - root context set keepalive-secs 5
	expect_rc 2
	expect_err "invalid context id 'keepalive-secs'"
}

t_garbage() {
	local before args
	skip_on_debug "usage errors, refused before any kernel request (show before and after runs in t_dump)"
	c - root context show
	before=$OUT
	while read -r args; do
		[ -n "$args" ] || continue
		eval "set -- $args"
		c - root "$@"
		expect_rc 2
		[ -n "$ERR" ] || { echo "no message for: $args"; return 1; }
		expect_eq "stdout of: $args" "" "$OUT"
	done <<'EOF'
context add keepalive-secs abc
context add keepalive-secs -1
context add keepalive-secs +1
context add keepalive-secs 4294967296
context add keepalive-secs 99999999999999999999
context add keepalive-secs 1.5
context add keepalive-secs ''
context add keepalive-secs 0x10
context add ack-random-factor 1.2345
context add ack-random-factor x
context add ack-random-factor -1.5
context add ack-random-factor 1.
context add ack-random-factor .5
context add ack-random-factor 5000000
context add no-such-setting 1
context add keepalive-secs
context add keepalive-secs 1 seconds 2
context add sessions 1
context add ctx-id 5
context add owner-uid 5
context show abc
context show -1
context show 1 2
context del 1x
context del 1 2
context set 99999999999 keepalive-secs 1
context frobnicate
no-such-object
--no-such-option context show
monitor --count
monitor --count x
monitor --timeout -1
monitor --bogus
EOF
	c - root context show
	expect_eq "dump after usage errors" "$before" "$OUT"
}

t_user_own() {
	mk - user keepalive-secs 20
	expect_fields "$OUT" owner-uid "$UID1" keepalive-secs 20
	c - user context set "$ID" keepalive-secs 10
	expect_rc 0
	expect_fields "$OUT" owner-uid "$UID1" keepalive-secs 10
	c - root context show "$ID"
	expect_fields "$OUT" owner-uid "$UID1" keepalive-secs 10
	c - user context del "$ID"
	expect_rc 0
	c - root context show "$ID"
	expect_rc 1
	expect_err "$ENOENT_MSG"
}

t_user_other() {
	local before
	mk - root keepalive-secs 11
	before=$OUT
	# Another user's context does not exist for an unprivileged user.
	c - user context show "$ID"
	expect_rc 1
	expect_err "$ENOENT_MSG"
	c - user context set "$ID" keepalive-secs 12
	expect_rc 1
	expect_err "$ENOENT_MSG"
	c - user context del "$ID"
	expect_rc 1
	expect_err "$ENOENT_MSG"
	c - user -j context show
	expect_rc 0
	expect_eq "user's dump of root's contexts" "[]" "$OUT"
	c - root context show "$ID"
	expect_eq "root's context after refused changes" "$before" "$OUT"

	# Between two unprivileged users too.
	mk - user keepalive-secs 13
	before=$OUT
	c - user2 context set "$ID" keepalive-secs 14
	expect_rc 1
	expect_err "$ENOENT_MSG"
	c - user2 context del "$ID"
	expect_rc 1
	expect_err "$ENOENT_MSG"
	c - root context show "$ID"
	expect_eq "user's context after refused changes" "$before" "$OUT"
}

t_user_show() {
	local rootid mine
	mk - root keepalive-secs 15
	rootid=$ID
	mk - user keepalive-secs 16
	mine=$MADE
	# The user's dump holds its own context and nothing of root's.
	c - user context show
	expect_rc 0
	expect_eq "uid $UID1's dump" "$mine" "$OUT"
	# Root sees both, the user's with its owner.
	c - root context show
	expect_rc 0
	[ -n "$(line_of "$rootid")" ] || { echo "root's dump lacks its own context"; return 1; }
	[ -n "$(line_of "$ID")" ] || { echo "root's dump lacks uid $UID1's context"; return 1; }
	c - root -j context show "$ID"
	expect_rc 0
	expect_eq "owner-uid" "$UID1" "$(printf '%s\n' "$OUT" | jcheck get owner-uid)"
}

t_root_user() {
	mk - user keepalive-secs 16
	c - root context set "$ID" keepalive-secs 17 action abort
	expect_rc 0
	expect_fields "$OUT" owner-uid "$UID1" keepalive-secs 17 action abort
	c - root context del "$ID"
	expect_rc 0
	c - user context show "$ID"
	expect_rc 1
	expect_err "$ENOENT_MSG"
}

# It is CAP_NET_ADMIN that lets root in, not uid 0.
t_netadmin() {
	r setpriv --reuid "$UID1" --regid "$UID1" --clear-groups \
		"$NETADMIN_CAPS" --ambient-caps=+net_admin true
	[ "$RC" = 0 ] || skip "setpriv cannot give ambient capabilities: $ERR"
	mk - root keepalive-secs 18
	c - netadmin context set "$ID" keepalive-secs 19
	expect_rc 0
	expect_fields "$OUT" owner-uid 0 keepalive-secs 19
	c - netadmin context del "$ID"
	expect_rc 0
	c - root context show "$ID"
	expect_rc 1
	expect_err "$ENOENT_MSG"
}

t_limit() {
	local nu nr n2 lim i first
	[ -w "$PARAM" ] || skip "$PARAM is not writable"
	nu=$(count_owner "$UID1" -)
	nr=$(count_owner 0 -)
	n2=$(count_owner "$UID2" -)
	lim=$(printf '%s\n' "$nu" "$nr" "$n2" | sort -n | tail -n1)
	lim=$((lim + 3))
	echo "$lim" >"$PARAM"

	for i in $(seq $((lim - nu))); do
		mk - user
		if [ "$i" = 1 ]; then
			first=$ID
		fi
	done
	c - user context add
	expect_rc 1
	expect_err "$EDQUOT_MSG"
	# Other users have counts of their own.
	mk - root
	mk - user2

	# Deleting gives room again, whoever deletes.
	c - user context del "$first"
	expect_rc 0
	mk - user
	c - user context add
	expect_rc 1
	expect_err "$EDQUOT_MSG"
	c - root context del "$ID"
	expect_rc 0
	mk - user

	# Lowering the limit keeps what exists but allows no more.
	echo 1 >"$PARAM"
	expect_eq "contexts of uid $UID1 after lowering the limit" "$lim" "$(count_owner "$UID1" -)"
	c - user context add
	expect_rc 1
	expect_err "$EDQUOT_MSG"
}

t_netns() {
	local a b
	netns_reset
	c - root context show
	if printf '%s\n' "$OUT" | grep -q ' keepalive-secs 4321 '; then
		echo "the initial namespace already has a context with keepalive-secs 4321"
		return 1
	fi
	mk cka_a root keepalive-secs 4321
	a=$ID
	c cka_a root context show
	expect_rc 0
	expect_fields "$(line_of "$a")" keepalive-secs 4321

	# Not visible from the initial namespace, nor from cka_b.
	c - root context show
	expect_rc 0
	if printf '%s\n' "$OUT" | grep -q ' keepalive-secs 4321 '; then
		echo "context of cka_a seen in the initial namespace:"
		echo "$OUT"
		return 1
	fi
	c - root context show "$a"
	if [ "$RC" = 0 ]; then
		[ "$(field keepalive-secs)" != 4321 ] ||
			{ echo "cka_a's context $a seen from the initial namespace"; return 1; }
	else
		expect_rc 1
		expect_err "$ENOENT_MSG"
	fi
	c cka_b root context show
	expect_rc 0
	expect_eq "dump of cka_b" "" "$OUT"
	c cka_b root context show "$a"
	expect_rc 1
	expect_err "$ENOENT_MSG"
	c cka_b root context del "$a"
	expect_rc 1
	expect_err "$ENOENT_MSG"

	# The same id may exist in both; deleting one leaves the other.
	mk cka_b root keepalive-secs 1234
	b=$ID
	c cka_b root context del "$b"
	expect_rc 0
	c cka_a root context show "$a"
	expect_rc 0
	expect_fields "$OUT" keepalive-secs 4321
}

# A namespace's contexts die with it: the owner's count and the slab go
# back to where they were.
t_netns_free() {
	local nu lim slab0 slab1 i t ok=0
	[ -w "$PARAM" ] || skip "$PARAM is not writable"
	netns_reset
	slab0=$(slab_active) || slab0=
	nu=$(count_owner "$UID1" -)
	lim=$((nu + 2))
	echo "$lim" >"$PARAM"
	mk cka_a user
	mk cka_a user
	c cka_a user context add
	expect_rc 1
	expect_err "$EDQUOT_MSG"
	# The limit counts over all namespaces.
	c cka_b user context add
	expect_rc 1
	expect_err "$EDQUOT_MSG"
	# (Not checked: KFENCE serves some allocations outside the slab.)
	slab1=$(slab_active) || slab1=
	echo "coap_ka_ctx active objects: ${slab0:-?} before, ${slab1:-?} with two more contexts"

	ip netns del cka_a
	for t in $(seq 50); do
		c cka_b user context add
		if [ "$RC" = 0 ]; then
			ok=1
			echo "cka_b $(field ctx-id)" >>"$TRACK"
			c cka_b user context del "$(field ctx-id)"
			break
		fi
		sleep 0.2
	done
	[ "$ok" = 1 ] || { echo "uid $UID1 still at its limit 10 s after ip netns del cka_a"; diag_cmd; return 1; }

	if [ -n "$slab0" ]; then
		for t in $(seq 50); do
			slab1=$(slab_active)
			[ "$slab1" = "$slab0" ] && break
			sleep 0.2
		done
		expect_eq "coap_ka_ctx active objects 10 s after ip netns del" "$slab0" "$slab1"
	else
		echo "no coap_ka_ctx line in /proc/slabinfo: slab not checked"
	fi
}

t_rmmod() {
	local slab i
	[ -f "${CKA_KO:-}" ] || skip "CKA_KO not set: cannot load the module again"
	netns_reset
	mk - root
	mk - user
	mk cka_b root
	mk cka_b user
	slab=$(slab_active) || slab=

	r rmmod "$MODNAME"
	expect_rc 0
	for i in - cka_b; do
		c "$i" root context show
		expect_rc 1
		expect_err "generic netlink family 'coap_keepalive' not found" "modprobe coap_keepalive"
	done
	if [ -n "$slab" ] && slab_active >/dev/null; then
		echo "coap_ka_ctx still in /proc/slabinfo after rmmod"
		return 1
	fi

	r insmod "$CKA_KO"
	expect_rc 0
	for i in - cka_b; do
		c "$i" root context show
		expect_rc 0
		expect_eq "dump after reload ($i)" "" "$OUT"
	done
}

t_monitor() {
	c - root monitor --timeout 1
	expect_rc 0
	expect_err "monitoring coap_keepalive group events"
	expect_eq "events" "" "$OUT"
	c - root -j monitor --timeout 0
	expect_rc 0
	expect_eq "events (JSON)" 0 "$(printf '%s\n' "$OUT" | jcheck len)"
}

t_monitor_signal() {
	local sig pid rc t
	for sig in TERM INT; do
		"$CLI" monitor 2>"$TMPD/mon.err" >"$TMPD/mon.out" &
		pid=$!
		for t in $(seq 100); do
			grep -q monitoring "$TMPD/mon.err" && break
			sleep 0.1
		done
		grep -q monitoring "$TMPD/mon.err" ||
			{ kill -KILL "$pid"; echo "monitor never subscribed:"; cat "$TMPD/mon.err"; return 1; }
		kill -"$sig" "$pid"
		wait "$pid" && rc=0 || rc=$?
		expect_eq "monitor exit status after SIG$sig" 0 "$rc"
	done
}

t_monitor_user() {
	local kv maj min
	kv=${KVER:-$(uname -r)}
	maj=${kv%%.*}
	min=${kv#*.}
	min=${min%%[!0-9]*}
	c - user monitor --timeout 1
	if [ "$maj" -gt 6 ] || { [ "$maj" = 6 ] && [ "$min" -ge 7 ]; }; then
		expect_rc 1
		expect_err "cannot join multicast group 'events': Operation not permitted"
	elif [ "$RC" = 0 ]; then
		echo "kernel $kv lets uid $UID1 join the events group"
	else
		expect_rc 1
		expect_err "Operation not permitted"
		echo "kernel $kv refuses uid $UID1 the events group (backport)"
	fi
}

TESTS=(
	"t_help:cli: --help, --version and a missing object"
	"t_add_defaults:add without settings replies with the defaults"
	"t_add_all:add with every setting (and aliases, range ends); show returns them"
	"t_set:set changes the given settings and leaves the others"
	"t_dump:show without id lists every context once"
	"t_dump_big:a dump of 300 contexts (two messages) lists each once; netns takes them"
	"t_batch:--batch: a command per line in one process, stops at the first failure (--force goes on), -j an array per line"
	"t_del:del removes it; show, set, del of it fail with ENOENT"
	"t_json:JSON output: YAML keys, YNL values, objects and arrays"
	"t_ynl:JSON output equals the kernel's YNL cli.py"
	"t_range:out-of-range values refused with attribute and range; context unchanged"
	"t_flags:flag and enum names checked by the CLI, unknown bits by the kernel"
	"t_id0:id 0 is out of range"
	"t_bad_id:unknown id is ENOENT; missing id is a usage error"
	"t_garbage:garbage values are usage errors (exit 2) and reach no kernel"
	"t_user_own:unprivileged user adds, sets, deletes its own context"
	"t_user_other:another user's context does not exist for an unprivileged user (ENOENT)"
	"t_user_show:an unprivileged user's dump holds only its own contexts; root sees all"
	"t_root_user:root can set and del a user's context"
	"t_netadmin:non-root with CAP_NET_ADMIN can set and del root's context"
	"t_limit:per-user limit max_contexts_per_user gives EDQUOT, per user"
	"t_netns:contexts are per network namespace"
	"t_netns_free:deleting a namespace frees its contexts (user count, slab)"
	"t_monitor:monitor subscribes as root and ends at --timeout"
	"t_monitor_signal:monitor ends with status 0 on SIGTERM and SIGINT"
	"t_monitor_user:monitor as an unprivileged user (EPERM from 6.7)"
	"t_rmmod:rmmod with contexts in two namespaces, family gone, insmod, empty"
)

ktap_header
[ "$(id -u)" = 0 ] || ktap_skip_all "must run as root (in a test VM)"
[ -x "$CLI" ] || ktap_skip_all "$CLI not built (make -C tools/coap-keepalive)"
for tool in ip setpriv python3 awk; do
	command -v $tool >/dev/null || ktap_skip_all "$tool not installed"
done
if ! family_present; then
	"$CLI" context show 2>&1 | ktap_diag
	ktap_skip_all "module $MODNAME not loaded"
fi
[ -r "$PARAM" ] && PARAM_ORIG=$(cat "$PARAM")
trap cleanup EXIT
trap 'exit 1' INT TERM

ktap_plan ${#TESTS[@]}
for t in "${TESTS[@]}"; do
	run_check "${t%%:*}" "${t#*:}"
	reset_state
done
ktap_finish

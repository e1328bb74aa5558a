#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Contexts through the kernel's own YNL client (tools/net/ynl/cli.py) driven
# by our YAML spec, cross-checked against the coap-keepalive CLI: what one
# writes the other reads back identically, for do and dump.
#
# Env: CKA_SRC, CKA_CLI, CKA_YNL, CKA_SPEC; CKA_NLSPECS (Documentation/netlink
# of the kernel tree the YNL library came from; default next to CKA_YNL).

. "$CKA_SRC/selftests/lib/ktap.sh"

NLSPECS=${CKA_NLSPECS:-$(dirname "$CKA_YNL")/../../../Documentation/netlink}
SCHEMA=$NLSPECS/genetlink-legacy.yaml
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

ynl() {
	python3 "$CKA_YNL" --spec "$CKA_SPEC" --schema "$SCHEMA" --output-json "$@"
}

cli() {
	"$CKA_CLI" -j "$@"
}

# cli1 ARGS...: the CLI's one object: -j always prints an array, here of one.
cli1() {
	local out
	out=$(cli "$@") || return 1
	python3 -c 'import json,sys
a = json.loads(sys.argv[1])
if not isinstance(a, list) or len(a) != 1:
    sys.exit("not an array of one object: %r" % (a,))
print(json.dumps(a[0]))' "$out"
}

# same_json A B: the two JSON documents are equal (lists compared by ctx-id)
same_json() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
def norm(x):
    if isinstance(x, list):
        return sorted((norm(i) for i in x), key=lambda c: c.get('ctx-id', 0))
    if isinstance(x, dict):
        return {k: sorted(v) if isinstance(v, list) else v for k, v in x.items()}
    return x
a, b = (json.loads(s) for s in sys.argv[1:3])
if norm(a) != norm(b):
    print('first: ', json.dumps(norm(a), sort_keys=True))
    print('second:', json.dumps(norm(b), sort_keys=True))
    sys.exit(1)
EOF
}

# field JSON KEY
field() {
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

ktap_header
if [ ! -r "$SCHEMA" ] || [ ! -r "$CKA_YNL" ]; then
	ktap_skip_all "YNL or its schemas not found ($CKA_YNL, $SCHEMA)"
fi
ktap_plan 7

# Start clean.
for id in $(cli context show | python3 -c 'import json,sys; print(*[c["ctx-id"] for c in json.load(sys.stdin)])'); do
	cli context del "$id"
done

# 1. made with YNL, read with the CLI
made=$(ynl --do ctx-new --json '{"keepalive-secs": 42, "ack-timeout-ms": 250, "ack-random-factor": 1750, "max-retransmit": 3, "pong-timeout-ms": 900, "activity": "rx", "jitter-pct": 5, "action": "abort", "flags": ["answer-pings", "empty-ping"]}' 2>"$OUT/err")
id1=$(field "$made" ctx-id 2>/dev/null)
if [ -n "$id1" ] && shown=$(cli1 context show "$id1") && same_json "$made" "$shown" >"$OUT/diff"; then
	ktap_ok "ynl ctx-new reply equals CLI context show"
else
	ktap_fail "ynl ctx-new reply equals CLI context show"
	ktap_diag <"$OUT/err"
	ktap_diag <"$OUT/diff"
fi

# 2. made with the CLI, read with YNL
made=$(cli1 context add seconds 7 activity rxtx action notify flags none)
id2=$(field "$made" ctx-id 2>/dev/null)
if [ -n "$id2" ] && got=$(ynl --do ctx-get --json "{\"ctx-id\": $id2}") &&
   same_json "$made" "$got" >"$OUT/diff"; then
	ktap_ok "CLI context add equals ynl ctx-get"
else
	ktap_fail "CLI context add equals ynl ctx-get"
	ktap_diag <"$OUT/diff"
fi

# 3. changed with YNL: the CLI sees exactly that change
before=$(cli1 context show "$id2")
ynl --do ctx-set --json "{\"ctx-id\": $id2, \"max-retransmit\": 9}" >/dev/null
after=$(cli1 context show "$id2")
expect=$(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); c["max-retransmit"]=9; print(json.dumps(c))' "$before")
if same_json "$expect" "$after" >"$OUT/diff"; then
	ktap_ok "ynl ctx-set changes one setting, seen by the CLI"
else
	ktap_fail "ynl ctx-set changes one setting, seen by the CLI"
	ktap_diag <"$OUT/diff"
fi

# 4. dumps agree, and list exactly the two contexts
ydump=$(ynl --dump ctx-get)
cdump=$(cli context show)
n=$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$ydump")
if [ "$n" = 2 ] && same_json "$ydump" "$cdump" >"$OUT/diff"; then
	ktap_ok "ynl dump equals CLI dump (2 contexts)"
else
	ktap_fail "ynl dump equals CLI dump (2 contexts, got $n)"
	ktap_diag <"$OUT/diff"
fi

# 5. deleted with YNL: the CLI no longer finds it
ynl --do ctx-del --json "{\"ctx-id\": $id1}" >/dev/null
if ! cli context show "$id1" 2>"$OUT/err" && grep -q "no context with this id" "$OUT/err"; then
	ktap_ok "ynl ctx-del removes the context"
else
	ktap_fail "ynl ctx-del removes the context"
	ktap_diag <"$OUT/err"
fi

# 6. the kernel's range check reaches a YNL user too
if ! ynl --do ctx-set --json "{\"ctx-id\": $id2, \"jitter-pct\": 51}" >"$OUT/err" 2>&1 &&
   grep -q "out of range" "$OUT/err"; then
	ktap_ok "ynl sees the policy's out-of-range error"
else
	ktap_fail "ynl sees the policy's out-of-range error"
	ktap_diag <"$OUT/err"
fi

# 7. an unknown enum name never reaches the kernel as a number
if ! ynl --do ctx-set --json "{\"ctx-id\": $id2, \"action\": \"explode\"}" >"$OUT/err" 2>&1 &&
   [ "$(field "$(cli1 context show "$id2")" action)" = notify ]; then
	ktap_ok "unknown enum name refused, context unchanged"
else
	ktap_fail "unknown enum name refused, context unchanged"
	ktap_diag <"$OUT/err"
fi

cli context del "$id2"
ktap_finish

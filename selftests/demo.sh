#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: runs inside a QEMU guest with the module loaded and shows it
# doing its job, with the CLI and with the kernel's own YNL client.
# Env: CKA_CLI, CKA_YNL, CKA_SPEC (set by selftests/vm).
set -e

NLSPECS=${CKA_NLSPECS:-$(dirname "$CKA_YNL")/../../../Documentation/netlink}

step() {
	printf '\n== %s\n' "$*"
}

run() {
	printf '$ %s\n' "$*"
	"$@"
}


step "The module is loaded; its generic netlink family is registered"
run grep coap_keepalive /proc/modules
run cat /sys/module/coap_keepalive/parameters/max_contexts_per_user

step "A context is libcoap's coap_context_t: ping after 30 s idle, RFC 7252 retransmission"
run "$CKA_CLI" context add seconds 30 ack-timeout 2000 random-factor 1.5 max-retransmit 4

step "Another, for a lossy link: faster retries, abort when the peer is gone"
run "$CKA_CLI" context add seconds 5 ack-timeout 500 max-retransmit 2 action abort jitter 10

step "Change a context live (sessions using it follow it)"
run "$CKA_CLI" context set 1 seconds 60

step "All contexts of this network namespace, as JSON"
run "$CKA_CLI" -j -p context show

step "The same through the kernel's YNL client and our YAML spec"
run python3 "$CKA_YNL" --spec "$CKA_SPEC" --schema "$NLSPECS/genetlink-legacy.yaml" --dump ctx-get

step "Mistakes are explained by the kernel (extended ACK)"
run "$CKA_CLI" context add seconds 100000 || true
run "$CKA_CLI" context del 99 || true

step "Another user sees none of root's contexts (and cannot change them)"
run setpriv --reuid 1000 --regid 1000 --clear-groups "$CKA_CLI" context show
run setpriv --reuid 1000 --regid 1000 --clear-groups "$CKA_CLI" context del 1 || true

step "Contexts belong to a network namespace"
run ip netns add demo
run ip netns exec demo "$CKA_CLI" context show
run ip netns del demo

step "A real CoAP server (libcoap's coap-server-notls) and an unmodified client that observes a resource, then idles"
ip link set lo up
coap-server-notls -A 127.0.0.1 -p 5683 >/dev/null 2>&1 &
SERVER=$!
sleep 1
coap-client-notls -s 60 -B 60 coap://127.0.0.1/example_data >/tmp/demo-client.out 2>&1 &
CLIENT=$!
sleep 2
run ls -l /proc/$CLIENT/fd

step "Watch the events (in the background)"
"$CKA_CLI" monitor -t >/tmp/demo-events.txt 2>/dev/null &
MONITOR=$!
sleep 1

step "Keep the client's session alive from the kernel: ping after 1 s idle"
run "$CKA_CLI" context add seconds 1 ack-timeout 500 max-retransmit 2
run "$CKA_CLI" attach --pid "$CLIENT" ctx 3
sleep 3.5
run "$CKA_CLI" session show

step "The server goes away: its port is silent now, so the pings go unanswered"
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true
sleep 7
run "$CKA_CLI" session show

step "The client exits: its session ends with it"
kill "$CLIENT"
wait "$CLIENT" 2>/dev/null || true
sleep 1
run "$CKA_CLI" session show

step "What the monitor printed: pongs while the server answered, a nack after, the end"
kill "$MONITOR"
wait "$MONITOR" 2>/dev/null || true
run cat /tmp/demo-events.txt

step "Clean up"
run "$CKA_CLI" context del 1
run "$CKA_CLI" context del 2
run "$CKA_CLI" context del 3
run "$CKA_CLI" context show

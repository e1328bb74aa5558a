#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lib_example.sh - KTAP test of libcoapka (tools/lib/coapka) through its
# example: a libcoap 4.3.1 client (examples/libcoap_client, linked against
# libcoapka.so.0 through the staged coapka.pc) GETs /time from a real
# coap-server-notls on 127.0.0.1 with libcoap's keepalive off, attaches its
# session's socket with coapka_attach_fd() to a context of its own
# (keepalive 1 s, ACK_TIMEOUT 100 ms, ACK_RANDOM_FACTOR 1.0,
# MAX_RETRANSMIT 2) and prints the library's callbacks. The server
# answers the kernel's Pings (PONG callbacks); once it vanishes silently
# (an nft rule drops what is sent to it, as a NAT that forgot the binding
# would), the NACK callback comes with reason too-many-retries and 2
# retransmissions. Its time is checked against what the module controls:
# no sooner than 700 ms (the retransmission schedule) after the last Pong
# (the idle clock restarts there, so the next Ping is at least 1 s later:
# 400 ms are left for this process to see the Pong late), and no later
# than idle time plus schedule after the drop rule was in place (nft
# itself can take over a second on the debug kernel), with slack for a
# TCG guest. (A server that is killed instead answers with ICMP port
# unreachable: that NACKs at once, reason unreachable, see udp_test.)
# Freeing the context ends the session (GONE callback, reason 3).
# The example runs as an unprivileged user without capabilities: its own
# events reach it by the kernel's unicast to the socket that added the
# session, no multicast group (which needs CAP_NET_ADMIN) is joined.
#
# Environment (set by the VM harness): CKA_SRC.

SRC=${CKA_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
. "$SRC/selftests/lib/ktap.sh"

LIBDIR=$SRC/tools/lib/coapka
EXAMPLE=$LIBDIR/examples/libcoap_client
STAGE=$LIBDIR/stage
PORT=5683
OUT=${TMPDIR:-/tmp}/lib_example.out

now_ms() {
	date +%s%3N
}

# shellcheck disable=SC2317 # called through ktap_check
pc() {
	PKG_CONFIG_PATH=$STAGE/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$STAGE \
		pkg-config "$@"
}

# The installed files, as an application's build would find them.
# shellcheck disable=SC2317
pc_ok() {
	flags=$(pc --cflags --libs coapka) || return 1
	echo "pkg-config: $flags"
	case " $flags " in
	*" -I$STAGE/usr/include "*) ;;
	*) return 1 ;;
	esac
	case " $flags " in
	*" -L$STAGE/usr/lib -lcoapka "*) ;;
	*) return 1 ;;
	esac
	flags=$(pc --static --libs coapka) || return 1
	echo "pkg-config --static: $flags"
	case " $flags " in
	*" -lcoapka "*" -lmnl "*) ;;
	*) return 1 ;;
	esac
	[ -f "$STAGE/usr/include/coapka.h" ] &&
		[ -f "$STAGE/usr/lib/libcoapka.a" ] &&
		[ "$(readlink "$STAGE/usr/lib/libcoapka.so")" = libcoapka.so.0 ]
}
ktap_header
[ -x "$EXAMPLE" ] || ktap_skip_all "$EXAMPLE not built (make selftests)"
command -v coap-server-notls >/dev/null ||
	ktap_skip_all "coap-server-notls not installed (libcoap3-bin)"
ktap_plan 7

ktap_check "staged coapka.pc gives the header, -lcoapka and libmnl" pc_ok

coap-server-notls -A 127.0.0.1 -p $PORT >/dev/null 2>&1 &
SERVER=$!
# The client's first GET should find the server listening.
i=0
while [ $i -lt 100 ] && ! ss -Hlun "sport = :$PORT" | grep -q .; do
	sleep 0.1
	i=$((i + 1))
done
setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all \
	"$EXAMPLE" -k 1 -a 100 -f 1000 -r 2 -t 40 -n 1 127.0.0.1 $PORT \
	>"$OUT" 2>&1 &
CLIENT=$!

# wait_for PATTERN SECS: until a line of the client's output matches
wait_for() {
	end=$(($(date +%s) + $2))
	while [ "$(date +%s)" -le $end ]; do
		grep -q "$1" "$OUT" && return 0
		kill -0 $CLIENT 2>/dev/null || { grep -q "$1" "$OUT"; return; }
		sleep 0.1
	done
	return 1
}

wait_for '^ATTACHED session [0-9].* uid 65534$' 20
ktap_result $? "GET answered, socket attached with coapka_attach_fd() by uid 65534"

wait_for '^PONG session [0-9]* rtt_us [0-9]' 10
ktap_result $? "PONG callback: the server answered the kernel's Ping"

# Let any Ping that is out now be answered, then the peer goes silent.
sleep 0.3
nft -f - <<EOF || ktap_diag "nft failed"
table inet cka_lib_example {
	chain in {
		type filter hook input priority 0;
		udp dport $PORT drop
	}
}
EOF
DROPPING=$(now_ms)

wait_for '^NACK session' 15
line=$(grep -m1 '^NACK session' "$OUT")
echo "$line" | grep -q ' reason too-many-retries retransmissions 2 '
ktap_result $? "NACK callback with reason too-many-retries, 2 retransmissions"

# The last Pong restarted the idle clock: then at least 1 s idle and
# 100+200+400 ms of RFC 7252 retransmission schedule (less the time this
# process took to print the Pong). At most idle time plus schedule after
# the rule was in place, plus slack for the guest's scheduling.
at=$(echo "$line" | sed -n 's/.* at_ms \([0-9]*\).*/\1/p')
pong=$(grep '^PONG session' "$OUT" | tail -n 1 |
	sed -n 's/.* at_ms \([0-9]*\).*/\1/p')
after_pong=$(( ${at:-0} - ${pong:-0} ))
after_drop=$(( ${at:-0} - DROPPING ))
ktap_diag "NACK $after_pong ms after the last Pong, $after_drop ms after the drop rule"
[ -n "$at" ] && [ -n "$pong" ] && [ $after_pong -ge 1300 ] &&
	[ $after_drop -le 4700 ]
ktap_result $? "NACK within the RFC 7252 bound (>= 1700 ms after the last Pong less 400, <= 1700 ms after the drop, +3000 slack)"

wait $CLIENT
ktap_result $? "example exits 0 after its NACK"
nft delete table inet cka_lib_example 2>/dev/null
kill -KILL $SERVER 2>/dev/null
wait $SERVER 2>/dev/null

grep -q '^GONE session [0-9]* reason 3$' "$OUT"
ktap_result $? "freeing the context: GONE callback, reason context deleted"

ktap_diag <"$OUT"
ktap_finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# udp_lifetime.sh - KTAP test: unloading coap_keepalive while UDP sessions
# are live. The module goes (rmmod succeeds with sessions on a connected
# socket, an unconnected one and one with a Ping out), every socket is
# handed back working (coap-server answers GETs, the application's own
# Ping gets its Reset, no retransmission follows), the module leaves
# nothing behind, and it loads again and pings as before.
#
# Runs as root in a throw-away guest with the module loaded; it leaves it
# loaded (insmod "$CKA_KO" again) for the harness's final rmmod. The
# sockets are held by build/selftests/udp_hold, which runs rmmod itself.
#
# Environment (set by the VM harness): CKA_SRC, CKA_BUILD, CKA_KO.

SRC=${CKA_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
. "$SRC/selftests/lib/ktap.sh"

HOLD=${CKA_BUILD:-$SRC/build}/selftests/udp_hold
MODNAME=coap_keepalive

loaded() {
	grep -q "^$MODNAME " /proc/modules
}

ktap_header
[ "$(id -u)" = 0 ] || ktap_skip_all "needs root"
[ -x "$HOLD" ] || ktap_skip_all "$HOLD not built"
loaded || ktap_skip_all "$MODNAME is not loaded"
[ -f "${CKA_KO:-}" ] || ktap_skip_all "CKA_KO not set: cannot load the module again"
ktap_plan 5

ktap_check "rmmod with live sessions; sockets handed back working" \
	"$HOLD" unload rmmod "$MODNAME"

# Run through ktap_check.
# shellcheck disable=SC2317
gone() {
	! loaded || { echo "$MODNAME still in /proc/modules"; return 1; }
	[ ! -e /sys/kernel/slab/coap_ka_session ] ||
		{ echo "slab cache coap_ka_session survived the module"; return 1; }
	! grep -q '^coap_ka_' /proc/slabinfo 2>/dev/null ||
		{ echo "coap_ka_ caches left in /proc/slabinfo:"; grep '^coap_ka_' /proc/slabinfo; return 1; }
	return 0
}
ktap_check "module and its slab caches gone" gone

ktap_check "insmod again" insmod "$CKA_KO"
ktap_check "sessions pinged and answered after the reload" "$HOLD" pong

# The harness unloads the module after the test; leave it loaded.
loaded || insmod "$CKA_KO"
if loaded; then
	ktap_ok "module loaded for the harness's rmmod"
else
	ktap_fail "module loaded for the harness's rmmod"
fi
ktap_finish

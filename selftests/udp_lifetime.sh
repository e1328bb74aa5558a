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
# shellcheck source-path=SCRIPTDIR source=lib/module.sh
. "$SRC/selftests/lib/module.sh"

HOLD=${CKA_BUILD:-$SRC/build}/selftests/udp_hold

ktap_header
module_prereqs "$HOLD"
ktap_plan 5

ktap_check "rmmod with live sessions; sockets handed back working" \
	"$HOLD" unload rmmod "$MODNAME"
ktap_check "module and its slab caches gone" module_gone

ktap_check "insmod again" insmod "$CKA_KO"
ktap_check "sessions pinged and answered after the reload" "$HOLD" pong

# The harness unloads the module after the test; leave it loaded.
module_leave_loaded
ktap_finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# nl_fuzz.sh - KTAP test: build/selftests/nl_fuzz against the module, once
# as root and once as an unprivileged user (uid 65534, on its own netlink
# socket; the fds that need root are made before it drops privileges).
# Each run must send and read every message, find no error reply without
# an extack message, reach every command and leave the module answering;
# the harness then rmmods it and scans the kernel log.
#
#   nl_fuzz.sh [COUNT [SEED]]
#                         messages per identity: COUNT, else $CKA_FUZZ_COUNT,
#                         else 20000, 30000 on the debug kernel ("cka-debug"
#                         in uname -r): `make check-debug` sends 60,000.
#                         Measured under TCG (slab debugging): 6.12
#                         ~6500/s, 6.1 ~3000/s on an idle 2-core host,
#                         330-800/s on a loaded one; the debug kernel (KASAN,
#                         lockdep) ~200-280/s idle, 60-80/s loaded: its
#                         60,000 take 4-5 minutes (`make fuzz` sends
#                         1,000,000 on Debian kernels)
#   SEED, else $CKA_FUZZ_SEED: seed of the root run (the user run takes
#                         SEED+1); default time-based, printed first ("# seed N")
#
# Environment (set by the VM harness): CKA_SRC, CKA_BUILD.

SRC=${CKA_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
. "$SRC/selftests/lib/ktap.sh"

FUZZ=${CKA_BUILD:-$SRC/build}/selftests/nl_fuzz
NOBODY=65534

seed=${2:-${CKA_FUZZ_SEED:-$(( $(date +%s) % 1000000007 ))}}
case "$(uname -r)" in
*cka-debug*) count=${1:-${CKA_FUZZ_COUNT:-30000}} ;;
*) count=${1:-${CKA_FUZZ_COUNT:-20000}} ;;
esac
echo "# seed $seed"

ktap_header
[ "$(id -u)" = 0 ] || ktap_skip_all "needs root (makes raw, packet and other-netns sockets)"
[ -x "$FUZZ" ] || ktap_skip_all "$FUZZ not built"
ktap_plan 2

run() {
	desc=$1
	shift
	rcf=${TMPDIR:-/tmp}/nl_fuzz.rc.$$
	{ "$FUZZ" --ktap --count "$count" "$@" 2>&1; echo $? >"$rcf"; } | ktap_diag
	rc=$(cat "$rcf" 2>/dev/null || echo 1)
	rm -f "$rcf"
	ktap_result "$rc" "$desc: $count messages ($*)"
}

run "root" --seed "$seed"
run "uid $NOBODY" --seed "$((seed + 1))" --user "$NOBODY"
ktap_finish

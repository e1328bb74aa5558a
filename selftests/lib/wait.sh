# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Waiting without starting a process (bash; source it). On the debug kernel
# under TCG an exec costs about a second: a poll loop that ran sleep(1) and
# a grep or two every tenth of a second mostly took the guest's CPU from
# what it waited for. TMPD must name a scratch directory.
#
#   nap                 a tenth of a second: a read that times out on a FIFO
#                       nobody writes to (opened read-write: the open does
#                       not block)
#   wait_for SECS CMD   run CMD every nap until it succeeds; fails once SECS
#                       have passed by the clock, however long CMD takes

nap() {
	if [ -z "${CKA_NAP_FD:-}" ]; then
		[ -p "$TMPD/.nap" ] || mkfifo "$TMPD/.nap" || { sleep 0.1; return 0; }
		exec {CKA_NAP_FD}<>"$TMPD/.nap"
	fi
	read -rt 0.1 -u "$CKA_NAP_FD" || :
}

wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		nap
	done
}

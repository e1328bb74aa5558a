# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# ktap.sh - KTAP output for shell selftests (POSIX sh; source it).
#
#   . "$CKA_SRC/selftests/lib/ktap.sh"     (or a path relative to the test)
#   ktap_header                  "TAP version 13"
#   ktap_plan N                  "1..N"
#   ktap_ok DESC                 "ok <n> DESC"
#   ktap_fail DESC               "not ok <n> DESC"
#   ktap_skip DESC REASON        "ok <n> DESC # SKIP REASON"
#   ktap_result RC DESC          ok if RC is 0, else not ok
#   ktap_check DESC CMD [ARG..]  run CMD; ok/not ok; on failure its output
#                                is printed as "# " diagnostic lines
#   ktap_diag TEXT...            "# TEXT" (stdin when no argument)
#   ktap_skip_all REASON         "1..0 # SKIP REASON" and exit 4
#   ktap_finish                  "# Totals: ..." and exit: 1 if anything
#                                failed or the plan was not met, 4 (KSFT_SKIP)
#                                if everything was skipped, else 0
# Results are numbered from 1 in the order they are reported.

KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0
KTAP_COUNT=0
KTAP_PLANNED=

ktap_header() {
	echo "TAP version 13"
}

ktap_plan() {
	KTAP_PLANNED=$1
	echo "1..$1"
}

ktap_diag() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$*" | sed 's/^/# /'
	else
		sed 's/^/# /'
	fi
}

ktap_ok() {
	KTAP_COUNT=$((KTAP_COUNT + 1))
	KTAP_PASS=$((KTAP_PASS + 1))
	echo "ok $KTAP_COUNT $1"
}

ktap_fail() {
	KTAP_COUNT=$((KTAP_COUNT + 1))
	KTAP_FAIL=$((KTAP_FAIL + 1))
	echo "not ok $KTAP_COUNT $1"
}

ktap_skip() {
	KTAP_COUNT=$((KTAP_COUNT + 1))
	KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_COUNT $1 # SKIP ${2:-}"
}

ktap_result() {
	if [ "$1" -eq 0 ]; then
		ktap_ok "$2"
	else
		ktap_fail "$2"
	fi
}

ktap_check() {
	_ktap_desc=$1
	shift
	_ktap_out=$("$@" 2>&1)
	_ktap_rc=$?
	if [ $_ktap_rc -eq 0 ]; then
		ktap_ok "$_ktap_desc"
	else
		ktap_fail "$_ktap_desc"
		ktap_diag "command: $*"
		[ -n "$_ktap_out" ] && printf '%s\n' "$_ktap_out" | ktap_diag
		ktap_diag "exit status $_ktap_rc"
	fi
	return $_ktap_rc
}

ktap_skip_all() {
	echo "1..0 # SKIP $*"
	exit 4
}

ktap_finish() {
	_ktap_status=0
	if [ -n "$KTAP_PLANNED" ] && [ "$KTAP_PLANNED" -ne "$KTAP_COUNT" ]; then
		ktap_diag "planned $KTAP_PLANNED tests but ran $KTAP_COUNT"
		_ktap_status=1
	fi
	echo "# Totals: pass:$KTAP_PASS fail:$KTAP_FAIL xfail:0 xpass:0 skip:$KTAP_SKIP error:0"
	if [ $KTAP_FAIL -gt 0 ]; then
		_ktap_status=1
	elif [ $_ktap_status -eq 0 ] && [ $KTAP_COUNT -gt 0 ] && [ $KTAP_SKIP -eq $KTAP_COUNT ]; then
		_ktap_status=4
	fi
	exit $_ktap_status
}

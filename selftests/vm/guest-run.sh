#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-run.sh CMD [ARGS...]   (inside the guest, chrooted into the host tree)
#
# Runs ONE test command around a fresh load of the module and records what
# the host needs to judge it. Configured by the environment the job file
# exports (see cka_write_job in common.sh):
#   CKA_SRC CKA_BUILD CKA_KO CKA_CLI CKA_YNL CKA_SPEC   paths for the test
#   CKA_OUT            results directory (the writable 9p share)
#   CKA_TEST_TIMEOUT   seconds before the test is killed (default 300)
#   CKA_KMEMLEAK=1     run kmemleak scans after rmmod (debug kernel)
#   CKA_KMEMLEAK_BASE  0: skip the scan that sets the baseline before the test
#                      (a later test of a batch: the first one did it)
#   CKA_KMEMLEAK_END   0: skip the scans after the test (not the last test of
#                      a batch: the last one scans for all of them)
#   CKA_KMEMLEAK_FILE  where the scans' report goes (default $CKA_OUT/kmemleak)
#   CKA_TEE=1          also copy the test output to the console
#   CKA_NO_MODULE=1    do not insmod (rmmod is still checked if loaded)
#   CKA_KO_DEPS        modules CKA_KO depends on, comma-separated (the
#                      host's modinfo), modprobed before insmod
# Files written to $CKA_OUT:
#   output       test stdout+stderr        rc          test exit status
#   insmod.log   insmod/modprobe output    insmod-rc   0 or the error status
#   modules      /proc/modules before rmmod
#   rmmod-rc     rmmod status, "-" if the module was no longer loaded
#   dmesg        full log at the end (the test's part follows the baseline
#                marker this script writes to /dev/kmsg)
#   kmemleak     leak reports (debug kernel only)
#   test-seconds how long the test command ran
#   leftovers    processes the test left running, killed after rmmod
#   started      written first (a batch tells the test that killed the guest)
#   done         written last: the guest reached the end normally

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 LC_ALL=C.UTF-8
# No process is started that a builtin can replace: on the debug kernel
# (KASAN, lockdep, kmemleak under TCG) each fork and exec costs 0.5-2 s,
# about 20 s a test before this was counted.
read -r KVER </proc/sys/kernel/osrelease
export KVER
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV PYENV_ROOT PYENV_VERSION
out=${CKA_OUT:-/run/cka}
timeout=${CKA_TEST_TIMEOUT:-300}
kmemleak=/sys/kernel/debug/kmemleak
kml_base=${CKA_KMEMLEAK_BASE:-1}
kml_end=${CKA_KMEMLEAK_END:-1}
kml_file=${CKA_KMEMLEAK_FILE:-$out/kmemleak}
[ -d "$out" ] || mkdir -p "$out"
# The results share is mounted without a cache (cache=none): each write
# has reached the host when it returns, so a guest that dies leaves what
# was written before; no sync is needed.
echo ok >"$out/started"

say() { echo "cka-guest: $*" >/dev/console; }

# The module's name is its file's, with '-' as '_' (as kmod names it).
modname=${CKA_KO:-coap_keepalive.ko}
modname=${modname##*/}
modname=${modname%.ko}
modname=${modname//-/_}

if [ "${CKA_KMEMLEAK:-0}" = 1 ] && [ "$kml_base" = 1 ] && [ -w "$kmemleak" ]; then
	# Forget whatever boot left behind so later reports belong to the test.
	echo scan >"$kmemleak"
	echo clear >"$kmemleak"
fi

# What runs before the test (this script's ancestors, kernel threads, init):
# anything else alive after it is the test's leftover.
# (No process per entry here or below: a start costs a second or two on
# the debug kernel, and kernel threads come and go during a test.)
pids=
pids() {	# the pids now, in $pids (no subshell: that is a fork)
	local p
	pids=" "
	for p in /proc/[0-9]*; do pids+="${p#/proc/} "; done
}
pids
before=$pids
echo "cka-guest: ---- baseline: test starts ----" >/dev/kmsg

insmod_rc=0
if [ "${CKA_NO_MODULE:-0}" != 1 ]; then
	if [ ! -f "${CKA_KO:-}" ]; then
		echo "module ${CKA_KO:-<unset>} not found" >"$out/insmod.log"
		insmod_rc=2
	else
		{
			deps=${CKA_KO_DEPS:-}
			for d in ${deps//,/ }; do modprobe "$d" || echo "modprobe $d failed"; done
			insmod "$CKA_KO"
		} >"$out/insmod.log" 2>&1
		insmod_rc=$?
	fi
	[ $insmod_rc = 0 ] || say "insmod $CKA_KO failed ($insmod_rc)"
fi
echo $insmod_rc >"$out/insmod-rc"

cd "${CKA_SRC:-/}" || exit 1
say "test: $* (timeout ${timeout}s)"
t0=${EPOCHREALTIME/[^0-9]/}
if [ "${CKA_TEE:-0}" = 1 ]; then
	timeout -k 10 "$timeout" "$@" </dev/null 2>&1 | tee "$out/output" >/dev/console
	rc=${PIPESTATUS[0]}
else
	timeout -k 10 "$timeout" "$@" </dev/null >"$out/output" 2>&1
	rc=$?
fi
echo $rc >"$out/rc"
t1=${EPOCHREALTIME/[^0-9]/}
dt=$(((t1 - t0 + 50000) / 100000))	# tenths of a second
printf '%d.%d\n' $((dt / 10)) $((dt % 10)) >"$out/test-seconds"
say "test exited with $rc"

mapfile -t mods </proc/modules
printf '%s\n' "${mods[@]}" >"$out/modules"
if [ -d "/sys/module/$modname" ]; then
	timeout 120 rmmod "$modname" >"$out/rmmod.log" 2>&1
	echo $? >"$out/rmmod-rc"
else
	echo - >"$out/rmmod-rc"
fi

# Leftovers of the test (background processes, namespaces, nft rules) must
# not reach the next test of a batch.
: >"$out/leftovers"
pids
for p in $pids; do
	case $before in *" $p "*) continue ;; esac
	[ "$p" = $$ ] && continue
	# user processes only: kernel threads have no command line
	args=()
	mapfile -d '' args <"/proc/$p/cmdline" 2>/dev/null
	[ ${#args[@]} -gt 0 ] || continue
	echo "$p ${args[*]}" >>"$out/leftovers"
	kill -KILL "$p" 2>/dev/null
done
netns=(/run/netns/*)
[ ! -e "${netns[0]}" ] || ip -all netns delete 2>/dev/null
nft flush ruleset 2>/dev/null

if [ "${CKA_KMEMLEAK:-0}" = 1 ] && [ "$kml_end" = 1 ] && [ -w "$kmemleak" ]; then
	# kmemleak reports objects older than 5 s that stayed unreferenced.
	sleep 6
	echo scan >"$kmemleak"
	sleep 1
	echo scan >"$kmemleak"
	cat "$kmemleak" >"$kml_file" 2>&1
fi

dmesg >"$out/dmesg" 2>&1
echo ok >"$out/done"

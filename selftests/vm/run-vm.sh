#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh [options] KERNEL COMMAND [ARGS...]
#
# Boot one guest on KERNEL (6.12, 6.1, debug or a full release), load the
# module built for it (build/mod-<release>/coap_keepalive.ko, if present),
# run COMMAND from the repository root inside the guest, unload the module
# and power off. The test's output is streamed; the full serial console is
# kept in the results directory, which is printed at the end.
#
# Options:
#   --timeout N    kill the command after N seconds (default 300)
#   --no-module    do not insmod the module
#   --keep         keep the results directory even on success
#   --quiet        do not stream the console, only print the output at the end
#   --no-slab-debug  boot without slub_debug and with kfence.sample_interval=0
#                  (measurements: `make bench`); the tests keep both
#   --mem SIZE     guest memory (qemu -m syntax, default CKA_MEM or 1G)
#   --results DIR  use DIR as the results directory and always keep it
# Exit status: the command's, or 1 if the guest failed in any other way
# (VM timeout or crash, rmmod failure, kernel warning in dmesg).
set -uo pipefail
# shellcheck source=selftests/vm/common.sh
. "$(dirname "$0")/common.sh"

timeout=300 no_module=0 keep=0 quiet=0 results=
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout=$2; shift 2 ;;
	--no-module) no_module=1; shift ;;
	--keep) keep=1; shift ;;
	--quiet) quiet=1; shift ;;
	--no-slab-debug) export CKA_NODEBUG=1; shift ;;
	--mem) export CKA_MEM=$2; shift 2 ;;
	--results) results=$2; keep=1; shift 2 ;;
	--) shift; break ;;
	-*) cka_die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || cka_die "usage: run-vm.sh [--timeout N] [--no-module] [--keep] KERNEL COMMAND [ARGS...]"

kname=$(cka_resolve_kernel "$1") || exit 1
shift
rel=$(cka_kernel_release "$kname")
ko=$(cka_module_ko "$kname")
if [ $no_module = 0 ] && [ ! -f "$ko" ]; then
	echo "run-vm: $ko not built (make modules-test KERNELS=$kname); running without module" >&2
	no_module=1
fi
accel=$(cka_accel)
margin=${CKA_BOOT_MARGIN:-60}
[ "$kname" = debug ] && margin=${CKA_BOOT_MARGIN:-240}

dir=$CKA_BUILD/results/run-vm-$rel-$(date +%Y%m%d-%H%M%S)-$$
[ -n "$results" ] && dir=$results
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
kml=0; [ "$kname" = debug ] && kml=1
CKA_NO_MODULE=$no_module cka_write_job "$dir" "$kname" "$timeout" "$kml" $((1 - quiet)) -- "$@"

echo "run-vm: $rel ($accel), results in $dir" >&2
CKA_STREAM=$((1 - quiet)) cka_boot "$kname" "$dir" "$accel" $((timeout + margin))
[ $quiet = 1 ] && cat "$dir/output" 2>/dev/null

status=0
if [ -f "$dir/vm-timeout" ]; then
	echo "run-vm: VM killed after $((timeout + margin)) s" >&2
	status=1
elif [ ! -f "$dir/done" ]; then
	echo "run-vm: guest did not finish (crash or panic?); console tail:" >&2
	tail -n 60 "$dir/console.log" >&2
	status=1
fi
rc=$(cat "$dir/rc" 2>/dev/null || echo '?')
rmmod_rc=$(cat "$dir/rmmod-rc" 2>/dev/null || echo '?')
if [ "$rmmod_rc" != 0 ] && [ "$rmmod_rc" != - ]; then
	echo "run-vm: rmmod failed ($rmmod_rc): $(cat "$dir/rmmod.log" 2>/dev/null)" >&2
	status=1
fi
if hits=$("$CKA_SRC/selftests/vm/scan-dmesg.sh" "$dir"); then
	:
else
	echo "run-vm: kernel problems in dmesg:" >&2
	echo "$hits" >&2
	status=1
fi
if [ -s "$dir/kmemleak" ]; then
	echo "run-vm: kmemleak reports:" >&2
	cat "$dir/kmemleak" >&2
	status=1
fi
echo "run-vm: command exit status $rc, rmmod $rmmod_rc, VM $(cat "$dir/vm-seconds" 2>/dev/null) s" >&2
[ "$status" = 0 ] && case $rc in [0-9]*) status=$rc ;; *) status=1 ;; esac
if [ "$status" = 0 ] && [ $keep = 0 ]; then
	rm -rf "$dir"
else
	echo "run-vm: results kept in $dir" >&2
fi
exit "$status"

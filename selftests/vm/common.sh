# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Host-side helpers shared by run-vm.sh and run-suite.sh (sourced, bash).
#
# Kernel names accepted everywhere:
#   6.12, 6.1          newest installed Debian <series>.*-amd64 image
#   debug              the kernel built by scripts/build-debug-kernel.sh
#   <full release>     e.g. 6.12.117+deb12-amd64 (must be in /boot)

CKA_SRC=${CKA_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CKA_BUILD=${CKA_BUILD:-$CKA_SRC/build}
CKA_MODNAME=${CKA_MODNAME:-coap_keepalive}

# Fixed guest command line. panic=-1 + -no-reboot turns any panic into a
# qemu exit; panic_on_warn makes a WARN fatal so it can't go unnoticed.
# The RCU stall timeout is raised because TCG vCPUs on a loaded host can be
# descheduled for many seconds without anything being wrong in the guest.
# no_timer_check: the boot-time check that the IO-APIC timer ticks gives a
# TCG guest on a loaded host a few milliseconds; seen failing ("Kernel panic
# - not syncing: IO-APIC + timer doesn't work!") at load 12 on 2 cores.
CKA_APPEND_BASE="console=ttyS0 panic=-1 oops=panic panic_on_warn=1 \
slub_debug=FZPU kfence.sample_interval=10 rcupdate.rcu_cpu_stall_timeout=60 \
no_timer_check printk.time=1 loglevel=7 rdinit=/init"

cka_die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# cka_resolve_kernel NAME -> prints the release string, or "debug"
cka_resolve_kernel() {
	if [ "$1" = debug ]; then
		[ "$("$CKA_SRC/scripts/build-debug-kernel.sh" --status)" = ready ] || {
			echo "debug kernel not built yet (make debug-kernel)" >&2
			return 1
		}
		echo debug
		return 0
	fi
	"$CKA_SRC/scripts/kernels.sh" "$1"
}

# For a resolved name: the kernel image, the uname -r, the module dir.
cka_debug_dir() { "$CKA_SRC/scripts/build-debug-kernel.sh" --print-dir; }
cka_kernel_image() {
	if [ "$1" = debug ]; then echo "$(cka_debug_dir)/arch/x86/boot/bzImage"
	else echo "/boot/vmlinuz-$1"; fi
}
cka_kernel_release() {
	if [ "$1" = debug ]; then cat "$(cka_debug_dir)/kernelrelease"
	else echo "$1"; fi
}
# CKA_MOD_BASE / CKA_MODNAME let the plumbing be tried with another module.
cka_module_ko() { echo "${CKA_MOD_BASE:-$CKA_BUILD}/mod-$1/$CKA_MODNAME.ko"; }

# Accelerator: probe KVM once per machine and cache the answer.
# CKA_ACCEL=kvm|tcg overrides the probe.
cka_accel() {
	if [ -n "${CKA_ACCEL:-}" ]; then echo "$CKA_ACCEL"; return; fi
	local cache=$CKA_BUILD/accel key
	key="$(cat /etc/machine-id 2>/dev/null) $(uname -r) $(qemu-system-x86_64 --version | head -n1)"
	if [ -f "$cache" ] && [ "$(sed -n 2p "$cache")" = "$key" ]; then
		sed -n 1p "$cache"
		return
	fi
	local acc=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] && cka_probe_kvm; then acc=kvm; fi
	mkdir -p "$CKA_BUILD"
	printf '%s\n%s\n' "$acc" "$key" >"$cache"
	echo "$acc"
}

# TCG runs the vCPUs of a guest on one host thread (thread=single) unless
# CKA_TCG_THREAD=multi: with one thread per vCPU, a guest now and then
# executes a stale translation of kernel text that another vCPU had just
# patched (a jump label), and dies of an "Oops: int3" at a static-key site
# where memory already holds the NOP. Seen with no module loaded at all
# (sched_clock_cpu during boot), so it is the emulator, not the kernel;
# one host thread per guest cannot see it.
cka_qemu_accel_args() {
	case $1 in
	kvm) echo "-accel kvm" ;;
	*) echo "-accel tcg,thread=${CKA_TCG_THREAD:-single}" ;;
	esac
}

# Boot the newest 6.12 (or 6.1) kernel under KVM with a job that only echoes
# a marker. Give up on the first sign of trouble or after 30 seconds.
cka_probe_kvm() {
	local rel dir initrd log pid marker=CKA-KVM-PROBE-OK t=0
	rel=$(cka_resolve_kernel 6.12 2>/dev/null || cka_resolve_kernel 6.1 2>/dev/null) || return 1
	initrd=$("$CKA_SRC/selftests/vm/mkinitramfs.sh" "$rel") || return 1
	dir=$(mktemp -d "${TMPDIR:-/tmp}/cka-kvmprobe.XXXXXX")
	log=$dir/console.log
	printf '#!/bin/sh\necho %s\n' "$marker" >"$dir/job"
	echo "cka: probing KVM (at most 30 s)..." >&2
	qemu-system-x86_64 -accel kvm -machine q35 -cpu host -smp 1 -m 256M \
		-nographic -no-reboot -nic none \
		-kernel "/boot/vmlinuz-$rel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 rdinit=/init cka.noroot=1" \
		-fsdev "local,id=res,path=$dir,security_model=none" \
		-device "virtio-9p-pci,fsdev=res,mount_tag=results" \
		</dev/null >"$log" 2>&1 &
	pid=$!
	while [ $t -lt 150 ]; do
		if grep -q "$marker" "$log"; then break; fi
		if grep -qi 'internal error\|emulation failure\|failed to initialize kvm' "$log" ||
		   ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		sleep 0.2
		t=$((t + 1))
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	local ok=1
	grep -q "$marker" "$log" && ok=0
	rm -rf "$dir"
	return $ok
}

# cka_job_env KERNEL: the export lines every job starts with (paths for the
# tests, the module for KERNEL and CKA_KO_DEPS, the modules it depends on,
# which guest-run.sh modprobes before insmod: asked of modinfo here on the
# host, because a process start costs seconds on the debug kernel).
cka_job_env() {
	local ko deps
	ko=$(cka_module_ko "$1")
	deps=$(modinfo -F depends "$ko" 2>/dev/null)
	printf 'export CKA_SRC=%q CKA_BUILD=%q\n' "$CKA_SRC" "$CKA_BUILD"
	printf 'export CKA_KO=%q CKA_KO_DEPS=%q\n' "$ko" "$deps"
	printf 'export CKA_CLI=%q\n' "$CKA_SRC/tools/coap-keepalive/coap-keepalive"
	printf 'export CKA_YNL=%q\n' "$CKA_BUILD/ksrc/tools/net/ynl/cli.py"
	printf 'export CKA_SPEC=%q\n' "$CKA_SRC/Documentation/netlink/specs/coap_keepalive.yaml"
}

# cka_write_job DIR KERNEL TIMEOUT KMEMLEAK TEE -- CMD...
# Writes DIR/job, the script the guest init runs inside the chroot.
cka_write_job() {
	local dir=$1 kname=$2 timeout=$3 kmemleak=$4 tee=$5
	shift 6
	local q
	{
		echo '#!/bin/bash'
		echo "# generated by $(basename "$0") for kernel $kname"
		cka_job_env "$kname"
		printf 'export CKA_OUT=/run/cka\n'
		printf 'export CKA_TEST_TIMEOUT=%q CKA_KMEMLEAK=%q CKA_TEE=%q\n' \
			"$timeout" "$kmemleak" "$tee"
		printf 'export CKA_NO_MODULE=%q\n' "${CKA_NO_MODULE:-0}"
		q=$(printf ' %q' "$@")
		echo "exec /bin/bash $(printf %q "$CKA_SRC/selftests/vm/guest-run.sh")$q"
	} >"$dir/job"
	echo "$CKA_SRC" >"$dir/src"
}

# cka_write_batch_job DIR KERNEL KMEMLEAK SPEC...
# Writes DIR/job for a guest that runs several tests one after the other,
# each through guest-run.sh with its own module load, rmmod and kernel log
# check. A SPEC is "SUBDIR<TAB>TIMEOUT<TAB>CMD ARGS..." (words, no quoting);
# the test's results go to DIR/SUBDIR. With KMEMLEAK=1 the first test takes
# the kmemleak baseline and the last one scans for the whole batch, into
# DIR/kmemleak (a scan of the debug kernel takes about 40 s under TCG).
cka_write_batch_job() {
	local dir=$1 kname=$2 kmemleak=$3
	shift 3
	local n=$# k=0 spec sub to cmd base end
	{
		echo '#!/bin/bash'
		echo "# generated by $(basename "$0") for kernel $kname: $n test(s)"
		cka_job_env "$kname"
		printf 'export CKA_KMEMLEAK=%q CKA_TEE=0 CKA_NO_MODULE=%q\n' \
			"$kmemleak" "${CKA_NO_MODULE:-0}"
		for spec in "$@"; do
			k=$((k + 1))
			IFS=$'\t' read -r sub to cmd <<<"$spec"
			base=0 end=0
			[ $k = 1 ] && base=1
			[ $k = "$n" ] && end=1
			# shellcheck disable=SC2086
			printf 'CKA_OUT=/run/cka/%q CKA_TEST_TIMEOUT=%q CKA_KMEMLEAK_BASE=%s CKA_KMEMLEAK_END=%s CKA_KMEMLEAK_FILE=/run/cka/kmemleak /bin/bash %q%s\n' \
				"$sub" "$to" $base $end "$CKA_SRC/selftests/vm/guest-run.sh" \
				"$(printf ' %q' $cmd)"
		done
	} >"$dir/job"
	echo "$CKA_SRC" >"$dir/src"
}

# cka_qemu_cmd KERNEL DIR ACCEL  -> fills the array CKA_QEMU_CMD
# DIR becomes the writable results share; the serial console is stdio.
# la57=off: with 5-level paging, TCG guests of the KASAN kernel hit a
# "KASAN: wild-memory-access" in an early interrupt in about 1 boot of 8
# (ff11... direct-map address); 0 of 30 without it. Real x86 machines
# rarely have LA57 anyway.
cka_qemu_cmd() {
	local kname=$1 dir=$2 accel=$3 image initrd append
	image=$(cka_kernel_image "$kname")
	initrd=$("$CKA_SRC/selftests/vm/mkinitramfs.sh" "$kname") || return 1
	append=$CKA_APPEND_BASE
	# CKA_NODEBUG=1 (run-vm.sh --no-slab-debug, for `make bench`): no slab
	# debugging and no KFENCE sampling, which would distort what is measured.
	if [ "${CKA_NODEBUG:-0}" = 1 ]; then
		append=$(echo "$append" | sed 's/ *slub_debug=[^ ]*//; s/kfence.sample_interval=[0-9]*/kfence.sample_interval=0/')
	fi
	[ "$kname" = debug ] && append="$append kmemleak=on"
	[ -n "${CKA_APPEND:-}" ] && append="$append $CKA_APPEND"
	# shellcheck disable=SC2207
	CKA_QEMU_CMD=(qemu-system-x86_64 $(cka_qemu_accel_args "$accel")
		-machine q35 -cpu "${CKA_CPU:-max,la57=off}" -smp "${CKA_SMP:-2}" -m "${CKA_MEM:-1G}"
		-nographic -no-reboot -nic none
		-kernel "$image" -initrd "$initrd" -append "$append"
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
		-fsdev "local,id=results,path=$dir,security_model=none"
		-device virtio-9p-pci,fsdev=results,mount_tag=results)
}

# cka_boot KERNEL DIR ACCEL WALL_SECONDS
# Boots the guest that runs DIR/job, console to DIR/console.log, killing
# qemu after WALL_SECONDS (then DIR/vm-timeout exists). Returns qemu's status.
# CKA_STREAM=1 also copies the console to stdout once the job has started.
cka_boot() {
	local kname=$1 dir=$2 accel=$3 wall=$4 rc start
	cka_qemu_cmd "$kname" "$dir" "$accel" || return 1
	printf '%q ' "${CKA_QEMU_CMD[@]}" >"$dir/qemu-cmd"
	start=$(date +%s.%N)
	if [ "${CKA_STREAM:-0}" = 1 ]; then
		# Also show the console from the moment the job starts.
		timeout -k 5 "$wall" "${CKA_QEMU_CMD[@]}" </dev/null 2>&1 |
			tee "$dir/console.log" |
			awk '/cka-init: running job/ { on = 1 } on { print; fflush() }'
		rc=${PIPESTATUS[0]}
	else
		timeout -k 5 "$wall" "${CKA_QEMU_CMD[@]}" </dev/null >"$dir/console.log" 2>&1
		rc=$?
	fi
	echo "$start $(date +%s.%N)" | awk '{ printf "%.1f\n", $2 - $1 }' >"$dir/vm-seconds"
	[ $rc = 124 ] || [ $rc = 137 ] && echo "$wall" >"$dir/vm-timeout"
	return $rc
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# host-checks.sh [--out FILE] CHECK...
#
# Cheap host-side checks, reported as KTAP-ish lines ("ok host: ...",
# "not ok host: ..." followed by "# " diagnostics). Without --out they are
# printed numbered; with --out they go to FILE (unnumbered) for
# selftests/vm/run-suite.sh, which numbers and counts them with the VM
# results, and only progress is printed. Exit status 1 if any check failed.
#
# CHECKs:
#   build:KERNEL  W=1 build of the module for KERNEL (6.12, 6.1, a release,
#                 or debug) into build/mod-<release>; fails on any compiler
#                 or modpost warning
#   cli           make cli            selftests   make selftests
#   cli-print     the CLI's show output (text, -j, -p) for made-up dumps of
#                 tools/coap-keepalive/bench-print, against the sha256 sums
#                 in bench-print.sha256 (bench-print-check.sh)
#   checkpatch    checkpatch.pl --strict on module/*.[ch] uapi/linux/*.h
#                 but module/netlink-gen.[ch] (see below)
#   ynl-gen       the files generated from the YAML spec (scripts/ynl-gen.sh)
#                 are what the spec gives now; fails on any difference
#   sparse        C=2 build for the default 6.12 kernel; fails on any warning
#   docs          kernel-doc -Wall -none on module/*.[ch] uapi/linux/*.h and a
#                 docutils parse (scripts/check-rst.py) of Documentation/*.rst
#                 and Documentation/netlink/*.rst; fails on any warning
#   install       `make install DESTDIR=... KVER=<6.12 release> PREFIX=/usr/local`
#                 in a copy of the tree (no .git: the version comes from
#                 VERSION), then the exact list of installed files, depmod's
#                 view of the module, versions, `make uninstall`, and the
#                 copy `make dkms-install DESTDIR=...` stages
#                 (INSTALL_KERNEL: another kernel name)
#   wheel         module/wheel.c (the namespaces' timer wheel) compiled in
#                 userspace and driven by selftests/wheel/wheel_sim.c with
#                 seeds 1 and 2: exact rounds, budget, cascades, stale clock
#   dkms:KERNEL   make dkms-install and dkms build for KERNEL
#                 on the host, in a private mount namespace
#                 (scripts/dkms-stage.sh), staged in build/dkms-<release>
#                 for the guest half, selftests/dkms.sh
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
make=${MAKE:-make}
out=
if [ "${1:-}" = --out ]; then
	out=$2
	shift 2
	mkdir -p "$(dirname "$out")"
	: >"$out"
fi

status=0 n=0
result() {	# result RC DESC [LOGFILE]
	local line
	if [ "$1" = 0 ]; then line="ok host: $2"; else line="not ok host: $2"; status=1; fi
	if [ -n "$out" ]; then
		echo "$line" >>"$out"
		echo "# host: $2: $([ "$1" = 0 ] && echo ok || echo FAILED)"
	else
		n=$((n + 1))
		echo "${line/host:/$n host:}"
	fi
	if [ "$1" != 0 ] && [ -n "${3:-}" ] && [ -s "$3" ]; then
		tail -n 60 "$3" | sed 's/^/# /' | if [ -n "$out" ]; then cat >>"$out"; else cat; fi
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check_install RELEASE: see "install" above; prints what is wrong, fails.
check_install() {
	local k=$1 t=$tmp/install ver bad=0 f ko got want
	rm -rf "$t"
	mkdir -p "$t/src" "$t/root" "$t/dkms"
	tar -C "$src" --exclude=./build --exclude=./.git -cf - . | tar -C "$t/src" -xf - || return 1
	ver=$("$src/scripts/version.sh")
	echo "$ver" >"$t/src/VERSION"
	"$make" -s -C "$t/src" clean >/dev/null || return 1
	"$make" -C "$t/src" install DESTDIR="$t/root" KVER="$k" PREFIX=/usr/local \
		>"$t/make.log" 2>&1 || { tail -n 40 "$t/make.log"; echo "make install failed"; return 1; }

	# Exactly these files, besides depmod's indexes (modules.*); the
	# module compressed as the kernel's own are (6.12: xz) or not (6.1).
	ko=$(cd "$t/root/lib/modules/$k/updates" 2>/dev/null && ls coap_keepalive.ko*)
	case $ko in
	coap_keepalive.ko | coap_keepalive.ko.xz | coap_keepalive.ko.zst | coap_keepalive.ko.gz) ;;
	*) echo "module in updates/: '$ko'"; ko=coap_keepalive.ko; bad=1 ;;
	esac
	got=$(cd "$t/root" && find . \( -type f -o -type l \) ! -path "./lib/modules/$k/modules.*" |
		sed 's|^\./||' | sort)
	want=$(printf '%s\n' "lib/modules/$k/updates/$ko" \
		usr/local/include/coapka.h \
		usr/local/lib/libcoapka.a \
		usr/local/lib/libcoapka.so \
		usr/local/lib/libcoapka.so.0 \
		usr/local/lib/pkgconfig/coapka.pc \
		usr/local/sbin/coap-keepalive \
		usr/local/share/bash-completion/completions/coap-keepalive \
		usr/local/share/man/man8/coap-keepalive.8 | sort)
	if [ "$got" != "$want" ]; then
		echo "installed files differ (- expected, + installed):"
		diff <(echo "$want") <(echo "$got")
		bad=1
	fi
	ko=$t/root/lib/modules/$k/updates/$ko
	[ -f "$ko" ] || return 1
	grep -qE '^updates/coap_keepalive\.ko(\.[a-z]+)?:' "$t/root/lib/modules/$k/modules.dep" ||
		{ echo "modules.dep does not list updates/coap_keepalive.ko"; bad=1; }
	grep -q '^alias net-pf-16-proto-16-family-coap_keepalive coap_keepalive$' \
		"$t/root/lib/modules/$k/modules.alias" ||
		{ echo "modules.alias lacks the generic netlink family alias"; bad=1; }
	got=$(modinfo -F version "$ko")
	[ "$got" = "$ver" ] || { echo "modinfo version '$got', expected '$ver'"; bad=1; }
	got=$(modinfo -F vermagic "$ko")
	[ "${got%% *}" = "$k" ] || { echo "vermagic '$got', expected $k"; bad=1; }
	got=$("$t/root/usr/local/sbin/coap-keepalive" --version)
	case $got in
	"coap-keepalive $ver "*) ;;
	*) echo "coap-keepalive --version: '$got', expected version $ver"; bad=1 ;;
	esac
	f=$t/root/usr/local/share/bash-completion/completions/coap-keepalive
	got=$(bash -c '. "$1" && complete -p coap-keepalive' _ "$f" 2>&1)
	[ "$got" = "complete -F _coap_keepalive coap-keepalive" ] ||
		{ echo "completion script: '$got'"; bad=1; }

	"$make" -C "$t/src" uninstall DESTDIR="$t/root" KVER="$k" PREFIX=/usr/local \
		>"$t/make.log" 2>&1 || { cat "$t/make.log"; echo "make uninstall failed"; return 1; }
	got=$(cd "$t/root" && find . -type f ! -path "./lib/modules/$k/modules.*")
	[ -z "$got" ] || { echo "left after make uninstall:"; echo "$got"; bad=1; }
	! grep -q coap_keepalive "$t/root/lib/modules/$k/modules.dep" ||
		{ echo "modules.dep still lists the module after make uninstall"; bad=1; }

	# The DKMS source copy (staged: no dkms add).
	"$make" -C "$t/src" dkms-install DESTDIR="$t/dkms" >"$t/make.log" 2>&1 ||
		{ cat "$t/make.log"; echo "make dkms-install DESTDIR= failed"; return 1; }
	f=$t/dkms/usr/src/coap_keepalive-$ver
	for got in Makefile Kbuild VERSION dkms.conf scripts/version.sh module/main.c \
		   uapi/linux/coap_keepalive.h; do
		[ -f "$f/$got" ] || { echo "dkms-install: $got missing in $f"; bad=1; }
	done
	grep -qx "PACKAGE_VERSION=\"$ver\"" "$f/dkms.conf" ||
		{ echo "dkms.conf: PACKAGE_VERSION is not \"$ver\""; bad=1; }
	got=$(cd "$f" && scripts/version.sh)
	[ "$got" = "$ver" ] || { echo "version in the DKMS copy: '$got', expected '$ver'"; bad=1; }
	[ $bad = 0 ] && echo "installed and removed cleanly, version $ver"
	return $bad
}

for check in "$@"; do
	log=$tmp/log
	case $check in
	build:*)
		k=$("$src/scripts/kernels.sh" "${check#build:}" 2>"$log") || {
			result 1 "W=1 build ${check#build:}" "$log"; continue; }
		"$make" -s -C "$src" "build/mod-$k/coap_keepalive.ko" >"$log" 2>&1
		rc=$?
		w=$(cat "$src/build/mod-$k/warnings" 2>/dev/null || echo 0)
		if [ $rc = 0 ] && [ "$w" != 0 ]; then
			grep -E 'warning:|WARNING:|error:' "$src/build/mod-$k/build.log" >"$log"
			rc=1
		fi
		result $rc "W=1 build $k$([ "$w" != 0 ] && echo " ($w warnings)")" "$log"
		;;
	cli)
		"$make" -s -C "$src" cli >"$log" 2>&1
		result $? "build cli" "$log"
		;;
	cli-print)
		{ "$make" -s -C "$src" lib &&
			"$make" -s -C "$src/tools/coap-keepalive" bench-print &&
			"$src/tools/coap-keepalive/bench-print-check.sh"; } >"$log" 2>&1
		result $? "CLI output of made-up dumps as recorded (bench-print)" "$log"
		;;
	selftests)
		"$make" -s -C "$src" selftests >"$log" 2>&1
		result $? "build selftests" "$log"
		;;
	checkpatch)
		cp=$src/build/ksrc/scripts/checkpatch.pl
		[ -f "$cp" ] || "$src/scripts/extract-ksrc.sh" >"$log" 2>&1
		# module/netlink-gen.[ch] are ynl-gen's output, never edited
		# (the ynl-gen check holds them to the spec): its policy lines
		# run past 100 columns. The generated uapi header is clean and
		# stays checked.
		(cd "$src" && perl "$cp" --strict --no-tree --no-summary --terse --showfile \
			-f $(ls module/*.[ch] | grep -v '^module/netlink-gen\.[ch]$') \
			uapi/linux/*.h) >"$log" 2>&1
		result $? "checkpatch" "$log"
		;;
	ynl-gen)
		"$src/scripts/ynl-gen.sh" --check >"$log" 2>&1
		result $? "generated files match the YAML spec (ynl-gen)" "$log"
		;;
	sparse)
		k=$("$src/scripts/kernels.sh" "${SPARSE_KERNEL:-6.12}" 2>"$log") || {
			result 1 "sparse" "$log"; continue; }
		command -v sparse >/dev/null || { echo "sparse not installed" >"$log"; result 1 "sparse" "$log"; continue; }
		"$src/scripts/build-module.sh" "$k" --dir "$src/build/sparse-$k" C=2 >/dev/null 2>&1
		rc=$?
		grep -E 'warning:|error:' "$src/build/sparse-$k/build.log" >"$log"
		[ -s "$log" ] && rc=1
		[ $rc != 0 ] && [ ! -s "$log" ] && tail -n 40 "$src/build/sparse-$k/build.log" >"$log"
		result $rc "sparse ($k)" "$log"
		;;
	docs)
		kd=$src/build/ksrc/scripts/kernel-doc
		[ -f "$kd" ] || "$src/scripts/extract-ksrc.sh" >"$log" 2>&1
		rc=0
		(cd "$src" && perl "$kd" -Wall -none module/*.[ch] uapi/linux/*.h) >"$log" 2>&1 || rc=1
		[ -s "$log" ] && rc=1
		(cd "$src" && python3 scripts/check-rst.py Documentation/*.rst \
			$(ls Documentation/netlink/*.rst 2>/dev/null)) >"$log.rst" 2>&1 || rc=1
		[ $rc = 0 ] || grep -v ': ok$' "$log.rst" >>"$log"
		result $rc "docs (kernel-doc, rst)" "$log"
		;;
	install)
		k=$("$src/scripts/kernels.sh" "${INSTALL_KERNEL:-6.12}" 2>"$log") || {
			result 1 "make install" "$log"; continue; }
		check_install "$k" >"$log" 2>&1
		result $? "make install DESTDIR= ($k)" "$log"
		;;
	wheel)
		rc=0
		{ "$make" -s -C "$src" selftests &&
			"$src/build/selftests/wheel_sim" 1 &&
			"$src/build/selftests/wheel_sim" 2; } >"$log" 2>&1 || rc=1
		result $rc "timer wheel simulation (wheel_sim, seeds 1 and 2)" "$log"
		;;
	dkms:*)
		k=$("$src/scripts/kernels.sh" "${check#dkms:}" 2>"$log") || {
			result 1 "dkms build ${check#dkms:}" "$log"; continue; }
		"$src/scripts/dkms-stage.sh" "$k" "$src/build/dkms-$k" >"$log" 2>&1
		rc=$?
		cp "$log" "$src/build/dkms-$k/log" 2>/dev/null
		result $rc "dkms build $k (staged for selftests/dkms.sh)" "$log"
		;;
	*)
		echo "host-checks: unknown check '$check'" >&2
		status=1
		;;
	esac
done
exit $status

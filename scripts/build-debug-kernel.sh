#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once per machine) the debug kernel used by `make check-debug`.
#
#   scripts/build-debug-kernel.sh              build if needed, print the objdir
#   scripts/build-debug-kernel.sh --print-dir  only print the objdir (no build)
#   scripts/build-debug-kernel.sh --status     print "ready" or "missing"
#
# Source: Debian's linux-source-6.12 tarball, extracted once into a cache
# outside the repository (CKA_CACHE, default /var/cache/coap-keepalive).
# Config: x86_64_defconfig + kvm_guest.config + selftests/config.debug.
# The objdir name contains the source package version and a hash of the
# fragment (and a recipe number in this script), so editing either triggers a new build and
# an unchanged pair is reused. Output, relative to the printed objdir:
#   arch/x86/boot/bzImage    the kernel to boot
#   .                        KDIR for building external modules (M=...)
#   kernelrelease            the release string (uname -r in the guest)
#   build.log, build-time    log and wall/CPU seconds of the build
#
# Environment: CKA_CACHE, KSRC_TARBALL, JOBS (default nproc), NICE (default 10).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${CKA_CACHE:-/var/cache/coap-keepalive}
frag=$here/selftests/config.debug
jobs=${JOBS:-$(nproc)}
nice_lvl=${NICE:-10}

tarball=${KSRC_TARBALL:-}
if [ -z "$tarball" ]; then
	tarball=$(ls -1 /usr/src/linux-source-6.12*.tar.xz 2>/dev/null | sort -V | tail -n1 || true)
fi
[ -n "$tarball" ] && [ -r "$tarball" ] || {
	echo "build-debug-kernel: no /usr/src/linux-source-6.12*.tar.xz (run make deps)" >&2
	exit 1
}

# Version of the source: the Debian package version when known, else size+mtime.
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
[ -n "$srcver" ] || srcver=$(stat -c '%s-%Y' "$tarball")
srcver=$(printf '%s' "$srcver" | tr -c 'A-Za-z0-9.+-' '_')
# Bump recipe when the configure/build steps below change in a way that
# must invalidate already-built kernels.
recipe=1
key=$({ echo "recipe=$recipe"; cat "$frag"; } | sha256sum | cut -c1-12)

srcdir=$cache/src-$srcver
objdir=$cache/debug-$srcver-$key

case ${1:-} in
--print-dir) echo "$objdir"; exit 0 ;;
--status) [ -f "$objdir/.cka-built" ] && echo ready || echo missing; exit 0 ;;
"") ;;
*) echo "usage: $0 [--print-dir|--status]" >&2; exit 2 ;;
esac

mkdir -p "$cache"
# One builder at a time per machine; a second caller waits and reuses.
exec 9>"$cache/.lock"
if ! flock -n 9; then
	echo "build-debug-kernel: another build holds $cache/.lock, waiting..." >&2
	flock 9
fi

if [ -f "$objdir/.cka-built" ]; then
	echo "$objdir"
	exit 0
fi

if [ ! -f "$srcdir/.cka-extracted" ]; then
	echo "build-debug-kernel: extracting $tarball -> $srcdir" >&2
	rm -rf "$srcdir"
	mkdir -p "$srcdir"
	tar -xJf "$tarball" -C "$srcdir" --strip-components=1
	touch "$srcdir/.cka-extracted"
fi

rm -rf "$objdir"
mkdir -p "$objdir"
log=$objdir/build.log
start=$(date +%s)
echo "build-debug-kernel: configuring in $objdir (log: $log)" >&2
{
	make -C "$srcdir" O="$objdir" x86_64_defconfig kvm_guest.config
	"$srcdir/scripts/kconfig/merge_config.sh" -m -O "$objdir" \
		"$objdir/.config" "$frag"
	make -C "$srcdir" O="$objdir" olddefconfig
} >"$log" 2>&1 || { tail -n 40 "$log" >&2; exit 1; }

# Report fragment lines the final config did not honour (symbols that do
# not exist in this version, or whose dependencies are missing).
norm() { sed -n -e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/p' \
		-e 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)$/\1/p' "$1" | sort -u; }
missed=$(comm -23 <(norm "$frag") <(norm "$objdir/.config") | grep -v '=n$' || true)
if [ -n "$missed" ]; then
	echo "build-debug-kernel: fragment values not in final .config:" >&2
	printf '  %s\n' $missed >&2
fi
for must in CONFIG_KASAN=y CONFIG_DEBUG_KMEMLEAK=y CONFIG_PROVE_LOCKING=y \
	    CONFIG_9P_FS=y CONFIG_NET_9P_VIRTIO=y CONFIG_VIRTIO_PCI=y \
	    CONFIG_MODULE_UNLOAD=y CONFIG_TLS=y CONFIG_VETH=y; do
	grep -qx "$must" "$objdir/.config" || {
		echo "build-debug-kernel: required $must missing from .config" >&2
		exit 1
	}
done

echo "build-debug-kernel: building with -j$jobs at nice $nice_lvl" >&2
# `all` = bzImage + the few modules defconfig still has + Module.symvers,
# which external module builds (M=) need. CPU time is recorded too: on a
# shared machine wall time says little about the build itself.
TIMEFORMAT='wall %R s, user %U s, sys %S s'
if ! { time nice -n "$nice_lvl" make -C "$srcdir" O="$objdir" -j"$jobs" \
		all >>"$log" 2>&1; } 2>"$objdir/build-time"; then
	tail -n 60 "$log" >&2
	exit 1
fi
make -s -C "$srcdir" O="$objdir" kernelrelease >"$objdir/kernelrelease"
end=$(date +%s)
touch "$objdir/.cka-built"
echo "build-debug-kernel: built $(cat "$objdir/kernelrelease") in $((end - start)) s" \
	"(make: $(cat "$objdir/build-time"), -j$jobs)" >&2
# Drop the trees of older fragments/sources (about 1 GB each).
for old in "$cache"/debug-*; do
	[ "$old" = "$objdir" ] || [ ! -d "$old" ] || rm -rf "$old"
done
for old in "$cache"/src-*; do
	[ "$old" = "$srcdir" ] || [ ! -d "$old" ] || rm -rf "$old"
done
echo "$objdir"

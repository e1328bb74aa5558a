#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-stage.sh RELEASE OUTDIR
#
# The host half of selftests/dkms.sh: runs, as a user would, `make
# dkms-install` and `dkms build -k RELEASE` for a Debian kernel, natively on
# the host (compiling the module under TCG took most of the 10 min per
# kernel the whole test took in the guest; DKMS builds for a kernel that is
# not running, e.g. one just installed, the same way). Nothing of the
# host's system changes: in a private mount namespace, /usr/src,
# /var/lib/dkms and /lib/modules/RELEASE get overlays whose upper layers
# are OUTDIR/{usr_src,var_lib_dkms,lib_modules}; what DKMS wrote stays there
# for the guest half, which copies it into its own overlays, runs `dkms
# install` on the kernel it is for, and checks what a user then meets
# (dkms status, modinfo, modules.dep, the autoload by the first CLI call,
# rmmod, dkms remove).
#
# Writes OUTDIR/version (the version DKMS built) and OUTDIR/log; exits 0
# on success. Needs root, dkms, overlayfs and linux-headers-RELEASE.
set -euo pipefail

[ $# = 2 ] || { echo "usage: $0 RELEASE OUTDIR" >&2; exit 2; }
kver=$1
out=$2
src=$(cd "$(dirname "$0")/.." && pwd)
mod=coap_keepalive

if [ "${CKA_DKMS_STAGE_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "dkms-stage: needs root" >&2; exit 1; }
	command -v dkms >/dev/null || { echo "dkms-stage: dkms not installed (make deps)" >&2; exit 1; }
	[ -f "/lib/modules/$kver/build/Makefile" ] ||
		{ echo "dkms-stage: no headers for $kver (linux-headers-$kver)" >&2; exit 1; }
	grep -qw overlay /proc/filesystems ||
		modprobe overlay 2>/dev/null || true
	grep -qw overlay /proc/filesystems ||
		{ echo "dkms-stage: this host has no overlayfs" >&2; exit 1; }
	rm -rf "$out"
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	# A private mount namespace: the overlays vanish with it.
	CKA_DKMS_STAGE_INNER=1 exec unshare --mount --propagation private \
		"$0" "$kver" "$out"
fi

for d in /usr/src /var/lib/dkms "/lib/modules/$kver"; do
	case $d in
	/lib/modules/*) n=lib_modules ;;
	*) n=$(echo "${d#/}" | tr / _) ;;
	esac
	mkdir -p "$d" "$out/$n" "$out/.work-$n"
	mount -t overlay "cka-dkms-$n" \
		-o "lowerdir=$d,upperdir=$out/$n,workdir=$out/.work-$n" "$d"
done

ver=$("$src/scripts/version.sh")
# dkms add refuses a version it already knows from the host's own tree.
if dkms status -m $mod -v "$ver" | grep -q .; then
	echo "dkms-stage: the host's dkms already has $mod/$ver" >&2
	exit 1
fi
make -s -C "$src" dkms-install CKA_VERSION="$ver"
dkms build -m $mod -v "$ver" -k "$kver" ||
	{ tail -n 40 "/var/lib/dkms/$mod/$ver/build/make.log" 2>/dev/null; exit 1; }
dkms status -m $mod -v "$ver" -k "$kver"
echo "$ver" >"$out/version"

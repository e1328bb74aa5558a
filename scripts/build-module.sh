#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh KERNEL [--dir DIR] [KBUILD_ARGS...]
#
# Build coap_keepalive.ko for one kernel out of tree, in its own directory
# (default build/mod-<release>, or build/mod-debug), so that several
# kernels' objects can coexist. Kbuild, module/ and uapi/ sources are
# copied there fresh each time (only sources: stale objects from an
# in-tree build must not leak in). KBUILD_ARGS go to kbuild (W=1, C=2...).
# The combined compiler output is kept in DIR/build.log; the number of
# warnings in it is printed to DIR/warnings. MODULE_VERSION is
# scripts/version.sh of the repository (the copy has no .git).
#   KERNEL: a release with /usr/src/linux-headers-<release>, or "debug".
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
kname=${1:?usage: build-module.sh KERNEL [--dir DIR] [KBUILD_ARGS...]}
shift
dir=$src/build/mod-$kname
if [ "${1:-}" = --dir ]; then
	dir=$2
	shift 2
fi

if [ "$kname" = debug ]; then
	kdir=$("$src/scripts/build-debug-kernel.sh" --print-dir) || exit 1
	[ -f "$kdir/.cka-built" ] || { echo "build-module: debug kernel not built (make debug-kernel)" >&2; exit 1; }
else
	kdir=${KDIR:-/usr/src/linux-headers-$kname}
fi
[ -f "$kdir/Makefile" ] || { echo "build-module: no kernel build tree at $kdir" >&2; exit 1; }

mkdir -p "$dir"
rm -rf "$dir/module" "$dir/uapi" "$dir/Kbuild" "$dir"/*.ko
(cd "$src" && find Kbuild module uapi -type f \
	\( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) -print0 |
	xargs -0 cp --parents -p -t "$dir")

make -C "$kdir" M="$dir" CKA_VERSION="$("$src/scripts/version.sh")" "$@" modules \
	>"$dir/build.log" 2>&1
rc=$?
cat "$dir/build.log"
grep -cE 'warning:|WARNING:|error:' "$dir/build.log" >"$dir/warnings"
exit $rc

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# version.sh   print the version of this source tree, one line:
#   1. `git describe --tags --always --dirty` when the tree is the top of a
#      git work tree (a clone: e.g. v1.2-3-gabc1234, or abc1234[-dirty]
#      while there are no tags);
#   2. else the first line of VERSION (written by `make dkms-install` into
#      the copy under /usr/src, which has no .git);
#   3. else PACKAGE_VERSION of dkms.conf, if it has been filled in;
#   4. else "unknown".
# Used for MODULE_VERSION (Kbuild), `coap-keepalive --version` and the
# DKMS package version. Characters outside [A-Za-z0-9.+~_-] become '_'.
src=$(cd "$(dirname "$0")/.." && pwd -P)

v=
if command -v git >/dev/null 2>&1 &&
   top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null) &&
   [ "$(cd "$top" && pwd -P)" = "$src" ]; then
	v=$(git -C "$src" describe --tags --always --dirty 2>/dev/null)
fi
if [ -z "$v" ] && [ -s "$src/VERSION" ]; then
	v=$(head -n1 "$src/VERSION")
fi
if [ -z "$v" ] && [ -f "$src/dkms.conf" ]; then
	v=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"@]*\)"\{0,1\}$/\1/p' "$src/dkms.conf")
fi
[ -n "$v" ] || v=unknown
printf '%s\n' "$v" | tr -c 'A-Za-z0-9.+~_\n-' _

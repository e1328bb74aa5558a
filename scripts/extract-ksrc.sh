#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# extract-ksrc.sh [DEST]   (default build/ksrc)
#
# Pull the few kernel-tree files the project uses at build/test time out of
# Debian's linux-source-6.12 tarball (never copied into the repository):
#   tools/testing/selftests/kselftest{,_harness}.h   C selftests
#   tools/net/ynl/                                   YNL cli.py + its lib
#   Documentation/netlink/*.yaml (schemas)           for cli.py --schema
#   Documentation/netlink/specs/nlctrl.yaml          spec_check.py (policies)
#   scripts/checkpatch.pl, spelling.txt, const_structs.checkpatch
#   scripts/kernel-doc                               the docs host check
# Skipped when DEST/.stamp names the same tarball (path, size, mtime) and
# the same member list.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$src/build/ksrc}
tarball=${KSRC_TARBALL:-$(ls -1 /usr/src/linux-source-6.12*.tar.xz 2>/dev/null | sort -V | tail -n1 || true)}
[ -n "$tarball" ] && [ -r "$tarball" ] || {
	echo "extract-ksrc: no /usr/src/linux-source-6.12*.tar.xz (make deps)" >&2
	exit 1
}
members="
tools/testing/selftests/kselftest.h
tools/testing/selftests/kselftest_harness.h
tools/net/ynl
Documentation/netlink/genetlink.yaml
Documentation/netlink/genetlink-c.yaml
Documentation/netlink/genetlink-legacy.yaml
Documentation/netlink/netlink-raw.yaml
Documentation/netlink/specs/nlctrl.yaml
scripts/checkpatch.pl
scripts/spelling.txt
scripts/const_structs.checkpatch
scripts/kernel-doc
"
id="$tarball $(stat -c '%s %Y' "$tarball") $(echo "$members" | cksum)"
if [ -f "$dest/.stamp" ] && [ "$(cat "$dest/.stamp")" = "$id" ]; then
	exit 0
fi

top=$(tar -tJf "$tarball" 2>/dev/null | head -n1 | cut -d/ -f1 || true)
[ -n "$top" ] || { echo "extract-ksrc: cannot read $tarball" >&2; exit 1; }
echo "extract-ksrc: extracting from $tarball into $dest" >&2
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
# shellcheck disable=SC2086
tar -xJf "$tarball" -C "$dest.tmp" --strip-components=1 \
	$(for m in $members; do echo "$top/$m"; done)
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "$id" >"$dest/.stamp"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ynl-gen.sh [--check]
#
# Generate from Documentation/netlink/specs/coap_keepalive.yaml, with the
# kernel's own YNL generators (build/ksrc/tools/net/ynl from Debian's
# linux-source-6.12, see extract-ksrc.sh):
#   uapi/linux/coap_keepalive.h              ynl-gen-c.py --mode uapi, then
#                                            uapi-doc.py (the spec's docs)
#   module/netlink-gen.h, netlink-gen.c      ynl-gen-c.py --mode kernel
#   Documentation/netlink/coap_keepalive.rst ynl-gen-rst.py
# These files are committed; nobody edits them. --check generates into a
# temporary directory instead and fails (exit 1, diff on stdout) if any
# committed file differs from what the spec gives.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
check=
[ "${1:-}" = --check ] && check=1
ynl=$src/build/ksrc/tools/net/ynl
[ -f "$ynl/ynl-gen-c.py" ] || "$src/scripts/extract-ksrc.sh" >&2
spec=Documentation/netlink/specs/coap_keepalive.yaml
files="uapi/linux/coap_keepalive.h module/netlink-gen.h module/netlink-gen.c
Documentation/netlink/coap_keepalive.rst"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# ynl-gen-c.py names the spec in its banner relative to the kernel tree it
# finds by walking up to a MAINTAINERS file (and loops forever without
# one), and validates the spec against Documentation/netlink/<protocol>.yaml
# next to it: give it a tree of its own with both.
tree=$tmp/tree
mkdir -p "$tree/Documentation/netlink/specs"
: >"$tree/MAINTAINERS"
cp "$src/build/ksrc/Documentation/netlink/genetlink-legacy.yaml" "$tree/Documentation/netlink/"
cp "$src/$spec" "$tree/$spec"

out=$src
[ -n "$check" ] && out=$tmp/out
mkdir -p "$out/uapi/linux" "$out/module" "$out/Documentation/netlink"
gen() {
	python3 "$ynl/ynl-gen-c.py" --spec "$tree/$spec" "$@" >"$tmp/log" 2>&1 ||
		{ tail -n 5 "$tmp/log" >&2; exit 1; }
}
gen --mode uapi --header -o "$out/uapi/linux/coap_keepalive.h"
# ynl-gen-c.py leaves the family, attributes and commands undocumented in
# the header: add the spec's docs for them (scripts/uapi-doc.py).
python3 "$src/scripts/uapi-doc.py" "$tree/$spec" "$out/uapi/linux/coap_keepalive.h"
gen --mode kernel --header -o "$out/module/netlink-gen.h"
gen --mode kernel --source -o "$out/module/netlink-gen.c"
python3 "$ynl/ynl-gen-rst.py" -i "$tree/$spec" \
	-o "$out/Documentation/netlink/coap_keepalive.rst"

[ -n "$check" ] || exit 0
rc=0
for f in $files; do
	if [ ! -f "$src/$f" ]; then
		echo "$f: not committed (make gen)"
		rc=1
	elif ! diff -u --label "$f (committed)" --label "$f (from the spec)" \
		"$src/$f" "$out/$f"; then
		rc=1
	fi
done
[ $rc = 0 ] || echo "generated files differ from $spec: run make gen"
exit $rc

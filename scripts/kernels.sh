#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh NAME...   print one kernel per line, resolved:
#   6.12, 6.1   -> newest installed Debian image of that series (e.g.
#                  6.12.117+deb12-amd64), resolved at every call
#   debug       -> "debug" (the kernel of scripts/build-debug-kernel.sh)
#   <release>   -> itself, if /boot/vmlinuz-<release> exists
# Fails if a name cannot be resolved or its headers are not installed.
#
# kernels.sh --headers SERIES   newest /usr/src/linux-headers-SERIES*-amd64
#                               release (the default KVER of the Makefile)
set -eu

if [ "${1:-}" = --headers ]; then
	ls -1d /usr/src/linux-headers-"$2".*-amd64 /usr/src/linux-headers-"$2"-amd64 \
		/usr/src/linux-headers-"$2"+*-amd64 2>/dev/null |
		sed 's|^/usr/src/linux-headers-||' | sort -V | tail -n1
	exit 0
fi

status=0
for name in "$@"; do
	case $name in
	debug) echo debug; continue ;;
	*-*) rel=$name ;;
	*)
		rel=$(cd /boot && ls -1d vmlinuz-"$name".*-amd64 vmlinuz-"$name"-amd64 \
			vmlinuz-"$name"+*-amd64 2>/dev/null |
			sed 's/^vmlinuz-//' | sort -V | tail -n1)
		;;
	esac
	if [ -z "$rel" ] || [ ! -f "/boot/vmlinuz-$rel" ]; then
		echo "kernels.sh: no installed kernel image for '$name'" >&2
		status=1
		continue
	fi
	if [ ! -d "/usr/src/linux-headers-$rel" ]; then
		echo "kernels.sh: headers for $rel missing (linux-headers-$rel)" >&2
		status=1
		continue
	fi
	echo "$rel"
done
exit $status

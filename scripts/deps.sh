#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh [--check]  install (Debian 12, as root) what building and testing
#                    coap_keepalive needs; idempotent.
#
# Fast path: a single dpkg-query; if every package is fully installed we
# are done in a fraction of a second. Otherwise: finish any interrupted
# dpkg run, `apt-get update` once, and install the missing packages.
# INITRD=No makes Debian's kernel postinst hook
# (/etc/kernel/postinst.d/initramfs-tools) skip update-initramfs: the host
# never boots these kernels, QEMU gets its own busybox initramfs.
# --check only reports what is missing (exit 1 if anything is).
set -euo pipefail

pkgs=(
	# kernels to test on and build against (resolved at run time)
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-image-amd64 linux-headers-amd64
	linux-source-6.12
	# building: module, CLI, selftests, debug kernel
	gcc make libc6-dev pkg-config libmnl-dev
	# libcoapka's example (tools/lib/coapka/examples)
	libcoap3-dev
	bc flex bison libelf-dev libssl-dev dwarves cpio xz-utils perl
	sparse kmod
	# running guests
	qemu-system-x86 busybox-static
	# tools the tests use inside the guest
	iproute2 nftables tshark libcoap3-bin openssl procps util-linux
	python3 python3-yaml python3-jsonschema
	# the docs host check (scripts/check-rst.py) and the generated reference
	python3-docutils
	# packaging: selftests/dkms.sh runs dkms in a guest
	dkms
)

declare -A ok=()
while read -r name status; do
	[ "$status" = ii ] && ok[$name]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${pkgs[@]}" 2>/dev/null || true)
missing=()
for p in "${pkgs[@]}"; do
	[ -n "${ok[$p]:-}" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: missing or not configured: ${missing[*]}" >&2
[ "${1:-}" = --check ] && exit 1
if [ "$(id -u)" != 0 ]; then
	echo "deps: run as root (or: sudo scripts/deps.sh)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive INITRD=No
lock=(-o DPkg::Lock::Timeout=600)
# A half-configured package (interrupted earlier run) blocks apt-get.
dpkg --configure -a || true
apt-get "${lock[@]}" update
apt-get "${lock[@]}" install -y --no-install-recommends "${pkgs[@]}"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KERNEL -> prints the path of a cached initramfs (newc cpio)
#
# KERNEL is a release in /boot (e.g. 6.12.117+deb12-amd64) or "debug".
# Contents: busybox-static, selftests/vm/init as /init, and for Debian
# kernels the modules needed to mount the host over virtio-9p (with their
# dependencies from modules.dep, decompressed, plus a load order). The debug
# kernel has all of that built in, so its image carries no modules.
# The image is rebuilt when any input changes (hash of the inputs).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${CKA_BUILD:-$src/build}
kname=${1:?usage: mkinitramfs.sh KERNEL}
busybox=${BUSYBOX:-/bin/busybox}

# Modules we need; the rest comes from modules.dep. Names may be built in.
want="virtio_pci 9pnet_virtio 9p"

[ -x "$busybox" ] || { echo "mkinitramfs: $busybox missing (busybox-static)" >&2; exit 1; }
case $(ldd "$busybox" 2>&1 || true) in *"not a dynamic"*) ;; *) false ;; esac ||
	{ echo "mkinitramfs: $busybox is not static (install busybox-static)" >&2; exit 1; }

moddir=
if [ "$kname" != debug ]; then
	moddir=/lib/modules/$kname
	[ -f "$moddir/modules.dep" ] || { echo "mkinitramfs: no $moddir/modules.dep" >&2; exit 1; }
fi

key=$({
	echo "$kname"
	sha256sum "$here/init" "$0"
	stat -c '%s %Y' "$busybox"
	[ -n "$moddir" ] && stat -c '%s %Y' "$moddir/modules.dep" "$moddir/modules.builtin"
	echo "$want"
} | sha256sum | cut -c1-16)

outdir=$build/initramfs
out=$outdir/$kname-$key.cpio
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$outdir"
exec 9>"$outdir/.lock"
flock 9
if [ -f "$out" ]; then	# built by a concurrent caller
	echo "$out"
	exit 0
fi

stage=$(mktemp -d "$outdir/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,results,newroot,modules}
cp "$busybox" "$stage/bin/busybox"
cp "$here/init" "$stage/init"
chmod 755 "$stage/init"
# The kernel's usermode helper runs in the initramfs root (we only chroot
# the test), so module autoload goes through this wrapper into the host tree.
cat >"$stage/sbin/modprobe-chroot" <<'EOF'
#!/bin/busybox sh
exec /bin/busybox chroot /newroot /sbin/modprobe "$@"
EOF
chmod 755 "$stage/sbin/modprobe-chroot"

: >"$stage/modules/order"
if [ -n "$moddir" ]; then
	# modules.dep: "path: dep1 dep2 ..." with deps listed so that loading the
	# list back to front works. Emit each module after its dependencies.
	declare -A seen=()
	add() {
		local path=$1
		[ -n "${seen[$path]:-}" ] && return
		seen[$path]=1
		local base
		base=$(basename "$path")
		base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
		case $path in
		*.xz) xz -dc "$moddir/$path" >"$stage/modules/$base" ;;
		*.zst) zstd -qdc "$moddir/$path" >"$stage/modules/$base" ;;
		*.gz) gzip -dc "$moddir/$path" >"$stage/modules/$base" ;;
		*) cp "$moddir/$path" "$stage/modules/$base" ;;
		esac
		echo "$base" >>"$stage/modules/order"
	}
	for m in $want; do
		line=$(grep -E "/${m}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" || true)
		if [ -z "$line" ]; then
			if grep -qE "/${m}\.ko$" "$moddir/modules.builtin"; then
				continue
			fi
			echo "mkinitramfs: module $m neither in modules.dep nor built in" >&2
			exit 1
		fi
		path=${line%%:*}
		deps=${line#*:}
		rev=
		for d in $deps; do rev="$d $rev"; done
		for d in $rev; do add "$d"; done
		add "$path"
	done
fi

(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
# Keep only the newest image per kernel.
find "$outdir" -maxdepth 1 -name "$kname-*.cpio" ! -name "$(basename "$out")" -delete
echo "$out"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms.sh - KTAP test of the packaging as a user meets it: `make
# dkms-install` (copy to /usr/src/coap_keepalive-VERSION + dkms add), `dkms
# build` and `dkms install` for a Debian kernel, then, on that kernel, the
# first CLI call loads the module by itself (MODULE_ALIAS_GENL_FAMILY: the
# kernel runs modprobe for the family), rmmod, `dkms remove`.
#
# In two halves. The host check "dkms:KERNEL" (scripts/dkms-stage.sh) runs
# make dkms-install and dkms build on the host, natively, in a private
# mount namespace whose overlays keep what DKMS wrote under
# build/dkms-RELEASE/ (compiling under TCG took most of ten minutes per
# kernel). This half runs in a throw-away guest of that kernel WITHOUT the
# module loaded (TESTS word "nomodule"): /usr/src, /var/lib/dkms and
# /lib/modules/$KVER (the host's, read-only) get overlays with tmpfs upper
# layers in this test's mount namespace, the staged files are copied in,
# `dkms install` runs here, and what a user then meets is checked with
# DKMS's and kmod's own tools. The kernel's
# module loader runs /proc/sys/kernel/modprobe in PID 1's namespace
# (selftests/vm/init: a chroot into the host tree), which does not see
# those overlays; for the autoload the test points it at a wrapper that
# runs the same modprobe in this test's namespace (restored at the end).
# Not run on the debug kernel (nodebug): DKMS is about the distribution's
# kernels.
#
# Environment (set by the VM harness): CKA_SRC, CKA_CLI, KVER.

SRC=${CKA_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source-path=SCRIPTDIR source=lib/ktap.sh
. "$SRC/selftests/lib/ktap.sh"

CLI=${CKA_CLI:-$SRC/tools/coap-keepalive/coap-keepalive}
KVER=${KVER:-$(uname -r)}
MOD=coap_keepalive
WORK=/tmp/cka-dkms
# ktap_check runs its command in a subshell: these are set out here.
MODPROBE_SAVED=$(cat /proc/sys/kernel/modprobe)
WRAPPER=/proc/1/root/sbin/cka-modprobe-test

ktap_header
[ "$(id -u)" = 0 ] || ktap_skip_all "needs root"
command -v dkms >/dev/null || ktap_skip_all "dkms not installed (make deps)"
STAGE=$SRC/build/dkms-$KVER
[ -f "$STAGE/version" ] ||
	ktap_skip_all "nothing staged in $STAGE (host check dkms:$KVER, run by make check)"
VER=$(cat "$STAGE/version")
SRCDIR=/usr/src/$MOD-$VER
ktap_plan 8
ktap_diag "version $VER, kernel $KVER"

cleanup() {
	[ "$(cat /proc/sys/kernel/modprobe)" = "$MODPROBE_SAVED" ] ||
		echo "$MODPROBE_SAVED" >/proc/sys/kernel/modprobe
	rm -f "$WRAPPER"
}
trap cleanup EXIT

# stamp: seconds since the test started, for the diagnostics
T0=$(date +%s)
stamp() { ktap_diag "$(($(date +%s) - T0)) s: $*"; }

# 1. Nothing loaded, writable /usr/src, /var/lib/dkms, /lib/modules/$KVER.
setup() {
	local d n
	if [ -d /sys/module/$MOD ]; then
		echo "$MOD is loaded before the test (TESTS line without nomodule?)"
		return 1
	fi
	mkdir -p "$WORK" || return 1
	for d in /usr/src /var/lib/dkms "/lib/modules/$KVER"; do
		n=$WORK/ovl$(echo "$d" | tr / _)
		mkdir -p "$d" "$n.upper" "$n.work" 2>/dev/null
		mount -t overlay "ovl$(echo "$d" | tr / _)" \
			-o "lowerdir=$d,upperdir=$n.upper,workdir=$n.work" "$d" || return 1
	done
	touch /usr/src/.w /var/lib/dkms/.w "/lib/modules/$KVER/.w" || return 1
	rm -f /usr/src/.w /var/lib/dkms/.w "/lib/modules/$KVER/.w"
	# dkms uses <(...): bash needs /dev/fd (no udev in the guest).
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
}
ktap_check "module not loaded; overlays on /usr/src, /var/lib/dkms, /lib/modules/$KVER" setup ||
	ktap_skip_all "no writable overlays"

# status WORD [-k KVER]: dkms status of this version shows WORD
status() {
	local want=$1 st
	shift
	st=$(dkms status -m $MOD -v "$VER" "$@")
	echo "dkms status: $st"
	case $st in *"$want"*) return 0 ;; esac
	return 1
}

# 2. What the host's make dkms-install and dkms build/install wrote,
# copied into this guest's overlays; the copy under /usr/src has no .git:
# its version comes from VERSION.
dkms_staged() {
	local n d
	for n in usr_src:/usr/src var_lib_dkms:/var/lib/dkms "lib_modules:/lib/modules/$KVER"; do
		d=${n#*:}
		n=${n%%:*}
		cp -a "$STAGE/$n/." "$d/" || return 1
	done
	grep -qx "PACKAGE_VERSION=\"$VER\"" "$SRCDIR/dkms.conf" ||
		{ echo "$SRCDIR/dkms.conf:"; cat "$SRCDIR/dkms.conf"; return 1; }
	[ "$(cat "$SRCDIR/VERSION")" = "$VER" ] || { echo "VERSION file wrong"; return 1; }
	[ "$(cd "$SRCDIR" && scripts/version.sh)" = "$VER" ] ||
		{ echo "version of the copy: $(cd "$SRCDIR" && scripts/version.sh)"; return 1; }
	# The tree under test is the one staged (version.sh of the 9p tree
	# is slow, so once).
	[ "$("$SRC/scripts/version.sh")" = "$VER" ] ||
		{ echo "staged $VER, the tree is $("$SRC/scripts/version.sh")"; return 1; }
}
ktap_check "staged dkms-install copy $SRCDIR, version $VER" dkms_staged

# 3. dkms knows it as built for this kernel.
ktap_check "dkms status: built for $KVER" status ": built" -k "$KVER"
stamp "staged files in place"

# 4. dkms install: into updates/ (Debian's dkms: updates/dkms/), known to
# modprobe with our version; not loaded by the install.
dkms_installed() {
	local KO
	dkms install -m $MOD -v "$VER" -k "$KVER" || return 1
	status ": installed" -k "$KVER" || return 1
	KO=$(modinfo -k "$KVER" -n $MOD) || return 1
	case $KO in
	"/lib/modules/$KVER/updates/"*/$MOD.ko* | "/lib/modules/$KVER/updates/$MOD.ko"*) ;;
	*) echo "modprobe would load $KO, not the one in updates/"; return 1 ;;
	esac
	grep -qE "^updates/(dkms/)?$MOD\\.ko(\\.[a-z]+)?:" "/lib/modules/$KVER/modules.dep" ||
		{ echo "modules.dep does not list it"; return 1; }
	[ "$(modinfo -k "$KVER" -F version $MOD)" = "$VER" ] ||
		{ echo "modinfo version: $(modinfo -k "$KVER" -F version $MOD)"; return 1; }
	[ ! -d /sys/module/$MOD ] || { echo "dkms install loaded the module"; return 1; }
}
ktap_check "dkms install: in updates/, modules.dep, modinfo version $VER" dkms_installed
stamp "dkms install done"
KO=$(modinfo -k "$KVER" -n $MOD 2>/dev/null)
ktap_diag "installed: $KO"

# 5. The kernel's modprobe helper, in this mount namespace. It is exec'd
# from PID 1's root (the initramfs), so the wrapper lives there.
autoload_ready() {
	[ -x /proc/1/root/bin/busybox ] || { echo "no busybox in PID 1's root"; return 1; }
	printf '#!/bin/busybox sh\nexec /bin/busybox nsenter --mount=/proc/%s/ns/mnt /sbin/modprobe "$@"\n' \
		"$$" >"$WRAPPER" || return 1
	chmod 755 "$WRAPPER" || return 1
	echo /sbin/cka-modprobe-test >/proc/sys/kernel/modprobe
}

# 6. The first CLI call loads it: no insmod, no modprobe by us.
autoloaded() {
	"$CLI" context show || return 1
	grep -q "^$MOD " /proc/modules || { echo "$MOD not in /proc/modules"; return 1; }
	[ "$(cat /sys/module/$MOD/version)" = "$VER" ] ||
		{ echo "/sys/module/$MOD/version: $(cat /sys/module/$MOD/version)"; return 1; }
}
if ktap_check "modprobe helper runs in the test's mount namespace" autoload_ready; then
	ktap_check "first CLI call autoloads version $VER (lsmod, sysfs)" autoloaded
	# The CLI was built before this run (`make check`: host check "cli"),
	# maybe from another state of the tree; the host check "install"
	# compares its --version with the module's.
	ktap_diag "$("$CLI" --version)"
else
	ktap_skip "first CLI call autoloads the module" "no modprobe helper"
fi
cleanup

ktap_check "rmmod $MOD" rmmod $MOD

# 7. dkms remove: gone from updates/ and from dkms. --no-depmod: depmod
# reads every module of the kernel, minutes under TCG on 6.12 (xz), and
# the install already ran it.
dkms_removed() {
	dkms remove -m $MOD -v "$VER" --all --no-depmod || return 1
	[ -z "$(dkms status -m $MOD)" ] || { dkms status -m $MOD; return 1; }
	[ -n "$KO" ] || return 1
	[ ! -e "$KO" ] || { echo "$KO still there"; return 1; }
}
ktap_check "dkms remove --all: module gone from updates/ and from dkms" dkms_removed
stamp "dkms remove done"
ktap_finish

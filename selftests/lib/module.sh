# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# module.sh - the module's life for the shell tests that unload it
# (udp_lifetime.sh, tcp_lifetime.sh); POSIX sh, source it after ktap.sh.
#
#   module_prereqs HOLDER   skip the whole test (KTAP) unless it runs as
#                           root, the holder program HOLDER is built, the
#                           module is loaded and CKA_KO can load it again
#   module_loaded           the module is in /proc/modules
#   module_gone             the module and every coap_ka_ slab cache are
#                           gone; says what is left otherwise
#   module_leave_loaded     load it again for the harness's final rmmod,
#                           as one KTAP result

MODNAME=coap_keepalive

module_loaded() {
	grep -q "^$MODNAME " /proc/modules
}

module_prereqs() {
	[ "$(id -u)" = 0 ] || ktap_skip_all "needs root"
	[ -x "$1" ] || ktap_skip_all "$1 not built"
	module_loaded || ktap_skip_all "$MODNAME is not loaded"
	[ -f "${CKA_KO:-}" ] || ktap_skip_all "CKA_KO not set: cannot load the module again"
}

module_gone() {
	! module_loaded || { echo "$MODNAME still in /proc/modules"; return 1; }
	[ ! -e /sys/kernel/slab/coap_ka_session ] ||
		{ echo "slab cache coap_ka_session survived the module"; return 1; }
	! grep -q '^coap_ka_' /proc/slabinfo 2>/dev/null ||
		{ echo "coap_ka_ caches left in /proc/slabinfo:"; grep '^coap_ka_' /proc/slabinfo; return 1; }
	return 0
}

module_leave_loaded() {
	module_loaded || insmod "$CKA_KO"
	if module_loaded; then
		ktap_ok "module loaded for the harness's rmmod"
	else
		ktap_fail "module loaded for the harness's rmmod"
	fi
}

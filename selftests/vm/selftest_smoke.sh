#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of the VM plumbing itself (not of coap_keepalive): the module
# under test is loaded, the environment promised to tests is there, and
# kernel-initiated module autoload works inside the chroot.
. "$(dirname "$0")/../lib/ktap.sh"

ktap_header
ktap_plan 8

modname=$(modinfo -F name "$CKA_KO" 2>/dev/null)
ktap_check "module ${modname:-?} is loaded" grep -q "^${modname:-coap_keepalive} " /proc/modules

env_ok() {
	for v in CKA_SRC CKA_BUILD CKA_KO CKA_CLI CKA_YNL CKA_SPEC KVER TMPDIR HOME; do
		eval "val=\${$v:-}"
		[ -n "$val" ] || { echo "$v unset"; return 1; }
	done
	[ "$KVER" = "$(uname -r)" ] || { echo "KVER=$KVER"; return 1; }
	[ -d "$CKA_SRC/selftests" ] || { echo "CKA_SRC=$CKA_SRC"; return 1; }
	[ -f "$CKA_KO" ] || { echo "no $CKA_KO"; return 1; }
	case $PATH in /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin) ;;
	*) echo "PATH=$PATH"; return 1 ;; esac
	touch "$TMPDIR/cka-smoke" "$HOME/.cka-smoke" && rm -f "$TMPDIR/cka-smoke" "$HOME/.cka-smoke"
}
ktap_check "test environment" env_ok

ktap_check "python3 is the system one and has yaml" \
	sh -c '[ "$(command -v python3)" = /usr/bin/python3 ] && python3 -c "import yaml, jsonschema"'

veth_autoload() {
	ip link add cka-smoke0 type veth peer name cka-smoke1 || return 1
	ip link del cka-smoke0 || return 1
	# Loaded on demand on Debian kernels; built into the debug kernel
	# (which has no /lib/modules tree on the host).
	if [ -f "/lib/modules/$KVER/modules.dep" ] &&
	   ! grep -q '/veth.ko' "/lib/modules/$KVER/modules.builtin" 2>/dev/null; then
		lsmod | grep -q '^veth ' || { echo "veth not in lsmod"; return 1; }
	fi
}
ktap_check "veth autoload (ip link add type veth)" veth_autoload

ktap_check "network namespace" sh -c 'ip netns add cka-smoke && ip -n cka-smoke link set lo up && ip netns del cka-smoke'

ktap_check "nftables autoload" sh -c 'nft add table inet cka_smoke && nft delete table inet cka_smoke'

ktap_check "kTLS ULP autoload (TCP_ULP tls)" python3 - <<'EOF'
import socket
TCP_ULP = 31
srv = socket.create_server(("127.0.0.1", 0))
cli = socket.create_connection(srv.getsockname())
cli.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"tls")
print(cli.getsockopt(socket.IPPROTO_TCP, TCP_ULP, 16))
EOF

ktap_check "lo is up" sh -c 'ip -o link show lo | grep -q "UP"'

ktap_finish

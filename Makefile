# SPDX-License-Identifier: GPL-2.0
#
# coap_keepalive - top-level Makefile
#
#   make                  module (for KVER: the running kernel) + CLI
#   make install          module to /lib/modules/KVER/updates/ + depmod, CLI,
#                         man page and bash completion under PREFIX (/usr/local)
#                         (DESTDIR= stages everything under a directory)
#   make uninstall        removes what `make install` installed (same variables)
#   make dkms-install     copies the module source to /usr/src/coap_keepalive-VERSION
#                         and `dkms add`s it; then `dkms build`/`dkms install`
#                         (AUTOINSTALL: DKMS rebuilds it for every new kernel)
#   make dkms-uninstall   `dkms remove --all` + removes that copy
#   make version          prints VERSION (scripts/version.sh: git describe)
#   make check            host checks + every selftests/TESTS line in QEMU on
#                         each kernel of KERNELS (default "6.12 6.1")
#   make check-debug      the same on a KASAN/lockdep/kmemleak kernel
#   make lint             checkpatch + sparse + W=1 builds + generated files +
#                         docs (kernel-doc, rst), fail on warnings
#   make docs             kernel-doc and rst checks of the docs (also in lint)
#   make gen              regenerate the uapi header, module/netlink-gen.[ch]
#                         and Documentation/netlink/coap_keepalive.rst from
#                         the YAML spec (make check fails if they differ)
#   make demo             run the demo script in a 6.12 guest
#   make bench            measure the module in a 6.12 guest (no slab debugging,
#                         BENCH_MEM=4G): table + JSON in build/bench/
#                         (Documentation/bench.rst); QUICK=1: a 2-minute smoke
#   make soak             the TCP/kTLS stream soak, SOAK_SECS (600) per variant,
#                         on each kernel of KERNELS
#   make stress           the race stress (selftests/stress_test.c), STRESS_SECS
#                         (600), on each kernel of KERNELS (also KERNELS=debug)
#   make fuzz             the netlink fuzzer, FUZZ_COUNT (1000000) messages, half
#                         as root, half as uid 65534, on each kernel of KERNELS
#   make deps             install the Debian packages everything needs
#
# Useful variables:
#   KVER=6.12.117+deb12-amd64   kernel for `make module`/`install`
#                               (default: `uname -r`, the running kernel;
#                               `make` fails naming the headers package when
#                               its build tree is missing, as on a machine
#                               that only tests: `make check`, `make demo`,
#                               `make bench` build for the Debian kernels
#                               they boot, whatever KVER says)
#   KDIR=/path/to/kbuild        instead of /lib/modules/$(KVER)/build
#   PREFIX=/usr/local DESTDIR=  where `make install` puts the CLI
#   W=1                         extra compiler warnings for `make module`
#   KERNELS="6.12 6.1"          kernels of `make check` (series, release, debug)
#   TESTS="selftests/foo.sh"    run only these tests (see selftests/TESTS)
#   JOBS=N                      VMs in parallel (default nproc)
#   SOAK_SECS=N                 seconds per variant of `make soak` (default 600)
#   STRESS_SECS=N               seconds of `make stress` (default 600)
#   FUZZ_COUNT=N FUZZ_SEED=N    messages and seed of `make fuzz` (seed: time-based)
# Example: make check KERNELS=6.12 TESTS=selftests/vm/selftest_smoke.sh

MODNAME   := coap_keepalive
KVER      ?= $(shell uname -r)
KDIR      ?= /lib/modules/$(KVER)/build
# MODULE_VERSION, `coap-keepalive --version` and the DKMS package version:
# computed once, when first needed
CKA_VERSION ?= $(eval CKA_VERSION := $$(shell scripts/version.sh))$(CKA_VERSION)
KERNELS   ?= 6.12 6.1
LINT_KERNELS ?= 6.12 6.1
TESTS     ?=
# VMs in parallel: a TCG guest runs its 2 vCPUs on one host thread
# (selftests/vm/common.sh), so one per core. Measured on 2 cores: udp_test,
# tcp_test, udp_cli.sh and udp_life_test took 216 s two at a time against
# 269 s one at a time with a thread per vCPU, each guest as fast as before.
JOBS      ?= $(shell nproc)
PREFIX    ?= /usr/local
INSTALL_MOD_DIR ?= updates
DKMS_SRC   = /usr/src/$(MODNAME)-$(CKA_VERSION)
# What DKMS builds from: the module and the Makefile around it.
DKMS_FILES = Makefile Kbuild dkms.conf scripts/version.sh \
	     $(wildcard module/*.[ch] uapi/linux/*.h)
DEMO      ?= $(firstword $(wildcard selftests/demo.sh selftests/vm/demo.sh))
DEMO_KERNEL ?= 6.12
DEMO_TIMEOUT ?= 600

# Per-kernel module builds for the tests live in build/mod-<release>/.
MOD_SRCS  := Kbuild $(wildcard module/*.c module/*.h uapi/linux/*.h)
TEST_RELS  = $(shell scripts/kernels.sh $(KERNELS))
DEBUG_KDIR = $(shell scripts/build-debug-kernel.sh --print-dir 2>/dev/null)
KSFT_INC  := $(CURDIR)/build/ksrc/tools/testing/selftests
SUITE      = selftests/vm/run-suite.sh --jobs $(JOBS) $(if $(TESTS),--tests "$(TESTS)")
# Host checks reported in `make check`; with TESTS= only the builds and
# the cheap checks of generated files and docs.
# dkms:K stages the host half of selftests/dkms.sh (Debian kernels only).
HOST_CHECKS = $(addprefix build:,$(KERNELS)) cli cli-print selftests wheel ynl-gen docs \
	      $(if $(TESTS),,checkpatch sparse install) \
	      $(if $(or $(if $(TESTS),,all),$(findstring dkms,$(TESTS))), \
		   $(addprefix dkms:,$(filter-out debug,$(KERNELS))))

.PHONY: all module lib cli install clean deps ksrc selftests modules-test \
	checkpatch sparse docs lint gen check debug-kernel check-debug demo soak stress fuzz bench bench-bin \
	kdir install-module install-tools uninstall uninstall-module uninstall-tools \
	dkms-install dkms-uninstall version

all: module cli

# The kernel's build tree (Debian: package linux-headers-KVER) must exist.
kdir:
	@test -f "$(KDIR)/Makefile" || { \
	echo "$(MODNAME): no kernel build tree for $(KVER) at $(KDIR)." >&2; \
	echo "  Install the headers of that kernel (Debian: apt-get install linux-headers-$(KVER))," >&2; \
	echo "  or build for another one: make KVER=<release> (or KDIR=<kbuild dir>)." >&2; \
	exit 1; }

module: kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR) CKA_VERSION=$(CKA_VERSION) $(if $(W),W=$(W)) modules

# libcoapka (tools/lib/coapka): the application library and the netlink
# client the CLI, the selftests and the bench share.
lib:
	$(MAKE) -C tools/lib/coapka

cli: lib
	$(MAKE) -C tools/coap-keepalive CKA_VERSION=$(CKA_VERSION)

version:
	@echo $(CKA_VERSION)

install: install-module install-tools

# updates/ takes precedence over the kernel's own tree for modprobe.
install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KVER) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KVER)

# Userspace: the CLI, its man page and bash completion. A library with an
# install target of its own (tools/lib/...) adds its install/uninstall here.
install-tools: cli
	$(MAKE) -C tools/coap-keepalive install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C tools/lib/coapka install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

uninstall: uninstall-module uninstall-tools

uninstall-module:
	rm -f $(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/$(MODNAME).ko*
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KVER)

uninstall-tools:
	$(MAKE) -C tools/coap-keepalive uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C tools/lib/coapka uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# DKMS: a copy of the module source with the version written into it (it
# has no .git), then `dkms add` (not with DESTDIR, which only stages the copy).
dkms-install:
	rm -rf $(DESTDIR)$(DKMS_SRC)
	install -d $(DESTDIR)$(DKMS_SRC)
	cp --parents -p -t $(DESTDIR)$(DKMS_SRC) $(DKMS_FILES)
	sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(CKA_VERSION)"/' dkms.conf \
		>$(DESTDIR)$(DKMS_SRC)/dkms.conf
	echo $(CKA_VERSION) >$(DESTDIR)$(DKMS_SRC)/VERSION
ifeq ($(DESTDIR),)
	@if dkms status -m $(MODNAME) -v $(CKA_VERSION) | grep -q .; then \
		echo "$(MODNAME)/$(CKA_VERSION) already added; to rebuild it: dkms build --force -m $(MODNAME) -v $(CKA_VERSION)"; \
	else \
		echo "dkms add -m $(MODNAME) -v $(CKA_VERSION)"; \
		dkms add -m $(MODNAME) -v $(CKA_VERSION); \
	fi
	@echo "now: dkms install -m $(MODNAME) -v $(CKA_VERSION)   (builds it for the running kernel)"
endif

dkms-uninstall:
	-dkms remove -m $(MODNAME) -v $(CKA_VERSION) --all
	rm -rf $(DKMS_SRC)

# Kbuild's objects in the source tree (by name: `make clean` must work
# without kernel headers), the CLI's, and build/.
clean:
	rm -f *.ko *.mod *.mod.c *.o .*.o .*.cmd modules.order Module.symvers \
		module/*.o module/.*.cmd module/.*.d
	$(if $(wildcard tools/coap-keepalive/Makefile),$(MAKE) -C tools/coap-keepalive clean)
	$(if $(wildcard tools/lib/coapka/Makefile),$(MAKE) -C tools/lib/coapka clean)
	rm -rf build

deps:
	@scripts/deps.sh

# Kernel-tree helpers (kselftest headers, YNL, checkpatch) from linux-source.
ksrc:
	@scripts/extract-ksrc.sh

selftests: ksrc lib bench-bin
	$(MAKE) -C selftests OUT=$(CURDIR)/build/selftests KSFT_INC=$(KSFT_INC)
	$(MAKE) -C tools/lib/coapka examples

bench-bin: lib
	$(MAKE) -C bench OUT=$(CURDIR)/build/bench

build/mod-%/$(MODNAME).ko: $(MOD_SRCS)
	scripts/build-module.sh $* W=1

build/mod-debug/$(MODNAME).ko: $(MOD_SRCS) $(DEBUG_KDIR)/.cka-built
	scripts/build-module.sh debug W=1

modules-test: $(foreach r,$(TEST_RELS),build/mod-$(r)/$(MODNAME).ko)

checkpatch: ksrc
	@scripts/host-checks.sh checkpatch

sparse:
	@scripts/host-checks.sh sparse

docs: ksrc
	@scripts/host-checks.sh docs

lint: ksrc
	@scripts/host-checks.sh checkpatch sparse ynl-gen docs \
		$(addprefix build:,$(LINT_KERNELS))

# The interface is written once, in the YAML spec; the rest is generated.
gen: ksrc
	@scripts/ynl-gen.sh

check: deps ksrc
	@scripts/host-checks.sh --out build/host-checks.tap $(HOST_CHECKS) || true
	@$(SUITE) --kernels "$(KERNELS)" --host build/host-checks.tap \
		--counts build/counts-check

# Built once per machine into /var/cache/coap-keepalive (about 15 min on
# 2 cores); reused while linux-source-6.12 and selftests/config.debug match.
debug-kernel $(DEBUG_KDIR)/.cka-built:
	@scripts/build-debug-kernel.sh >/dev/null

check-debug: deps ksrc debug-kernel
	@scripts/host-checks.sh --out build/host-checks-debug.tap \
		build:debug cli selftests || true
	@$(SUITE) --kernels debug --host build/host-checks-debug.tap \
		--counts build/counts-check-debug

demo: deps ksrc cli selftests
	@test -n "$(DEMO)" || { echo "no selftests/demo.sh yet"; exit 1; }
	@$(MAKE) --no-print-directory modules-test KERNELS=$(DEMO_KERNEL)
	selftests/vm/run-vm.sh --timeout $(DEMO_TIMEOUT) $(DEMO_KERNEL) $(DEMO)

bench: deps cli bench-bin
	@$(MAKE) --no-print-directory modules-test KERNELS=6.12
	@scripts/bench.sh $(if $(QUICK),--quick)
# The stream soak of selftests/tcp_soak_test.c run longer than in `make check`
# (60 s there): SOAK_SECS per variant, all six variants at once, one guest
# per kernel; the test's timeout leaves room for boot, setup and draining.
SOAK_SECS ?= 600
soak: deps ksrc selftests
	@$(MAKE) --no-print-directory modules-test KERNELS="$(KERNELS)"
	@mkdir -p build
	@echo "timeout=$$(( $(SOAK_SECS) + 240 )) build/selftests/tcp_soak_test --secs $(SOAK_SECS)" \
		>build/soak.tests
	@selftests/vm/run-suite.sh --jobs $(JOBS) --tests-file build/soak.tests \
		--kernels "$(KERNELS)"
# The race stress of selftests/stress_test.c (20 s in `make check`, 60 s in
# `make check-debug`) run for STRESS_SECS on each kernel of KERNELS, one
# guest per kernel; the timeout leaves room for setup and draining (x3 on
# the debug kernel).
STRESS_SECS ?= 600
stress: deps ksrc selftests
	@$(MAKE) --no-print-directory modules-test KERNELS="$(filter-out debug,$(KERNELS))"
	@$(if $(filter debug,$(KERNELS)),$(MAKE) --no-print-directory debug-kernel build/mod-debug/$(MODNAME).ko)
	@mkdir -p build
	@echo "timeout=$$(( $(STRESS_SECS) + 120 )) build/selftests/stress_test --secs $(STRESS_SECS)" \
		>build/stress.tests
	@selftests/vm/run-suite.sh --jobs $(JOBS) --tests-file build/stress.tests \
		--kernels "$(KERNELS)"

# selftests/nl_fuzz.sh with FUZZ_COUNT messages in all (half per identity),
# one guest per kernel; the timeout assumes at least 200 messages/s (a
# Debian kernel under TCG with slab debugging does about 800).
FUZZ_COUNT ?= 1000000
fuzz: deps ksrc selftests
	@$(MAKE) --no-print-directory modules-test KERNELS="$(KERNELS)"
	@mkdir -p build
	@echo "timeout=$$(( $(FUZZ_COUNT) / 200 + 300 )) selftests/nl_fuzz.sh $$(( $(FUZZ_COUNT) / 2 ))$(if $(FUZZ_SEED), $(FUZZ_SEED))" \
		>build/fuzz.tests
	@selftests/vm/run-suite.sh --jobs $(JOBS) --tests-file build/fuzz.tests \
		--kernels "$(KERNELS)"

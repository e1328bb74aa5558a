# SPDX-License-Identifier: GPL-2.0
#
# coap_keepalive - top-level Makefile
#
#   make                  module (for KVER) + CLI
#   make install          modules_install + depmod, CLI and man page to /usr/local
#                         (DESTDIR= stages everything under a directory)
#   make check            host checks + every selftests/TESTS line in QEMU on
#                         each kernel of KERNELS (default "6.12 6.1")
#   make check-debug      the same on a KASAN/lockdep/kmemleak kernel
#   make lint             checkpatch + sparse + W=1 builds, fail on warnings
#   make demo             run the demo script in a 6.12 guest
#   make bench            measure the module in a 6.12 guest (no slab debugging,
#                         BENCH_MEM=4G): table + JSON in build/bench/
#                         (Documentation/bench.rst); QUICK=1: a 2-minute smoke
#   make soak             the TCP/kTLS stream soak, SOAK_SECS (600) per variant,
#                         on each kernel of KERNELS
#   make fuzz             the netlink fuzzer, FUZZ_COUNT (1000000) messages, half
#                         as root, half as uid 65534, on each kernel of KERNELS
#   make deps             install the Debian packages everything needs
#
# Useful variables:
#   KVER=6.12.117+deb12-amd64   kernel for `make module`/`install`
#                               (default: newest installed 6.12 headers)
#   KDIR=/path/to/kbuild        instead of /usr/src/linux-headers-$(KVER)
#   W=1                         extra compiler warnings for `make module`
#   KERNELS="6.12 6.1"          kernels of `make check` (series, release, debug)
#   TESTS="selftests/foo.sh"    run only these tests (see selftests/TESTS)
#   JOBS=N                      VMs in parallel (default nproc)
#   SOAK_SECS=N                 seconds per variant of `make soak` (default 600)
#   FUZZ_COUNT=N FUZZ_SEED=N    messages and seed of `make fuzz` (seed: time-based)
# Example: make check KERNELS=6.12 TESTS=selftests/vm/selftest_smoke.sh

MODNAME   := coap_keepalive
KVER      ?= $(shell scripts/kernels.sh --headers 6.12)
KDIR      ?= /usr/src/linux-headers-$(KVER)
KERNELS   ?= 6.12 6.1
LINT_KERNELS ?= 6.12 6.1
TESTS     ?=
# VMs in parallel: a TCG guest runs its 2 vCPUs on one host thread
# (selftests/vm/common.sh), so one per core. Measured on 2 cores: udp_test,
# tcp_test, udp_cli.sh and udp_life_test took 216 s two at a time against
# 269 s one at a time with a thread per vCPU, each guest as fast as before.
JOBS      ?= $(shell nproc)
PREFIX    ?= /usr/local
DEMO      ?= $(firstword $(wildcard selftests/demo.sh selftests/vm/demo.sh))
DEMO_KERNEL ?= 6.12
DEMO_TIMEOUT ?= 600

# Per-kernel module builds for the tests live in build/mod-<release>/.
MOD_SRCS  := Kbuild $(wildcard module/*.c module/*.h uapi/linux/*.h)
TEST_RELS  = $(shell scripts/kernels.sh $(KERNELS))
DEBUG_KDIR = $(shell scripts/build-debug-kernel.sh --print-dir)
KSFT_INC  := $(CURDIR)/build/ksrc/tools/testing/selftests
SUITE      = selftests/vm/run-suite.sh --jobs $(JOBS) $(if $(TESTS),--tests "$(TESTS)")
# Host checks reported in `make check`; with TESTS= only the builds.
HOST_CHECKS = $(addprefix build:,$(KERNELS)) cli selftests \
	      $(if $(TESTS),,checkpatch sparse)

.PHONY: all module cli install clean deps ksrc selftests modules-test \
	checkpatch sparse lint check debug-kernel check-debug demo soak fuzz bench bench-bin

all: module cli

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(W),W=$(W)) modules

cli:
	$(MAKE) -C tools/coap-keepalive

install: module cli
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KVER)
	$(MAKE) -C tools/coap-keepalive install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools/coap-keepalive clean
	rm -rf build

deps:
	@scripts/deps.sh

# Kernel-tree helpers (kselftest headers, YNL, checkpatch) from linux-source.
ksrc:
	@scripts/extract-ksrc.sh

selftests: ksrc bench-bin
	$(MAKE) -C selftests OUT=$(CURDIR)/build/selftests KSFT_INC=$(KSFT_INC)

bench-bin:
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

lint: ksrc
	@scripts/host-checks.sh checkpatch sparse \
		$(addprefix build:,$(LINT_KERNELS))

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

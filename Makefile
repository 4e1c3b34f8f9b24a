# ZUFS top-level Makefile. See README.md; the commands a user needs are
# `make demo` and `make check`, both of which install what they need.

VERSION := $(shell cat VERSION)
TOP := $(CURDIR)
BUILD := $(TOP)/build
STAGE := $(BUILD)/stage
KVER ?=

# Installed supported kernels with headers (discovered, never hard-coded).
KERNELS = $(shell scripts/kernels.sh --headers)
# Kernel lines the VM suite runs on.
VM_LINES := 6.1 6.12

.PHONY: all deps modules modules-fault zus stage check unit-check vm-check \
	demo clean help abi-check abi-update bench-roundtrip bench-io deb rpm \
	crash-check pkg-check fsx-long

all: deps-ok modules zus

help:
	@echo "make            build zuf.ko for every installed supported kernel, and zus"
	@echo "make deps       install build and test dependencies (apt-get)"
	@echo "make check      unit tests, VM suites on 6.1 and 6.12, packaging checks"
	@echo "make vm-check KVER=6.1|6.12   the VM suites on one kernel line"
	@echo "make demo       boot a VM and show ZUFS working"
	@echo "make bench-roundtrip  ZUFS vs FUSE vs getppid round-trip latency, per kernel"
	@echo "make bench-io   fio: ZUFS vs ext4-dax, tmpfs, FUSE (IOPS, MiB/s, latency), per kernel"
	@echo "make crash-check KVER=6.1|6.12 CYCLES=N   pmemfs crash test (QEMU killed mid-workload)"
	@echo "make fsx-long KVER=6.1|6.12 FSX_OPS=N    the data verifier alone, longer"
	@echo "make deb / make rpm   build the packages under build/deb, build/rpm"
	@echo "make pkg-check  package tests: DKMS, .deb/.rpm + linters, deb/rpm comparison, VM install/upgrade/purge, Ansible"
	@echo "make abi-check  compare src/zus_api.h with the committed ABI baseline"
	@echo "make abi-update refresh the baseline after a ZUFS ABI version bump"

# ~~~~ dependencies ~~~~
deps:
	scripts/deps.sh

# Install dependencies only when something is missing (fast when all is there).
deps-ok:
	@scripts/deps.sh >/dev/null || scripts/deps.sh

# ~~~~ kernel module ~~~~
modules: deps-ok
	+scripts/build-modules.sh

modules-fault: deps-ok
	+scripts/build-modules.sh --fault $(shell scripts/kernels.sh --headers --image)

# ~~~~ user space ~~~~
zus: deps-ok
	@if [ -f zus/Makefile ]; then $(MAKE) -C zus; fi

# Staged install for the VM guests.
stage: zus
	rm -rf $(STAGE)
	mkdir -p $(STAGE)
	@if [ -f zus/Makefile ]; then \
		$(MAKE) -C zus install install-tests DESTDIR=$(STAGE) PREFIX=/usr; fi

# ~~~~ tests ~~~~
unit-check: zus
	@if [ -f zus/Makefile ]; then $(MAKE) -C zus check; \
	else echo "0 passed, 0 failed"; fi

# The VM suites of one kernel line (KVER=6.1 or 6.12), run by tests/vm/suites.sh.
vm-check: modules modules-fault stage
	@test -n "$(KVER)" || { echo "usage: make vm-check KVER=6.1|6.12"; exit 2; }
	scripts/check.sh vm-$(KVER) -- tests/vm/suites.sh $(KVER)

# The pmemfs crash test (CYCLES boots, QEMU killed in each; --data adds
# fsync'd and O_SYNC writes). make check runs 20 cycles per kernel line.
CYCLES ?= 20
crash-check: modules stage
	@test -n "$(KVER)" || { echo "usage: make crash-check KVER=6.1|6.12 [CYCLES=N]"; exit 2; }
	tests/vm/crash.sh --kver $(KVER) --cycles $(CYCLES) --data

# The data verifier alone, longer than in make check (FSX_OPS operations).
FSX_OPS ?= 2000000
fsx-long: modules stage
	@test -n "$(KVER)" || { echo "usage: make fsx-long KVER=6.1|6.12 [FSX_OPS=N]"; exit 2; }
	tests/vm/fsx-long.sh --kver $(KVER) --ops $(FSX_OPS)

# ~~~~ packages ~~~~
deb: deps-ok
	packaging/deb/build.sh

rpm: deps-ok
	packaging/rpm/build.sh

# All package tests (tests/pkg/run.sh): PASS/FAIL lines, then
# "pkg: N passed, N failed, N skipped". PKG_VM_WRAP=CMD runs the VM part
# under CMD (e.g. a wrapper limiting concurrent guests on a shared host).
# make check runs it in the background from its start (the guest image is
# built while the unit tests run; the VM test runs beside the two kernel
# lines), with the VM test's install, reboot, 6.12 kernel, reboot and purge
# steps: its upgrade step and Ansible role only here (--no-upgrade
# --no-ansible), as the whole of it does not fit CI's hour.
pkg-check: deps-ok
	tests/pkg/run.sh

# ~~~~ ABI of src/zus_api.h against packaging/abi/ (libabigail) ~~~~
abi-check: deps-ok
	scripts/abi-check.sh check

abi-update: deps-ok
	scripts/abi-check.sh update

check: modules modules-fault stage
	scripts/check.sh \
		"pkg&" -- tests/pkg/run.sh --no-upgrade --no-ansible ";;" \
		unit -- $(MAKE) -s unit-check ";;" \
		abi -- scripts/abi-check.sh check \
		$(foreach l,$(VM_LINES),";;" "vm-$(l)&" -- tests/vm/line-check.sh $(l) 20)

demo: modules stage
	tests/vm/demo.sh

# ~~~~ benchmarks: numbers, never pass/fail on a time ~~~~
bench-roundtrip: modules stage
	tests/vm/bench.sh roundtrip

# fio on pmemfs over ZUFS, ext4 -o dax, tmpfs and FUSE (BENCH_RUNTIME,
# BENCH_ROUNDS, BENCH_SIZE; LINES to pick kernels, default both).
bench-io: modules stage
	tests/vm/bench.sh io $(LINES)

clean:
	rm -rf $(BUILD)
	@if [ -f zus/Makefile ]; then $(MAKE) -C zus clean; fi
	@if [ -f src/Makefile ]; then rm -f src/zuf_config.h; fi

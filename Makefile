# jitterd — see README.md. `make run` and `make test` are all the set-up there is.
.DELETE_ON_ERROR:
.SUFFIXES:

V ?= 0
ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BUILD   := build
CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
ARCH    := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION := $(shell cat VERSION)
REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
PREFIX  ?= /usr/local
DESTDIR ?=

PKGS    := libbpf yaml-0.1 libmicrohttpd jansson libpcap
CFLAGS  ?= -O2 -g
# snprintf truncation of log messages is intended, so that warning is off.
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wno-format-truncation -D_GNU_SOURCE \
	   -I$(BUILD) -I. -Idaemon \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Only the files that print the version get it (see VERSIONED_OBJS below).
VERSION_CFLAGS := -DJD_VERSION='"$(VERSION)"' -DJD_REVISION='"$(REVISION)"'
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lz
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Ibpf -Ibpf/vmlinux/$(ARCH)
# Each object lists the headers it included in its .d file (next to it), so
# a header change rebuilds only its includers; -MP keeps a deleted header
# from breaking the build.
DEPFLAGS = -MMD -MP -MF $(basename $@).d -MT $@

BPF_SRCS    := $(wildcard bpf/*.bpf.c)
BPF_OBJS    := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS       := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
DAEMON_SRCS := $(wildcard daemon/*.c)
DAEMON_OBJS := $(patsubst daemon/%.c,$(BUILD)/daemon/%.o,$(DAEMON_SRCS))
LIB_OBJS    := $(filter-out $(BUILD)/daemon/main.o,$(DAEMON_OBJS))
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all deps run test unit integration bench vmtest install clean format-check lint FORCE
all: $(BUILD)/jitterd

# Installs only what is missing; a no-op on a machine that has everything.
deps:
	$(Q)scripts/install-deps.sh

# Static pattern rules: the objects and skeletons are named targets, not
# intermediates, so make neither deletes them after a build nor leaves one
# missing (.SECONDARY would keep them, but would not remake a deleted one).
$(BPF_OBJS): $(BUILD)/%.bpf.o: bpf/%.bpf.c | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(SKELS): $(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# The skeletons are generated headers: they must exist before the first
# compile (order-only), and the .d files then say which object includes
# which, so a BPF change rebuilds only the daemon files of its collector.
$(BUILD)/daemon/%.o: daemon/%.c | $(SKELS) $(BUILD)/daemon
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

# VERSION and the git revision reach only the files that print them; the
# stamp changes when either does, so a new commit rebuilds these alone.
VERSIONED_OBJS := $(BUILD)/daemon/main.o $(BUILD)/daemon/pages.o $(BUILD)/daemon/self.o
$(VERSIONED_OBJS): CFLAGS += $(VERSION_CFLAGS)
$(VERSIONED_OBJS): $(BUILD)/version.stamp

$(BUILD)/version.stamp: FORCE | $(BUILD)
	$(Q)echo '$(VERSION) $(REVISION)' | cmp -s - $@ || echo '$(VERSION) $(REVISION)' > $@

$(BUILD)/jitterd: $(DAEMON_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# A test may open a collector's skeleton (test_probe.c): they exist before the
# first compile; -MMD says which test includes which after that.
$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) | $(BUILD)/tests $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -Itests/unit $< $(LIB_OBJS) $(LDLIBS) $(shell pkg-config --libs check) -o $@

$(BUILD) $(BUILD)/daemon $(BUILD)/tests $(BUILD)/bench:
	$(Q)mkdir -p $@

run: deps all
	@echo "make run: jitterd in the foreground with config/jitterd.yaml; Ctrl-C stops it"
	$(Q)$(BUILD)/jitterd --config config/jitterd.yaml

unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; CK_FORK=yes ./$$t; done

# Root + BPF: the real daemon against the kernel's own counters, under
# Debian's pytest (tests/integration/conftest.py). PYTEST_ARGS: e.g. -k runqueue.
integration: all
	$(Q)JITTERD=$(BUILD)/jitterd /usr/bin/python3 -m pytest tests/integration $(PYTEST_ARGS)

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory format-check
	$(Q)$(MAKE) --no-print-directory lint
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory integration

# Calibration programs (scripts/bench/*.bpf.c) and the loader that holds them.
BENCH_TOOLS := $(patsubst scripts/bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(wildcard scripts/bench/*.bpf.c)) \
	       $(BUILD)/bench/bpfload $(BUILD)/bench/pcapgen

$(BUILD)/bench/%.bpf.o: scripts/bench/%.bpf.c | $(BUILD)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/bench/bpfload: scripts/bench/bpfload.c | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) $< $(LDLIBS) -o $@

# The synthetic capture of jitterd pcap's benchmark, tests and README.
$(BUILD)/bench/pcapgen: scripts/bench/pcapgen.c | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) $< -o $@

# Every scripts/bench/*.sh, one after the other (never two at once: they
# measure the same CPUs).
bench: deps all $(BENCH_TOOLS)
	$(Q)set -e; for b in scripts/bench/*.sh; do echo "### $$b"; $$b; done

vmtest: deps all
	$(Q)scripts/vmtest.sh all

install: all
	install -D -m 0755 $(BUILD)/jitterd $(DESTDIR)$(PREFIX)/sbin/jitterd
	install -D -m 0644 config/jitterd.yaml $(DESTDIR)/etc/jitterd/jitterd.yaml
	install -D -m 0644 systemd/jitterd.service $(DESTDIR)/etc/systemd/system/jitterd.service

format-check:
	$(call msg,FORMAT,check)
	$(Q)clang-format --dry-run --Werror daemon/*.c daemon/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/unit/*.h scripts/bench/*.c

# cppcheck over the daemon and its tests; any finding fails. Not -I$(BUILD):
# cppcheck would read the skeletons, whose embedded BPF objects take it
# over a minute per collector, and they are generated code anyway.
LINT_FLAGS := --enable=warning,style,performance,portability --error-exitcode=1 \
	      --inline-suppr --quiet --library=scripts/cppcheck-libbpf.cfg \
	      -D_GNU_SOURCE -Idaemon -I. -Itests/unit
lint:
	$(call msg,LINT,cppcheck)
	$(Q)cppcheck $(LINT_FLAGS) daemon/ tests/unit/ scripts/bench/bpfload.c

clean:
	rm -rf $(BUILD)

FORCE:

# What the compiler wrote about which headers each object included.
-include $(DAEMON_OBJS:.o=.d) $(BPF_OBJS:.o=.d) $(UNIT_BINS:=.d) \
	 $(patsubst %.o,%.d,$(filter %.o,$(BENCH_TOOLS))) $(BUILD)/bench/bpfload.d

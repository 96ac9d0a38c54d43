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

# SANITIZE=1: the same build with ASan and UBSan, in its own directory.
SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD   := build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD   := build
SAN_FLAGS :=
endif
CC      ?= gcc
CLANG   ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
ARCH    := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION := $(shell cat VERSION)
REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
PREFIX  ?= /usr/local
DESTDIR ?=

PKGS    := libbpf yaml-0.1 libmicrohttpd jansson libsystemd libcap libcurl gnutls libxcrypt libpcap
CFLAGS  ?= -O2 -g
CFLAGS  += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
# snprintf truncation of log messages is intended, so that warning is off.
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wno-format-truncation -D_GNU_SOURCE \
	   -I$(BUILD) -I. -Idaemon \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Only the files that print the version get it (see VERSIONED_OBJS below).
VERSION_CFLAGS := -DJD_VERSION='"$(VERSION)"' -DJD_REVISION='"$(REVISION)"'
# libcurl (`jitterd doctor --from`, daemon/doctor/evidence.c) and libpcap
# (`jitterd pcap`, daemon/pcap/libpcap.c) are dlopen()ed by their subcommands,
# not linked: the daemon would carry them and what they load (3+ MiB
# resident) and never use them.
LDLIBS  += $(shell pkg-config --libs $(filter-out libcurl libpcap,$(PKGS)) 2>/dev/null) -lelf -lz -lm
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Ibpf -Ibpf/vmlinux/$(ARCH)
# Each object lists the headers it included in its .d file (next to it), so
# a header change rebuilds only its includers; -MP keeps a deleted header
# from breaking the build.
DEPFLAGS = -MMD -MP -MF $(basename $@).d -MT $@

BPF_SRCS    := $(wildcard bpf/*.bpf.c)
BPF_OBJS    := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS       := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
DAEMON_SRCS := $(wildcard daemon/*.c daemon/*/*.c)
DAEMON_OBJS := $(patsubst daemon/%.c,$(BUILD)/daemon/%.o,$(DAEMON_SRCS))
LIB_OBJS    := $(filter-out $(BUILD)/daemon/main.o,$(DAEMON_OBJS))
UNIT_SRCS   := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

# libjitterd-span (client/, docs/spans.md): what a trading component links
# to publish spans; static and shared (the Python binding loads the .so).
# Never sanitized: it goes into the components (and Python), not the daemon.
CLIENT_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -fPIC -Iclient
CLIENT_LIBS   := $(BUILD)/client/libjitterd-span.a $(BUILD)/client/libjitterd-span.so \
		 $(BUILD)/client/jitterd-span.pc
# The span publisher of tests/integration/test_spans.py, built here: the
# vmtest guests have no compiler.
SPAN_LOAD     := $(BUILD)/tests/span_load

.PHONY: all deps run test unit integration rules docs-check layers bench vmtest install clean format-check lint fuzz FORCE
all: $(BUILD)/jitterd $(CLIENT_LIBS) $(SPAN_LOAD)

# Installs only what is missing; a no-op on a machine that has everything.
deps:
	$(Q)scripts/install-deps.sh

# Static pattern rules: the objects and skeletons are named targets, not
# intermediates, so make neither deletes them after a build nor leaves one
# missing (.SECONDARY would keep them, but would not remake a deleted one).
$(BPF_OBJS): $(BUILD)/%.bpf.o: bpf/%.bpf.c | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

# The skeleton embeds the object without its DWARF (BTF stays): the daemon
# would otherwise carry ~0.7 MB of debug info per collector in its image
# and, where libbpf reads near it, in its RSS.
$(SKELS): $(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(LLVM_STRIP) -g $< -o $(BUILD)/$*.stripped.bpf.o
	$(Q)$(BPFTOOL) gen skeleton $(BUILD)/$*.stripped.bpf.o name $*_bpf > $@

# The skeletons are generated headers: they must exist before the first
# compile (order-only), and the .d files then say which object includes
# which, so a BPF change rebuilds only the daemon files of its collector.
$(BUILD)/daemon/%.o: daemon/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

# The live view's page is built into view.o (.incbin), which -MMD cannot see.
$(BUILD)/daemon/http/view.o: daemon/http/view.html

# VERSION and the git revision reach only the files that print them; the
# stamp changes when either does, so a new commit rebuilds these alone.
VERSIONED_OBJS := $(BUILD)/daemon/main.o $(BUILD)/daemon/core/pages.o $(BUILD)/daemon/core/self.o
$(VERSIONED_OBJS): CFLAGS += $(VERSION_CFLAGS)
$(VERSIONED_OBJS): $(BUILD)/version.stamp

$(BUILD)/version.stamp: FORCE | $(BUILD)
	$(Q)echo '$(VERSION) $(REVISION)' | cmp -s - $@ || echo '$(VERSION) $(REVISION)' > $@

$(BUILD)/jitterd: $(DAEMON_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# A test may open a collector's skeleton (test_probe.c): they exist before the
# first compile; -MMD says which test includes which after that.
$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(DEPFLAGS) -Itests/unit $< $(LIB_OBJS) $(LDLIBS) $(shell pkg-config --libs check) -o $@

$(BUILD) $(BUILD)/bench:
	$(Q)mkdir -p $@

$(BUILD)/client/span.o: client/span.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CLIENT_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/client/libjitterd-span.a: $(BUILD)/client/span.o
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/client/libjitterd-span.so: $(BUILD)/client/span.o
	$(call msg,LINK,$@)
	$(Q)$(CC) -shared -Wl,-soname,libjitterd-span.so.1 $^ -lpthread -o $@

$(SPAN_LOAD): tests/integration/span_load.c $(BUILD)/client/libjitterd-span.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CLIENT_CFLAGS) $(DEPFLAGS) $< $(BUILD)/client/libjitterd-span.a -lpthread -o $@

$(BUILD)/client/jitterd-span.pc: client/jitterd-span.pc.in VERSION | $(BUILD)
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

run: deps all
	@echo "make run: jitterd in the foreground with config/jitterd.yaml; Ctrl-C stops it"
	$(Q)$(BUILD)/jitterd --config config/jitterd.yaml

unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; CK_FORK=yes ./$$t; done

# Root + BPF: the real daemon against the kernel's own counters, under
# Debian's pytest (tests/integration/conftest.py). PYTEST_ARGS: e.g. -k runqueue.
# Under SANITIZE=1 a sanitizer report stops the program (halt_on_error) and
# harness.py fails the test whose daemon printed one.
SAN_ENV := ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1 \
	   UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 JITTERD_SANITIZED=$(SANITIZE)
integration: all
	$(Q)$(SAN_ENV) JITTERD=$(BUILD)/jitterd /usr/bin/python3 -m pytest tests/integration $(PYTEST_ARGS)

# The unit tests plain and sanitized; the integration suite once, with the
# sanitized daemon (the vmtest guests run the plain one), and the abuse
# and memory tests again with the plain one, whose speed and footprint they
# are about; the fuzzers.
test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory format-check
	$(Q)$(MAKE) --no-print-directory lint
	$(Q)$(MAKE) --no-print-directory rules
	$(Q)$(MAKE) --no-print-directory docs-check
	$(Q)$(MAKE) --no-print-directory layers
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 unit
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 integration
	$(Q)$(MAKE) --no-print-directory integration PYTEST_ARGS="-k 'test_abuse or test_memory'"
	$(Q)$(MAKE) --no-print-directory fuzz

# libFuzzer: every tests/fuzz/fuzz_<name>.c is a target, built with clang
# against the daemon's objects (ASan + UBSan) and run for FUZZ_SECONDS from
# its seeds in tests/fuzz/corpus/<name>/ (what it finds goes to
# build-fuzz/corpus/<name>/). A crash, leak or sanitizer report fails; the
# input is left in build-fuzz/ (crash-*) to add to the seeds once fixed.
FUZZ        := build-fuzz
FUZZ_SECONDS ?= 15
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unknown-warning-option \
	       -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	       -I$(BUILD) -I. -Idaemon $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(VERSION_CFLAGS)
FUZZ_NAMES  := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS   := $(patsubst %,$(FUZZ)/fuzz_%,$(FUZZ_NAMES))
FUZZ_OBJS   := $(patsubst daemon/%.c,$(FUZZ)/daemon/%.o,$(filter-out daemon/main.c,$(DAEMON_SRCS)))

$(FUZZ_OBJS): $(FUZZ)/daemon/%.o: daemon/%.c | $(SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(DEPFLAGS) -c $< -o $@

$(FUZZ_BINS): $(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS) | $(FUZZ)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(DEPFLAGS) -Itests/fuzz $< $(FUZZ_OBJS) $(LDLIBS) -o $@

$(FUZZ):
	$(Q)mkdir -p $@

# FUZZ_JOBS targets at a time (2: this machine's CPUs; each target is one
# process): a target's report is printed whole when it ends.
FUZZ_JOBS ?= 2
fuzz: $(FUZZ_BINS)
	$(Q)for n in $(FUZZ_NAMES); do mkdir -p $(FUZZ)/corpus/$$n tests/fuzz/corpus/$$n; done
	$(Q)printf '%s\n' $(FUZZ_NAMES) | $(SAN_ENV) xargs -P $(FUZZ_JOBS) -I{} sh -c ' \
		cd $(FUZZ) || exit 255; \
		if ./fuzz_$$1 -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096 \
			corpus/$$1 ../tests/fuzz/corpus/$$1 > fuzz_$$1.log 2>&1; then \
			printf "  %-8s %s (%ss) %s\n" FUZZ $$1 $(FUZZ_SECONDS) \
				"$$(grep -o "Done [0-9]* runs in [0-9]* second(s)" fuzz_$$1.log)"; \
		else \
			printf "  %-8s %s (%ss) FAILED\n%s\n" FUZZ $$1 $(FUZZ_SECONDS) "$$(tail -n 60 fuzz_$$1.log)"; \
			exit 255; \
		fi' sh {}

# The Prometheus rules: promtool's lint and its unit tests (one file per
# alert in config/prometheus/tests/), every alert tested and with a runbook
# section; the dashboard is what scripts/gen-dashboard.py writes.
rules: | $(BUILD)
	$(call msg,PROMTOOL,config/prometheus)
	$(Q)promtool check rules config/prometheus/jitterd-rules.yml >/dev/null
	$(Q)cd config/prometheus && promtool test rules tests/*.yml > ../../$(BUILD)/promtool-test.log 2>&1 \
		|| { cat ../../$(BUILD)/promtool-test.log; exit 1; }
	$(Q)/usr/bin/python3 scripts/check-rules.py
	$(Q)/usr/bin/python3 scripts/gen-dashboard.py --check

# Links and section references that point nowhere: between README.md and
# docs/, and the references to them in code, comments, help texts, config,
# scripts and the unit file (docs/<page>.md "Heading", README.md#<anchor>).
docs-check:
	$(call msg,DOCS,links and section references)
	$(Q)/usr/bin/python3 scripts/check-docs.py

# The floor plan: which folder of daemon/ may include which
# (docs/architecture.md "What each folder may include").
layers:
	$(call msg,LAYERS,daemon/ includes)
	$(Q)/usr/bin/python3 scripts/check-layers.py

# Calibration programs (scripts/bench/*.bpf.c) and the loader that holds them.
BENCH_TOOLS := $(patsubst scripts/bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(wildcard scripts/bench/*.bpf.c)) \
	       $(BUILD)/bench/bpfload $(BUILD)/bench/doctor_run $(BUILD)/bench/anomaly-replay \
	       $(BUILD)/bench/pcapgen $(BUILD)/bench/span_bench

$(BUILD)/bench/%.bpf.o: scripts/bench/%.bpf.c | $(BUILD)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/bench/bpfload: scripts/bench/bpfload.c | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) $< $(LDLIBS) -o $@

# The doctor's checks in process (scripts/bench/doctor.sh runs it).
$(BUILD)/bench/doctor_run: scripts/bench/doctor_run.c $(LIB_OBJS) | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) $< $(LIB_OBJS) $(LDLIBS) -o $@

# The anomaly detector's baselines over a recording (scripts/bench/anomaly.sh).
$(BUILD)/bench/anomaly-replay: scripts/bench/anomaly_replay.c $(LIB_OBJS) | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) $< $(LIB_OBJS) $(LDLIBS) -o $@

# The synthetic capture of jitterd pcap's benchmark, tests and docs/pcap.md.
$(BUILD)/bench/pcapgen: scripts/bench/pcapgen.c | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) $< -o $@

# The cost table of libjitterd-span (scripts/bench/spans.sh).
$(BUILD)/bench/span_bench: scripts/bench/span_bench.c $(BUILD)/client/libjitterd-span.a | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iclient $(DEPFLAGS) $< $(BUILD)/client/libjitterd-span.a -lpthread -o $@

# Every scripts/bench/*.sh, one after the other (never two at once: they
# measure the same CPUs).
bench: deps all $(BENCH_TOOLS)
	$(Q)set -e; for b in scripts/bench/*.sh; do echo "### $$b"; $$b; done

vmtest: deps all
	$(Q)scripts/vmtest.sh all

# Everything systemd/jitterd.service names (ExecStart, its config,
# Documentation=) is put in place here; the unit names PREFIX=/usr/local.
install: all
	install -D -m 0755 $(BUILD)/jitterd $(DESTDIR)$(PREFIX)/sbin/jitterd
	install -D -m 0644 config/jitterd.yaml $(DESTDIR)/etc/jitterd/jitterd.yaml
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/jitterd/README.md
	install -d $(DESTDIR)$(PREFIX)/share/doc/jitterd/docs
	install -m 0644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/jitterd/docs/
	install -D -m 0644 systemd/jitterd.service $(DESTDIR)/etc/systemd/system/jitterd.service
	install -D -m 0644 client/jitterd_span.h $(DESTDIR)$(PREFIX)/include/jitterd_span.h
	install -D -m 0644 client/jitterd_span_ring.h $(DESTDIR)$(PREFIX)/include/jitterd_span_ring.h
	install -D -m 0644 $(BUILD)/client/libjitterd-span.a $(DESTDIR)$(PREFIX)/lib/libjitterd-span.a
	install -D -m 0755 $(BUILD)/client/libjitterd-span.so $(DESTDIR)$(PREFIX)/lib/libjitterd-span.so.1
	ln -sf libjitterd-span.so.1 $(DESTDIR)$(PREFIX)/lib/libjitterd-span.so
	install -D -m 0644 $(BUILD)/client/jitterd-span.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/jitterd-span.pc
	install -D -m 0644 client/python/jitterd_span.py $(DESTDIR)$(PREFIX)/share/jitterd/python/jitterd_span.py

format-check:
	$(call msg,FORMAT,check)
	$(Q)clang-format --dry-run --Werror daemon/*.c daemon/*/*.c daemon/*/*.h bpf/*.c bpf/*.h tests/unit/*/*.c tests/unit/*.h scripts/bench/*.c tests/fuzz/*.c tests/fuzz/*.h client/*.c client/*.h

# cppcheck over the daemon and its tests; any finding fails. Not -I$(BUILD):
# cppcheck would read the skeletons, whose embedded BPF objects take it
# over a minute per collector, and they are generated code anyway.
LINT_FLAGS := --enable=warning,style,performance,portability --error-exitcode=1 \
	      --inline-suppr --quiet --library=scripts/cppcheck-libbpf.cfg \
	      -D_GNU_SOURCE -Idaemon -I. -Itests/unit
lint:
	$(call msg,LINT,cppcheck)
	$(Q)cppcheck $(LINT_FLAGS) -Itests/fuzz daemon/ tests/unit/ tests/fuzz/ scripts/bench/bpfload.c

clean:
	rm -rf build build-san $(FUZZ)

FORCE:

# What the compiler wrote about which headers each object included.
-include $(BUILD)/client/span.d $(SPAN_LOAD).d $(DAEMON_OBJS:.o=.d) $(BPF_OBJS:.o=.d) $(UNIT_BINS:=.d) $(FUZZ_OBJS:.o=.d) $(FUZZ_BINS:=.d) \
	 $(patsubst %.o,%.d,$(filter %.o,$(BENCH_TOOLS))) $(BUILD)/bench/bpfload.d

# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# xskflow: one Makefile, quiet unless V=1. `make` builds the BPF program, libxskflow
# (static, shared, pkg-config) and the CLI; `make check` runs every test; `make demo` shows it.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
ifeq ($(SAN),1)
BUILD     ?= build-san
else
BUILD     ?= build
endif
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
ARCH_INC  := /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN      := -Wall -Wextra -Werror
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 $(WARN) -fvisibility=hidden -Iinclude -I$(BUILD) -D_GNU_SOURCE
LIBS      := $(shell pkg-config --libs libxdp libbpf 2>/dev/null || echo -lxdp -lbpf) -lelf -lz -lnuma -lmnl -lpthread
DMN_LIBS  := -ljson-c -linih -lpcap -lz -ldl -lcap -lmicrohttpd
ifeq ($(SAN),1)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS   += -fsanitize=address,undefined
endif

BPF_CFLAGS := -g -O2 -target bpf $(WARN) -I$(ARCH_INC) -Ibpf

LIB_SRCS  := $(wildcard user/lib/*.c)
LIB_OBJS  := $(patsubst user/lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
CLI_SRCS  := $(wildcard user/cli/*.c)
CLI_OBJS  := $(patsubst user/cli/%.c,$(BUILD)/cli/%.o,$(CLI_SRCS))
HDRS      := $(wildcard include/xskflow/*.h user/lib/*.h user/cli/*.h bpf/*.h)
TEST_SRCS := $(wildcard tests/unit/*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_REPLAY := $(patsubst %,$(BUILD)/tests/replay_%,$(FUZZ_NAMES))
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
CONF_SRCS := $(wildcard tests/conform/*.c)
CONF_BINS := $(patsubst tests/conform/%.c,$(BUILD)/conform/%,$(CONF_SRCS))
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
DMN_SRCS  := $(wildcard user/daemon/*.c)
DMN_OBJS  := $(patsubst user/daemon/%.c,$(BUILD)/daemon/%.o,$(DMN_SRCS))
DAEMON    := $(if $(DMN_SRCS),$(BUILD)/xskflowd)
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

STATIC    := $(BUILD)/libxskflow.a
SHARED    := $(BUILD)/libxskflow.so.0
SKEL      := $(BUILD)/xskflow.skel.h
BPF_OBJ   := $(BUILD)/xskflow.bpf.o
CLI       := $(BUILD)/xskflow

.PHONY: all deps check demo bench fuzz soak clean install
.DELETE_ON_ERROR:

all: $(BPF_OBJS) $(SKELS) $(STATIC) $(SHARED) $(BUILD)/libxskflow.pc $(CLI) $(DAEMON) \
	$(TEST_BINS) $(BENCH_BINS) $(CONF_BINS) $(FUZZ_REPLAY)

deps:
	$(Q)scripts/deps.sh

$(BUILD)/.dir:
	$(Q)mkdir -p $(BUILD)/lib $(BUILD)/cli $(BUILD)/daemon $(BUILD)/tests $(BUILD)/bench \
		$(BUILD)/conform && touch $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) | $(BUILD)/.dir
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@ 2>/dev/null

$(BUILD)/lib/%.o: user/lib/%.c $(HDRS) $(SKEL)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -fPIC -c $< -o $@

$(STATIC): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SHARED): $(LIB_OBJS) user/lib/libxskflow.map
	$(call msg,LD,$@)
	$(Q)$(CC) -shared $(LDFLAGS) -Wl,-soname,libxskflow.so.0 \
		-Wl,--version-script=user/lib/libxskflow.map -o $@ $(LIB_OBJS) $(LIBS)
	$(Q)ln -sf libxskflow.so.0 $(BUILD)/libxskflow.so

$(BUILD)/libxskflow.pc: user/lib/libxskflow.pc.in Makefile | $(BUILD)/.dir
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

$(BUILD)/cli/%.o: user/cli/%.c $(HDRS) | $(BUILD)/.dir
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(CLI): $(CLI_OBJS) $(STATIC)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(STATIC) $(LIBS) -ljson-c

$(BUILD)/daemon/%.o: user/daemon/%.c $(HDRS) $(wildcard user/daemon/*.h) | $(BUILD)/.dir
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/xskflowd: $(DMN_OBJS) $(STATIC)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(DMN_OBJS) $(STATIC) $(LIBS) $(DMN_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(STATIC) $(HDRS) $(SKELS) $(wildcard tests/unit/*.h)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/lib -o $@ $< $(STATIC) $(LDFLAGS) $(LIBS) -lcmocka

# The config parser's tests and fuzz target compile the daemon's parser in.
$(BUILD)/tests/test_config $(BUILD)/tests/replay_config: user/daemon/config.c user/daemon/config.h
$(BUILD)/tests/test_config $(BUILD)/tests/replay_config: LIBS += -linih
# The control socket's fuzz target compiles the daemon's request parser in.
$(BUILD)/tests/replay_ctl: user/daemon/ctlreq.c user/daemon/ctlreq.h
$(BUILD)/tests/replay_ctl: LIBS += -ljson-c

$(BUILD)/bench/%: tests/bench/%.c $(STATIC) $(HDRS) $(SKELS) | $(BUILD)/.dir
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Iuser/lib -Iuser/cli -o $@ $< $(filter %.o,$^) $(STATIC) $(LDFLAGS) \
		$(LIBS) -lm

# The kernel UDP latency baseline keeps and summarises samples like 'xskflow bench latency'.
$(BUILD)/bench/udp_rtt: $(BUILD)/cli/rtt.o

# Conformance programs run inside lab namespaces, driven by tests/e2e/*.sh; they reuse
# the CLI's test-pattern code.
$(BUILD)/conform/%: tests/conform/%.c $(BUILD)/cli/pattern.o $(STATIC) $(HDRS) $(SKELS) | $(BUILD)/.dir
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Iuser/lib -Iuser/cli -o $@ $< $(BUILD)/cli/pattern.o $(STATIC) \
		$(LDFLAGS) $(LIBS)

# Fuzz targets double as corpus replayers in `make check` (plain build, no libFuzzer).
$(BUILD)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(STATIC) $(HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/lib -o $@ $< tests/fuzz/replay.c $(STATIC) $(LDFLAGS) $(LIBS)

# `make fuzz [FUZZ_SECONDS=N]`: each target under libFuzzer + ASan/UBSan for a bounded
# time, growing tests/fuzz/corpus/NAME; crashes land in tests/fuzz/crashes/ (replayed by
# make check once committed).
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -Iinclude -I$(BUILD) -Iuser/lib \
	-fsanitize=fuzzer,address,undefined
fuzz: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)mkdir -p $(FUZZ_BUILD) tests/fuzz/crashes
	$(Q)set -e; for t in $(FUZZ_NAMES); do \
		printf '  %-8s %s\n' FUZZ $$t; \
		$(CLANG) $(FUZZ_CFLAGS) -o $(FUZZ_BUILD)/fuzz_$$t tests/fuzz/fuzz_$$t.c $(LIB_SRCS) \
			$(LIBS) -linih -ljson-c; \
		mkdir -p tests/fuzz/corpus/$$t; \
		$(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=tests/fuzz/crashes/$$t- tests/fuzz/corpus/$$t; \
	done

# `make soak [SOAK_SECONDS=N]`: the daemon reflecting under periodic reloads, then
# frames, fds, RSS and BPF objects checked flat. Minutes; not part of make check.
soak: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) SOAK_SECONDS=$(SOAK_SECONDS) scripts/soak.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) QUICK=$(QUICK) scripts/bench.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/demo-daemon.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/xskflow
	install -m 0755 $(CLI) $(DAEMON) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libxskflow.so.0 $(DESTDIR)$(PREFIX)/lib/libxskflow.so
	install -m 0644 include/xskflow/*.h $(DESTDIR)$(PREFIX)/include/xskflow/
	install -m 0644 $(BUILD)/libxskflow.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

clean:
	$(Q)rm -rf $(BUILD)

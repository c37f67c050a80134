# userbpf build. `make` builds the CLI, plugin and libraries into build/; `make check` runs every
# test; `make check SANITIZE=1` runs them under ASan+UBSan (in build/san); `make bench` benchmarks;
# `make install PREFIX=...` installs. Sources are found by wildcard: a new src/*/x.c joins the library,
# a new tests/unit/test_x.c becomes a test binary, with no Makefile edit.

PREFIX     ?= /usr/local
CC         ?= cc
BPF_CLANG  ?= clang-19
FUZZ_CC    ?= clang-19
WERROR     ?=
SANITIZE   ?=
# DISPATCH=switch builds the interpreter with a switch instead of computed goto.
DISPATCH   ?=

ifeq ($(SANITIZE),1)
BUILD      ?= build/san
SANFLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else ifeq ($(DISPATCH),switch)
BUILD      ?= build/switch
else
BUILD      ?= build
endif

OPT        ?= -O2
WARN       := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
	      -Wpointer-arith -Wformat=2
ifeq ($(WERROR),1)
WARN       += -Werror
endif
CPPFLAGS   += -Iinclude -Isrc -D_GNU_SOURCE
ifeq ($(DISPATCH),switch)
CPPFLAGS   += -DUSERBPF_DISPATCH_SWITCH
endif
CFLAGS     ?= $(OPT) -g
CFLAGS     += -std=gnu11 -fPIC -fvisibility=hidden $(WARN) $(SANFLAGS)
LDFLAGS    += $(SANFLAGS)
LDLIBS     += -lbpf -lpcap -lelf -lz -lpthread -lm

# Library sources: every src/*/*.c, the kernel backend (src/kernel/, libbpf's bpf() wrappers) included.
LIB_SRCS   := $(sort $(wildcard src/*/*.c))
LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_SRCS   := $(sort $(wildcard tools/userbpf/*.c))
CLI_OBJS   := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
PLUGIN_SRCS:= $(sort $(wildcard tools/plugin/*.c))
PLUGIN_OBJS:= $(PLUGIN_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
TEST_BINS  := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TEST_LIB_SRCS := $(sort $(filter-out tests/unit/test_%,$(wildcard tests/unit/*.c)))
TEST_LIB_OBJS := $(TEST_LIB_SRCS:%.c=$(BUILD)/obj/%.o)
KTEST_SRCS := $(sort $(wildcard tests/kernel/*.c))
KTEST_BINS := $(KTEST_SRCS:tests/kernel/%.c=$(BUILD)/tests/kernel_%)

# BPF objects for the tests (tests/objs/*.bpf.c), built with $(BPF_CLANG) at CPU v4; those listed in
# BPF_OBJS_ALLCPU also at v1..v3 (NAME.v1.o ...). Without $(BPF_CLANG) the tests that need them skip.
BPF_CFLAGS ?= -O2 -g -target bpf -I/usr/include/$(shell gcc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
BPF_OBJ_SRCS := $(sort $(wildcard tests/objs/*.bpf.c))
BPF_OBJS_ALLCPU := globals
BPF_OBJS   := $(BPF_OBJ_SRCS:tests/objs/%.bpf.c=$(BUILD)/objs/%.o) \
	      $(foreach c,1 2 3,$(BPF_OBJS_ALLCPU:%=$(BUILD)/objs/%.v$(c).o))
HAVE_BPF_CLANG := $(shell command -v $(BPF_CLANG) 2>/dev/null)

LIB_A      := $(BUILD)/lib/libuserbpf.a
LIB_SO     := $(BUILD)/lib/libuserbpf.so
CLI        := $(BUILD)/bin/userbpf
PLUGIN     := $(BUILD)/bin/userbpf-plugin

.PHONY: all check bench fuzz install clean format
# Object files reached only through pattern rules are not intermediates to delete.
.SECONDARY:
all: $(LIB_A) $(LIB_SO) $(CLI) $(PLUGIN) $(TEST_BINS) $(KTEST_BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB_A): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(LIB_SO): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libuserbpf.so.0 $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(CLI): $(CLI_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB_A) $(LDLIBS)

# ---- userbpf monitor: the flows program built into the CLI -------------------------------------
# tools/userbpf/monitor_embed.c copies $(BUILD)/examples/flows.o (examples/flows.bpf.c, built by the
# examples rules) into the CLI with the assembler's .incbin, so that the installed `userbpf monitor`
# needs no file. Without clang-19 it is built without it (`monitor --prog flows` then says so).
ifneq ($(HAVE_BPF_CLANG),)
ifneq ($(wildcard examples/flows.bpf.c),)
MONITOR_FLOWS_OBJ := $(BUILD)/examples/flows.o
$(BUILD)/obj/tools/userbpf/monitor_embed.o: $(MONITOR_FLOWS_OBJ)
$(BUILD)/obj/tools/userbpf/monitor_embed.o: CPPFLAGS += -DMONITOR_FLOWS_OBJ='"$(MONITOR_FLOWS_OBJ)"'
endif
endif
# ---- end of userbpf monitor ---------------------------------------------------------------------

$(PLUGIN): $(PLUGIN_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(PLUGIN_OBJS) $(LIB_A) $(LDLIBS)

ifneq ($(HAVE_BPF_CLANG),)
all: $(BPF_OBJS)
$(TEST_BINS): | $(BPF_OBJS)
endif

$(BUILD)/objs/%.o: tests/objs/%.bpf.c
	@mkdir -p $(@D)
	$(BPF_CLANG) $(BPF_CFLAGS) -mcpu=v4 -c $< -o $@

$(BUILD)/objs/%.v1.o $(BUILD)/objs/%.v2.o $(BUILD)/objs/%.v3.o: tests/objs/%.bpf.c
	@mkdir -p $(@D)
	$(BPF_CLANG) $(BPF_CFLAGS) -mcpu=v1 -c $< -o $(BUILD)/objs/$*.v1.o
	$(BPF_CLANG) $(BPF_CFLAGS) -mcpu=v2 -c $< -o $(BUILD)/objs/$*.v2.o
	$(BPF_CLANG) $(BPF_CFLAGS) -mcpu=v3 -c $< -o $(BUILD)/objs/$*.v3.o

$(BUILD)/tests/%: tests/unit/%.c $(TEST_LIB_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -o $@ $< $(TEST_LIB_OBJS) $(LIB_A) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/kernel_%: tests/kernel/%.c $(TEST_LIB_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -o $@ $< $(TEST_LIB_OBJS) $(LIB_A) $(LDFLAGS) $(LDLIBS)

# ---- Examples (examples/, see examples/README.md) -----------------------------------------------
# examples/*.bpf.c -> $(BUILD)/examples/NAME.o (clang, CPU v4); the capture generator examples/gen/ ->
# $(BUILD)/examples/gen_captures, which writes every $(BUILD)/examples/NAME.pcap (deterministic);
# tests/unit/test_examples.c links the generator's packet builders to derive expected results.
EXAMPLE_SRCS := $(sort $(wildcard examples/*.bpf.c))
EXAMPLE_OBJS := $(EXAMPLE_SRCS:examples/%.bpf.c=$(BUILD)/examples/%.o)
EXAMPLE_HDRS := $(wildcard examples/*.h)
EXAMPLE_GEN  := $(BUILD)/examples/gen_captures
EXAMPLE_GEN_LIB := $(BUILD)/obj/examples/gen/gen_pkts.o
EXAMPLE_CAPS := $(BUILD)/examples/captures.stamp

all: $(EXAMPLE_GEN) $(EXAMPLE_CAPS)
$(TEST_BINS): | $(EXAMPLE_CAPS)
ifneq ($(HAVE_BPF_CLANG),)
all: $(EXAMPLE_OBJS)
$(TEST_BINS): | $(EXAMPLE_OBJS)
endif

$(BUILD)/examples/%.o: examples/%.bpf.c $(EXAMPLE_HDRS)
	@mkdir -p $(@D)
	$(BPF_CLANG) $(BPF_CFLAGS) -mcpu=v4 -Wall -c $< -o $@

$(EXAMPLE_GEN): $(BUILD)/obj/examples/gen/gen_captures.o $(EXAMPLE_GEN_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

$(EXAMPLE_CAPS): $(EXAMPLE_GEN)
	$(EXAMPLE_GEN) $(@D)
	@touch $@

$(BUILD)/tests/test_examples $(BUILD)/tests/test_examples_run: $(EXAMPLE_GEN_LIB)
$(BUILD)/tests/test_examples $(BUILD)/tests/test_examples_run: TEST_LIB_OBJS += $(EXAMPLE_GEN_LIB)
# tests/kernel/diff_examples.c puts the firewall's rules (gen_fw_rules) into the maps.
$(BUILD)/tests/kernel_diff_examples: $(EXAMPLE_GEN_LIB)
$(BUILD)/tests/kernel_diff_examples: TEST_LIB_OBJS += $(EXAMPLE_GEN_LIB)
# ---- end of examples ----------------------------------------------------------------------------

# The whole suite: unit tests, conformance through the plugin, CLI tests, kernel differential tests,
# and the switch-dispatch build of the interpreter. Ends with one "N passed, N failed" line.
check: all
	@BUILD=$(BUILD) tests/run_tests.sh

bench: $(LIB_A) $(EXAMPLE_CAPS) $(if $(HAVE_BPF_CLANG),$(EXAMPLE_OBJS))
	@$(MAKE) --no-print-directory -C bench BUILD=$(abspath $(BUILD))/bench LIB=$(abspath $(LIB_A)) all run

# libFuzzer targets (clang), FUZZ_SECONDS each.
FUZZ_SECONDS ?= 20
fuzz:
	@FUZZ_CC=$(FUZZ_CC) FUZZ_LDLIBS="$(LDLIBS)" tests/fuzz/run_fuzzers.sh $(FUZZ_SECONDS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/userbpf
	install -m 755 $(CLI) $(PLUGIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/libuserbpf.so.0
	ln -sf libuserbpf.so.0 $(DESTDIR)$(PREFIX)/lib/libuserbpf.so
	install -m 644 include/userbpf/*.h $(DESTDIR)$(PREFIX)/include/userbpf/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/^#define USERBPF_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' include/userbpf/userbpf.h | paste -sd.)|' \
	    userbpf.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/userbpf.pc

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# idwatch — GNU Make build.
#
#   make            release build of ./idwatch (-O2, warnings are errors)
#   make check      unit tests (cmocka) + integration tests
#   make sanitize   the same tests built with ASan + UBSan
#   make bench      throughput benchmark (see docs/performance.md)
#   make crashtest  SIGKILL campaign against faulty simulators (CRASH_KILLS, default 100; docs/reliability.md)
#   make valgrind   every CLI command under valgrind memcheck (docs/reliability.md)
#   make bench-cluster  only its distributed-path part (tests/bench/cluster.sh, CLUSTER_EVENTS)
#   make soak       the scale-out chaos test, long: CHAOS_ROUNDS=60 (docs/scale-out.md)
#   make stormtest  the long fault storm against one daemon (minutes; STORM_SECONDS, docs/reliability.md)
#   make demo       the main job: simulated Okta org + SOAR receiver, backfill, run, alerts
#   make fuzz       libFuzzer harnesses (clang), FUZZ_SECONDS each (tests/fuzz/README.md)
#   make fuzz-build only build them, into build/fuzz/
#   make lint       style rules (tools/lint.py) and gcc -fanalyzer
#   make install    ./idwatch into $(PREFIX)/bin (/usr/local/bin), as deploy/idwatch.service expects,
#                   and the shipped rules (C rule settings, the Sigma catalogue) into $(PREFIX)/share/idwatch/rules
#   make deps       install missing Debian build dependencies (root) or say how
#   make clean
#
# Every object is built into $(BUILD)/ so a sanitizer build never mixes with
# a release build: `make sanitize` uses BUILD=build/sanitize.

CC      ?= cc
BUILD   ?= build
PKGS     = libcurl jansson libssl libcrypto libmaxminddb zlib lmdb yaml-0.1 libpcre2-8 libmicrohttpd libnats
OPT     ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral
# pkg-config failing (a -dev package missing) stops the build with its own message, instead of
# a compiler error about a missing header much later.
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) || echo PKG_CONFIG_FAILED)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) || echo PKG_CONFIG_FAILED)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
ifneq ($(filter PKG_CONFIG_FAILED,$(PKG_CFLAGS) $(PKG_LIBS)),)
  ifeq ($(filter deps deps-check clean,$(MAKECMDGOALS)),)
    $(error pkg-config cannot find every library ($(PKGS)): run `sh tools/deps.sh install`)
  endif
endif
CPPFLAGS_ALL = -D_GNU_SOURCE -Isrc $(PKG_CFLAGS)
CFLAGS_ALL   = -std=c11 $(OPT) $(WARN) $(SAN) $(CFLAGS)
LDLIBS_ALL   = $(PKG_LIBS) -lm -pthread $(LDLIBS)
LDFLAGS_ALL  = $(SAN) $(LDFLAGS)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CPPFLAGS_ALL += -DIDW_VERSION=\"$(VERSION)\"
PREFIX  ?= /usr/local
# The console's static files (serve.console_dir's default).  A build for `make install` should
# give CONSOLE_DIR=$(PREFIX)/share/idwatch/console, where install copies them.
CONSOLE_DIR ?= $(CURDIR)/console
CPPFLAGS_ALL += -DIDW_CONSOLE_DIR=\"$(CONSOLE_DIR)\"

LIB_SRC  = $(wildcard src/common/*.c src/event/*.c src/persona/*.c src/store/*.c src/source/*.c \
                     src/rules/*.c src/sigma/*.c src/alert/*.c src/engine/*.c src/deliver/*.c \
                     src/serve/*.c src/cluster/*.c)
CLI_SRC  = $(wildcard src/cli/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
LIB      = $(BUILD)/libidwatch.a

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

TOOL_SRC = $(wildcard tools/*.c)
TOOL_BIN = $(TOOL_SRC:tools/%.c=$(BUILD)/tools/%)

.PHONY: all check unit integration sanitize bench bench-cluster crashtest valgrind soak stormtest screenshots demo deps clean tools lint install \
        fuzz fuzz-build fuzz-bins fuzz-regress
all: idwatch

idwatch: $(BUILD)/idwatch
	@if [ "$(BUILD)" = build ]; then cp $(BUILD)/idwatch ./idwatch; fi

$(BUILD)/idwatch: $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS_ALL)

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# main.c prints the version: a bump of VERSION rebuilds it.
$(BUILD)/src/cli/main.o: VERSION

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(LIB) $(CMOCKA_LIBS) $(LDLIBS_ALL) $(LDFLAGS_ALL)

$(BUILD)/tools/%: tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS_ALL) $(LDFLAGS_ALL)

tools: $(TOOL_BIN)

# Unit tests: each binary is a cmocka group; run them all, fail if any fails.
unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
	  IDW_DATA=data $$t || fail=1; \
	done; exit $$fail

# Two tests at a time (run.sh JOBS): most of a test's time is spent waiting on the servers it
# started. The sanitizer build runs them one at a time (ASan's slowdown leaves no idle core).
ITEST_JOBS ?= 2
integration: $(BUILD)/idwatch $(TOOL_BIN)
	@JOBS=$${JOBS:-$(ITEST_JOBS)} IDWATCH=$(BUILD)/idwatch TOOLS=$(BUILD)/tools sh tests/integration/run.sh

check: deps-check
	@$(MAKE) --no-print-directory unit fuzz-regress integration

# ASan + UBSan build of the same suite, in its own build directory.
sanitize: deps-check
	@$(MAKE) --no-print-directory BUILD=build/sanitize OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" ITEST_JOBS=1 unit fuzz-regress integration

bench: deps-check
	@$(MAKE) --no-print-directory $(BUILD)/tools/bench $(BUILD)/tools/gen-events $(BUILD)/tools/gen-alerts \
	  $(BUILD)/idwatch
	@TOOLS=$(BUILD)/tools sh tests/bench/run.sh

bench-cluster: deps-check
	@$(MAKE) --no-print-directory $(BUILD)/tools/gen-events $(BUILD)/idwatch
	@IDWATCH=$(BUILD)/idwatch TOOLS=$(BUILD)/tools sh tests/bench/cluster.sh

# kill -9 of `run` at random moments, CRASH_KILLS times, against a faulty
# simulated Okta org and a slow SOAR; compared with an uninterrupted run
crashtest: deps-check $(BUILD)/idwatch $(BUILD)/tools/gen-events
	@IDWATCH=$(BUILD)/idwatch TOOLS=$(BUILD)/tools sh tests/crash/campaign.sh

# the CLI under valgrind memcheck (not in `make check`, for time; .ci/run runs it)
valgrind: deps-check $(BUILD)/idwatch $(BUILD)/tools/gen-events
	@IDW_VALGRIND=1 IDWATCH=$(BUILD)/idwatch TOOLS=$(BUILD)/tools ONLY=valgrind_cli sh tests/integration/run.sh

# The scale-out chaos test (tests/integration/test_nats_chaos.sh) over 60 rounds instead of
# the 10 `make check` runs; not part of `make check`.
soak: deps-check
	@$(MAKE) --no-print-directory $(BUILD)/idwatch $(TOOL_BIN)
	@CHAOS_ROUNDS=$${CHAOS_ROUNDS:-60} IDWATCH=$(BUILD)/idwatch TOOLS=$(BUILD)/tools ONLY=test_nats_chaos \
	  sh tests/integration/run.sh

# The long fault storm (tests/storm/storm.sh): STORM_SECONDS (300) of faults against one daemon.
stormtest: deps-check
	@$(MAKE) --no-print-directory $(BUILD)/idwatch $(BUILD)/tools/gen-events
	@IDWATCH=$(BUILD)/idwatch TOOLS=$(BUILD)/tools sh tests/storm/storm.sh

# PNGs of the console's main pages into docs/console/, taken by the browser test's harness
# (tests/browser/harness.sh: the daemon when it serves a console, else the mock API)
screenshots: $(BUILD)/idwatch $(BUILD)/tools/gen-events
	@IDWATCH=$(BUILD)/idwatch TOOLS=$(BUILD)/tools sh tests/browser/harness.sh --screenshots docs/console

demo: deps-check idwatch $(BUILD)/tools/gen-events
	@GEN=$(BUILD)/tools/gen-events sh tools/demo.sh ./idwatch

# ---- fuzzing (tests/fuzz/README.md) -------------------------------------------
# The harnesses link the library built by clang with fuzzer instrumentation
# into build/fuzz (the same pattern rules, another BUILD).  `make fuzz` builds
# them, builds the seed corpora from the repository's data, and runs each for
# FUZZ_SECONDS; any crash fails it.  `make fuzz-regress` (part of check and
# sanitize) replays tests/fuzz/regressions/<harness>/* through the harnesses
# built with the ordinary compiler and flags, so a fixed crash stays fixed.
FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang-14
FUZZ_SAN      = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_SRC      = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES    = $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_BIN      = $(FUZZ_NAMES:%=$(BUILD)/%)
FUZZ_REPLAY   = $(FUZZ_NAMES:%=$(BUILD)/tests/replay_%)
FUZZ_DEFS     = -DIDW_SRCDIR=\"$(CURDIR)\" -Itests/fuzz

fuzz-build:
	@sh tools/deps.sh check-fuzz || sh tools/deps.sh install-fuzz
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=$(FUZZ_CC) \
	  OPT="-O1 -g -fno-omit-frame-pointer" SAN="$(FUZZ_SAN)" fuzz-bins

fuzz-bins: $(FUZZ_BIN)

fuzz: fuzz-build $(BUILD)/tests/fuzz_seed $(BUILD)/idwatch $(BUILD)/tools/gen-events
	@sh tests/fuzz/build-corpus.sh build/fuzz $(BUILD)/tests/fuzz_seed $(BUILD)/idwatch \
	  $(BUILD)/tools/gen-events
	@sh tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

$(BUILD)/tests/fuzz_seed: tests/fuzz/seed_helper.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS_ALL) $(LDFLAGS_ALL)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(FUZZ_DEFS) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ $< $(LIB) \
	  $(LDLIBS_ALL) $(LDFLAGS_ALL)

# The same harness with a main() that feeds it files (no libFuzzer needed).
$(BUILD)/tests/replay_%: tests/fuzz/%.c tests/fuzz/replay_main.c $(wildcard tests/fuzz/*.h) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(FUZZ_DEFS) $(CFLAGS_ALL) -o $@ $< tests/fuzz/replay_main.c $(LIB) \
	  $(LDLIBS_ALL) $(LDFLAGS_ALL)

fuzz-regress: $(FUZZ_REPLAY)
	@sh tests/fuzz/regress.sh $(BUILD)/tests $(FUZZ_NAMES)

deps:
	@sh tools/deps.sh install

# Only checks: a build target never installs packages (`make deps` or
# `sh tools/deps.sh install` does, as the README says).
deps-check:
	@sh tools/deps.sh check

# Style and static analysis (docs/contributing.md): tools/lint.py's rules,
# tools/must_check.py (every fallible declaration carries IDW_MUST_CHECK),
# then the whole program built with gcc -fanalyzer, warnings as errors.
lint:
	@python3 tools/lint.py
	@python3 tools/must_check.py
	@$(MAKE) --no-print-directory BUILD=build/analyze OPT="-O0 -g -fanalyzer" build/analyze/idwatch

install: idwatch
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/idwatch/rules/okta
	install -m 0755 idwatch $(DESTDIR)$(PREFIX)/bin/idwatch
	install -m 0644 rules/*.json $(DESTDIR)$(PREFIX)/share/idwatch/rules/
	install -m 0644 rules/okta/*.yml rules/okta/README.md $(DESTDIR)$(PREFIX)/share/idwatch/rules/okta/
	install -d $(DESTDIR)$(PREFIX)/share/idwatch/console
	install -m 0644 console/* $(DESTDIR)$(PREFIX)/share/idwatch/console/

clean:
	rm -rf build idwatch

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# fotos - one non-recursive Makefile. Outputs go to build/<variant>/.
#   make                 libfotos.a, libfotos.so, fotosd, fotosctl (release)
#   make test            every test (unit, stress, fuzz replay, multi-node)
#   make SAN=asan test   the same under ASan+UBSan; SAN=tsan under TSan
#   make asan / tsan     shorthands for the two above
#   make demo            a local 3-node cluster on loopback with live status
#   make bench           every benchmark and bench/REPORT.md; bench-quick: CI smoke
#   make fuzz            libFuzzer on every decoder (clang), longer than in test
#   make fuzz-quick      libFuzzer on the wire and control decoders, 60 s each
#                        (part of `make test`)
#   make install         PREFIX=/usr/local DESTDIR=
# V=1 shows the commands.

SAN ?=
VARIANT := $(if $(SAN),$(SAN),release)
B := build/$(VARIANT)
PREFIX ?= /usr/local
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wstrict-prototypes -Wshadow \
	-Wno-missing-field-initializers -fPIC -MMD -MP -Ishm -Iclientlib -Iagent
LDLIBS_AGENT := $(shell pkg-config --libs liburing 2>/dev/null || echo -luring) \
	$(shell pkg-config --libs libsodium 2>/dev/null || echo -lsodium)
JEMALLOC := $(shell pkg-config --libs jemalloc 2>/dev/null || echo -ljemalloc)
CMOCKA := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

ifeq ($(SAN),asan)
override CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -DFOTOS_SANITIZE
override LDFLAGS += -fsanitize=address,undefined
JEMALLOC :=
else ifeq ($(SAN),tsan)
override CFLAGS += -fsanitize=thread -fno-omit-frame-pointer -DFOTOS_SANITIZE
override LDFLAGS += -fsanitize=thread
JEMALLOC :=
else ifneq ($(SAN),)
$(error SAN must be asan or tsan)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

SHM_SRC := shm/validate.c shm/segment.c
LIB_SRC := clientlib/open.c clientlib/read.c clientlib/wait.c clientlib/control.c clientlib/vclock.c clientlib/db.c clientlib/decide.c clientlib/txn.c $(SHM_SRC)
AGENT_SRC := agent/main.c agent/conf.c agent/wire.c agent/loop.c agent/mesh.c agent/memb.c \
	agent/pub.c agent/ctl.c agent/log.c agent/mem.c agent/db.c agent/persist.c agent/arbiter.c \
	agent/txn.c agent/auth.c agent/access.c
CLI_SRC := cli/fotosctl.c

LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
AGENT_OBJ := $(AGENT_SRC:%.c=$(B)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
SHM_OBJ := $(SHM_SRC:%.c=$(B)/%.o)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
HELPER_SRC := $(wildcard tests/stress/*.c tests/integ/*.c)
HELPER_BIN := $(HELPER_SRC:tests/%.c=$(B)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/tests/replay_%)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

# agent objects other than main, for unit tests of agent modules
AGENT_LIB_OBJ := $(filter-out $(B)/agent/main.o,$(AGENT_OBJ))

.PHONY: all lib test test-$(VARIANT) asan tsan demo model bench bench-quick fuzz fuzz-quick install clean deps check
all: $(B)/libfotos.a $(B)/libfotos.so $(B)/fotosd $(B)/fotosctl

deps:
	$(Q)sh tools/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libfotos.a: $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/libfotos.so: $(LIB_OBJ) clientlib/libfotos.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared $(LDFLAGS) $(if $(SAN),,-Wl,-z,defs) -Wl,--version-script=clientlib/libfotos.map \
		-Wl,-soname,libfotos.so.1 -o $@ $(LIB_OBJ)

$(B)/fotosd: $(AGENT_OBJ) $(B)/libfotos.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(AGENT_OBJ) $(B)/libfotos.a $(LDLIBS_AGENT) $(JEMALLOC) -lm

$(B)/fotosctl: $(CLI_OBJ) $(B)/libfotos.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libfotos.a -lm

$(B)/libagent.a: $(AGENT_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/tests/test_%: tests/unit/test_%.c $(B)/libagent.a $(B)/libfotos.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -Itests -o $@ $< $(B)/libagent.a $(B)/libfotos.a $(CMOCKA) $(LDLIBS_AGENT) -lpthread -lm

$(B)/tests/stress/% $(B)/tests/integ/%: $(B)/libfotos.a
$(B)/tests/%: tests/%.c tests/harness.h $(B)/libfotos.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -Itests -o $@ $< $(B)/libfotos.a -lpthread -lm

$(B)/tests/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(B)/libagent.a $(B)/libfotos.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ tests/fuzz/replay.c $< $(B)/libagent.a $(B)/libfotos.a $(LDLIBS_AGENT) -lm

$(B)/bench/%: bench/%.c bench/bench.h bench/agents.h tests/integ/cluster.h agent/auth.c agent/wire.c $(B)/libfotos.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -Ibench -Itests -o $@ $< $(B)/libfotos.a $(LDLIBS_AGENT) -lpthread -lm

# Properties of the spin model whose violations are reported without failing
# (tests/model/run.sh); none is expected: every property must pass.
MODEL_XFAIL ?=

# `make test` runs the suite in the release build, then again under ASan+UBSan
# and under TSan; `make SAN=asan test` runs one variant only.
test: test-$(VARIANT)
ifeq ($(SAN),)
	$(Q)$(MAKE) --no-print-directory SAN=asan test
	$(Q)$(MAKE) --no-print-directory SAN=tsan test
	@echo "== fuzzing, quick (the wire and control decoders, 60 s each) =="
	$(Q)$(MAKE) --no-print-directory fuzz-quick
	@echo "== benchmarks, quick (do they still build and run?) =="
	$(Q)$(MAKE) --no-print-directory bench-quick
	@echo "== all tests passed =="
endif

test-$(VARIANT): deps all $(UNIT_BIN) $(HELPER_BIN) $(FUZZ_REPLAY)
	@echo "== tests, $(VARIANT) build =="
	$(Q)B=$(B) SAN=$(SAN) sh tests/run.sh $(TESTS)

asan:
	$(Q)$(MAKE) --no-print-directory SAN=asan test
tsan:
	$(Q)$(MAKE) --no-print-directory SAN=tsan test

demo: deps all
	$(Q)B=$(B) sh tools/demo.sh

bench: deps all $(BENCH_BIN)
	$(Q)B=$(B) sh bench/run.sh
bench-quick: deps all $(BENCH_BIN)
	$(Q)B=$(B) QUICK=1 sh bench/run.sh

fuzz: deps
	$(Q)sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# The decoders that face the network and local clients, bounded; no clang
# with libFuzzer (run.sh exits 77) is a failure here, not a skip.
fuzz-quick: deps
	$(Q)FUZZ_TARGETS="fuzz_wire fuzz_ctl" sh tests/fuzz/run.sh 60; rc=$$?; \
	if [ $$rc -eq 77 ]; then \
		echo "fuzz-quick: no clang with libFuzzer (make deps installs clang)" >&2; exit 1; \
	fi; exit $$rc

# The spin model of the procedures: larger bounds than the quick check that
# `make test` runs (see tests/model/README.md; about 8 minutes on 2 cores).
model: deps
	$(Q)MODEL_XFAIL="$(MODEL_XFAIL)" sh tests/model/run.sh full

check:
	cppcheck --quiet --enable=warning,performance --std=c11 -Ishm -Iclientlib -Iagent agent shm clientlib cli

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(B)/libfotos.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/libfotos.so $(DESTDIR)$(PREFIX)/lib/libfotos.so.1
	ln -sf libfotos.so.1 $(DESTDIR)$(PREFIX)/lib/libfotos.so
	install -m 644 clientlib/fotos.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(B)/fotosd $(B)/fotosctl $(DESTDIR)$(PREFIX)/bin/
	sed 's|@PREFIX@|$(PREFIX)|' clientlib/fotos.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/fotos.pc

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

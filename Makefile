# yun build. `make` builds build/yun (CLI and daemon) and build/yund (same binary).
# `make run` installs what is missing, builds and starts a single-node cloud; `make test` runs everything.
CC      ?= cc
PKGS    := libmicrohttpd jansson sqlite3 libpq openssl libcurl expat zlib libisal libmnl libnftables
CFLAGS  ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS  := $(PKG_LIBS) -largon2 -lpthread -lm
BUILD   ?= build
DATA    ?= ./data
LISTEN  ?= 127.0.0.1:9500
YUN_UP_WRAP ?=

LIB_SRC  := $(sort $(filter-out src/cmd/%,$(wildcard src/*/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

.PHONY: app-images all run test test-built unit sdk sdk-pg fuzz fuzz-build fuzz-long asan deps clean bench format format-check images fresh-check s3-tests console
all: $(BUILD)/yun $(BUILD)/yund

# The web console's front end (console/): npm packages pinned by console/package-lock.json, built by
# Vite into console/dist, which yund serves under /console/. Rebuilt only when its sources change.
CONSOLE_SRC := console/index.html console/vite.config.js console/package-lock.json $(wildcard console/src/*.js console/src/*/*.js console/src/*.css)
console: console/dist/index.html
console/dist/index.html: $(CONSOLE_SRC)
	@if [ ! -d console/node_modules ] || [ console/package-lock.json -nt console/node_modules/.package-lock.json ]; then \
	  cd console && npm ci --no-audit --no-fund --loglevel=error; fi
	cd console && npx --no-install vite build --logLevel warn
	@touch $@

# The built-in guest image, from Debian packages; rebuilt only when its recipe changes.
images:
	./images/build-tiny.sh $(CURDIR)/build/images/tiny

# The blueprint images SDK tests boot (tests/sdk/images_*.test.js), built where Debian's mirror is reachable,
# into the shared cache (CACHE/built/NAME; a warm cache only links them): the SDK files run in network
# namespaces of their own, which reach no mirror.
APP_IMAGES := postgresql wordpress
app-images: $(BUILD)/yun
	@d=$$(mktemp -d) && for n in $(APP_IMAGES); do \
	  $(BUILD)/yun admin images --data $$d build $$n >/dev/null || { rm -rf $$d; exit 1; }; done; rm -rf $$d

$(BUILD)/obj/%.o: %.c $(wildcard src/*/*.h)
	@test -n "$(PKG_LIBS)" || { echo "pkg-config finds no $(PKGS): run make deps (or make run) first"; exit 1; }
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libyun.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/yun: $(BUILD)/obj/src/cmd/yun.o $(BUILD)/libyun.a
	$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/yund: $(BUILD)/yun
	ln -sf yun $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libyun.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libyun.a $(LDLIBS) -lcmocka -o $@

unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done

# The test build: every C part under AddressSanitizer + UndefinedBehaviorSanitizer.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
asan:
	$(MAKE) BUILD=build-asan CFLAGS="$(SAN_FLAGS)" all $(patsubst $(BUILD)/%,build-asan/%,$(TEST_BIN))

# The fuzzers: the library compiled once with libFuzzer's coverage (fuzzer-no-link) and ASan + UBSan
# into build-fuzz/libyun.a, each fuzzer linked against it. `make -j2 fuzz` runs two fuzzers at a time.
FUZZ_SECONDS ?= 10
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
  $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
fuzz: $(FUZZ_BIN:build-fuzz/%=fuzz-run-%)
fuzz-build: $(FUZZ_BIN)
fuzz-run-%: build-fuzz/%
	@f=$<; n=$*; mkdir -p build-fuzz/corpus/$$n; \
	  if [ -d fuzz/corpus/$$n ]; then cp -n fuzz/corpus/$$n/* build-fuzz/corpus/$$n/ 2>/dev/null || true; fi; \
	  if ! $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=0 -artifact_prefix=build-fuzz/ \
	       build-fuzz/corpus/$$n > build-fuzz/$$n.log 2>&1; then echo "== $$f ($(FUZZ_SECONDS)s) FAILED"; tail -40 build-fuzz/$$n.log; exit 1; fi; \
	  echo "== $$f ($(FUZZ_SECONDS)s): $$(tail -1 build-fuzz/$$n.log)"
fuzz-long:
	$(MAKE) fuzz FUZZ_SECONDS=600

build-fuzz/obj/%.o: %.c $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	@echo "CC(fuzz) $<"
	@clang $(FUZZ_CFLAGS) -c $< -o $@

build-fuzz/libyun.a: $(LIB_SRC:%.c=build-fuzz/obj/%.o)
	@rm -f $@
	ar rcs $@ $^

build-fuzz/%: fuzz/%.c build-fuzz/libyun.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $< build-fuzz/libyun.a $(LDLIBS) -o $@

deps:
	./scripts/setup.sh

# deps runs before a separate make, which parses this file again: the pkg-config flags above are
# computed at parse time, so on a fresh machine they exist only once deps has installed the -dev packages.
run: deps
	$(MAKE) all images console
	$(YUN_UP_WRAP) $(BUILD)/yun up --data $(DATA) --listen $(LISTEN)

sdk: all console
	node tests/run-sdk.js

# The core SDK scenarios again with every daemon on a private PostgreSQL (part of make test).
sdk-pg: all $(BUILD)/tests/test_store_pg
	UNIT=$(CURDIR)/$(BUILD)/tests/test_store_pg tests/pg/run.sh

test: deps
	$(MAKE) test-built

# make test's phases, each timed by tests/timed.sh into build/test-times (the SDK and system tests per
# file too), summed up at the end with the ten slowest files. A failing test phase does not stop the
# later ones (one run shows every failure); make test fails at the end, naming the phases.
TEST_TIMES := $(CURDIR)/build/test-times
TIMED := YUN_TEST_TIMES=$(TEST_TIMES) tests/timed.sh
TEST_FAILED := $(CURDIR)/build/test-failed
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
# SDK files two at a time, each in its own network namespace (tests/run-sdk.js), which needs root
SDK_JOBS ?= $(if $(filter 0,$(shell id -u)),2,1)
test-built:
	@mkdir -p build && rm -f $(TEST_TIMES) $(TEST_FAILED)
	@$(TIMED) build $(MAKE) -j$(JOBS) format-check all asan images console fuzz-build
	@$(TIMED) app-images $(MAKE) app-images || echo app-images >>$(TEST_FAILED)
	@$(TIMED) unit sh -c 'set -e; for t in $(patsubst $(BUILD)/%,build-asan/%,$(TEST_BIN)); do echo "== $$t"; \
	  YUN_TEST_IMAGE_DIR=$(CURDIR)/build/images/tiny $$t; done' || echo unit >>$(TEST_FAILED)
	@$(TIMED) fuzz $(MAKE) -j$(JOBS) fuzz || echo fuzz >>$(TEST_FAILED)
	@$(TIMED) sdk env YUN_BIN=$(CURDIR)/build-asan/yun ASAN_OPTIONS=detect_leaks=0 YUN_TEST_JOBS=$(SDK_JOBS) \
	  node tests/run-sdk.js || echo sdk >>$(TEST_FAILED)
	@$(TIMED) pg env UNIT=$(CURDIR)/build-asan/tests/test_store_pg YUN_BIN=$(CURDIR)/build-asan/yun \
	  ASAN_OPTIONS=detect_leaks=0 YUN_TEST_LABEL=pg: YUN_TEST_JOBS=$(SDK_JOBS) tests/pg/run.sh || echo pg >>$(TEST_FAILED)
	@$(TIMED) system sh -c 'st=0; for s in tests/system/*.sh; do $(TIMED) $$s bash $$s || st=1; done; exit $$st' \
	  || echo system >>$(TEST_FAILED)
	@$(TIMED) --report
	@if [ -s $(TEST_FAILED) ]; then echo "make test: FAILED in: $$(cat $(TEST_FAILED) | tr '\n' ' ')"; exit 1; fi

# Proves the README's commands on a clean Debian 12 root (debootstrap; needs root and the network). Not in make test.
fresh-check:
	./scripts/fresh-check.sh

bench: all $(BUILD)/bench/billing_settle $(BUILD)/bench/billing_rows $(BUILD)/bench/scp_eval $(BUILD)/bench/partner_rebate \
	$(BUILD)/bench/scheduler_sim
	./bench/run.sh

$(BUILD)/bench/%: bench/%.c $(BUILD)/libyun.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libyun.a $(LDLIBS) -o $@

# ceph/s3-tests against a fresh yund (fetched into build/s3-tests, never committed); TIER=core|wide|all. Not in make test.
s3-tests: all
	bash scripts/s3-tests.sh $(or $(TIER),core wide)

FORMAT_SRC = $(wildcard src/*/*.c src/*/*.h tests/unit/*.c fuzz/*.c)
format:
	clang-format -i $(FORMAT_SRC)
# The style is checked, not hoped for: make test fails on a file clang-format would change.
format-check:
	@clang-format --dry-run -Werror $(FORMAT_SRC) && echo "format: ok ($(words $(FORMAT_SRC)) files)"

clean:
	rm -rf build build-asan build-fuzz

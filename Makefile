# Porcelain over Meson. `make run` and `make test` do all the set-up on a fresh
# Debian 12 machine.
BUILD      ?= build
ASAN_BUILD ?= build-asan
PYTEST     ?= /usr/bin/python3 -m pytest
DEMO_DIR   ?= demo
FUZZ_SECONDS ?= 30

.PHONY: all deps build run test unit e2e asan bench soak format clean fuzz console console-test docs-check compat-deps

all: build

deps:
	@./scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

build: deps console $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The web console (console/, docs/internals/console.md): npm packages from the
# committed lockfile, installed again only when it changes; built into
# console/dist, which ninja embeds in the binary. Needs Node 20 and npm; the
# browser tests use Debian's chromium (scripts/install-deps), never a download.
NPM ?= npm
CONSOLE_SRC := $(shell find console/src console/public -type f 2>/dev/null) \
	console/index.html console/vite.config.js console/scripts/size.mjs console/scripts/budget.js

console/node_modules/.package-lock.json: console/package-lock.json console/package.json
	@command -v $(NPM) >/dev/null || { echo "make: the console needs Node 20 and npm (not found)"; exit 1; }
	cd console && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(NPM) ci --no-audit --no-fund
	@touch $@

console/dist/index.html: console/node_modules/.package-lock.json $(CONSOLE_SRC)
	cd console && $(NPM) run build || { rm -f dist/index.html; exit 1; }

console: console/dist/index.html

# Front-end unit tests (node:test), then the browser tests against real
# processes (console/tests/e2e, screenshots under build/console-e2e/).
console-test: build
	cd console && $(NPM) test
	cd console && SMSGATE_BIN=$(CURDIR)/$(BUILD)/src/smsgate $(NPM) run e2e

run: build
	@mkdir -p $(DEMO_DIR)
	$(BUILD)/src/smsgate serve --demo --db $(DEMO_DIR)/smsgate.db \
		--outbound-allow 127.0.0.0/8,::1/128

# A throwaway PostgreSQL (scripts/pg-test-cluster) beside the suites that need
# one (they read SMSGATE_TEST_PG); inside `make test` every suite shares one.
PGRUN ?= ./scripts/pg-test-cluster run --

unit: build
	$(PGRUN) meson test -C $(BUILD) --suite unit --print-errorlogs

# Twilio's own Node SDK for the compatibility tests (tests/compat, run by
# tests/e2e/test_compat_sdk.py): npm packages from its committed lockfile,
# installed again only when it changes, like the console's.
tests/compat/node_modules/.package-lock.json: tests/compat/package-lock.json tests/compat/package.json
	@command -v $(NPM) >/dev/null || { echo "make: the compatibility tests need Node 20 and npm (not found)"; exit 1; }
	cd tests/compat && $(NPM) ci --no-audit --no-fund
	@touch $@

compat-deps: tests/compat/node_modules/.package-lock.json

e2e: build compat-deps
	SMSGATE_BIN=$(CURDIR)/$(BUILD)/src/smsgate $(PGRUN) $(PYTEST) -q tests/e2e

# Every src/ path, sg_ name and (in docs/internals/) code name the docs mention exists.
docs-check:
	./scripts/check-docs

test: docs-check build
	$(PGRUN) $(MAKE) --no-print-directory unit e2e console-test

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 $(PGRUN) meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs

# Benchmarks with Kannel side by side (bench/README.md); never part of `make test`.
# Knobs from the environment or the command line: N, RUNS, BENCH_SCENARIOS, ...
# The soak tests run after them.
bench: build
	SMSGATE_BIN=$${SMSGATE_BIN:-$(CURDIR)/$(BUILD)/src/smsgate} \
	BENCH_RESULTS=$${BENCH_RESULTS:-$(CURDIR)/$(BUILD)/bench-results.txt} ./bench/bench.sh
	$(MAKE) --no-print-directory soak

# The scale cases that take minutes (tests/soak/): never part of `make test`.
soak: build
	SMSGATE_BIN=$(CURDIR)/$(BUILD)/src/smsgate $(PGRUN) $(PYTEST) -q -s tests/soak

# libFuzzer targets (fuzz/, docs/internals/fuzzing.md): needs clang.
fuzz:
	./fuzz/build.sh
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./fuzz/run.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'src/*.cc' 'tests/unit/*.c')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# Porcelain over Meson. `make run` and `make test` do all the set-up on a fresh
# Debian 12 machine.
BUILD      ?= build
ASAN_BUILD ?= build-asan
PYTEST     ?= /usr/bin/python3 -m pytest
DEMO_DIR   ?= demo
FUZZ_SECONDS ?= 30

.PHONY: all deps build run test unit e2e asan bench format clean fuzz

all: build

deps:
	@./scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	@mkdir -p $(DEMO_DIR)
	$(BUILD)/src/smsgate serve --demo --db $(DEMO_DIR)/smsgate.db \
		--outbound-allow 127.0.0.0/8,::1/128

unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

e2e: build
	SMSGATE_BIN=$(CURDIR)/$(BUILD)/src/smsgate $(PYTEST) -q tests/e2e

test: unit e2e

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs

# Benchmarks with Kannel side by side (bench/README.md); never part of `make test`.
# Knobs from the environment or the command line: N, RUNS, BENCH_SCENARIOS, ...
bench: build
	SMSGATE_BIN=$${SMSGATE_BIN:-$(CURDIR)/$(BUILD)/src/smsgate} \
	BENCH_RESULTS=$${BENCH_RESULTS:-$(CURDIR)/$(BUILD)/bench-results.txt} ./bench/bench.sh

# libFuzzer targets (fuzz/, docs/internals/fuzzing.md): needs clang.
fuzz:
	./fuzz/build.sh
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./fuzz/run.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'src/*.cc' 'tests/unit/*.c')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

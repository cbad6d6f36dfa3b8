# SPDX-License-Identifier: MIT
# OpenSphere — the two commands a new user needs: `make run` and `make test`.
# Every target first installs missing Debian packages (scripts/install-deps.sh, idempotent).
.PHONY: all deps build install run run-ota test test-unit test-asan fuzz fuzz-short bench test-long clean

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 10
JOBS       ?= $(shell nproc)

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@ninja -C $(BUILD) -j $(JOBS)

# Installs the tools and the SDK under $(PREFIX) (bin/, share/opensphere/sdk).
PREFIX ?= /usr/local
install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# The demo: validate the documented example manifest, then build, pack and sideload the hello
# app onto a simulated device, run it, and print the board page's address (scripts/demo.sh).
run: build
	@bash scripts/demo.sh $(BUILD)

# The external-MCU OTA scenario on one machine (scripts/demo-ota.sh; needs root for its own
# network namespace): cloud, broker, two devices with MCUs, a 4 MiB rollout with a power cut.
run-ota: build
	@bash scripts/demo-ota.sh $(BUILD)

test-unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE long

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DOPENSPHERE_SANITIZE=ON >/dev/null
	@ninja -C $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS) -LE long

fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
		-DOPENSPHERE_FUZZ=ON -DOPENSPHERE_TESTS=OFF >/dev/null
	@ninja -C $(FUZZ_BUILD) -j $(JOBS)

# A short, fixed-time run of every fuzz target (part of `make test`); `make fuzz` runs longer.
fuzz-short: fuzz-build
	@bash tests/fuzz/run-all.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz: fuzz-build
	@bash tests/fuzz/run-all.sh $(FUZZ_BUILD) 300

test: test-unit test-asan fuzz-short

bench: build
	@ls bench/*.sh >/dev/null 2>&1 && for b in bench/*.sh; do bash $$b $(BUILD) || exit 1; done || echo "no benchmarks yet"

# The exhaustive suites (e.g. the flash power-cut sweep at every operation).
test-long: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L long

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

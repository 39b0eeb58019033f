# callgate — two commands do everything on a fresh Debian 12 machine:
#   make run    set up, build the callgate binary only (release), migrate and seed the embedded
#               SQLite database, serve
#   make package  the Debian package callgate_<version>_amd64.deb in build/release (docs/deploy.md)
#   make test   set up, build (dev: ASan/UBSan), start throwaway PostgreSQL + Redis, run all tests
#   make coverage  line coverage of src/ under the test suite (gcov build in build/coverage, gcovr)
#   make tsan   only the multi-threaded tests under ThreadSanitizer (build/tsan; make test runs them too)
#   make bench  build the benchmarks (release) and run them (bench/README.md)
SHELL := /bin/bash
CALLGATE_RELEASE := build/release/src/app/callgate

BENCH_BUILD_DIR ?= build/release
BENCHES := availability_bench queue_bench http_load sqlite_insert_bench callgate

.PHONY: all setup build build-dev run package test coverage tsan bench fuzz format clean

all: build

setup:
	@bash scripts/setup

build: setup
	cmake --preset release
	cmake --build --preset release

build-dev: setup
	cmake --preset dev
	cmake --build --preset dev

# Only the binary it runs (the tests are built by `make test`).
run:
	@bash scripts/setup run
	cmake --preset release
	cmake --build --preset release --target callgate
	@bash scripts/run $(CALLGATE_RELEASE)

package:
	@bash scripts/setup run
	cmake --preset release
	cmake --build --preset release --target callgate
	cd build/release && cpack -G DEB

test: setup
	@bash scripts/test

coverage: setup
	@bash scripts/coverage

tsan: setup
	@bash scripts/tsan

bench: setup
	cmake -S . -B $(BENCH_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BENCH_BUILD_DIR) -j2 --target $(BENCHES)
	@echo "== queue_bench"; $(BENCH_BUILD_DIR)/bench/queue_bench
	@bench/ratios --build-dir $(BENCH_BUILD_DIR)

fuzz: setup
	@bash scripts/fuzz long

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build

# callgate — two commands do everything on a fresh Debian 12 machine:
#   make run    set up, build (release), migrate and seed the embedded SQLite database, serve
#   make test   set up, build (dev: ASan/UBSan), start throwaway PostgreSQL + Redis, run all tests
SHELL := /bin/bash
CALLGATE_RELEASE := build/release/src/app/callgate

.PHONY: all setup build build-dev run test format clean

all: build

setup:
	@bash scripts/setup

build: setup
	cmake --preset release
	cmake --build --preset release

build-dev: setup
	cmake --preset dev
	cmake --build --preset dev

run: build
	@bash scripts/run $(CALLGATE_RELEASE)

test: setup
	@bash scripts/test

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build

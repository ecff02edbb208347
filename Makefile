# The README's two commands are `make run` and `make test`; CI runs `make test`.
SHELL := /bin/bash

# Builds outside the clone survive fresh clones on the same machine.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/olares-market/target
export CARGO_PROFILE_DEV_DEBUG ?= line-tables-only
export CARGO_TERM_COLOR ?= never

.PHONY: run test deps lint fmt build nextest e2e bench

## Start market (:8080) and chart-repo (:8082) on the embedded profile.
run:
	@scripts/run.sh

## Everything CI runs: install test peers, check formatting and lints, run all tests.
test: deps lint nextest

deps:
	@scripts/install-test-deps.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

build:
	cargo build --workspace --all-targets

nextest: build
	cargo nextest run --workspace --profile ci

## Benchmarks against their references (writes docs/benchmarks.md).
bench:
	@scripts/bench-templates.sh
	@scripts/bench-index.sh
	@scripts/bench-registry.sh
	@scripts/bench-repo.sh
	@scripts/bench-tasks.sh

## The end-to-end package only.
e2e: build
	cargo nextest run -p e2e --profile ci

fmt:
	cargo fmt --all

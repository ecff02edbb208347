# The README's two commands are `make run` and `make test`; CI runs `make test`.
SHELL := /bin/bash

# Builds outside the clone survive fresh clones on the same machine.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/olares-market/target
export CARGO_PROFILE_DEV_DEBUG ?= line-tables-only
export CARGO_TERM_COLOR ?= never

.PHONY: run test deps lint fmt build nextest e2e bench reliability fuzz api-examples

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
	@scripts/bench-market.sh

## The reliability suite with a longer load around each fault (make test runs it
## with a few seconds each); prints a table of load, faults, errors, lost items.
reliability: deps build
	RELIABILITY_SECONDS=$${RELIABILITY_SECONDS:-60} cargo nextest run -p e2e --profile ci -E 'binary(reliability)'

## The fuzz harnesses (docs/fuzzing.md), longer than `make test` runs them: every property
## for FUZZ_SECONDS (16 properties on 2 cores: ~10 minutes at the default).
FUZZ_SECONDS ?= 75
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) cargo nextest run --profile fuzz \
		-p helm-yaml -p olares-chart -p helm-template -p helm-index -E 'binary(/^fuzz/)'

## Rewrites docs/api-examples.md from the running system (make test checks it).
api-examples: build
	API_EXAMPLES_WRITE=1 cargo nextest run -p e2e --profile ci -E 'binary(api_examples)'

## The end-to-end package only.
e2e: build
	cargo nextest run -p e2e --profile ci

fmt:
	cargo fmt --all

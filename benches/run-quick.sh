#!/usr/bin/env bash
# Builds the benchmark binary and runs its quick mode (10k cases, one repetition, a small query
# set): a smoke run that keeps the benchmarks working. It asserts no timing; it fails only when a
# workload errors. The full run and its results: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p trailstore-bench
dir="$(mktemp -d "${TMPDIR:-/tmp}/trailstore-bench.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
./target/release/trailstore-bench --quick --dir "$dir"

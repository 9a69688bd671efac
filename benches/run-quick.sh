#!/usr/bin/env bash
# Builds the benchmark binary and runs its quick mode (10k cases, one repetition, a small query
# set, small versions of the run and result workloads W9-W12), then the Python and C variants once on the same data (benches/python, benches/c): a smoke
# run that keeps the benchmarks working. It asserts no timing; it fails only when a workload
# errors. The full runs and their results: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# Release builds without the `testing` feature; tests/release-artifacts.sh checks these same files
# (with this same command, so it builds nothing after this script).
cargo build --release -p trailstore-bench -p trailstore-c
# W11 and W12 serve a store with the release CLI, found next to the bench binary. Built apart: built
# together, the CLI's features would be unified into the C library above.
cargo build --release --bin trailstore
dir="$(mktemp -d "${TMPDIR:-/tmp}/trailstore-bench.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
./target/release/trailstore-bench --quick --dir "$dir"
echo
echo "== Python: trailstore's Python API vs sqlite3 + json (W1, W2, W3; --quick)"
# A smoke run times nothing, so the test command's own venv serves (python/run-tests.sh makes it
# just before); a timed run builds the release wheel instead (see benches/python/run.sh).
if [ -z "${TRAILSTORE_BENCH_PYTHON:-}" ] && [ -x target/py-venv/bin/python ]; then
    export TRAILSTORE_BENCH_PYTHON="$PWD/target/py-venv/bin/python"
fi
bash benches/python/run.sh --no-build --quick --dir "$dir"
echo
echo "== C: W2 through the C ABI vs SQLite's C API (--quick)"
bash benches/c/run.sh --no-build --quick --dir "$dir"

#!/usr/bin/env bash
# Runs every fuzz target for a fixed time with cargo-fuzz (libFuzzer):
#   bash fuzz/run.sh [SECONDS_PER_TARGET]        (default 60)
# cargo-fuzz needs nightly compiler flags; on a stable toolchain this script sets
# RUSTC_BOOTSTRAP=1 to allow them. The test command does not fuzz; it replays this corpus
# (and mutations of it) through the same target bodies (tests/fuzz_corpus.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
for target in route decode request; do
    echo "== fuzzing $target for ${seconds}s"
    cargo fuzz run "$target" "fuzz/corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=4096
done
# The C entry points: libFuzzer through clang (apt-get install clang), against the C library.
if command -v clang >/dev/null 2>&1; then
    cargo build -p trailstore-c
    clang -fsanitize=fuzzer,address -Iinclude "-DSAMPLE_SNAPSHOT=\"$PWD/tests/data/sample_snapshot.json\"" \
        tests/c/fuzz_c_api.c -Ltarget/debug -ltrailstore -Wl,-rpath,"$PWD/target/debug" -o target/fuzz_c_api
    echo "== fuzzing the C entry points for ${seconds}s"
    mkdir -p target/fuzz-c-corpus && cp fuzz/corpus/c_api/* target/fuzz-c-corpus/
    ./target/fuzz_c_api target/fuzz-c-corpus -max_total_time="$seconds"
else
    echo "(clang not found: the C entry-point target is replayed by tests/c/run.sh only)"
fi

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

#!/usr/bin/env bash
# Every test of the project: formatting, lints, the Rust suites (unit, integration, doctests,
# property tests), the Python suite against the wheel built from source, and the C suite under
# AddressSanitizer, then a check that the release artifacts carry none of the test machinery.
# CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# The test machinery the Rust suites need: the core's failpoints and fuzz-target bodies (the
# torture and fuzz_corpus tests require them) and the Python module's panic hooks (linted here,
# called by python/run-tests.sh's own build). No release artifact has them (see the last step).
features="trailstore/testing,trailstore-python/testing"

# Each step's header says how long the run has taken so far, so a slow step shows in CI's log.
start=$SECONDS
step() { printf '\n\033[1m==> [%dm %02ds] %s\033[0m\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "The C and Python libraries carry only the store (no CLI or HTTP dependencies)"
bash tests/check-deps.sh
step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --features "$features" -- -D warnings
step "cargo test (with the test machinery: --features $features)"
cargo test --workspace --features "$features"
step "TestRail clients against trailstore serve (trcli, pytest-testrail, testrail-api, curl)"
bash tests/clients/run.sh
step "Python: the wheel built from source, stubs checked, pytest"
bash python/run-tests.sh
step "C: the shared and static library under AddressSanitizer, header drift, C++ and the example"
bash tests/c/run.sh
step "Benchmarks, quick mode (10k cases; keeps them working, asserts no timing)"
bash benches/run-quick.sh
step "Release artifacts: no failpoints, panic hooks or fuzzing sample in libtrailstore or the wheel"
bash tests/release-artifacts.sh
step "Done"

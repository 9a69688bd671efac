#!/usr/bin/env bash
# Runs benches/python/bench_python.py with a Python that has trailstore installed from source, and
# the bench binary it takes its data from. Arguments go to bench_python.py (--quick, --size, --dir,
# --reps, --only, --json). Asserts no timing; fails only on errors.
#
#   bash benches/python/run.sh --quick         # 10k cases, one repetition (the smoke run)
#   bash benches/python/run.sh                 # 100k cases, 5 repetitions (W1: 3)
#
# The interpreter: $TRAILSTORE_BENCH_PYTHON if set; else target/bench-venv, created and
# (re)installed with `pip install ./python` (a release build, from PyPI's maturin) when missing or
# older than the sources. Never python/run-tests.sh's target/py-venv: its wheel is built in the
# dev profile (with the test machinery), and a `get_case` through it took 70 µs against 10.
# --no-build skips the cargo build of the bench binary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

build=1 args=()
for a in "$@"; do
    if [ "$a" = --no-build ]; then build=0; else args+=("$a"); fi
done

# The installed extension module of a venv, if it imports.
native_of() {
    "$1" -c 'import trailstore._native as n; print(n.__file__)' 2>/dev/null
}
# Whether a file is newer than every source the wheel is built from.
fresh() {
    [ -z "$(find src bindings/python python/trailstore python/pyproject.toml Cargo.toml \
              Cargo.lock -newer "$1" -type f -print -quit 2>/dev/null)" ]
}

py="${TRAILSTORE_BENCH_PYTHON:-}"
if [ -z "$py" ]; then
    venv="$TARGET/bench-venv"
    if [ ! -x "$venv/bin/python" ]; then
        echo "== creating $venv" >&2
        "${PYTHON:-python3}" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip
    fi
    mod="$(native_of "$venv/bin/python" || true)"
    if [ -z "$mod" ] || ! fresh "$mod"; then
        echo "== pip install ./python into $venv (a release build of the extension)" >&2
        "$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps ./python
    fi
    py="$venv/bin/python"
fi

if [ "$build" = 1 ]; then
    echo "== cargo build --release -p trailstore-bench" >&2
    cargo build --release --quiet -p trailstore-bench
fi
echo "== $py benches/python/bench_python.py ${args[*]:-}" >&2
exec "$py" benches/python/bench_python.py --bench "$TARGET/release/trailstore-bench" ${args[@]+"${args[@]}"}

#!/usr/bin/env bash
# Builds the trailstore wheel from source, installs it in a fresh virtual environment and runs
# the Python tests against it: the stub check (mypy's stubtest, plus mypy --strict on the
# package) and the pytest suite. Needs only Rust, Python 3.9+ and pip; the rest comes from PyPI.
# The wheel is a test build (`--features testing`: the panic hooks the panic-boundary tests call;
# the dev profile);
# tests/release-artifacts.sh checks the plain release wheel, which has none.
# The pull and push tests run a real `trailstore serve`, so the CLI is built too (debug, in the
# shared target/; TRAILSTORE_BIN picks another binary).
#
#   bash python/run-tests.sh            # from anywhere; extra arguments go to pytest
#   PYTHON=python3.12 bash python/run-tests.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
venv="$repo/target/py-venv"
python="${PYTHON:-python3}"

echo "== python: venv at $venv"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
vpy="$venv/bin/python"
"$vpy" -m pip install --quiet --upgrade pip
# The pytest plugin's tests run a suite under pytest-xdist and pytest-rerunfailures, with
# pytest-testrail's decorators; pinned, so that a clean machine gets the versions checked.
"$vpy" -m pip install --quiet pytest mypy pytest-xdist==3.8.0 pytest-rerunfailures==16.7 \
    pytest-testrail==3.1.1

echo "== python: building and installing the test wheel (pip install ./python, --features testing)"
# --force-reinstall: a local folder is rebuilt every time, so the tests see the current source.
# The dev profile shares target/debug with cargo test (its dependencies are optimized, see
# Cargo.toml), which saves a release build of the whole tree; the release wheel is built and
# checked by tests/release-artifacts.sh.
# maturin's PEP 517 backend passes MATURIN_PEP517_ARGS to its build (every maturin this
# pyproject.toml allows).
(cd "$repo" && MATURIN_PEP517_ARGS="--features testing --profile dev" \
    "$vpy" -m pip install --quiet --force-reinstall --no-deps ./python)

echo "== python: building the CLI (cargo build --bin trailstore), the server of the sync tests"
# The same shared target/ as every other build: an up-to-date binary costs nothing. No failpoints
# needed (a `--features testing` CLI of the torture tests is a separate artifact, kept as well).
(cd "$repo" && cargo build --quiet --bin trailstore)
export TRAILSTORE_BIN="${TRAILSTORE_BIN:-$repo/target/debug/trailstore}"

# Run from a folder without a trailstore/ in it, so that the installed package is imported,
# not the source folder (which has no compiled module).
work="$repo/target/py-tests"
mkdir -p "$work"
cd "$work"

echo "== python: stub check (stubtest) and type check (mypy --strict)"
"$vpy" -m mypy.stubtest trailstore._native
"$vpy" -m mypy --config-file "$here/pyproject.toml" -p trailstore

echo "== python: pytest"
report="$work/junit.xml"
rm -f "$report"
set +e
"$vpy" -m pytest -c "$here/pyproject.toml" --rootdir "$here" --junitxml "$report" "$here/tests" "$@"
status=$?
set -e

summary="$("$vpy" - "$report" <<'PY'
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("0 passed, 0 failed")
    raise SystemExit
suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
total = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
line = f"{total - failed - skipped} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
PY
)"

# pytest exits 5 when it collected no test: that is a failure here, not a pass.
if [ "$status" -eq 5 ]; then
    echo "python: pytest collected no tests" >&2
    status=1
fi
echo "python: $summary"
exit "$status"

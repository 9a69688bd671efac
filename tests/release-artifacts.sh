#!/usr/bin/env bash
# The release artifacts carry no test machinery: the release libtrailstore.so and libtrailstore.a
# and the `_native` module of a plain release wheel (`pip wheel ./python`, no features) must not
# contain the failpoints' variable (TRAILSTORE_FAILPOINT, the `testing` feature of the core), the
# panic hooks (_test_panic, the `testing` feature of trailstore-python), or the fuzz targets'
# embedded sample snapshot (trailstore::fuzzing). The release wheel is also installed in its own
# venv, where stubtest checks python/trailstore/_native.pyi against it and the hooks must be absent.
# Prints a PASS or FAIL line per check and exits non-zero on any FAIL.
#
#   bash tests/release-artifacts.sh             # builds what it checks (after benches/run-quick.sh
#                                               # the C libraries are up to date: it builds nothing)
#   bash tests/release-artifacts.sh --no-build  # checks the artifacts already in target/release
#                                               # and target/release-wheel
#   PYTHON=python3.12 bash tests/release-artifacts.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

build=1
for arg in "$@"; do
    case "$arg" in
        --no-build) build=0 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
release="$target/release"
wheels="$target/release-wheel"
venv="$target/py-release-venv"
python="${PYTHON:-python3}"

failed=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# A case title of the sample snapshot: in a binary only if trailstore::fuzzing embedded the file.
sample_marker="Guest cart contents persist across browser restarts"
if grep -qF "$sample_marker" tests/data/sample_snapshot.json; then
    pass "the sample marker is a string of tests/data/sample_snapshot.json"
else
    fail "the sample marker is a string of tests/data/sample_snapshot.json (pick another title)"
fi

if [ "$build" = 1 ]; then
    echo "== building the release C library (the same command as benches/run-quick.sh)"
    cargo build --release -p trailstore-bench -p trailstore-c
    echo "== building the release wheel (pip wheel ./python, no features)"
    if [ ! -x "$venv/bin/python" ]; then
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check mypy
    rm -rf "$wheels"
    # Unset, so that a developer's own MATURIN_PEP517_ARGS cannot turn a feature on.
    env -u MATURIN_PEP517_ARGS "$venv/bin/python" -m pip wheel --quiet --disable-pip-version-check \
        --no-deps --wheel-dir "$wheels" ./python
fi

# ---- the bytes of each artifact ------------------------------------------------------------------
scan() { # label file expected-string
    local label="$1" file="$2" expected="$3" marker
    if [ ! -f "$file" ]; then
        fail "$label: $file exists"
        return
    fi
    # A string every build has, so that a clean result means the right file was read.
    if grep -qaF -- "$expected" "$file"; then
        pass "$label has $expected (the scan reads the artifact)"
    else
        fail "$label has $expected (the scan reads the artifact)"
    fi
    for marker in TRAILSTORE_FAILPOINT _test_panic "$sample_marker"; do
        if grep -qaF -- "$marker" "$file"; then
            fail "$label contains \"$marker\" (test machinery in a release artifact)"
        else
            pass "$label has no \"$marker\""
        fi
    done
}

scan "libtrailstore.so" "$release/libtrailstore.so" trailstore_store_open
# The static library keeps every object, also code no exported function reaches.
scan "libtrailstore.a" "$release/libtrailstore.a" trailstore_store_open

wheel="$(find "$wheels" -maxdepth 1 -name 'trailstore-*.whl' 2>/dev/null | head -n 1)"
if [ -z "$wheel" ]; then
    fail "release wheel: a trailstore-*.whl in $wheels"
else
    unpacked="$wheels/unpacked"
    rm -rf "$unpacked"
    "$python" -m zipfile -e "$wheel" "$unpacked"
    native="$(find "$unpacked/trailstore" -maxdepth 1 -name '_native*.so' | head -n 1)"
    scan "wheel $(basename "$wheel"): $(basename "${native:-_native.so}")" "${native:-missing}" \
        PyInit__native

    # ---- the wheel as a user gets it -------------------------------------------------------------
    if [ -x "$venv/bin/python" ] \
            && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
                --force-reinstall --no-deps "$wheel"; then
        # Outside the source tree, so that the installed package is imported.
        cd "$target"
        if "$venv/bin/python" -c \
                'import trailstore._native as n; raise SystemExit(hasattr(n, "_test_panic") or hasattr(n, "_test_panic_detached"))'
        then
            pass "the installed release wheel has no _test_panic or _test_panic_detached"
        else
            fail "the installed release wheel has no _test_panic or _test_panic_detached"
        fi
        if "$venv/bin/python" -m mypy.stubtest trailstore._native; then
            pass "stubtest: _native.pyi matches the release wheel"
        else
            fail "stubtest: _native.pyi matches the release wheel"
        fi
        cd "$root"
    else
        fail "install the release wheel in $venv"
    fi
fi

echo
if [ "$failed" -eq 0 ]; then
    echo "release artifacts: clean"
else
    echo "release artifacts: $failed check(s) failed"
    exit 1
fi

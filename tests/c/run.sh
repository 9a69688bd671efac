#!/usr/bin/env bash
# The C ABI's test command: builds libtrailstore (shared and static), checks include/trailstore.h
# against a fresh cbindgen run, builds every C test against both libraries with AddressSanitizer
# and UBSan and runs each test in its own process, compiles the header as C and C++, and builds
# and runs the example with a generated pkg-config file. Ends with `N passed, M failed`.
# test_sync pulls from and pushes to a real `trailstore serve`: the CLI is built too (same
# profile, shared target/; TRAILSTORE_BIN picks another binary).
#
#   bash tests/c/run.sh                 # debug build of the library (the default, see below)
#   bash tests/c/run.sh --release       # the same against the release build
#   bash tests/c/run.sh --write-header  # regenerate include/trailstore.h, then run everything
#   TRAILSTORE_C_VALGRIND=1 bash tests/c/run.sh   # also run the tests under valgrind
#   TRAILSTORE_C_JOBS=1 bash tests/c/run.sh        # one test process at a time (default: 2 per core)
#
# Why debug by default: the tests look for memory and ABI mistakes, not speed. A debug build has
# Rust's debug assertions and overflow checks on, gives ASan full stack traces through the Rust
# side, and shares target/debug with `cargo build`/`cargo test`, so it rarely rebuilds the core.
#
# Needs only: cargo (Rust 1.85+), gcc and g++ (with libasan/libubsan, as Debian's gcc has), and
# crates.io to install the pinned cbindgen once into target/tools. pkg-config, make and valgrind
# are used when present.
set -u
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

CBINDGEN_VERSION=0.29.4
PROFILE=debug
CARGO_PROFILE=()
WRITE_HEADER=0
for arg in "$@"; do
    case "$arg" in
        --release) PROFILE=release; CARGO_PROFILE=(--release) ;;
        --write-header) WRITE_HEADER=1 ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
LIB_DIR="$TARGET_DIR/$PROFILE"
OUT="$TARGET_DIR/c-tests/$PROFILE"
SAMPLE="$ROOT/tests/data/sample_snapshot.json"
# trailstore_version() reports the core crate's version (trailstore::VERSION).
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"

PASSED=0
FAILED=0
FAILURES=()
pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); FAILURES+=("$1"); echo "FAIL $1"; }
summary() {
    echo
    if [ "${#FAILURES[@]}" -gt 0 ]; then
        echo "Failed:"
        printf '  %s\n' "${FAILURES[@]}"
    fi
    echo "$PASSED passed, $FAILED failed"
}
# A step that cannot go on (no library to test): report and stop.
fatal() { fail "$1"; summary; exit 1; }

for tool in cargo gcc g++; do
    command -v "$tool" >/dev/null 2>&1 || { echo "run.sh needs $tool" >&2; fatal "tool $tool"; }
done
mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/trailstore-c.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# ---- the library --------------------------------------------------------------------------------
# `cargo rustc` builds the crate's cdylib and staticlib like `cargo build` does, and prints (or,
# when nothing changed, replays) the native libraries a static link needs.
echo "== building trailstore-c ($PROFILE)"
if ! cargo rustc -p trailstore-c --lib "${CARGO_PROFILE[@]}" -- --print native-static-libs \
        >"$OUT/build.log" 2>&1; then
    cat "$OUT/build.log"
    fatal "cargo build -p trailstore-c"
fi
NATIVE_LIBS="$(sed -n 's/^note: native-static-libs: //p' "$OUT/build.log" | tail -n 1)"
[ -n "$NATIVE_LIBS" ] || NATIVE_LIBS="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
for f in libtrailstore.so libtrailstore.a; do
    [ -f "$LIB_DIR/$f" ] || fatal "build produced $LIB_DIR/$f"
done
pass "build libtrailstore.so and libtrailstore.a"

# The CLI: test_sync runs a real `trailstore serve` (and makes its store with `init` and `import`).
echo "== building the trailstore CLI ($PROFILE), the server of the sync tests"
if ! cargo build --bin trailstore "${CARGO_PROFILE[@]}" >"$OUT/cli-build.log" 2>&1; then
    cat "$OUT/cli-build.log"
    fatal "cargo build --bin trailstore"
fi
TRAILSTORE_BIN="${TRAILSTORE_BIN:-$LIB_DIR/trailstore}"
export TRAILSTORE_BIN

# The Rust side of the boundary: status numbers vs the core's codes, the panic boundary (a panic
# cannot be provoked from C), statuses C cannot reach in a test's time.
if cargo test -p trailstore-c --lib "${CARGO_PROFILE[@]}" >"$OUT/cargo-test.log" 2>&1; then
    pass "cargo test -p trailstore-c (panic boundary, status mapping)"
else
    cat "$OUT/cargo-test.log"
    fail "cargo test -p trailstore-c"
fi

# ---- the header ----------------------------------------------------------------------------------
CBINDGEN="$TARGET_DIR/tools/bin/cbindgen"
if ! "$CBINDGEN" --version 2>/dev/null | grep -qx "cbindgen $CBINDGEN_VERSION"; then
    echo "== installing cbindgen $CBINDGEN_VERSION into $TARGET_DIR/tools"
    if ! cargo install cbindgen --version "=$CBINDGEN_VERSION" --locked \
            --root "$TARGET_DIR/tools" >"$OUT/cbindgen-install.log" 2>&1; then
        cat "$OUT/cbindgen-install.log"
        fail "install cbindgen $CBINDGEN_VERSION"
    fi
fi
if (cd bindings/c && "$CBINDGEN" --quiet --config cbindgen.toml --output "$WORK/trailstore.h") \
        2>"$OUT/cbindgen.log"; then
    if [ "$WRITE_HEADER" = 1 ]; then
        cp "$WORK/trailstore.h" include/trailstore.h
        echo "wrote include/trailstore.h"
    fi
    if diff -u include/trailstore.h "$WORK/trailstore.h" >"$OUT/header.diff"; then
        pass "include/trailstore.h matches cbindgen $CBINDGEN_VERSION"
    else
        cat "$OUT/header.diff"
        echo "include/trailstore.h drifted from the code: run bash tests/c/run.sh --write-header"
        fail "header drift"
    fi
else
    cat "$OUT/cbindgen.log"
    fail "cbindgen $CBINDGEN_VERSION"
fi

# The header on its own, as every C standard we support and as C++.
for std in c99 c11 c17; do
    if echo '#include "trailstore.h"' | gcc -std=$std -Wall -Wextra -Wpedantic -Werror \
            -Iinclude -x c -fsyntax-only - 2>"$OUT/header-$std.log"; then
        pass "header compiles as $std"
    else
        cat "$OUT/header-$std.log"; fail "header compiles as $std"
    fi
done

# ---- the C tests ---------------------------------------------------------------------------------
SAN_FLAGS=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
CFLAGS=(-std=c11 -Wall -Wextra -Werror -g -O1 -Iinclude
    "-DSAMPLE_SNAPSHOT=\"$SAMPLE\"" "-DTRAILSTORE_EXPECTED_VERSION=\"$VERSION\""
    "-DTRAILSTORE_BIN=\"$TRAILSTORE_BIN\"")
SHARED_LINK=(-L"$LIB_DIR" -ltrailstore -Wl,-rpath,"$LIB_DIR" -lpthread)
# shellcheck disable=SC2206 # NATIVE_LIBS is a list of flags
STATIC_LINK=("$LIB_DIR/libtrailstore.a" $NATIVE_LIBS -lpthread)
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="report_objects=1"

TESTS=(test_store test_args test_cases test_batch test_threads test_search test_bundle
    test_boundaries test_sync test_runs test_attachments)
BUILT=()
for link in shared static; do
    if [ "$link" = shared ]; then LINK=("${SHARED_LINK[@]}"); else LINK=("${STATIC_LINK[@]}"); fi
    for t in "${TESTS[@]}"; do
        bin="$OUT/$t-$link"
        if gcc "${CFLAGS[@]}" "${SAN_FLAGS[@]}" "tests/c/$t.c" -o "$bin" "${LINK[@]}" \
                2>"$bin.build.log"; then
            BUILT+=("$bin")
        else
            cat "$bin.build.log"; fail "compile $t ($link)"
        fi
    done
done

# Each named test runs in its own process, in its own temporary folder. They run JOBS at a time
# (most of a test's time is waiting on fsync or on its own threads), and are reported in order.
JOBS="${TRAILSTORE_C_JOBS:-$(( $(nproc 2>/dev/null || echo 2) * 2 ))}"
QUEUED=()
run_one() { # bin name label [wrapper...]
    local bin="$1" name="$2" label="$3"; shift 3
    local log="$OUT/$(basename "$bin")-$name${label:+-$label}.log"
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
    rm -f "$log.status"
    (
        rc=0
        TMPDIR="$WORK" timeout 600 "$@" "$bin" "$name" >"$log" 2>&1 || rc=$?
        if [ "$rc" -eq 0 ]; then
            echo pass >"$log.status"
        elif [ "$rc" -eq 124 ]; then
            echo "fail: timed out after 600 s" >"$log.status"
        elif [ "$rc" -gt 128 ]; then
            echo "fail: killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null))" >"$log.status"
        else
            echo "fail: exit status $rc" >"$log.status"
        fi
    ) &
    QUEUED+=("$log|$(basename "$bin") $name${label:+ ($label)}")
}
# Waits for every queued test and reports each, in the order they were queued.
report_queued() {
    wait
    local item log label
    for item in "${QUEUED[@]}"; do
        log="${item%%|*}" label="${item#*|}"
        if [ "$(cat "$log.status" 2>/dev/null)" = pass ]; then
            pass "$label"
        else
            # How it ended goes into the summary line too, which survives a shortened CI log.
            local how first
            how="$(sed 's/^fail: //' "$log.status" 2>/dev/null || echo "no status")"
            first="$(grep -m1 -E 'check failed|forked child|child process|gave .*, wanted|ERROR: [A-Za-z]+Sanitizer|panicked' "$log")"
            cat "$log"; fail "$label: $how${first:+; $first}"
        fi
    done
    QUEUED=()
}
for bin in "${BUILT[@]}"; do
    names="$("$bin" --list)" || { fail "$(basename "$bin") --list"; continue; }
    for name in $names; do run_one "$bin" "$name" "asan"; done
done
report_queued

# The leak check itself works, also for strings the library allocates.
if gcc "${CFLAGS[@]}" "${SAN_FLAGS[@]}" tests/c/canary_leak.c -o "$OUT/canary_leak" \
        "${SHARED_LINK[@]}" 2>"$OUT/canary.build.log"; then
    if "$OUT/canary_leak" "$WORK/canary-store" >"$OUT/canary.log" 2>&1; then
        fail "ASan reports a leaked trailstore string (it did not)"
    elif grep -q "LeakSanitizer: detected memory leaks" "$OUT/canary.log"; then
        pass "ASan reports a leaked trailstore string"
    else
        cat "$OUT/canary.log"; fail "ASan reports a leaked trailstore string"
    fi
else
    cat "$OUT/canary.build.log"; fail "compile canary_leak"
fi

# The C entry points with arbitrary bytes: the fuzz target's body over fuzz/corpus/c_api and
# mutations of it (every prefix, byte flips, every call), under ASan and UBSan.
if gcc "${CFLAGS[@]}" "${SAN_FLAGS[@]}" -DTRAILSTORE_FUZZ_REPLAY tests/c/fuzz_c_api.c \
        -o "$OUT/fuzz_c_api" "${SHARED_LINK[@]}" 2>"$OUT/fuzz.build.log"; then
    if TMPDIR="$WORK" timeout 900 "$OUT/fuzz_c_api" fuzz/corpus/c_api >"$OUT/fuzz.log" 2>&1; then
        pass "fuzz corpus replay through the C entry points ($(tail -1 "$OUT/fuzz.log"))"
    else
        cat "$OUT/fuzz.log"; fail "fuzz corpus replay through the C entry points"
    fi
else
    cat "$OUT/fuzz.build.log"; fail "compile fuzz_c_api"
fi

# Optionally the same tests, uninstrumented, under valgrind.
if [ "${TRAILSTORE_C_VALGRIND:-0}" = 1 ]; then
    if command -v valgrind >/dev/null 2>&1; then
        for t in "${TESTS[@]}"; do
            bin="$OUT/$t-valgrind"
            if ! gcc "${CFLAGS[@]}" "tests/c/$t.c" -o "$bin" "${SHARED_LINK[@]}" 2>"$bin.build.log"
            then
                cat "$bin.build.log"; fail "compile $t (valgrind)"; continue
            fi
            for name in $("$bin" --list); do
                run_one "$bin" "$name" "valgrind" valgrind --quiet --error-exitcode=99 \
                    --leak-check=full --show-leak-kinds=definite,indirect \
                    --errors-for-leak-kinds=definite,indirect \
                    --trace-children=no --child-silent-after-fork=yes
            done
        done
        report_queued
    else
        echo "TRAILSTORE_C_VALGRIND=1 but valgrind is not installed" >&2
        fail "valgrind available"
    fi
fi

# ---- C++ -----------------------------------------------------------------------------------------
if g++ -std=c++17 -Wall -Wextra -Werror -g -Iinclude "${SAN_FLAGS[@]}" tests/c/header_cpp.cpp \
        -o "$OUT/header_cpp" "${SHARED_LINK[@]}" 2>"$OUT/header_cpp.build.log"; then
    pass "header compiles as C++17 (g++ -Wall -Wextra -Werror)"
    if "$OUT/header_cpp" "$WORK/cpp-store" >"$OUT/header_cpp.log" 2>&1; then
        pass "C++ program runs against libtrailstore.so"
    else
        cat "$OUT/header_cpp.log"; fail "C++ program runs against libtrailstore.so"
    fi
else
    cat "$OUT/header_cpp.build.log"; fail "header compiles as C++17"
fi

# ---- pkg-config and the example ------------------------------------------------------------------
PC_DIR="$LIB_DIR/pkgconfig"
mkdir -p "$PC_DIR"
sed -e "s|@prefix@|$ROOT|" -e "s|@libdir@|$LIB_DIR|" -e "s|@includedir@|$ROOT/include|" \
    -e "s|@version@|$VERSION|" -e "s|@libs_private@|$NATIVE_LIBS|" \
    bindings/c/trailstore.pc.in >"$PC_DIR/trailstore.pc"
echo "wrote $PC_DIR/trailstore.pc"

check_example() { # binary label
    local store="$WORK/example-store-$2" log="$OUT/example-$2.log"
    if "$1" "$store" "$SAMPLE" >"$log" 2>&1 \
            && grep -q "^imported: " "$log" \
            && grep -q '^added: {"id":' "$log" \
            && grep -qF "refused (validation): Field :title is a required field. [field title]" "$log"
    then
        pass "example ($2)"
    else
        cat "$log"; fail "example ($2)"
    fi
}

if command -v pkg-config >/dev/null 2>&1; then
    export PKG_CONFIG_PATH="$PC_DIR${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    if [ "$(pkg-config --modversion trailstore 2>/dev/null)" = "$VERSION" ]; then
        pass "pkg-config finds trailstore $VERSION"
    else
        fail "pkg-config finds trailstore $VERSION"
    fi
    if command -v make >/dev/null 2>&1; then
        # The example's own Makefile, building into a scratch folder.
        if make --no-print-directory -C "$WORK" -f "$ROOT/examples/c/Makefile" \
                example example-static >"$OUT/example.build.log" 2>&1; then
            pass "examples/c/Makefile builds the example (shared and static)"
            check_example "$WORK/example" "pkg-config, shared"
            check_example "$WORK/example-static" "pkg-config, static"
        else
            cat "$OUT/example.build.log"; fail "examples/c/Makefile builds the example"
        fi
    else
        # shellcheck disable=SC2046 # pkg-config prints a list of flags
        if gcc -std=c11 -Wall -Wextra -Werror examples/c/example.c -o "$WORK/example" \
                $(pkg-config --cflags --libs trailstore) -Wl,-rpath,"$LIB_DIR" \
                2>"$OUT/example.build.log"; then
            check_example "$WORK/example" "pkg-config, shared"
        else
            cat "$OUT/example.build.log"; fail "example builds with pkg-config"
        fi
        echo "note: make not found; built the example without examples/c/Makefile"
    fi
else
    echo "note: pkg-config not found; checked the example by hand only"
fi
# By hand, as docs/c.md shows it without pkg-config.
if gcc -std=c11 -Wall -Wextra -Werror -Iinclude examples/c/example.c -o "$WORK/example-hand" \
        -L"$LIB_DIR" -ltrailstore -Wl,-rpath,"$LIB_DIR" 2>"$OUT/example-hand.build.log"; then
    check_example "$WORK/example-hand" "by hand, shared"
else
    cat "$OUT/example-hand.build.log"; fail "example builds by hand"
fi
# shellcheck disable=SC2086 # NATIVE_LIBS is a list of flags
if gcc -std=c11 -Wall -Wextra -Werror -Iinclude examples/c/example.c -o "$WORK/example-hand-static" \
        "$LIB_DIR/libtrailstore.a" $NATIVE_LIBS 2>"$OUT/example-hand-static.build.log"; then
    check_example "$WORK/example-hand-static" "by hand, static"
else
    cat "$OUT/example-hand-static.build.log"; fail "example builds by hand (static)"
fi

# The README's first C program, exactly as the README shows it, so the two cannot drift.
README_C="$WORK/readme-first-program.c"
awk '/^\*\*A first program\.\*\*/{want=1} want && /^```c$/{inside=1; next} inside && /^```$/{exit} inside{print}' \
    README.md >"$README_C"
if [ ! -s "$README_C" ]; then
    fail "README's first C program found"
elif gcc -std=c11 -Wall -Wextra -Werror -Iinclude "$README_C" -o "$WORK/readme-first-program" \
        -L"$LIB_DIR" -ltrailstore -Wl,-rpath,"$LIB_DIR" 2>"$OUT/readme-c.build.log"; then
    # It opens ./my-store and imports tests/data/sample_snapshot.json from the folder it runs in.
    mkdir -p "$WORK/readme-run/tests/data"
    ln -sf "$SAMPLE" "$WORK/readme-run/tests/data/sample_snapshot.json"
    if (cd "$WORK/readme-run" && "$WORK/readme-first-program") >"$OUT/readme-c.log" 2>&1 &&
            grep -q '"cases":\[{' "$OUT/readme-c.log" &&
            grep -qx 'Field :title is a required field. (field: title)' "$OUT/readme-c.log"; then
        pass "README's first C program builds and runs as shown"
    else
        cat "$OUT/readme-c.log"; fail "README's first C program runs as shown"
    fi
else
    cat "$OUT/readme-c.build.log"; fail "README's first C program builds"
fi

summary
[ "$FAILED" -eq 0 ]

#!/usr/bin/env bash
# W2 from C: builds benches/c/bench_c.c against the release libtrailstore and against the SQLite
# amalgamation that rusqlite's bundled build already has (libsqlite3-sys's sqlite3.c, found with
# `cargo metadata`), prepares the data with the bench binary when missing, and runs it. Without
# sqlite3.c the SQLite side is skipped with a message. Asserts no timing; fails only on errors.
#
#   bash benches/c/run.sh                      # 100k cases, 20,000 reads, 5 repetitions
#   bash benches/c/run.sh --quick              # 10k cases, 2,000 reads, 1 repetition
#   bash benches/c/run.sh --size 100k --dir DIR --reps 5 --no-build
#
# The build line, by hand (SQLITE_DIR: libsqlite3-sys-*/sqlite3 in the cargo registry):
#   cc -O3 -DHAVE_SQLITE -I include -I $SQLITE_DIR benches/c/bench_c.c target/bench-c/sqlite3.o \
#      -L target/release -ltrailstore -Wl,-rpath,$PWD/target/release -lpthread -ldl -lm \
#      -o target/bench-c/bench_c
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

size=100k quick=0 dir="$ROOT/target/bench-data" reps="" build=1 seed=42
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --size) size="$2"; shift ;;
        --dir) dir="$2"; shift ;;
        --reps) reps="$2"; shift ;;
        --seed) seed="$2"; shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then
    [ "$size" = 100k ] && size=10k
    n=2000; reps="${reps:-1}"
else
    n=20000; reps="${reps:-5}"
fi
case "$size" in
    *k) cases=$(( ${size%k} * 1000 )) ;;
    *m) cases=$(( ${size%m} * 1000000 )) ;;
    *) cases="$size" ;;
esac

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET/bench-c"
mkdir -p "$OUT" "$dir"
dir="$(cd "$dir" && pwd)"

if [ "$build" = 1 ]; then
    echo "== cargo build --release -p trailstore-c -p trailstore-bench" >&2
    cargo build --release --quiet -p trailstore-c -p trailstore-bench
fi
[ -f "$TARGET/release/libtrailstore.so" ] || { echo "no $TARGET/release/libtrailstore.so" >&2; exit 1; }

# ---- the SQLite amalgamation of libsqlite3-sys (rusqlite's `bundled`) ---------------------------
sqlite_dir=""
manifest="$( (cargo metadata --format-version 1 --offline 2>/dev/null ||
              cargo metadata --format-version 1 2>/dev/null) |
            grep -o '"manifest_path":"[^"]*/libsqlite3-sys-[^"/]*/Cargo.toml"' | head -n 1 |
            sed 's/^"manifest_path":"//; s/"$//' || true)"
if [ -n "$manifest" ] && [ -f "$(dirname "$manifest")/sqlite3/sqlite3.c" ]; then
    sqlite_dir="$(dirname "$manifest")/sqlite3"
else
    # No cargo metadata answer: the registry's copy, if any.
    for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/libsqlite3-sys-*/sqlite3; do
        [ -f "$d/sqlite3.c" ] && sqlite_dir="$d"
    done
fi

sqlite_obj="" cflags=()
if [ -n "$sqlite_dir" ]; then
    ver="$(basename "$(dirname "$sqlite_dir")")"
    sqlite_obj="$OUT/sqlite3-$ver.o"
    if [ ! -f "$sqlite_obj" ]; then
        echo "== compiling $sqlite_dir/sqlite3.c (once; the flags of libsqlite3-sys's bundled build)" >&2
        # The defines libsqlite3-sys's build.rs sets for `bundled`, at cc-rs's release -O3.
        cc -O3 -fPIC -c "$sqlite_dir/sqlite3.c" -o "$sqlite_obj.tmp" \
            -DSQLITE_CORE -DSQLITE_DEFAULT_FOREIGN_KEYS=1 -DSQLITE_ENABLE_API_ARMOR \
            -DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_ENABLE_DBSTAT_VTAB -DSQLITE_ENABLE_FTS3 \
            -DSQLITE_ENABLE_FTS3_PARENTHESIS -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_JSON1 \
            -DSQLITE_ENABLE_LOAD_EXTENSION=1 -DSQLITE_ENABLE_MEMORY_MANAGEMENT \
            -DSQLITE_ENABLE_RTREE -DSQLITE_ENABLE_STAT4 -DSQLITE_SOUNDEX -DSQLITE_THREADSAFE=1 \
            -DSQLITE_USE_URI -DHAVE_USLEEP=1 -D_POSIX_THREAD_SAFE_FUNCTIONS -DHAVE_ISNAN \
            -DHAVE_LOCALTIME_R
        mv "$sqlite_obj.tmp" "$sqlite_obj"
    fi
    cflags=(-DHAVE_SQLITE -I "$sqlite_dir")
else
    echo "bench_c: sqlite3.c of libsqlite3-sys not found (cargo metadata, then \$CARGO_HOME/registry):" \
         "the SQLite side is skipped" >&2
fi

exe="$OUT/bench_c"
cc -std=c11 -O2 -Wall -Wextra -I include "${cflags[@]}" benches/c/bench_c.c ${sqlite_obj:+"$sqlite_obj"} \
    -L "$TARGET/release" -ltrailstore -Wl,-rpath,"$TARGET/release" -lpthread -ldl -lm -o "$exe"

# ---- the data: the bench binary's prepared set (it runs its short W2 to make it) ----------------
data="$dir/$size-seed$seed"
if [ "$(cat "$data/READY" 2>/dev/null)" != "generator v3" ] || [ ! -d "$data/ts" ]; then
    echo "== preparing $data (trailstore-bench --only W2)" >&2
    "$TARGET/release/trailstore-bench" --size "$size" --only W2 --reps 1 --dir "$dir" \
        --seed "$seed" >/dev/null
fi

"$exe" "$data/ts" "$data/sqlite.db" "$cases" "$n" "$reps" "$seed"

#!/usr/bin/env bash
# The bindings link the store, never the command line: `cargo tree` of the C and the Python
# crate must list none of the CLI's dependencies (they come with the core's `cli` feature).
set -euo pipefail
cd "$(dirname "$0")/.."

forbidden='clap|indicatif|axum|tokio|hyper|quick-xml'
status=0
for crate in trailstore-c trailstore-python; do
    if ! tree=$(cargo tree -p "$crate" -e normal --prefix none 2>&1); then
        printf 'FAIL %s: cargo tree failed\n%s\n' "$crate" "$tree"
        status=1
        continue
    fi
    found=$(printf "%s\n" "$tree" | grep -E "^($forbidden) v" | sed "s/ (\*)$//" | sort -u || true)
    if [ -n "$found" ]; then
        printf 'FAIL %s depends on CLI crates:\n%s\n' "$crate" "$found"
        status=1
    else
        printf 'PASS %s: none of %s\n' "$crate" "${forbidden//|/, }"
    fi
done
exit "$status"

#!/usr/bin/env bash
# Benchmark: recording a large JUnit report. `trailstore junit` into an offline store (pulled
# from a served store) against trcli 1.15.3 `parse_junit` of the same report against
# `trailstore serve` of an identical store; then `trailstore push` of the recording to that
# twin. Wall times and their ratio; the counts on both sides are checked to agree.
# Not part of the test command (it takes minutes):
#
#   bash benches/junit.sh            # JUNIT_TESTS=20000 by default
#   JUNIT_TESTS=2000 bash benches/junit.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tests=${JUNIT_TESTS:-20000}

cargo build --release --quiet --bin trailstore
bin=$root/target/release/trailstore
venv=$root/target/clients-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/clients/requirements.txt

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
user=bench@example.com
key=BENCH-KEY-0f4e2a
export TRAILSTORE_SERVE_KEY=$key

# The report: 20 testsuites (sections) of equal size; 1 in 10 tests fails, 1 in 20 is skipped.
"$venv/bin/python" - "$work/report.xml" "$tests" <<'PY'
import sys
from xml.sax.saxutils import quoteattr
path, n = sys.argv[1], int(sys.argv[2])
suites = 20
with open(path, "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench">\n')
    for s in range(suites):
        f.write(f'  <testsuite name="Suite {s:02d}">\n')
        for i in range(s, n, suites):
            name = quoteattr(f"test_{i:05d}")
            f.write(f'    <testcase classname="bench.suite{s:02d}" name={name} time="{(i % 70) / 10}">')
            if i % 10 == 3:
                f.write(f'<failure type="AssertionError" message="expected {i}">'
                        f'Traceback: bench.py:{i}: AssertionError</failure>')
            elif i % 20 == 7:
                f.write('<skipped message="not on this platform"/>')
            f.write('</testcase>\n')
        f.write('  </testsuite>\n')
    f.write('</testsuites>\n')
PY

# Two identical fresh servers: project "Bench" with trcli's automation id field. Started in
# this shell (not in a command substitution), so that the exit trap knows their pids.
serve() {
    local store=$work/$1
    "$bin" --store "$store" init --server-ids --user-name Bench --user-email "$user" >/dev/null
    "$bin" --store "$store" serve --bind 127.0.0.1:0 --user "$user" >"$work/$1.out" 2>"$work/$1.err" &
    pids+=($!)
    for _ in $(seq 100); do
        grep -q "http://" "$work/$1.out" 2>/dev/null && break
        sleep 0.1
    done
}
url_of() { grep -o 'http://127.0.0.1:[0-9]*/' "$work/$1.out" | head -1; }
serve a
serve b
url_a=$(url_of a)
url_b=$(url_of b)
for url in "$url_a" "$url_b"; do
    "$venv/bin/python" - "$url" "$user" "$key" <<'PY'
import sys
from testrail_api import TestRailAPI
api = TestRailAPI(sys.argv[1], sys.argv[2], sys.argv[3], warn_ignore=True)
api.projects.add_project("Bench", suite_mode=1)
api.case_fields.add_case_field(
    type="String", name="automation_id", label="Automation ID", include_all=True,
    configs=[{"context": {"is_global": True, "project_ids": None},
              "options": {"is_required": False, "default_value": ""}}])
PY
done

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# trcli against served store A; a private HOME with a fresh version cache keeps it off PyPI.
mkdir -p "$work/home/.trcli"
printf '{"last_check": "%s", "latest_version": "1.15.3"}' "$(date -Iseconds)" \
    >"$work/home/.trcli/version_cache.json"
t0=$(now)
HOME=$work/home "$venv/bin/trcli" -y -h "$url_a" --project Bench -u "$user" -k "$key" \
    parse_junit -f "$work/report.xml" --title Bench >"$work/trcli.log" 2>&1
t1=$(now)
trcli_s=$(secs "$t0" "$t1")

# trailstore: pull B, record offline, push to B.
offline=$work/offline
env -u TESTRAIL_URL -u TESTRAIL_USER -u TESTRAIL_KEY \
    "$bin" --store "$offline" pull --url "$url_b" --user "$user" --key "$key" >/dev/null
t0=$(now)
"$bin" --store "$offline" --json junit "$work/report.xml" --project Bench --title Bench \
    >"$work/junit.json"
t1=$(now)
junit_s=$(secs "$t0" "$t1")
t0=$(now)
"$bin" --store "$offline" --json push --url "$url_b" --user "$user" --key "$key" \
    >"$work/push.json"
t1=$(now)
push_s=$(secs "$t0" "$t1")

# Both servers now hold the same counts.
"$venv/bin/python" - "$url_a" "$url_b" "$user" "$key" "$tests" <<'PY'
import sys
from testrail_api import TestRailAPI
url_a, url_b, user, key, n = sys.argv[1:6]
def counts(url):
    api = TestRailAPI(url, user, key, warn_ignore=True)
    pid = api.projects.get_projects()["projects"][0]["id"]
    run = api.runs.get_runs(pid)["runs"][0]
    return (len(api.cases.get_cases_bulk(pid)), len(api.sections.get_sections(pid)["sections"]),
            {k: v for k, v in run.items() if k.endswith("_count")})
a, b = counts(url_a), counts(url_b)
assert a == b, (a, b)
assert a[0] == int(n), a
print(f"both servers: {a[0]} cases, {a[1]} sections, run {a[2]}")
PY

cat <<EOF

JUnit report of $tests testcases ($(du -h "$work/report.xml" | cut -f1)), release build, $(nproc) cores:
  trcli 1.15.3 parse_junit against trailstore serve   ${trcli_s} s
  trailstore junit (offline)                           ${junit_s} s   ($(awk -v a="$trcli_s" -v b="$junit_s" 'BEGIN { printf "%.1f", a / b }')x faster)
  trailstore push of that recording to serve           ${push_s} s
  trailstore junit + push                              $(awk -v a="$junit_s" -v b="$push_s" 'BEGIN { printf "%.2f", a + b }') s   ($(awk -v t="$trcli_s" -v a="$junit_s" -v b="$push_s" 'BEGIN { printf "%.1f", t / (a + b) }')x)
EOF

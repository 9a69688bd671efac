#!/usr/bin/env bash
# The main job: a real end-to-end use of trailstore, first on a store made by `init` alone (a
# fresh TestRail), then on the bundled sample snapshot. Builds the CLI, adds a project, a section
# and a case to the fresh store, imports the sample into another, browses it, adds and edits cases
# offline with custom fields, searches, shows a validation error in TestRail's wording, records a
# run with its results offline, and reads the change journal.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Build the trailstore CLI (release; the first build on a fresh clone takes a few minutes)"
# Cargo's own progress lines, so a long first build does not read as a hang.
cargo build --release --bin trailstore
ts=target/release/trailstore
store=target/demo-fresh
rm -rf "$store"
run() { printf '$ trailstore %s\n' "$*"; "$ts" --store "$store" "$@"; }

say "A store made by init alone is a fresh TestRail: priorities, types, templates, fields, statuses"
run init
run call get_priorities | head -8
printf '$ trailstore call get_statuses   # (their names)\n'
"$ts" --store "$store" call get_statuses |
    python3 -c 'import json,sys; print([s["name"] for s in json.load(sys.stdin)])'
run call add_project --data '{"name": "Lab rig", "suite_mode": 1}' | head -3
run call add_section/2130706432 --data '{"name": "Power"}' | head -3
run cases add --section 2130706432 --title "Calibrate the rig" --field priority_id=2 \
    --field template_id=2 \
    --field 'custom_steps_separated=[{"content": "Attach the oscilloscope", "expected": "A flat trace"}]'
run search oscilloscope

store=target/demo-store
rm -rf "$store"

say "Create a store (local changes are made as TestRail user 2) and import the sample snapshot"
run init --user-id 2
run import tests/data/sample_snapshot.json
run status

say "Browse: the section tree of the single-suite project, and one section's cases"
run sections tree --project 1 | head -20
run cases list --project 1 --section 17 --limit 5

say "The dispatcher takes TestRail's routes as-is: high-priority iOS cases, paged"
run call 'get_cases/2&suite_id=2&priority_id=3,4&limit=2' | head -30

say "Add a case offline, with steps and custom fields (custom_component is required in this project)"
id=$("$ts" --store "$store" --json cases add --section 17 \
    --title "Saved card survives a failed 3-D Secure challenge" \
    --field template_id=2 --field priority_id=3 --field custom_component=2 \
    --field custom_spec_url=https://wiki.example.com/payments/3ds \
    --field 'custom_steps_separated=[{"content":"Pay with a saved card that requires 3-D Secure","expected":"The challenge opens"},{"content":"Fail the challenge","expected":"The order is not placed and the card stays saved"}]' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
run cases show "$id"

say "Edit it: only the fields given change"
run cases edit "$id" --field priority_id=4 --field refs=PAY-311 | head -3

say "Full-text search sees the new case at once (BM25, with the matches highlighted)"
run search --project 1 '"3-D Secure" saved' --limit 3

say "A bad request gets TestRail's own error and changes nothing"
run cases add --section 17 --title "No component given" || true
run cases edit "$id" --field custom_spec_url=not-a-url || true

say "Record a run offline, as a harness does: a run of five cases, then their results"
run_id=$("$ts" --store "$store" runs add --project 1 --name "Smoke on the plane" --cases 1,2,3,4,5 --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
printf '$ trailstore runs add --project 1 --name "Smoke on the plane" --cases 1,2,3,4,5   # run %s\n' "$run_id"
run results add --run "$run_id" --case 1 --status passed --elapsed 12s --version 2025.4.0
run results add --run "$run_id" --case 2 --status failed --comment "Timeout after 30s on the payment page" --defects SHOP-1401
printf '$ trailstore call add_results_for_cases/%s --data ...   # the rest in one call: (id, test, status) of each\n' "$run_id"
"$ts" --store "$store" call "add_results_for_cases/$run_id" --data '{"results": [
    {"case_id": 3, "status_id": 4, "comment": "Flaked once; retest"},
    {"case_id": 4, "status_id": 1, "elapsed": "0.4s"},
    {"case_id": 5, "status_id": 6, "comment": "custom status Flaky"}]}' |
    python3 -c 'import json,sys; print([(r["id"], r["test_id"], r["status_id"]) for r in json.load(sys.stdin)])'
run runs show "$run_id"
run runs show "$run_id" --status failed,retest

say "A result for a run the server made (the sample's open nightly run), then close it: its tests freeze"
run results add --run 2 --case 1 --status passed --comment "Verified offline"
run runs close 2
run results add --run 2 --case 1 --status failed || true
run runs list --project 1

say "Every local change is in the journal, in order, waiting to be pushed"
run journal
run history "$id"
printf '\nThe store is in %s; try: %s --store %s --help\n' "$store" "$ts" "$store"

//! Helpers for the conformance tests of runs, tests, results, plans, configurations and
//! milestones: a write must journal exactly one entry, a refusal must write nothing, and a run's
//! twelve status counters are compared as one value. Included with
//! `#[path = "common/runs.rs"] mod runs_common;` beside `mod common;`.
#![allow(dead_code)]

use serde_json::{json, Value};
use tempfile::TempDir;
use trailstore::{Error, ErrorCode, Store};

use crate::common::{all_pages, empty, err, journal, ok, snapshot};

/// Every counter a run and a plan carry, in TestRail's order.
pub const COUNT_KEYS: [&str; 12] = [
    "passed_count",
    "blocked_count",
    "untested_count",
    "retest_count",
    "failed_count",
    "custom_status1_count",
    "custom_status2_count",
    "custom_status3_count",
    "custom_status4_count",
    "custom_status5_count",
    "custom_status6_count",
    "custom_status7_count",
];

/// A store loaded with the sample snapshot after `edit` changed it (a required result field, a
/// second custom status ...), so that the store holds it as server state.
pub fn sample_with(edit: impl FnOnce(&mut Value)) -> (TempDir, Store) {
    let mut snap = snapshot().clone();
    edit(&mut snap);
    let (dir, store) = empty();
    store.import_snapshot(&snap).unwrap();
    (dir, store)
}

/// A write that must succeed: it adds exactly one journal entry and advances the data version.
#[track_caller]
pub fn write(store: &Store, route: &str, body: Value) -> Value {
    let before = journal(store).len();
    let version = store.data_version().unwrap();
    let out = ok(store, route, body);
    let after = journal(store);
    assert_eq!(
        after.len(),
        before + 1,
        "{route} journals exactly one entry"
    );
    assert_eq!(
        after.last().unwrap()["route"],
        route,
        "the entry records the route"
    );
    assert!(
        store.data_version().unwrap() > version,
        "{route} advances the data version"
    );
    out
}

/// A call that must be refused and change nothing: same data version, same journal.
#[track_caller]
pub fn refused(store: &Store, route: &str, body: Value) -> Error {
    let before = journal(store).len();
    let version = store.data_version().unwrap();
    let e = err(store, route, body);
    assert_eq!(
        store.data_version().unwrap(),
        version,
        "{route} refused ({e}) but the data version moved"
    );
    assert_eq!(
        journal(store).len(),
        before,
        "{route} refused ({e}) but journaled"
    );
    e
}

/// A refusal with TestRail's exact message and HTTP status, writing nothing.
#[track_caller]
pub fn refuse(store: &Store, route: &str, body: Value, message: &str, status: u16) -> Error {
    let e = refused(store, route, body);
    assert_eq!(e.to_string(), message, "message of {route}");
    assert_eq!(
        e.http_status(),
        status,
        "HTTP status of {route} ({message})"
    );
    e
}

/// An unknown id: TestRail's 400 with a not-found code.
#[track_caller]
pub fn refuse_unknown(store: &Store, route: &str, body: Value, message: &str) {
    let e = refuse(store, route, body, message, 400);
    assert_eq!(e.code(), ErrorCode::NotFound, "code of {route} ({message})");
}

/// A write refused on a completed run or plan: 403 and a forbidden code.
#[track_caller]
pub fn refuse_forbidden(store: &Store, route: &str, body: Value, message: &str) {
    let e = refuse(store, route, body, message, 403);
    assert_eq!(e.code(), ErrorCode::Forbidden, "code of {route}");
}

/// The twelve counters of a run or plan.
#[track_caller]
pub fn counts(run: &Value) -> [u64; 12] {
    COUNT_KEYS.map(|k| {
        run[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} is not a count in {run}"))
    })
}

/// Counters from the non-zero ones given by name.
pub fn want(nonzero: &[(&str, u64)]) -> [u64; 12] {
    COUNT_KEYS.map(|k| nonzero.iter().find(|(n, _)| *n == k).map_or(0, |(_, v)| *v))
}

/// The run as `get_run` answers it now.
pub fn run(store: &Store, id: u64) -> Value {
    ok(store, &format!("get_run/{id}"), Value::Null)
}

/// Every test of a run, all pages.
pub fn tests_of(store: &Store, run_id: u64) -> Vec<Value> {
    all_pages(store, &format!("get_tests/{run_id}"), "tests")
}

/// The case ids of a run's tests, sorted.
pub fn case_ids_of(store: &Store, run_id: u64) -> Vec<u64> {
    let mut ids: Vec<u64> = tests_of(store, run_id)
        .iter()
        .map(|t| t["case_id"].as_u64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

/// The test of `case_id` in a run.
#[track_caller]
pub fn test_of(store: &Store, run_id: u64, case_id: u64) -> Value {
    tests_of(store, run_id)
        .into_iter()
        .find(|t| t["case_id"] == case_id)
        .unwrap_or_else(|| panic!("run {run_id} has no test for case {case_id}"))
}

/// The id of a JSON entity.
#[track_caller]
pub fn id(v: &Value) -> u64 {
    v["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no numeric id in {v}"))
}

/// A standalone run in project 1 (single suite) over the given cases, created through the route.
pub fn run_over(store: &Store, case_ids: &[u64]) -> u64 {
    id(&write(
        store,
        "add_run/1",
        json!({"name": "Run", "include_all": false, "case_ids": case_ids}),
    ))
}

/// A fresh section in suite `suite_id` of project 2 with `n` cases (bulk, in one batch).
/// Returns the case ids in creation order.
pub fn cases_in_project2(store: &Store, suite_id: u64, n: usize) -> (u64, Vec<u64>) {
    let sec = ok(
        store,
        "add_section/2",
        json!({"name": "Bulk", "suite_id": suite_id}),
    );
    let section = id(&sec);
    let mut batch = store.batch().unwrap();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let c = batch
            .call(
                &format!("add_case/{section}"),
                Some(&json!({"title": format!("Bulk case {i}"), "custom_platforms": [1]})),
            )
            .unwrap()
            .into_value();
        out.push(id(&c));
    }
    batch.commit().unwrap();
    (section, out)
}

/// A new suite in project 2 (multi-suite) holding `n` cases. Returns (suite, case ids).
pub fn suite_of(store: &Store, n: usize) -> (u64, Vec<u64>) {
    let suite = id(&ok(
        store,
        "add_suite/2",
        json!({"name": format!("Suite of {n}")}),
    ));
    let (_, cases) = cases_in_project2(store, suite, n);
    (suite, cases)
}

/// Asserts a paged answer's envelope (`offset`, `limit`, `size`, `_links`) and returns its items.
#[track_caller]
pub fn page<'a>(answer: &'a Value, key: &str, offset: u64, limit: u64) -> &'a Vec<Value> {
    assert_eq!(answer["offset"], offset, "offset of {answer}");
    assert_eq!(answer["limit"], limit, "limit");
    let items = answer[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} list in {answer}"));
    assert_eq!(answer["size"], items.len(), "size is the page length");
    assert!(answer["_links"].is_object(), "_links");
    items
}

/// Whether `s` is a GUID as TestRail writes entry ids (8-4-4-4-12 hex digits).
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The index in [`COUNT_KEYS`] of the counter a status id feeds: 1–5 the system statuses, 6–12
/// `custom_status1_count` … `custom_status7_count` (testrail-runs-facts.md §15).
pub fn slot(status_id: u64) -> usize {
    assert!((1..=12).contains(&status_id), "status {status_id}");
    status_id as usize - 1
}

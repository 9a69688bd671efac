//! Helpers shared by the integration tests: a real store on disk, loaded with the sample
//! snapshot, and short ways to call routes.
#![allow(dead_code)]

pub mod serve;

use std::sync::OnceLock;

use serde_json::{json, Value};
use tempfile::TempDir;
use trailstore::{Error, Response, Store};

pub fn snapshot() -> &'static Value {
    static SNAPSHOT: OnceLock<Value> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/sample_snapshot.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).expect("sample snapshot"))
            .expect("sample snapshot is JSON")
    })
}

/// An empty store in a fresh temporary folder.
pub fn empty() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    (dir, store)
}

/// A store loaded with the sample snapshot.
pub fn sample() -> (TempDir, Store) {
    let (dir, store) = empty();
    store.import_snapshot(snapshot()).unwrap();
    (dir, store)
}

/// Calls a route that must succeed and returns its JSON (`null` for an empty body, the
/// metadata of an attachment's file).
#[track_caller]
pub fn ok(store: &Store, route: &str, body: Value) -> Value {
    let body = if body.is_null() { None } else { Some(body) };
    match store.call(route, body.as_ref()) {
        Ok(Response::Json(v)) => v,
        Ok(Response::Empty) => Value::Null,
        Ok(Response::File(f)) => f.to_json(),
        Err(e) => panic!("{route} failed: {e}"),
    }
}

/// Calls a route that must fail and returns the error.
#[track_caller]
pub fn err(store: &Store, route: &str, body: Value) -> Error {
    let body = if body.is_null() { None } else { Some(body) };
    match store.call(route, body.as_ref()) {
        Ok(v) => panic!("{route} should have failed, answered {v:?}"),
        Err(e) => e,
    }
}

/// Asserts an error's message and field.
#[track_caller]
pub fn assert_error(e: &Error, message: &str, field: Option<&str>) {
    assert_eq!(e.to_string(), message);
    assert_eq!(e.field(), field, "field of {message}");
}

/// Every item of a paged route, following `_links.next`.
pub fn all_pages(store: &Store, route: &str, key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(route.to_string());
    while let Some(r) = next {
        let page = ok(store, &r, Value::Null);
        out.extend(page[key].as_array().unwrap().iter().cloned());
        next = page["_links"]["next"].as_str().map(str::to_string);
    }
    out
}

/// The case ids of every hit of a search route (`x_search_cases/...`), all pages in order, and
/// the `total` the pages reported (when the route asks for `count=1`).
pub fn search_hits(store: &Store, route: &str) -> (Vec<u64>, Option<u64>) {
    let mut hits = Vec::new();
    let mut total = None;
    let mut next = Some(route.to_string());
    while let Some(r) = next {
        let page = ok(store, &r, Value::Null);
        total = page["total"].as_u64().or(total);
        hits.extend(
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["case"]["id"].as_u64().unwrap()),
        );
        next = page["_links"]["next"].as_str().map(str::to_string);
    }
    (hits, total)
}

/// The ids of a list of entities.
pub fn ids(items: &[Value]) -> Vec<u64> {
    items.iter().map(|i| i["id"].as_u64().unwrap()).collect()
}

/// The journal as JSON entries.
pub fn journal(store: &Store) -> Vec<Value> {
    all_pages(store, "x_get_journal", "journal")
}

/// A valid body for a new case in project 1 (Web Shop), where custom_component is required.
pub fn web_case(title: &str) -> Value {
    serde_json::json!({"title": title, "custom_component": 2})
}

/// The sample snapshot with `copies` extra copies of every case (ids `10_000 * k + id`), the
/// copies titled with `word` and their copy number: enough cases for an import to stage its
/// documents during the import (`STAGE_MIN`).
pub fn big_snapshot(copies: u64, word: &str) -> Value {
    let mut snap = snapshot().clone();
    let cases = snap["cases"].as_array().unwrap().clone();
    let mut all = cases.clone();
    for k in 1..=copies {
        for c in &cases {
            let mut c = c.clone();
            let id = c["id"].as_u64().unwrap();
            c["id"] = json!(10_000 * k + id);
            c["title"] = json!(format!("{word} copy{k} of {id}"));
            all.push(c);
        }
    }
    snap["cases"] = Value::Array(all);
    snap
}

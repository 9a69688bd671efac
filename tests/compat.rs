//! Backward compatibility: a store written by format version 1 (checked in under
//! tests/data/format-v1, without its search index) opens, reads, rebuilds its index and takes
//! writes. Add a folder per released format version.

mod common;

use common::*;
use serde_json::Value;
use trailstore::{IndexAction, Store};

#[test]
fn a_format_1_store_opens_and_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1");
    std::fs::create_dir_all(&path).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/format-v1/store.redb"
        ),
        path.join(trailstore::DATA_FILE),
    )
    .unwrap();
    let store = Store::open(&path).unwrap();
    assert!(matches!(
        store.index_report(),
        IndexAction::Rebuilt { cases: 328, .. }
    ));
    let j = journal(&store);
    assert_eq!(j.len(), 1);
    let id = j[0]["effects"][0]["id"].as_u64().unwrap();
    assert_eq!(
        ok(&store, &format!("get_case/{id}"), Value::Null)["title"],
        "Created by format 1"
    );
    assert_eq!(all_pages(&store, "get_cases/1", "cases").len(), 199);
    let hits = ok(&store, "x_search_cases/1&q=created%20format", Value::Null);
    assert_eq!(hits["results"][0]["case"]["id"], id);
    let next = ok(&store, "add_case/17", web_case("Written by this build"));
    assert_eq!(next["id"].as_u64().unwrap(), id + 1);
}

//! Backward compatibility: a store written by each released format version (checked in under
//! tests/data/format-vN, without its search index) opens, reads, rebuilds its index and takes
//! writes. Add a folder per released format version.
//!
//! Format 1 stored every record plain; format 2 packs records with zstd and a dictionary the
//! store trained on its own cases (see src/codec.rs). A format-1 store is read as it is: its
//! records stay plain until they are written again. Format 3 keeps tests' statuses and
//! assignees in blocks apart from their records: an older store's blocks are built from its test
//! records on open, and the file is marked format 3.
//!
//! `tests/data/format-v2/store.redb` was written by `write_the_format_2_store` below (run it
//! with `TRAILSTORE_WRITE_COMPAT=1 cargo test --test compat -- --ignored`); format 1's by the
//! same steps with a format-1 build.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde_json::{json, Value};
use trailstore::{IndexAction, Store};

const CASES: TableDefinition<u64, &[u8]> = TableDefinition::new("cases");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// A copy of a checked-in store in a temporary folder.
fn copy_of(version: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("v{version}"));
    std::fs::create_dir_all(&path).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/data/format-v{version}"))
            .join(trailstore::DATA_FILE),
        path.join(trailstore::DATA_FILE),
    )
    .unwrap();
    (dir, path)
}

/// The record version (first byte) of every stored case by id, and the file's format version
/// and whether it holds a record dictionary.
fn raw(path: &Path) -> (BTreeMap<u64, u8>, Option<u64>, bool) {
    let db = redb::Database::open(path.join(trailstore::DATA_FILE)).unwrap();
    let rtx = db.begin_read().unwrap();
    let cases = rtx.open_table(CASES).unwrap();
    let versions = cases
        .iter()
        .unwrap()
        .map(|item| {
            let (k, v) = item.unwrap();
            (k.value(), v.value()[0])
        })
        .collect();
    let meta = rtx.open_table(META).unwrap();
    let format = meta.get("format_version").unwrap().map(|v| {
        let b: [u8; 8] = v.value().try_into().unwrap();
        u64::from_le_bytes(b)
    });
    let dictionary = meta.get("record_dictionary").unwrap().is_some();
    (versions, format, dictionary)
}

/// What both checked-in stores hold: the sample snapshot (327 cases) and one case created
/// locally, titled `title`.
fn opens_and_works(path: &Path, title: &str) -> Store {
    let store = Store::open(path).unwrap();
    assert!(matches!(
        store.index_report(),
        IndexAction::Rebuilt { cases: 328, .. }
    ));
    let j = journal(&store);
    assert_eq!(j.len(), 1);
    let id = j[0]["effects"][0]["id"].as_u64().unwrap();
    assert_eq!(
        ok(&store, &format!("get_case/{id}"), Value::Null)["title"],
        title
    );
    let listed = all_pages(&store, "get_cases/1", "cases");
    assert_eq!(listed.len(), 199);
    // Every case reads back whole, steps and custom values included.
    let sample: Vec<&Value> = snapshot()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["suite_id"] == 1)
        .collect();
    for want in sample.iter().take(20) {
        let got = ok(&store, &format!("get_case/{}", want["id"]), Value::Null);
        for key in ["title", "refs", "custom_steps_separated", "custom_preconds"] {
            if !want[key].is_null() {
                assert_eq!(got[key], want[key], "{key} of case {}", want["id"]);
            }
        }
    }
    let hits = ok(&store, "x_search_cases/1&q=created%20format", Value::Null);
    assert_eq!(hits["results"][0]["case"]["id"], id);
    let next = ok(&store, "add_case/17", web_case("Written by this build"));
    assert_eq!(next["id"].as_u64().unwrap(), id + 1);
    store
}

/// Every test of the sample shows the status and assignee the snapshot gave it (read from the
/// blocks built on open), and an open run takes new results, its counts following.
fn tests_keep_their_states_and_take_results(store: &Store) {
    let tests = snapshot()["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 246);
    for want in tests {
        let got = ok(store, &format!("get_test/{}", want["id"]), Value::Null);
        for key in ["status_id", "assignedto_id", "case_id", "run_id"] {
            assert_eq!(got[key], want[key], "{key} of test {}", want["id"]);
        }
    }
    let listed = all_pages(store, "get_tests/2", "tests");
    let untested: Vec<&Value> = listed.iter().filter(|t| t["status_id"] == 3).collect();
    let before = ok(store, "get_run/2", Value::Null);
    // The sample's 61, and the tests of the two cases created since in this include-all run.
    assert_eq!(untested.len(), 63);
    assert_eq!(before["untested_count"], 63);
    let (a, b) = (untested[0], untested[1]);
    let out = ok(
        store,
        "add_results_for_cases/2",
        json!({"results": [
            {"case_id": a["case_id"], "status_id": 5, "comment": "after the upgrade"},
            {"case_id": b["case_id"], "status_id": 1, "assignedto_id": 2},
        ]}),
    );
    assert_eq!(out.as_array().unwrap().len(), 2);
    let got = ok(store, &format!("get_test/{}", a["id"]), Value::Null);
    assert_eq!(
        (got["status_id"].clone(), got["assignedto_id"].clone()),
        (json!(5), a["assignedto_id"].clone())
    );
    let got = ok(store, &format!("get_test/{}", b["id"]), Value::Null);
    assert_eq!(
        (got["status_id"].clone(), got["assignedto_id"].clone()),
        (json!(1), json!(2))
    );
    let after = ok(store, "get_run/2", Value::Null);
    for (key, by) in [
        ("untested_count", -2),
        ("failed_count", 1),
        ("passed_count", 1),
    ] {
        assert_eq!(
            after[key].as_i64().unwrap(),
            before[key].as_i64().unwrap() + by,
            "{key}"
        );
    }
}

#[test]
fn a_format_1_store_opens_and_works() {
    let (_dir, path) = copy_of(1);
    let (versions, format, dictionary) = raw(&path);
    assert_eq!(format, Some(1));
    assert!(versions.values().all(|v| *v == 1) && !dictionary);
    let store = opens_and_works(&path, "Created by format 1");
    // Read as it is: its records stay plain until written again, when they are packed
    // (without a dictionary: the store trains one at its next large import).
    ok(
        &store,
        "update_case/1",
        json!({"title": "Rewritten by this build"}),
    );
    drop(store);
    let (versions, format, dictionary) = raw(&path);
    assert_eq!(
        format,
        Some(3),
        "marked format 3, so that older builds refuse it"
    );
    assert!(!dictionary);
    assert_eq!(versions[&1], 2, "the rewritten case is packed");
    assert_eq!(
        versions
            .iter()
            .filter(|(id, v)| **id < 1000 && **v == 1)
            .count(),
        326,
        "the other sample cases stay as they were"
    );
    let store = Store::open(&path).unwrap();
    assert_eq!(
        ok(&store, "get_case/1", Value::Null)["title"],
        "Rewritten by this build"
    );
}

#[test]
fn a_format_2_store_opens_and_works() {
    let (_dir, path) = copy_of(2);
    let (versions, format, dictionary) = raw(&path);
    assert_eq!(format, Some(2));
    assert!(dictionary, "the sample's import trained a dictionary");
    assert_eq!(versions.len(), 328);
    // Every case is packed but the few whose record is too short to gain from it.
    let plain: Vec<u64> = versions
        .iter()
        .filter(|(_, v)| **v != 2)
        .map(|(id, _)| *id)
        .collect();
    assert!(plain.len() < 10, "plain: {plain:?}");
    let store = opens_and_works(&path, "Created by format 2");
    tests_keep_their_states_and_take_results(&store);
    drop(store);
    assert_eq!(raw(&path).1, Some(3), "marked format 3 on open");
    // A second store with the same dictionary, open at the same time in this process.
    let (_dir2, path2) = copy_of(2);
    let a = Store::open(&path).unwrap();
    let b = Store::open(&path2).unwrap();
    assert_eq!(
        ok(&a, "get_case/1", Value::Null),
        ok(&b, "get_case/1", Value::Null)
    );
}

/// Writes tests/data/format-v2/store.redb (see the module docs).
#[test]
#[ignore = "writes the checked-in format-2 store; run by hand with TRAILSTORE_WRITE_COMPAT=1"]
fn write_the_format_2_store() {
    assert_eq!(
        std::env::var("TRAILSTORE_WRITE_COMPAT").as_deref(),
        Ok("1"),
        "overwrites a checked-in file: set TRAILSTORE_WRITE_COMPAT=1"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2");
    {
        let store = Store::open(&path).unwrap();
        store.import_snapshot(snapshot()).unwrap();
        ok(&store, "add_case/17", web_case("Created by format 2"));
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/format-v2");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::copy(
        path.join(trailstore::DATA_FILE),
        out.join(trailstore::DATA_FILE),
    )
    .unwrap();
}

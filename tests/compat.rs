//! Backward compatibility: a store written by each released format version (checked in under
//! tests/data/format-vN, without its search index) opens, reads, rebuilds its index and takes
//! writes. Add a folder per released format version.
//!
//! Format 1 stored every record plain; format 2 packs records with zstd and a dictionary the
//! store trained on its own cases (see src/codec.rs). A format-1 store is read as it is: its
//! records stay plain until they are written again, and the file is marked format 2 on open.
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
        Some(2),
        "marked format 2, so that older builds refuse it"
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
    drop(opens_and_works(&path, "Created by format 2"));
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

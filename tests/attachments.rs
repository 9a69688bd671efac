//! Attachments through the Rust API: bytes round-trip (empty, one byte, 5 MB), odd names kept and
//! bad names refused, a file over 256 MB refused with nothing written, the same bytes stored once,
//! deletes (of the attachment, or of what it belongs to) removing the bytes once nothing names
//! them, the lists of every owner, a reopen removing what no record names, and a 7.1+ attachment
//! answering to its UUID and its legacy id.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::{json, Value};
use trailstore::{ErrorCode, Store, ATTACHMENTS_DIR, ATTACHMENT_MAX};

/// The sample, with a run of five Web Shop cases and results on two of them.
fn store_with_results() -> (tempfile::TempDir, Store, u64, Vec<u64>) {
    let (dir, store) = sample();
    let run = ok(
        &store,
        "add_run/1",
        json!({"name": "R", "include_all": false, "case_ids": [1, 2, 3, 4, 5]}),
    )["id"]
        .as_u64()
        .unwrap();
    let results = ok(
        &store,
        &format!("add_results_for_cases/{run}"),
        json!({"results": [{"case_id": 1, "status_id": 5}, {"case_id": 2, "status_id": 1}]}),
    );
    let ids = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    (dir, store, run, ids)
}

fn attach(store: &Store, route: &str, name: &str, bytes: &[u8]) -> u64 {
    store.add_attachment(route, name, bytes).unwrap()["attachment_id"]
        .as_u64()
        .unwrap()
}

fn bytes_of(store: &Store, id: u64) -> Vec<u8> {
    store.attachment(&id.to_string()).unwrap().to_vec().unwrap()
}

/// Every file under the store's attachment folder (bytes and temporary files).
fn files(store: &Store) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(p) {
            for e in entries.flatten() {
                if e.path().is_dir() {
                    walk(&e.path(), out);
                } else {
                    out.push(e.path());
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&store.path().join(ATTACHMENTS_DIR), &mut out);
    out.sort();
    out
}

/// Bytes that differ from any other test's: a pattern from a seed.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn bytes_round_trip_and_the_same_bytes_are_stored_once() {
    let (_dir, store, _run, results) = store_with_results();
    let big = pattern(5 * 1024 * 1024, 1);
    let mut ids = Vec::new();
    for (name, bytes) in [
        ("empty.txt", Vec::new()),
        ("one.bin", vec![0x2a]),
        ("trace.log", big.clone()),
    ] {
        let id = attach(
            &store,
            &format!("add_attachment_to_result/{}", results[0]),
            name,
            &bytes,
        );
        assert_eq!(bytes_of(&store, id), bytes, "{name}");
        let file = store.attachment(&id.to_string()).unwrap();
        assert_eq!((file.name(), file.size()), (name, bytes.len() as u64));
        ids.push(id);
    }
    // The same 5 MB again, on another result: a second attachment, one file.
    let before = files(&store);
    let again = attach(
        &store,
        &format!("add_attachment_to_result/{}", results[1]),
        "copy.log",
        &big,
    );
    assert_ne!(again, ids[2]);
    assert_eq!(files(&store), before, "the same bytes are stored once");
    assert_eq!(bytes_of(&store, again), big);
    // Metadata as TestRail lists it, and the result names its attachments.
    let listed = ok(&store, "get_attachments_for_case/1", Value::Null);
    assert_eq!(listed["attachments"].as_array().unwrap().len(), 0);
    let result = &all_pages(
        &store,
        &format!("get_results/{}", result_test(&store, results[0])),
        "results",
    )[0];
    let mut named: Vec<u64> = result["attachment_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    named.sort_unstable();
    assert_eq!(named, ids);
    let one = store.attachment(&ids[1].to_string()).unwrap().to_json();
    assert_eq!(one["name"], "one.bin");
    assert_eq!(one["filename"], "one.bin");
    assert_eq!(one["size"], 1);
    assert_eq!(one["entity_type"], "result");
    assert_eq!(one["result_id"], results[0]);
    assert_eq!(one["case_id"], 1);
    assert_eq!(one["filetype"], "bin");
    assert_eq!(one["is_image"], false);
}

/// The test a result belongs to.
fn result_test(store: &Store, result: u64) -> u64 {
    let j = journal(store);
    j.iter()
        .flat_map(|e| e["effects"].as_array().unwrap().clone())
        .find(|e| e["entity"] == "result" && e["id"] == result)
        .and_then(|e| {
            e["changes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["field"] == "test_id")
                .and_then(|c| c["new"].as_u64())
        })
        .unwrap()
}

#[test]
fn a_file_over_256_mb_is_refused_and_nothing_is_written() {
    let (_dir, store, _run, results) = store_with_results();
    let journal_before = journal(&store).len();
    let version = store.data_version().unwrap();
    let e = store
        .add_attachment(
            &format!("add_attachment_to_result/{}", results[0]),
            "huge.bin",
            std::io::repeat(7).take(300 * 1024 * 1024),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLarge);
    assert_eq!(e.http_status(), 413);
    assert!(e.to_string().contains("256 MB"), "{e}");
    assert_eq!(journal(&store).len(), journal_before);
    assert_eq!(store.data_version().unwrap(), version);
    assert!(files(&store).is_empty(), "{:?}", files(&store));
    // Exactly the limit is taken.
    let mut up = store
        .upload(
            &format!("add_attachment_to_result/{}", results[0]),
            "max.bin",
        )
        .unwrap();
    up.copy_from(std::io::repeat(1).take(ATTACHMENT_MAX))
        .unwrap();
    assert!(up.write(&[1]).is_err(), "one byte past the limit");
}

#[test]
fn names_are_kept_as_given_and_bad_ones_refused() {
    let (_dir, store, run, _results) = store_with_results();
    let route = format!("add_attachment_to_run/{run}");
    for (given, kept) in [
        ("résumé (final) [v2].log", "résumé (final) [v2].log"),
        ("a b \"quoted\" 'x'.txt", "a b \"quoted\" 'x'.txt"),
        (".hidden", ".hidden"),
        ("dir/sub/evil.txt", "evil.txt"),
        ("C:\\\\temp\\\\shot.png", "shot.png"),
        ("日本語.png", "日本語.png"),
    ] {
        let id = attach(&store, &route, given, b"x");
        let meta = store.attachment(&id.to_string()).unwrap().to_json();
        assert_eq!(meta["name"], kept, "{given}");
    }
    let journal_before = journal(&store).len();
    for bad in ["", "   ", "dir/", "..", "line\nbreak.txt", "nul\0.txt"] {
        let e = store.add_attachment(&route, bad, &b"x"[..]).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Validation, "{bad:?}");
        assert_eq!(e.field(), Some("attachment"));
    }
    // A path whose name is not text is refused clearly, before anything is read.
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt"));
    std::fs::write(&odd, b"bytes").unwrap();
    let e = store.add_attachment_file(&route, &odd).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    assert!(e.to_string().contains("Field :attachment"), "{e}");
    assert_eq!(journal(&store).len(), journal_before);
    // The route must take a file, and its owner must exist, before any byte is read.
    let e = store.upload("get_case/1", "a.txt").unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadRequest);
    assert_error(
        &store
            .upload("add_attachment_to_case/999999", "a.txt")
            .unwrap_err(),
        "Field :case_id is not a valid test case.",
        Some("case_id"),
    );
    assert_error(
        &store
            .upload("add_attachment_to_result/999999", "a.txt")
            .unwrap_err(),
        "Field :result_id is not a valid test result or comment.",
        Some("result_id"),
    );
    // Through the JSON dispatcher alone, an upload route says what it needs.
    let e = err(&store, "add_attachment_to_case/1", json!({}));
    assert!(e.to_string().contains("multipart/form-data"), "{e}");
}

#[test]
fn deleting_an_attachment_or_its_owner_removes_the_bytes_once_nothing_names_them() {
    let (_dir, store, run, results) = store_with_results();
    let shared = pattern(1000, 9);
    let on_result = attach(
        &store,
        &format!("add_attachment_to_result/{}", results[0]),
        "a.log",
        &shared,
    );
    let on_case = attach(&store, "add_attachment_to_case/3", "b.log", &shared);
    let on_run = attach(
        &store,
        &format!("add_attachment_to_run/{run}"),
        "c.log",
        b"run",
    );
    assert_eq!(files(&store).len(), 2);
    let before = journal(&store).len();
    assert!(store
        .call(&format!("delete_attachment/{on_case}"), None)
        .unwrap()
        .into_value()
        .is_null());
    assert_eq!(journal(&store).len(), before + 1);
    assert_eq!(
        files(&store).len(),
        2,
        "the result's attachment still names the bytes"
    );
    assert_eq!(bytes_of(&store, on_result), shared);
    assert_error(
        &err(&store, &format!("get_attachment/{on_case}"), Value::Null),
        "Field :attachment_id is not a valid attachment.",
        Some("attachment_id"),
    );
    // Deleting the run takes its results, their attachments and its own.
    ok(&store, &format!("delete_run/{run}"), Value::Null);
    for id in [on_result, on_run] {
        err(&store, &format!("get_attachment/{id}"), Value::Null);
    }
    assert!(files(&store).is_empty(), "{:?}", files(&store));
    // Deleting a case takes its attachments.
    let id = attach(&store, "add_attachment_to_case/4", "d.png", b"png");
    assert_eq!(files(&store).len(), 1);
    ok(&store, "delete_case/4", Value::Null);
    err(&store, &format!("get_attachment/{id}"), Value::Null);
    assert!(files(&store).is_empty());
}

#[test]
fn every_owner_lists_its_attachments() {
    let (_dir, store, run, results) = store_with_results();
    let plan = ok(
        &store,
        "add_plan/1",
        json!({"name": "P", "entries": [{"suite_id": 1, "include_all": false, "case_ids": [1]}]}),
    );
    let plan_id = plan["id"].as_u64().unwrap();
    let entry = plan["entries"][0]["id"].as_str().unwrap().to_string();
    attach(&store, "add_attachment_to_case/1", "case.txt", b"1");
    attach(
        &store,
        &format!("add_attachment_to_run/{run}"),
        "run.txt",
        b"2",
    );
    attach(
        &store,
        &format!("add_attachment_to_plan/{plan_id}"),
        "plan.txt",
        b"3",
    );
    attach(
        &store,
        &format!("add_attachment_to_plan_entry/{plan_id}/{entry}"),
        "entry.txt",
        b"4",
    );
    attach(
        &store,
        &format!("add_attachment_to_result/{}", results[0]),
        "r0.txt",
        b"5",
    );
    attach(
        &store,
        &format!("add_attachment_to_result/{}", results[0]),
        "r1.txt",
        b"6",
    );
    let names = |route: &str| -> Vec<String> {
        let page = ok(&store, route, Value::Null);
        assert!(page["_links"]["next"].is_null());
        page["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("get_attachments_for_case/1"), ["case.txt"]);
    assert_eq!(
        names(&format!("get_attachments_for_run/{run}")),
        ["run.txt"]
    );
    assert_eq!(
        names(&format!("get_attachments_for_plan/{plan_id}")),
        ["plan.txt"]
    );
    assert_eq!(
        names(&format!("get_attachments_for_plan_entry/{plan_id}/{entry}")),
        ["entry.txt"]
    );
    let test = result_test(&store, results[0]);
    assert_eq!(
        names(&format!("get_attachments_for_test/{test}")),
        ["r0.txt", "r1.txt"]
    );
    let page = ok(
        &store,
        &format!("get_attachments_for_test/{test}&limit=1"),
        Value::Null,
    );
    assert_eq!(page["size"], 1);
    assert!(page["_links"]["next"].is_string());
    assert_error(
        &err(
            &store,
            &format!("get_attachments_for_plan_entry/{plan_id}/0000-bad"),
            Value::Null,
        ),
        "Field :entry_id is not a valid test plan entry.",
        Some("entry_id"),
    );
}

#[test]
fn a_reopen_removes_what_no_record_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    let kept = {
        let store = Store::open(&path).unwrap();
        store.import_snapshot(snapshot()).unwrap();
        let id = attach(
            &store,
            "add_attachment_to_case/1",
            "kept.txt",
            b"kept bytes",
        );
        // What a crash leaves: a half-written upload and bytes whose commit never came.
        let root = path.join(ATTACHMENTS_DIR);
        std::fs::write(root.join("tmp").join("x.part"), b"half").unwrap();
        let orphan = "ab".to_string() + &"0".repeat(62);
        std::fs::create_dir_all(root.join("ab")).unwrap();
        std::fs::write(root.join("ab").join(&orphan), b"orphan").unwrap();
        assert_eq!(files(&store).len(), 3);
        id
    };
    let store = Store::open(&path).unwrap();
    assert_eq!(files(&store).len(), 1, "{:?}", files(&store));
    assert_eq!(bytes_of(&store, kept), b"kept bytes");
}

#[test]
fn a_pulled_7_1_attachment_answers_to_its_uuid_and_its_legacy_id() {
    let (_dir, store) = sample();
    let uuid = "2ec27be4-8f1b-4c5e-9a3d-6b7c8d9e0f12";
    // A TestRail 7.1+ item of get_attachments_for_case, as a pull or a snapshot brings it.
    store
        .import_snapshot(&json!({"attachments": [{
            "id": uuid, "legacy_id": 4001, "data_id": uuid, "filename": "wiring.pdf",
            "size": 10, "created_on": 1_700_000_000, "entity_type": "case", "entity_id": "1",
            "user_id": 1, "project_id": 1, "filetype": "pdf", "is_image": false
        }]}))
        .unwrap();
    let listed = ok(&store, "get_attachments_for_case/1", Value::Null);
    assert_eq!(listed["attachments"][0]["id"], 4001);
    assert_eq!(listed["attachments"][0]["data_id"], uuid);
    // Both forms name it: it is found, and only its bytes are missing (metadata came alone).
    for id in [uuid, "4001"] {
        assert_error(
            &err(&store, &format!("get_attachment/{id}"), Value::Null),
            "The bytes of attachment 4001 are not in this store (pull with attachments to bring them).",
            Some("attachment_id"),
        );
    }
    // A UUID that names nothing is an unknown attachment.
    assert_error(
        &err(
            &store,
            "get_attachment/00000000-0000-4000-8000-000000000000",
            Value::Null,
        ),
        "Field :attachment_id is not a valid attachment.",
        Some("attachment_id"),
    );
    // Deleting by UUID deletes it, journaled for push.
    let before = journal(&store).len();
    assert!(store
        .call(&format!("delete_attachment/{uuid}"), None)
        .unwrap()
        .into_value()
        .is_null());
    assert_eq!(journal(&store).len(), before + 1);
    assert_error(
        &err(&store, "get_attachment/4001", Value::Null),
        "Field :attachment_id is not a valid attachment.",
        Some("attachment_id"),
    );
}

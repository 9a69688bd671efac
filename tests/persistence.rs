//! Persistence across reopen, the "in use" error for a second process, damaged and foreign
//! files (sync-and-reliability.md §1).

mod common;

use std::process::Command;

use common::*;
use serde_json::{json, Value};
use trailstore::{ErrorCode, Store};

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trailstore"))
}

#[test]
fn data_journal_and_local_ids_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let (case, section) = {
        let store = Store::open(&path).unwrap();
        store.import_snapshot(snapshot()).unwrap();
        store.set_user_id(3).unwrap();
        let s = ok(&store, "add_section/1", json!({"name": "Persisted"}));
        let c = ok(
            &store,
            &format!("add_case/{}", s["id"]),
            web_case("Survives"),
        );
        (c, s)
    };
    let store = Store::open(&path).unwrap();
    assert_eq!(
        ok(&store, &format!("get_case/{}", case["id"]), Value::Null),
        case
    );
    assert_eq!(
        ok(
            &store,
            &format!("get_section/{}", section["id"]),
            Value::Null
        ),
        section
    );
    assert_eq!(case["created_by"], 3);
    assert_eq!(journal(&store).len(), 2);
    // Local ids continue after a reopen; they never repeat.
    let next = ok(
        &store,
        &format!("add_case/{}", section["id"]),
        web_case("Next"),
    );
    assert_eq!(
        next["id"].as_u64().unwrap(),
        case["id"].as_u64().unwrap() + 1
    );
    assert_eq!(all_pages(&store, "get_cases/1", "cases").len(), 200);
}

#[test]
fn a_second_process_gets_a_clear_in_use_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store = Store::open(&path).unwrap();
    store.import_snapshot(snapshot()).unwrap();
    let out = cli()
        .arg("--store")
        .arg(&path)
        .arg("status")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is in use by another process"), "{stderr}");
    // The first handle is unharmed.
    assert_eq!(ok(&store, "get_case/1", Value::Null)["id"], 1);
    ok(&store, "add_case/17", web_case("still writable"));
    drop(store);
    // Once closed, the other process gets in.
    let out = cli()
        .arg("--store")
        .arg(&path)
        .arg("--json")
        .arg("status")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["cases"], 328);
}

#[test]
fn a_second_open_in_the_same_process_is_in_use_too() {
    let (dir, _store) = empty();
    let e = Store::open(dir.path().join("store")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InUse);
}

#[test]
fn damaged_or_foreign_files_give_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    // A foreign file where the data file should be.
    let foreign = dir.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(
        foreign.join(trailstore::DATA_FILE),
        b"this is not a redb file at all, just text".repeat(200),
    )
    .unwrap();
    let e = Store::open(&foreign).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Damaged, "{e}");
    assert!(e.to_string().contains("damaged"));
    // A store truncated to its first part.
    let path = dir.path().join("truncated");
    {
        let store = Store::open(&path).unwrap();
        store.import_snapshot(snapshot()).unwrap();
    }
    let file = path.join(trailstore::DATA_FILE);
    let len = std::fs::metadata(&file).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.set_len(len / 3).unwrap();
    drop(f);
    match Store::open(&path) {
        Err(e) => assert!(
            matches!(e.code(), ErrorCode::Damaged | ErrorCode::Io),
            "{e}"
        ),
        Ok(store) => {
            // redb may repair what it can; every read must then answer or fail with a type.
            for id in 1..=327 {
                if let Err(e) = store.call(&format!("get_case/{id}"), None) {
                    assert!(
                        matches!(
                            e.code(),
                            ErrorCode::Damaged | ErrorCode::NotFound | ErrorCode::Io
                        ),
                        "{e}"
                    );
                }
            }
        }
    }
    // A folder path that is a file.
    let f = dir.path().join("plain-file");
    std::fs::write(&f, b"x").unwrap();
    assert_eq!(Store::open(&f).unwrap_err().code(), ErrorCode::BadRequest);
}

#[test]
fn the_cli_reports_errors_with_testrail_wording_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sample_snapshot.json"
    );
    let out = cli()
        .arg("--store")
        .arg(&path)
        .args(["import", sample])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("327 cases"));
    let out = cli()
        .arg("--store")
        .arg(&path)
        .args(["call", "add_case/17", "--data", "{}"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Field :title is a required field."));
    let out = cli()
        .arg("--store")
        .arg(&path)
        .args(["--json", "call", "get_case/999999"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        body,
        json!({"error": "Field :case_id is not a valid test case."})
    );
    let out = cli()
        .arg("--store")
        .arg(&path)
        .args([
            "cases",
            "add",
            "--section",
            "17",
            "--title",
            "From the CLI",
            "-f",
            "custom_component=2",
            "-f",
            "custom_story_points=3",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(c["custom_story_points"], 3);
    let out = cli()
        .arg("--store")
        .arg(&path)
        .args(["journal"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("add_case/17"));
}

//! Bundles across an air gap: a changes bundle exported, imported twice and pushed
//! gives the same server state as a direct push; a snapshot bundle carries server data the other
//! way; truncated or altered bundles are refused before any write; a bundle whose base is
//! missing is refused naming what it needs; attachments travel with their bytes, each file once.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::serve::{Serve, ServeOptions};
use common::*;
use serde_json::{json, Value};
use trailstore::{PullOptions, PushOptions, Remote, Store};

const USER: &str = "carrier@example.com";
const KEY: &str = "SENTINEL-BUNDLE-KEY-0a77";

/// A real `trailstore serve` (see `common::serve`) on a free port, or on a given one (to stand
/// for the same server again).
struct Server(Serve);

impl Server {
    fn start(store: &Path, port: u16) -> Server {
        Server(Serve::start(ServeOptions {
            store,
            bind: format!("127.0.0.1:{port}"),
            user: USER,
            key: KEY,
            faults: None,
            capture_stderr: false,
        }))
    }

    fn port(&self) -> u16 {
        self.0.port
    }

    fn remote(&self) -> Remote {
        self.0.remote(USER, KEY)
    }
}

fn copy_store(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join(trailstore::INDEX_DIR)).unwrap();
    std::fs::copy(
        from.join(trailstore::DATA_FILE),
        to.join(trailstore::DATA_FILE),
    )
    .unwrap();
    for e in std::fs::read_dir(from.join(trailstore::INDEX_DIR))
        .unwrap()
        .flatten()
    {
        std::fs::copy(e.path(), to.join(trailstore::INDEX_DIR).join(e.file_name())).unwrap();
    }
}

fn server_store(path: &Path) {
    let s = Store::open(path).unwrap();
    s.set_server_ids().unwrap();
    s.import_snapshot(snapshot()).unwrap();
}

/// Offline work: a new section tree with cases, edits, a move, deletes, a bulk update.
fn offline_work(store: &Store) {
    let s = ok(
        store,
        "add_section/1",
        json!({"name": "Offline", "parent_id": 5}),
    )["id"]
        .as_u64()
        .unwrap();
    let sub = ok(
        store,
        "add_section/1",
        json!({"name": "Offline child", "parent_id": s}),
    )["id"]
        .as_u64()
        .unwrap();
    for i in 0..6 {
        let c = ok(
            store,
            &format!("add_case/{}", if i % 2 == 0 { s } else { sub }),
            json!({"title": format!("Carried case {i}"), "custom_component": 2}),
        )["id"]
            .as_u64()
            .unwrap();
        if i == 3 {
            ok(
                store,
                &format!("update_case/{c}"),
                json!({"priority_id": 4}),
            );
        }
        if i == 5 {
            ok(store, &format!("delete_case/{c}"), Value::Null);
        }
    }
    ok(
        store,
        "update_case/40",
        json!({"title": "Edited offline", "refs": "AIR-1"}),
    );
    ok(store, "update_case/41", json!({"section_id": s}));
    ok(
        store,
        "update_cases/1",
        json!({"case_ids": [42, 43], "priority_id": 1}),
    );
    ok(store, "delete_case/44", Value::Null);
    ok(store, "move_section/12", json!({"parent_id": 2}));
    ok(
        store,
        "update_case/250",
        json!({"custom_platforms": [1, 2]}),
    );
}

/// The server's state, from its own store.
fn state(path: &Path) -> BTreeMap<String, Value> {
    let store = Store::open(path).unwrap();
    let mut out = BTreeMap::new();
    for (p, suites) in [(1u64, vec![1u64]), (2, vec![2, 3, 4])] {
        for s in suites {
            for c in all_pages(&store, &format!("get_cases/{p}&suite_id={s}"), "cases") {
                let mut c = c.clone();
                for k in ["created_on", "updated_on"] {
                    c[k] = Value::Null;
                }
                out.insert(format!("case {}", c["id"]), c);
            }
            for x in all_pages(
                &store,
                &format!("get_sections/{p}&suite_id={s}"),
                "sections",
            ) {
                out.insert(format!("section {}", x["id"]), x);
            }
        }
    }
    out
}

fn pull(store: &Store, server: &Server) {
    trailstore::pull(
        store,
        &server.remote(),
        &PullOptions::default(),
        &mut |_| {},
    )
    .unwrap();
}

fn push(store: &Store, server: &Server) -> trailstore::PushReport {
    trailstore::push(
        store,
        &server.remote(),
        &PushOptions::default(),
        &mut |_| {},
    )
    .unwrap()
}

#[test]
fn a_bundle_imported_twice_and_pushed_equals_a_direct_push() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    server_store(&d.join("s0"));
    copy_store(&d.join("s0"), &d.join("s_direct"));
    copy_store(&d.join("s0"), &d.join("s_bundle"));
    // Direct: pull, work, push.
    let port;
    {
        let server = Server::start(&d.join("s_direct"), 0);
        port = server.port();
        let offline = Store::open(d.join("offline")).unwrap();
        pull(&offline, &server);
        offline_work(&offline);
        drop(offline);
        copy_store(&d.join("offline"), &d.join("offline_copy"));
        let offline = Store::open(d.join("offline")).unwrap();
        let r = push(&offline, &server);
        assert_eq!((r.rejected, r.conflicts, r.blocked), (0, 0, 0), "{r:?}");
    }
    // Through a bundle: the same work, carried to a connected store of an identical server.
    let bundle = d.join("changes.tsb");
    {
        let offline = Store::open(d.join("offline_copy")).unwrap();
        assert_eq!(offline.export_changes_bundle(&bundle).unwrap(), 16);
        let bytes = std::fs::read(&bundle).unwrap();
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "a bundle never holds the key"
        );
    }
    {
        let server = Server::start(&d.join("s_bundle"), port);
        let connected = Store::open(d.join("connected")).unwrap();
        pull(&connected, &server);
        let first = connected.import_bundle(&bundle).unwrap();
        assert!(first.imported);
        assert_eq!(first.entries, 16);
        let version = connected.data_version().unwrap();
        let second = connected.import_bundle(&bundle).unwrap();
        assert!(!second.imported, "a second import is a no-op");
        assert_eq!(connected.data_version().unwrap(), version);
        assert_eq!(journal(&connected).len(), 16);
        let r = push(&connected, &server);
        assert_eq!((r.rejected, r.conflicts, r.blocked), (0, 0, 0), "{r:?}");
    }
    assert_eq!(state(&d.join("s_direct")), state(&d.join("s_bundle")));
}

#[test]
fn a_snapshot_bundle_carries_server_data_to_an_offline_store() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    server_store(&d.join("s"));
    let server = Server::start(&d.join("s"), 0);
    let connected = Store::open(d.join("connected")).unwrap();
    pull(&connected, &server);
    let file = d.join("data.tsb");
    assert_eq!(connected.export_snapshot_bundle(&file).unwrap(), 327);
    let offline = Store::open(d.join("offline")).unwrap();
    let r = offline.import_bundle(&file).unwrap();
    assert_eq!((r.kind.as_str(), r.imported), ("snapshot", true));
    for route in ["get_cases/1", "get_cases/2&suite_id=3", "get_sections/1"] {
        let key = if route.starts_with("get_cases") {
            "cases"
        } else {
            "sections"
        };
        assert_eq!(
            all_pages(&offline, route, key),
            all_pages(&connected, route, key),
            "{route}"
        );
    }
    assert!(
        journal(&offline).is_empty(),
        "server data, not local changes"
    );
    assert!(!offline.import_bundle(&file).unwrap().imported);
}

#[test]
fn truncated_altered_or_baseless_bundles_are_refused_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    server_store(&d.join("s"));
    let server = Server::start(&d.join("s"), 0);
    let offline = Store::open(d.join("offline")).unwrap();
    pull(&offline, &server);
    offline_work(&offline);
    let good = d.join("good.tsb");
    offline.export_changes_bundle(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let connected = Store::open(d.join("connected")).unwrap();
    pull(&connected, &server);
    let version = connected.data_version().unwrap();
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ("one byte flipped in a part", {
            let mut b = bytes.clone();
            let i = b.len() - 200;
            b[i] ^= 0x01;
            b
        }),
        (
            "the manifest edited",
            String::from_utf8_lossy(&bytes)
                .replacen("\"changes\"", "\"snapshot\"", 1)
                .into_bytes(),
        ),
        ("not a bundle", b"hello".to_vec()),
    ];
    for (what, content) in variants {
        let p: PathBuf = d.join(format!("{}.tsb", what.replace(' ', "_")));
        std::fs::write(&p, content).unwrap();
        let e = connected.import_bundle(&p).unwrap_err();
        assert!(
            e.to_string().contains("damaged or was altered"),
            "{what}: {e}"
        );
        assert_eq!(
            connected.data_version().unwrap(),
            version,
            "{what}: nothing written"
        );
    }
    // A store without the base: it never pulled project 1.
    let partial = Store::open(d.join("partial")).unwrap();
    trailstore::pull(
        &partial,
        &server.remote(),
        &PullOptions {
            projects: vec![2],
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    let version = partial.data_version().unwrap();
    let e = partial.import_bundle(&good).unwrap_err();
    assert!(
        e.to_string().contains("The bundle needs") && e.to_string().contains("test case 40"),
        "{e}"
    );
    assert_eq!(partial.data_version().unwrap(), version);
    // The intact bundle still imports.
    assert!(connected.import_bundle(&good).unwrap().imported);
}

/// The bytes of every attachment an owner lists, by name (each listed size checked).
fn files_of(store: &Store, route: &str) -> BTreeMap<String, Vec<u8>> {
    all_pages(store, route, "attachments")
        .iter()
        .map(|a| {
            let file = store.attachment(&a["id"].to_string()).unwrap();
            assert_eq!(a["size"], file.size());
            (
                a["name"].as_str().unwrap().to_string(),
                file.to_vec().unwrap(),
            )
        })
        .collect()
}

/// Every file under a store's attachment folder.
fn blob_files(store: &Path) -> usize {
    fn walk(p: &Path) -> usize {
        std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| {
                if e.path().is_dir() {
                    walk(&e.path())
                } else {
                    1
                }
            })
            .sum()
    }
    walk(&store.join(trailstore::ATTACHMENTS_DIR))
}

#[test]
fn a_changes_bundle_carries_attachments_with_their_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Two stores of the same server data; the offline one attaches files.
    for name in ["offline", "connected"] {
        Store::open(d.join(name))
            .unwrap()
            .import_snapshot(snapshot())
            .unwrap();
    }
    let offline = Store::open(d.join("offline")).unwrap();
    let big: Vec<u8> = (0..5 * 1024 * 1024)
        .map(|i: usize| (i as u8).wrapping_mul(31) ^ (i >> 16) as u8)
        .collect();
    offline
        .add_attachment("add_attachment_to_case/1", "trace.log", &big[..])
        .unwrap();
    offline
        .add_attachment("add_attachment_to_case/2", "same bytes.log", &big[..])
        .unwrap();
    offline
        .add_attachment("add_attachment_to_case/1", "empty.txt", &b""[..])
        .unwrap();
    let gone = offline
        .add_attachment("add_attachment_to_case/1", "gone.txt", &b"gone"[..])
        .unwrap()["attachment_id"]
        .clone();
    ok(&offline, &format!("delete_attachment/{gone}"), Value::Null);
    // An owner made offline too: a run, its result, the result's screenshot.
    let run = ok(
        &offline,
        "add_run/1",
        json!({"name": "Carried", "include_all": false, "case_ids": [1]}),
    )["id"]
        .clone();
    let result = ok(
        &offline,
        &format!("add_result_for_case/{run}/1"),
        json!({"status_id": 5}),
    )["id"]
        .clone();
    offline
        .add_attachment(
            &format!("add_attachment_to_result/{result}"),
            "shot.png",
            &b"\x89PNG screenshot"[..],
        )
        .unwrap();
    let file = d.join("changes.tsb");
    offline.export_changes_bundle(&file).unwrap();

    let connected = Store::open(d.join("connected")).unwrap();
    assert!(connected.import_bundle(&file).unwrap().imported);
    for case in [1, 2] {
        let route = format!("get_attachments_for_case/{case}");
        assert_eq!(
            files_of(&connected, &route),
            files_of(&offline, &route),
            "{route}"
        );
    }
    assert_eq!(
        files_of(&connected, "get_attachments_for_case/1")["trace.log"],
        big
    );
    let test_of = |s: &Store| {
        let runs = all_pages(s, "get_runs/1", "runs");
        let run = runs.iter().find(|r| r["name"] == "Carried").unwrap();
        all_pages(s, &format!("get_tests/{}", run["id"]), "tests")[0]["id"].clone()
    };
    let shots = files_of(
        &connected,
        &format!("get_attachments_for_test/{}", test_of(&connected)),
    );
    assert_eq!(shots["shot.png"], b"\x89PNG screenshot");
    // The same bytes once, the deleted file not at all: the big file, the empty one, the shot.
    assert_eq!(blob_files(&d.join("connected")), 3);
    assert_eq!(
        blob_files(&d.join("connected")),
        blob_files(&d.join("offline"))
    );
    // A second import changes nothing.
    assert!(!connected.import_bundle(&file).unwrap().imported);
    assert_eq!(blob_files(&d.join("connected")), 3);
}

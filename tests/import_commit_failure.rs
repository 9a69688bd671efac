//! A bulk import whose data commit fails leaves nothing behind: neither its data nor the search
//! documents the index was writing while the data committed. The failpoint
//! `staged-import-data-commit` makes that commit fail (as a full disk would) in this process, so
//! this file holds one test and arms it before the first store is opened.

mod common;

use serde_json::json;
use trailstore::{IndexAction, Store};

#[test]
fn an_import_whose_data_commit_fails_leaves_no_document_behind() {
    // SAFETY of set_var: this test binary has this one test, and no thread runs yet.
    std::env::set_var("TRAILSTORE_FAILPOINT", "staged-import-data-commit");
    // The sample is too small to stage its documents, so its import commits as any write does.
    let (dir, store) = common::sample();
    let cases = |store: &Store| common::all_pages(store, "get_cases/1", "cases").len();
    let total = |store: &Store, word: &str| {
        common::search_hits(store, &format!("x_search_cases/1&q={word}&count=1"))
            .1
            .unwrap()
    };
    let held = cases(&store);
    assert_eq!(total(&store, "quoll"), 0);

    let e = store
        .import_snapshot(&common::big_snapshot(4, "Quoll"))
        .unwrap_err();
    assert!(e.to_string().contains("staged-import-data-commit"), "{e}");
    assert_eq!(cases(&store), held, "the failed import wrote nothing");

    // The next write commits, and the index commits its document at the next search: the
    // dropped documents must not ride along with it.
    let added = common::ok(
        &store,
        "add_case/1",
        json!({"title": "Quixotically calibrated rig", "custom_component": 1}),
    );
    assert_eq!(total(&store, "quixotically"), 1);
    assert_eq!(
        total(&store, "quoll"),
        0,
        "no document of the failed import"
    );
    assert_eq!(cases(&store), held + 1);

    // Reopened, the index is as the data left it, and as a rebuild makes it.
    drop(store);
    let store = Store::open(dir.path().join("store")).unwrap();
    assert_eq!(*store.index_report(), IndexAction::UpToDate);
    let (hits, _) = common::search_hits(&store, "x_search_cases/1&q=rig&count=1");
    assert!(hits.contains(&added["id"].as_u64().unwrap()));
    store.reindex().unwrap();
    assert_eq!(
        common::search_hits(&store, "x_search_cases/1&q=rig&count=1").0,
        hits
    );
    assert_eq!(total(&store, "quoll"), 0);
}

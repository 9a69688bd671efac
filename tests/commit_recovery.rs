//! A commit whose data is durable but whose read-back fails (the case fields, the documents for
//! the search index) still succeeds, and the store catches up: the fields are read again on
//! their next use and the index is rebuilt before the next search. The failpoint
//! `after-data-commit-read` makes every read-back of this process fail, so this file holds one
//! test and arms it before the first store is opened.

mod common;

use serde_json::json;

#[test]
fn a_failed_read_back_after_a_durable_commit_is_caught_up() {
    // SAFETY of set_var: this test binary has this one test, and no thread runs yet.
    std::env::set_var("TRAILSTORE_FAILPOINT", "after-data-commit-read");
    let (_dir, store) = common::empty();
    store
        .import_snapshot(common::snapshot())
        .expect("an import whose data committed reports success");

    // A new field: its commit succeeds, and the field is served at once.
    let field = store
        .call(
            "add_case_field",
            Some(
                &json!({"type": "String", "name": "lab_rig", "label": "Lab rig",
                          "include_all": true,
                          "configs": [{"context": {"is_global": true, "project_ids": []},
                                       "options": {"is_required": false}}]}),
            ),
        )
        .expect("add_case_field commits");
    assert_eq!(field.into_value()["system_name"], "custom_lab_rig");
    let fields = store.call("get_case_fields", None).unwrap().into_value();
    assert!(fields
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["system_name"] == "custom_lab_rig"));

    // A new case with a word no other case has: the commit succeeds, search finds it.
    let case = store
        .call(
            "add_case/1",
            Some(&json!({"title": "Quixotically calibrated rig", "custom_lab_rig": "R2", "custom_component": 1})),
        )
        .expect("add_case commits")
        .into_value();
    assert_eq!(case["custom_lab_rig"], "R2");
    let hits = store
        .call("x_search_cases/1&q=quixotically", None)
        .unwrap()
        .into_value();
    let ids: Vec<_> = hits["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["case"]["id"].clone())
        .collect();
    assert_eq!(ids, vec![case["id"].clone()]);

    // And the whole index agrees with the data, as a rebuild would.
    let (hits, total) = common::search_hits(&store, "x_search_cases/1&q=rig&count=1");
    assert_eq!(total.map(|t| t as usize), Some(hits.len()));
    assert!(hits.contains(&case["id"].as_u64().unwrap()));
}

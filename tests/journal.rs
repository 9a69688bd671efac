//! The change journal (sync-and-reliability.md §2): one entry per successful mutation, in the
//! same transaction, with the route, body, target ids and each field's value before and after;
//! nothing for a rejected request; get_history_for_case served from it.

mod common;

use common::*;
use serde_json::{json, Value};

fn change<'a>(effect: &'a Value, field: &str) -> Option<&'a Value> {
    effect["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == field)
}

#[test]
fn each_mutation_writes_one_entry_with_before_and_after() {
    let (_d, store) = sample();
    let c = ok(
        &store,
        "add_case/17",
        json!({"title": "Journaled", "custom_component": 3, "priority_id": 4}),
    );
    let cid = c["id"].as_u64().unwrap();
    ok(
        &store,
        &format!("update_case/{cid}"),
        json!({"title": "Journaled again", "priority_id": 1}),
    );
    ok(
        &store,
        &format!("update_case/{cid}"),
        json!({"section_id": 19}),
    );
    let s = ok(
        &store,
        "add_section/1",
        json!({"name": "New", "parent_id": 5}),
    );
    let sid = s["id"].as_u64().unwrap();
    ok(
        &store,
        &format!("update_section/{sid}"),
        json!({"description": "d"}),
    );
    ok(
        &store,
        &format!("move_section/{sid}"),
        json!({"parent_id": null}),
    );
    ok(&store, &format!("delete_case/{cid}"), Value::Null);
    ok(&store, "add_project", json!({"name": "P"}));
    ok(&store, "add_suite/2", json!({"name": "S"}));
    ok(
        &store,
        "add_case_field",
        json!({"type": "String", "name": "jf", "label": "JF", "configs": [{"context": {"is_global": true}, "options": {}}]}),
    );

    let j = journal(&store);
    let routes: Vec<&str> = j.iter().map(|e| e["route"].as_str().unwrap()).collect();
    assert_eq!(
        routes,
        vec![
            "add_case/17".to_string(),
            format!("update_case/{cid}"),
            format!("update_case/{cid}"),
            "add_section/1".to_string(),
            format!("update_section/{sid}"),
            format!("move_section/{sid}"),
            format!("delete_case/{cid}"),
            "add_project".to_string(),
            "add_suite/2".to_string(),
            "add_case_field".to_string(),
        ]
    );
    let seqs: Vec<u64> = j.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=10).collect::<Vec<_>>(), "gapless sequence");
    let mut op_ids: Vec<&str> = j.iter().map(|e| e["op_id"].as_str().unwrap()).collect();
    assert!(op_ids.iter().all(|o| o.len() == 32));
    op_ids.sort_unstable();
    op_ids.dedup();
    assert_eq!(op_ids.len(), 10, "operation ids are unique");
    for e in &j {
        assert_eq!(e["push"]["state"], "pending");
        assert_eq!(e["user_id"], 1);
        assert!(e["time"].as_i64().unwrap() > 1_700_000_000);
    }

    // add_case: the created values, no old ones.
    let add = &j[0]["effects"][0];
    assert_eq!(add["entity"], "case");
    assert_eq!(add["id"], cid);
    assert_eq!(add["action"], "create");
    assert_eq!(change(add, "title").unwrap()["new"], "Journaled");
    assert_eq!(change(add, "title").unwrap()["old"], Value::Null);
    assert_eq!(change(add, "custom_component").unwrap()["new"], 3);
    assert_eq!(j[0]["body"]["title"], "Journaled");
    // update_case: only what changed, before and after.
    let upd = &j[1]["effects"][0];
    assert_eq!(upd["action"], "update");
    let fields: Vec<&str> = upd["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["title", "priority_id"]);
    assert_eq!(change(upd, "priority_id").unwrap()["old"], 4);
    assert_eq!(change(upd, "priority_id").unwrap()["new"], 1);
    // A move is an update of section_id.
    let mv = &j[2]["effects"][0];
    assert_eq!(change(mv, "section_id").unwrap()["old"], 17);
    assert_eq!(change(mv, "section_id").unwrap()["new"], 19);
    // Sections.
    assert_eq!(change(&j[3]["effects"][0], "parent_id").unwrap()["new"], 5);
    assert_eq!(
        change(&j[4]["effects"][0], "description").unwrap()["new"],
        "d"
    );
    let smove = &j[5]["effects"][0];
    assert_eq!(smove["action"], "move");
    assert_eq!(change(smove, "parent_id").unwrap()["old"], 5);
    assert_eq!(change(smove, "parent_id").unwrap()["new"], Value::Null);
    // delete_case keeps every value it removed.
    let del = &j[6]["effects"][0];
    assert_eq!(del["action"], "delete");
    assert_eq!(change(del, "title").unwrap()["old"], "Journaled again");
    assert_eq!(change(del, "title").unwrap()["new"], Value::Null);
    // add_project in single-suite mode also creates its master suite.
    let proj = j[7]["effects"].as_array().unwrap();
    assert_eq!(proj.len(), 2);
    assert_eq!(proj[1]["entity"], "suite");
    // since= and state= filters.
    assert_eq!(
        all_pages(&store, "x_get_journal&since=8", "journal").len(),
        2
    );
    assert_eq!(
        all_pages(&store, "x_get_journal&state=pending", "journal").len(),
        10
    );
    assert_eq!(
        all_pages(&store, "x_get_journal&state=done", "journal").len(),
        0
    );
}

#[test]
fn rejected_requests_and_reads_write_nothing() {
    let (_d, store) = sample();
    let version = store.data_version().unwrap();
    err(&store, "add_case/17", json!({"title": ""}));
    err(&store, "update_case/1", json!({"priority_id": 77}));
    err(&store, "delete_case/999999", Value::Null);
    err(&store, "move_section/11", json!({"parent_id": 26}));
    err(
        &store,
        "update_cases/1",
        json!({"case_ids": [1, 999999], "priority_id": 1}),
    );
    ok(&store, "get_cases/1", Value::Null);
    ok(&store, "delete_case/1&soft=1", Value::Null);
    assert!(journal(&store).is_empty());
    assert_eq!(store.data_version().unwrap(), version);
}

#[test]
fn a_rejected_call_inside_a_batch_leaves_the_batch_usable_and_unchanged() {
    let (_d, store) = sample();
    let mut batch = store.batch().unwrap();
    let a = batch
        .call("add_case/17", Some(&web_case("one")))
        .unwrap()
        .into_value();
    batch
        .call("add_case/17", Some(&json!({"title": ""})))
        .unwrap_err();
    batch
        .call("update_case/1", Some(&json!({"custom_component": 99})))
        .unwrap_err();
    assert!(batch.is_open());
    let b = batch
        .call("add_case/17", Some(&web_case("two")))
        .unwrap()
        .into_value();
    // Reads inside the batch see its writes.
    assert_eq!(
        batch
            .call(&format!("get_case/{}", a["id"]), None)
            .unwrap()
            .into_value()["title"],
        "one"
    );
    // The same thread cannot write past its own batch.
    let e = store
        .call("add_case/17", Some(&web_case("direct")))
        .unwrap_err();
    assert_eq!(e.code(), trailstore::ErrorCode::Busy);
    batch.commit().unwrap();
    let j = journal(&store);
    assert_eq!(j.len(), 2);
    assert_eq!(j[1]["effects"][0]["id"], b["id"]);
    assert_eq!(
        ok(&store, "get_case/1", Value::Null)["custom_component"],
        snapshot()["cases"][0]["custom_component"]
    );
    // A dropped batch rolls everything back.
    let version = store.data_version().unwrap();
    {
        let mut batch = store.batch().unwrap();
        batch.call("add_case/17", Some(&web_case("gone"))).unwrap();
        batch.call("delete_case/2", None).unwrap();
    }
    assert_eq!(store.data_version().unwrap(), version);
    assert_eq!(journal(&store).len(), 2);
    ok(&store, "get_case/2", Value::Null);
    // Explicit rollback too; and then the thread may write again.
    let mut batch = store.batch().unwrap();
    batch.call("delete_case/2", None).unwrap();
    batch.rollback().unwrap();
    ok(&store, "get_case/2", Value::Null);
    ok(&store, "add_case/17", web_case("after"));
}

#[test]
fn history_for_case_in_testrail_shape() {
    let (_d, store) = sample();
    let c = ok(
        &store,
        "add_case/17",
        json!({"title": "H", "custom_component": 1, "custom_preconds": "before"}),
    );
    let id = c["id"].as_u64().unwrap();
    ok(
        &store,
        &format!("update_case/{id}"),
        json!({"custom_preconds": "after", "estimate": "1m"}),
    );
    let h = ok(&store, &format!("get_history_for_case/{id}"), Value::Null);
    assert_eq!(h["size"], 2);
    let entries = h["history"].as_array().unwrap();
    let upd = &entries[0];
    assert_eq!(upd["type_id"], 6);
    assert_eq!(upd["user_id"], 1);
    let pre = upd["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "custom_preconds")
        .unwrap();
    assert_eq!(pre["type_id"], 6, "text");
    assert_eq!(pre["label"], "Preconditions");
    assert_eq!(pre["old_value"], "before");
    assert_eq!(pre["new_value"], "after");
    assert!(pre["options"].is_object());
    let est = upd["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "estimate")
        .unwrap();
    assert_eq!(est["type_id"], 5, "timespan");
    assert_eq!(entries[1]["type_id"], 1, "creation");
    // A pulled case with no local changes has an empty history; an unknown one is an error.
    assert_eq!(ok(&store, "get_history_for_case/5", Value::Null)["size"], 0);
    assert_error(
        &err(&store, "get_history_for_case/999999", Value::Null),
        "Field :case_id is not a valid test case.",
        Some("case_id"),
    );
}

#[test]
fn imports_are_base_state_not_local_changes() {
    let (_d, store) = empty();
    store.import_snapshot(snapshot()).unwrap();
    assert!(journal(&store).is_empty());
    // Importing again is an upsert: same data, still no journal.
    store.import_snapshot(snapshot()).unwrap();
    assert!(journal(&store).is_empty());
    assert_eq!(all_pages(&store, "get_cases/1", "cases").len(), 198);
}

#[test]
fn a_snapshot_listing_a_case_twice_keeps_the_later_copy() {
    let (_d, store) = empty();
    let mut snap = snapshot().clone();
    let mut again = snap["cases"][0].clone();
    again["title"] = serde_json::json!("Later copy");
    again["section_id"] = snap["cases"][5]["section_id"].clone();
    snap["cases"].as_array_mut().unwrap().push(again.clone());
    store.import_snapshot(&snap).unwrap();
    let c = ok(&store, "get_case/1", Value::Null);
    assert_eq!(
        (c["title"].as_str(), &c["section_id"]),
        (Some("Later copy"), &again["section_id"])
    );
    let in_first = ids(&all_pages(
        &store,
        &format!(
            "get_cases/1&section_id={}",
            snapshot()["cases"][0]["section_id"]
        ),
        "cases",
    ));
    assert!(!in_first.contains(&1) || snapshot()["cases"][0]["section_id"] == again["section_id"]);
    assert_eq!(all_pages(&store, "get_cases/1", "cases").len(), 198);
}

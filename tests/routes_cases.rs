//! Conformance of the case routes against testrail-api.md §2.4 and §3.4: shapes, filters,
//! defaults, partial updates, moves, bulk calls and deletes.

mod common;

use common::*;
use serde_json::{json, Value};
use trailstore::{ErrorCode, LOCAL_ID_MIN};

fn snap_cases() -> Vec<&'static Value> {
    snapshot()["cases"].as_array().unwrap().iter().collect()
}

fn snap_case(id: u64) -> &'static Value {
    snap_cases().into_iter().find(|c| c["id"] == id).unwrap()
}

const SYSTEM_FIELDS: &[&str] = &[
    "id",
    "title",
    "section_id",
    "template_id",
    "type_id",
    "priority_id",
    "milestone_id",
    "refs",
    "created_by",
    "created_on",
    "updated_by",
    "updated_on",
    "estimate",
    "estimate_forecast",
    "suite_id",
    "display_order",
    "is_deleted",
    "labels",
];

#[test]
fn get_case_has_testrail_shape_and_round_trips_the_snapshot() {
    let (_d, store) = sample();
    for id in [1u64, 2, 150, 250, 327] {
        let got = ok(&store, &format!("get_case/{id}"), Value::Null);
        let want = snap_case(id);
        for k in SYSTEM_FIELDS {
            assert!(got.get(*k).is_some(), "case {id} lacks {k}");
        }
        // Every key the server sent comes back with the same value.
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&got[k], v, "case {id} key {k}");
        }
    }
    // Project 1 shows its own fields (null when unset), not project 2's, nor inactive ones.
    let c = ok(&store, "get_case/1", Value::Null);
    assert!(c.get("custom_story_points").is_some());
    assert!(
        c.get("custom_mission").is_some(),
        "fields of other templates show as null"
    );
    assert!(c.get("custom_platforms").is_none(), "project 2 only");
    assert!(c.get("custom_target_milestone").is_none(), "project 2 only");
    assert!(c.get("custom_legacy_notes").is_none(), "inactive");
}

#[test]
fn get_case_errors_use_testrail_wording() {
    let (_d, store) = sample();
    let e = err(&store, "get_case/999999", Value::Null);
    assert_error(
        &e,
        "Field :case_id is not a valid test case.",
        Some("case_id"),
    );
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(e.http_status(), 400);
    let e = err(&store, "get_case/abc", Value::Null);
    assert_error(&e, "Field :case_id is not a valid ID.", Some("case_id"));
    let e = err(&store, "get_case/-4", Value::Null);
    assert_error(&e, "Field :case_id is not a valid ID.", Some("case_id"));
    let e = err(&store, "get_case", Value::Null);
    assert_error(&e, "Field :case_id is a required field.", Some("case_id"));
    let e = err(&store, "get_foo/1", Value::Null);
    assert_eq!(e.to_string(), "Unknown method 'get_foo'");
    assert_eq!(e.http_status(), 404);
    // The same route written as clients send it.
    let a = ok(&store, "index.php?/api/v2/get_case/3", Value::Null);
    let b = ok(&store, "/api/v2/get_case/3", Value::Null);
    assert_eq!(a, b);
}

/// get_cases against a reference filter over the snapshot itself.
fn check_filter(route_params: &str, project: u64, keep: impl Fn(&Value) -> bool) {
    let (_d, store) = sample();
    let got = all_pages(
        &store,
        &format!("get_cases/{project}{route_params}"),
        "cases",
    );
    let suite_of_project: Vec<u64> = snapshot()["suites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["project_id"] == project)
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    let suite_param = route_params
        .split('&')
        .find_map(|p| p.strip_prefix("suite_id="))
        .map(|s| s.parse::<u64>().unwrap());
    let mut want: Vec<u64> = snap_cases()
        .into_iter()
        .filter(|c| {
            let s = c["suite_id"].as_u64().unwrap();
            suite_of_project.contains(&s) && suite_param.is_none_or(|p| p == s)
        })
        .filter(|c| keep(c))
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    want.sort_unstable();
    let mut got_ids = ids(&got);
    if !route_params.contains("section_id") {
        assert!(got_ids.windows(2).all(|w| w[0] < w[1]), "id order");
    }
    got_ids.sort_unstable();
    assert_eq!(got_ids, want, "get_cases/{project}{route_params}");
}

#[test]
fn get_cases_filters_match_a_reference_filter() {
    let n = |c: &Value, k: &str| c[k].as_i64().unwrap_or(0);
    check_filter("", 1, |_| true);
    check_filter("&suite_id=3", 2, |_| true);
    check_filter("&priority_id=3,4", 1, |c| {
        [3, 4].contains(&n(c, "priority_id"))
    });
    check_filter("&type_id=6", 1, |c| n(c, "type_id") == 6);
    check_filter("&template_id=2", 1, |c| n(c, "template_id") == 2);
    check_filter("&milestone_id=1,3", 1, |c| {
        [1, 3].contains(&n(c, "milestone_id"))
    });
    check_filter("&created_by=2", 1, |c| n(c, "created_by") == 2);
    check_filter("&updated_by=1,3", 1, |c| {
        [1, 3].contains(&n(c, "updated_by"))
    });
    check_filter("&created_after=1750000000", 1, |c| {
        n(c, "created_on") > 1750000000
    });
    check_filter("&created_before=1750000000", 1, |c| {
        n(c, "created_on") < 1750000000
    });
    check_filter("&updated_after=1760000000", 1, |c| {
        n(c, "updated_on") > 1760000000
    });
    check_filter("&updated_before=1760000000", 1, |c| {
        n(c, "updated_on") < 1760000000
    });
    check_filter(
        "&updated_after=1740000000&updated_before=1760000000&priority_id=2",
        1,
        |c| {
            n(c, "updated_on") > 1740000000
                && n(c, "updated_on") < 1760000000
                && n(c, "priority_id") == 2
        },
    );
    check_filter("&filter=CHECKOUT", 1, |c| {
        c["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("checkout")
    });
    check_filter("&suite_id=2&filter=sign", 2, |c| {
        c["suite_id"] == 2 && c["title"].as_str().unwrap().to_lowercase().contains("sign")
    });
    // refs: one whole reference of the comma-separated list.
    let some_ref = snap_cases()
        .into_iter()
        .filter_map(|c| c["refs"].as_str())
        .find(|r| r.contains(','))
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    check_filter(&format!("&refs={some_ref}"), 1, |c| {
        c["refs"]
            .as_str()
            .is_some_and(|r| r.split(',').any(|x| x.trim() == some_ref))
    });
    check_filter("&section_id=17", 1, |c| c["section_id"] == 17);
}

#[test]
fn get_cases_section_listing_is_in_display_order() {
    let (_d, store) = sample();
    let cases = all_pages(&store, "get_cases/1&section_id=17", "cases");
    let orders: Vec<i64> = cases
        .iter()
        .map(|c| c["display_order"].as_i64().unwrap())
        .collect();
    let mut sorted = orders.clone();
    sorted.sort_unstable();
    assert_eq!(orders, sorted);
    assert_eq!(cases.len(), 16);
}

#[test]
fn get_cases_errors() {
    let (_d, store) = sample();
    let e = err(&store, "get_cases/2", Value::Null);
    assert_error(&e, "Field :suite_id is a required field.", Some("suite_id"));
    let e = err(&store, "get_cases/2&suite_id=1", Value::Null);
    assert_error(
        &e,
        "Field :suite_id is not a valid test suite.",
        Some("suite_id"),
    );
    let e = err(&store, "get_cases/99", Value::Null);
    assert_error(
        &e,
        "Field :project_id is not a valid or accessible project.",
        Some("project_id"),
    );
    let e = err(&store, "get_cases/2&suite_id=2&section_id=1", Value::Null);
    assert_error(
        &e,
        "Field :section_id is not a valid section.",
        Some("section_id"),
    );
    let e = err(&store, "get_cases/1&priority_id=high", Value::Null);
    assert_eq!(e.field(), Some("priority_id"));
    // Single-suite mode ignores suite_id, as TestRail does.
    let a = ok(&store, "get_cases/1&suite_id=3&limit=5", Value::Null);
    assert_eq!(a["size"], 5);
}

#[test]
fn add_case_applies_defaults_and_local_ids() {
    let (_d, store) = sample();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let c = ok(
        &store,
        "add_case/17",
        json!({"title": "Pay with a saved card", "custom_component": 2, "is_legacy": true}),
    );
    let id = c["id"].as_u64().unwrap();
    assert!(id >= LOCAL_ID_MIN && id <= i32::MAX as u64, "local id {id}");
    assert_eq!(c["title"], "Pay with a saved card");
    assert_eq!(c["section_id"], 17);
    assert_eq!(c["suite_id"], 1);
    assert_eq!(c["template_id"], 1, "default template");
    assert_eq!(c["type_id"], 7, "default case type (Other)");
    assert_eq!(c["priority_id"], 2, "default priority (Medium)");
    assert_eq!(c["milestone_id"], Value::Null);
    assert_eq!(c["created_by"], 1);
    assert_eq!(c["updated_by"], 1);
    assert!(c["created_on"].as_i64().unwrap() >= before);
    assert_eq!(c["created_on"], c["updated_on"]);
    assert_eq!(c["custom_component"], 2);
    assert_eq!(c["custom_preconds"], Value::Null);
    assert!(c.get("is_legacy").is_none(), "unknown keys are ignored");
    let n = ok(&store, "get_cases/1&section_id=17", Value::Null)["size"]
        .as_u64()
        .unwrap();
    assert_eq!(
        c["display_order"].as_u64().unwrap(),
        n,
        "appended at the end"
    );
    assert_eq!(ok(&store, &format!("get_case/{id}"), Value::Null), c);
    // Ids keep counting up.
    let d = ok(&store, "add_case/17", web_case("Second"));
    assert_eq!(d["id"].as_u64().unwrap(), id + 1);
}

#[test]
fn add_case_validates_system_fields() {
    let (_d, store) = sample();
    let version = store.data_version().unwrap();
    let cases: &[(Value, &str, &str)] = &[
        (
            json!({"custom_component": 2}),
            "Field :title is a required field.",
            "title",
        ),
        (
            json!({"title": "   ", "custom_component": 2}),
            "Field :title is a required field.",
            "title",
        ),
        (
            json!({"title": null, "custom_component": 2}),
            "Field :title is a required field.",
            "title",
        ),
        (
            json!({"title": "x".repeat(251), "custom_component": 2}),
            "Field :title is too long (250 characters at most).",
            "title",
        ),
        (
            json!({"title": 5, "custom_component": 2}),
            "Field :title is not a valid string.",
            "title",
        ),
        (
            json!({"title": "t", "custom_component": 2, "priority_id": 99}),
            "Field :priority_id is not a valid priority.",
            "priority_id",
        ),
        (
            json!({"title": "t", "custom_component": 2, "type_id": 99}),
            "Field :type_id is not a valid case type.",
            "type_id",
        ),
        (
            json!({"title": "t", "custom_component": 2, "template_id": 99}),
            "Field :template_id is not a valid template.",
            "template_id",
        ),
        (
            json!({"title": "t", "custom_component": 2, "milestone_id": 4}),
            "Field :milestone_id is not a valid milestone.",
            "milestone_id",
        ),
        (
            json!({"title": "t", "custom_component": 2, "milestone_id": "soon"}),
            "Field :milestone_id is not a valid ID.",
            "milestone_id",
        ),
        (
            json!({"title": "t", "custom_component": 2, "estimate": "soon"}),
            "Field :estimate is not in a valid time span format.",
            "estimate",
        ),
        (
            json!({"title": "t", "custom_component": 2, "estimate": "5 m"}),
            "Field :estimate is not in a valid time span format.",
            "estimate",
        ),
        (
            json!({"title": "t", "custom_component": 2, "refs": "R".repeat(2001)}),
            "Field :refs is too long (2000 characters at most).",
            "refs",
        ),
    ];
    for (body, message, field) in cases {
        let e = err(&store, "add_case/17", body.clone());
        assert_error(&e, message, Some(field));
        assert_eq!(
            e.code(),
            if message.contains("not a valid priority")
                || message.contains("not a valid case type")
                || message.contains("not a valid template")
                || message.contains("not a valid milestone")
            {
                ErrorCode::NotFound
            } else {
                ErrorCode::Validation
            }
        );
    }
    // Template 3 exists but is not enabled in project 2.
    let e = err(
        &store,
        "add_case/42",
        json!({"title": "t", "template_id": 3, "custom_platforms": [1]}),
    );
    assert_error(
        &e,
        "Field :template_id is not a valid template.",
        Some("template_id"),
    );
    let e = err(&store, "add_case/999", web_case("t"));
    assert_error(
        &e,
        "Field :section_id is not a valid section.",
        Some("section_id"),
    );
    // Nothing was written by any of them.
    assert_eq!(store.data_version().unwrap(), version);
    assert!(journal(&store).is_empty());
    // Boundaries that pass.
    let c = ok(
        &store,
        "add_case/17",
        json!({"title": "é".repeat(250), "custom_component": 1, "refs": "R".repeat(2000), "estimate": "1w 2d 3h 4m 5s"}),
    );
    assert_eq!(c["title"].as_str().unwrap().chars().count(), 250);
    for est in ["30s", "1m 45s", "2h 5m", "1d", "90"] {
        let c = ok(
            &store,
            "add_case/17",
            json!({"title": "t", "custom_component": 1, "estimate": est}),
        );
        assert_eq!(c["estimate"], est);
    }
}

#[test]
fn update_case_is_partial_and_moves_with_section_id() {
    let (_d, store) = sample();
    let old = ok(&store, "get_case/1", Value::Null);
    let new = ok(&store, "update_case/1", json!({"priority_id": 4}));
    for (k, v) in old.as_object().unwrap() {
        match k.as_str() {
            "priority_id" => assert_eq!(new[k], 4),
            "updated_on" => assert!(new[k].as_i64() > v.as_i64()),
            "updated_by" => assert_eq!(new[k], 1),
            _ => assert_eq!(&new[k], v, "{k} unchanged"),
        }
    }
    // Move to another section of the same project.
    let moved = ok(
        &store,
        "update_case/1",
        json!({"section_id": 17, "title": "Moved"}),
    );
    assert_eq!(moved["section_id"], 17);
    assert_eq!(moved["title"], "Moved");
    let in_17 = all_pages(&store, "get_cases/1&section_id=17", "cases");
    assert_eq!(in_17.last().unwrap()["id"], 1);
    assert!(!ids(&all_pages(&store, "get_cases/1&section_id=1", "cases")).contains(&1));
    // Not into another project.
    let e = err(&store, "update_case/1", json!({"section_id": 42}));
    assert_error(
        &e,
        "Field :section_id is not a valid section.",
        Some("section_id"),
    );
    // Clearing a required field is refused; a bad value changes nothing.
    let e = err(
        &store,
        "update_case/1",
        json!({"custom_component": null, "title": "Other"}),
    );
    assert_error(
        &e,
        "Field :custom_component is a required field.",
        Some("custom_component"),
    );
    assert_eq!(ok(&store, "get_case/1", Value::Null)["title"], "Moved");
    let e = err(&store, "update_case/1", json!({"title": ""}));
    assert_error(&e, "Field :title is a required field.", Some("title"));
    let e = err(&store, "update_case/999999", json!({"title": "x"}));
    assert_error(
        &e,
        "Field :case_id is not a valid test case.",
        Some("case_id"),
    );
    // An update that changes nothing is not journaled and keeps updated_on.
    let before = journal(&store).len();
    let same = ok(&store, "update_case/1", json!({"title": "Moved"}));
    assert_eq!(journal(&store).len(), before);
    assert_eq!(
        same["updated_on"],
        ok(&store, "get_case/1", Value::Null)["updated_on"]
    );
}

#[test]
fn update_cases_sets_the_same_values_on_every_case() {
    let (_d, store) = sample();
    let out = ok(
        &store,
        "update_cases/1",
        json!({"case_ids": [1, 2, 3], "priority_id": 4, "refs": "BULK-1"}),
    );
    let updated = out["updated"].as_array().unwrap();
    assert_eq!(ids(updated), vec![1, 2, 3]);
    for id in [1, 2, 3] {
        let c = ok(&store, &format!("get_case/{id}"), Value::Null);
        assert_eq!(c["priority_id"], 4);
        assert_eq!(c["refs"], "BULK-1");
    }
    let j = journal(&store);
    assert_eq!(j.len(), 1, "one entry for one call");
    assert_eq!(j[0]["effects"].as_array().unwrap().len(), 3);
    // Case ids as a comma-separated string, as some clients send them.
    ok(
        &store,
        "update_cases/1",
        json!({"case_ids": "4,5", "priority_id": 1}),
    );
    assert_eq!(ok(&store, "get_case/5", Value::Null)["priority_id"], 1);
    // One case outside the suite refuses the whole call.
    let case_in_suite_2 = snap_cases()
        .into_iter()
        .find(|c| c["suite_id"] == 2)
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let e = err(
        &store,
        "update_cases/1",
        json!({"case_ids": [6, case_in_suite_2], "priority_id": 3}),
    );
    assert_error(
        &e,
        "Field :case_ids contains one or more invalid case IDs.",
        Some("case_ids"),
    );
    assert_eq!(
        ok(&store, "get_case/6", Value::Null)["priority_id"],
        snap_case(6)["priority_id"]
    );
    let e = err(&store, "update_cases/1", json!({"priority_id": 3}));
    assert_error(&e, "Field :case_ids is a required field.", Some("case_ids"));
}

#[test]
fn delete_case_and_delete_cases() {
    let (_d, store) = sample();
    let soft = ok(&store, "delete_case/1&soft=1", Value::Null);
    assert_eq!(soft["cases"], 1);
    ok(&store, "get_case/1", Value::Null);
    assert_eq!(
        ok(&store, "delete_case/1", Value::Null),
        Value::Null,
        "empty body"
    );
    assert_error(
        &err(&store, "get_case/1", Value::Null),
        "Field :case_id is not a valid test case.",
        Some("case_id"),
    );
    assert_eq!(all_pages(&store, "get_cases/1", "cases").len(), 197);
    assert_error(
        &err(&store, "delete_case/1", Value::Null),
        "Field :case_id is not a valid test case.",
        Some("case_id"),
    );
    // testrail-api's form: delete_cases/{suite_id}&soft=0&project_id=P with {case_ids}.
    ok(
        &store,
        "delete_cases/1&soft=0&project_id=1",
        json!({"case_ids": [2, 3]}),
    );
    assert_eq!(all_pages(&store, "get_cases/1", "cases").len(), 195);
    // trcli's form: no project_id.
    ok(&store, "delete_cases/1", json!({"case_ids": [4]}));
    assert_eq!(all_pages(&store, "get_cases/1", "cases").len(), 194);
    let e = err(&store, "delete_cases/1", json!({"case_ids": [5, 999999]}));
    assert_error(
        &e,
        "Field :case_ids contains one or more invalid case IDs.",
        Some("case_ids"),
    );
    ok(&store, "get_case/5", Value::Null);
    let soft = ok(&store, "delete_cases/1&soft=1", json!({"case_ids": [5, 6]}));
    assert_eq!(soft["cases"], 2);
    ok(&store, "get_case/6", Value::Null);
}

#[test]
fn copy_and_move_cases_to_section() {
    let (_d, store) = sample();
    let copies = ok(
        &store,
        "copy_cases_to_section/19",
        json!({"case_ids": "1,2"}),
    );
    let copies = copies.as_array().unwrap();
    assert_eq!(copies.len(), 2);
    for (copy, src) in copies.iter().zip([1, 2]) {
        let orig = ok(&store, &format!("get_case/{src}"), Value::Null);
        assert_eq!(copy["title"], orig["title"]);
        assert_eq!(copy["section_id"], 19);
        assert_ne!(copy["id"], orig["id"]);
        assert_eq!(copy["custom_component"], orig["custom_component"]);
        assert_ne!(orig["section_id"], 19, "the original stays");
    }
    let e = err(&store, "move_cases_to_section/19", json!({"case_ids": [3]}));
    assert_error(&e, "Field :suite_id is a required field.", Some("suite_id"));
    let e = err(
        &store,
        "move_cases_to_section/19",
        json!({"case_ids": [3], "suite_id": 2}),
    );
    assert_error(
        &e,
        "Field :suite_id is not a valid test suite.",
        Some("suite_id"),
    );
    assert_eq!(
        ok(
            &store,
            "move_cases_to_section/19",
            json!({"case_ids": "3,4", "suite_id": 1})
        ),
        Value::Null
    );
    let in_19 = ids(&all_pages(&store, "get_cases/1&section_id=19", "cases"));
    assert!(in_19.ends_with(&[3, 4]), "{in_19:?}");
}

/// The typed answer (what the HTTP, C and Python fronts serialize directly) gives byte for byte
/// the JSON of `Store::call`, keys in the same order, for single cases, pages and other routes.
#[test]
fn typed_answers_serialize_to_the_same_json() {
    let (_d, store) = sample();
    ok(
        &store,
        "add_case/17",
        serde_json::json!({"title": "Answer", "custom_component": 2, "custom_unknown_key": [1, {"a": null}]}),
    );
    let mut routes: Vec<String> = vec![
        "get_cases/1".into(),
        "get_cases/1&limit=3&offset=2".into(),
        "get_cases/1&section_id=2".into(),
        "get_cases/2&suite_id=3&priority_id=3,4".into(),
        "get_sections/1".into(),
        "get_case_fields".into(),
        "x_search_cases/1&q=sync".into(),
    ];
    for c in all_pages(&store, "get_cases/1", "cases") {
        routes.push(format!("get_case/{}", c["id"]));
    }
    for c in all_pages(&store, "get_cases/2&suite_id=3", "cases") {
        routes.push(format!("get_case/{}", c["id"]));
    }
    for r in &routes {
        let value = ok(&store, r, Value::Null);
        let text = store.answer(r, None).unwrap().to_text();
        assert_eq!(text, value.to_string(), "{r}");
    }
    assert!(store.answer("delete_case/1", None).unwrap().is_empty());
    assert!(!store
        .answer("get_case/2", None)
        .unwrap()
        .to_text()
        .is_empty());
}

//! Sections, projects and suites (testrail-api.md §2.1–2.3, §3.1–3.3): the tree encoding
//! (parent_id, depth, display_order), moves, cascading deletes, suite modes.

mod common;

use std::collections::HashMap;

use common::*;
use serde_json::{json, Value};

/// Checks TestRail's tree encoding of a suite: display_order is 1..n in a depth-first pre-order
/// walk, depth is the parent's depth + 1, and every subtree is contiguous.
#[track_caller]
fn assert_tree(store: &trailstore::Store, project: u64, suite: u64) -> Vec<Value> {
    let sections = all_pages(
        store,
        &format!("get_sections/{project}&suite_id={suite}"),
        "sections",
    );
    let orders: Vec<i64> = sections
        .iter()
        .map(|s| s["display_order"].as_i64().unwrap())
        .collect();
    assert_eq!(
        orders,
        (1..=sections.len() as i64).collect::<Vec<_>>(),
        "contiguous pre-order"
    );
    let by_id: HashMap<u64, &Value> = sections
        .iter()
        .map(|s| (s["id"].as_u64().unwrap(), s))
        .collect();
    let mut stack: Vec<u64> = Vec::new();
    for s in &sections {
        let depth = s["depth"].as_i64().unwrap();
        match s["parent_id"].as_u64() {
            None => {
                assert_eq!(depth, 0);
                stack.clear();
            }
            Some(p) => {
                assert_eq!(
                    depth,
                    by_id[&p]["depth"].as_i64().unwrap() + 1,
                    "depth of {}",
                    s["id"]
                );
                // Pre-order: the parent is on the current path.
                while stack.last().is_some_and(|top| *top != p) {
                    stack.pop();
                }
                assert_eq!(
                    stack.last(),
                    Some(&p),
                    "section {} not under its parent in order",
                    s["id"]
                );
            }
        }
        stack.push(s["id"].as_u64().unwrap());
    }
    sections
}

#[test]
fn sample_trees_are_valid_and_sections_round_trip() {
    let (_d, store) = sample();
    assert_tree(&store, 1, 1);
    for suite in [2, 3, 4] {
        assert_tree(&store, 2, suite);
    }
    let want = snapshot()["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == 26)
        .unwrap();
    assert_eq!(&ok(&store, "get_section/26", Value::Null), want);
    assert_error(
        &err(&store, "get_section/999", Value::Null),
        "Field :section_id is not a valid section.",
        Some("section_id"),
    );
    assert_error(
        &err(&store, "get_sections/2", Value::Null),
        "Field :suite_id is a required field.",
        Some("suite_id"),
    );
}

#[test]
fn add_section_nests_and_renumbers() {
    let (_d, store) = sample();
    let root = ok(
        &store,
        "add_section/1",
        json!({"name": "Returns", "description": "RMA flows"}),
    );
    assert_eq!(root["parent_id"], Value::Null);
    assert_eq!(root["depth"], 0);
    assert_eq!(root["suite_id"], 1, "single-suite: suite_id is optional");
    let rid = root["id"].as_u64().unwrap();
    assert!(trailstore::is_local_id(rid));
    let mut parent = rid;
    for depth in 1..=4 {
        let s = ok(
            &store,
            "add_section/1",
            json!({"name": format!("Level {depth}"), "parent_id": parent}),
        );
        assert_eq!(s["depth"], depth);
        assert_eq!(s["parent_id"], parent);
        parent = s["id"].as_u64().unwrap();
    }
    // A child added to an early section lands inside its subtree, before later roots.
    let child = ok(
        &store,
        "add_section/1",
        json!({"name": "Guest login", "parent_id": 1}),
    );
    let tree = assert_tree(&store, 1, 1);
    let pos = |id: u64| tree.iter().position(|s| s["id"] == id).unwrap();
    assert!(pos(child["id"].as_u64().unwrap()) < pos(2));
    // Multi-suite: suite_id required and checked.
    assert_error(
        &err(&store, "add_section/2", json!({"name": "X"})),
        "Field :suite_id is a required field.",
        Some("suite_id"),
    );
    assert_error(
        &err(&store, "add_section/2", json!({"name": "X", "suite_id": 1})),
        "Field :suite_id is not a valid test suite.",
        Some("suite_id"),
    );
    let s = ok(
        &store,
        "add_section/2",
        json!({"name": "Widgets", "suite_id": 3}),
    );
    assert_eq!(s["suite_id"], 3);
    assert_tree(&store, 2, 3);
    // Parent from another suite; names.
    assert_error(
        &err(
            &store,
            "add_section/2",
            json!({"name": "X", "suite_id": 3, "parent_id": 1}),
        ),
        "Field :parent_id is not a valid section.",
        Some("parent_id"),
    );
    assert_error(
        &err(&store, "add_section/1", json!({})),
        "Field :name is a required field.",
        Some("name"),
    );
    assert_error(
        &err(&store, "add_section/1", json!({"name": "n".repeat(251)})),
        "Field :name is too long (250 characters at most).",
        Some("name"),
    );
    assert_error(
        &err(&store, "add_section/99", json!({"name": "X"})),
        "Field :project_id is not a valid or accessible project.",
        Some("project_id"),
    );
}

#[test]
fn update_section_changes_name_and_description_only() {
    let (_d, store) = sample();
    let s = ok(
        &store,
        "update_section/26",
        json!({"name": "Reset password", "parent_id": 1, "description": null}),
    );
    assert_eq!(s["name"], "Reset password");
    assert_eq!(
        s["parent_id"], 11,
        "parent_id is not changed by update_section"
    );
    assert_eq!(s["description"], Value::Null);
}

#[test]
fn move_section_reparents_and_orders_with_after_id() {
    let (_d, store) = sample();
    // Section 11 (Login, with subsections 26 and 27) under section 2, first.
    let moved = ok(
        &store,
        "move_section/11",
        json!({"parent_id": 2, "after_id": null}),
    );
    assert_eq!(moved["parent_id"], 2);
    assert_eq!(moved["depth"], 1);
    let tree = assert_tree(&store, 1, 1);
    let pos = |id: u64| tree.iter().position(|s| s["id"] == id).unwrap();
    assert_eq!(pos(11), pos(2) + 1, "first child of 2");
    assert_eq!(
        ok(&store, "get_section/26", Value::Null)["depth"],
        2,
        "subsections move along"
    );
    // After a sibling.
    let kids: Vec<u64> = tree
        .iter()
        .filter(|s| s["parent_id"] == 2)
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    let last = *kids.last().unwrap();
    ok(
        &store,
        "move_section/11",
        json!({"parent_id": 2, "after_id": last}),
    );
    let tree = assert_tree(&store, 1, 1);
    let kids: Vec<u64> = tree
        .iter()
        .filter(|s| s["parent_id"] == 2)
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    assert_eq!(*kids.last().unwrap(), 11);
    // To the root, as testrail-api sends it (parent_id 0).
    let r = ok(
        &store,
        "move_section/11",
        json!({"parent_id": 0, "after_id": null}),
    );
    assert_eq!(r["parent_id"], Value::Null);
    assert_eq!(r["display_order"], 1);
    assert_tree(&store, 1, 1);
    // Not under itself or its own subsection; after_id must be a sibling there.
    let e = err(&store, "move_section/11", json!({"parent_id": 26}));
    assert_eq!(e.field(), Some("parent_id"));
    let e = err(&store, "move_section/11", json!({"parent_id": 11}));
    assert_eq!(e.field(), Some("parent_id"));
    assert_error(
        &err(
            &store,
            "move_section/11",
            json!({"parent_id": 2, "after_id": 26}),
        ),
        "Field :after_id is not a valid section.",
        Some("after_id"),
    );
    assert_error(
        &err(&store, "move_section/11", json!({"parent_id": 42})),
        "Field :parent_id is not a valid section.",
        Some("parent_id"),
    );
    assert_tree(&store, 1, 1);
}

#[test]
fn delete_section_cascades_to_subsections_and_cases() {
    let (_d, store) = sample();
    let in_tree: Vec<u64> = [11u64, 26, 27]
        .iter()
        .flat_map(|s| {
            ids(&all_pages(
                &store,
                &format!("get_cases/1&section_id={s}"),
                "cases",
            ))
        })
        .collect();
    assert!(!in_tree.is_empty());
    let soft = ok(&store, "delete_section/11&soft=1", Value::Null);
    assert_eq!(soft["sections"], 3);
    assert_eq!(soft["cases"], in_tree.len());
    ok(&store, "get_section/11", Value::Null);
    assert_eq!(ok(&store, "delete_section/11", Value::Null), Value::Null);
    for s in [11, 26, 27] {
        err(&store, &format!("get_section/{s}"), Value::Null);
    }
    for c in &in_tree {
        assert_error(
            &err(&store, &format!("get_case/{c}"), Value::Null),
            "Field :case_id is not a valid test case.",
            Some("case_id"),
        );
    }
    assert_eq!(
        all_pages(&store, "get_cases/1", "cases").len(),
        198 - in_tree.len()
    );
    assert_tree(&store, 1, 1);
    // One journal entry, naming every entity it removed.
    let j = journal(&store);
    assert_eq!(j.len(), 1);
    let effects = j[0]["effects"].as_array().unwrap();
    assert_eq!(effects.len(), 3 + in_tree.len());
    assert_eq!(effects[0]["entity"], "section");
    assert_eq!(effects[0]["id"], 11);
    assert!(effects[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["field"] == "name" && c["old"] == "Login"));
}

#[test]
fn projects_and_suites() {
    let (_d, store) = sample();
    let p = ok(&store, "get_project/2", Value::Null);
    assert_eq!(p["suite_mode"], 3);
    assert_eq!(p["name"], "Mobile App");
    let all = all_pages(&store, "get_projects", "projects");
    assert_eq!(ids(&all), vec![1, 2]);
    assert_eq!(
        ok(&store, "get_projects&is_completed=1", Value::Null)["size"],
        0
    );
    // A new single-suite project gets its master suite.
    let np = ok(
        &store,
        "add_project",
        json!({"name": "Kiosk", "announcement": "Offline POS"}),
    );
    let pid = np["id"].as_u64().unwrap();
    assert_eq!(np["suite_mode"], 1);
    assert_eq!(np["show_announcement"], false);
    let suites = ok(&store, &format!("get_suites/{pid}"), Value::Null);
    assert_eq!(suites["size"], 1);
    assert_eq!(suites["suites"][0]["is_master"], true);
    assert_error(
        &err(
            &store,
            &format!("add_suite/{pid}"),
            json!({"name": "Second"}),
        ),
        "Field :project_id is a project in single suite mode, which has exactly one test suite.",
        Some("project_id"),
    );
    // Templates are enabled for the new project, so its cases get the default one.
    assert_eq!(
        ok(&store, &format!("get_templates/{pid}"), Value::Null)
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // Sections and cases without suite_id.
    let s = ok(
        &store,
        &format!("add_section/{pid}"),
        json!({"name": "Till"}),
    );
    let c = ok(
        &store,
        &format!("add_case/{}", s["id"]),
        json!({"title": "Open the till", "custom_component": 1}),
    );
    assert_eq!(c["suite_id"], suites["suites"][0]["id"]);
    assert_eq!(c["template_id"], 1, "the default template");
    // Multi-suite project with two suites.
    let mp = ok(
        &store,
        "add_project",
        json!({"name": "Desktop", "suite_mode": 3, "show_announcement": true}),
    );
    let mid = mp["id"].as_u64().unwrap();
    assert_eq!(
        ok(&store, &format!("get_suites/{mid}"), Value::Null)["size"],
        0
    );
    let s1 = ok(
        &store,
        &format!("add_suite/{mid}"),
        json!({"name": "Windows", "description": "Win 11"}),
    );
    ok(
        &store,
        &format!("add_suite/{mid}"),
        json!({"name": "macOS"}),
    );
    assert_eq!(
        ok(&store, &format!("get_suites/{mid}"), Value::Null)["size"],
        2
    );
    let upd = ok(
        &store,
        &format!("update_suite/{}", s1["id"]),
        json!({"description": "Windows 11"}),
    );
    assert_eq!(upd["name"], "Windows");
    assert_eq!(upd["description"], "Windows 11");
    assert_error(
        &err(&store, "add_project", json!({"name": ""})),
        "Field :name is a required field.",
        Some("name"),
    );
    assert_error(
        &err(&store, "add_project", json!({"name": "X", "suite_mode": 7})),
        "Field :suite_mode is not a valid suite mode (1, 2 or 3).",
        Some("suite_mode"),
    );
    let up = ok(&store, "update_project/1", json!({"is_completed": true}));
    assert_eq!(up["is_completed"], true);
    assert!(up["completed_on"].as_i64().unwrap() > 0);
    assert_eq!(
        ok(&store, "get_projects&is_completed=1", Value::Null)["size"],
        1
    );
    // delete_suite and delete_project cascade.
    ok(&store, "delete_suite/2", Value::Null);
    assert_error(
        &err(&store, "get_suite/2", Value::Null),
        "Field :suite_id is not a valid test suite.",
        Some("suite_id"),
    );
    assert_error(
        &err(&store, "get_cases/2&suite_id=2", Value::Null),
        "Field :suite_id is not a valid test suite.",
        Some("suite_id"),
    );
    ok(&store, "delete_project/1", Value::Null);
    assert_error(
        &err(&store, "get_project/1", Value::Null),
        "Field :project_id is not a valid or accessible project.",
        Some("project_id"),
    );
    assert_error(
        &err(&store, "get_case/1", Value::Null),
        "Field :case_id is not a valid test case.",
        Some("case_id"),
    );
    assert_error(
        &err(&store, "get_section/1", Value::Null),
        "Field :section_id is not a valid section.",
        Some("section_id"),
    );
    assert_eq!(ok(&store, "get_milestones/2", Value::Null)["size"], 3);
    err(&store, "get_milestones/1", Value::Null);
}

#[test]
fn reference_data_routes() {
    let (_d, store) = sample();
    assert_eq!(
        ok(&store, "get_case_types", Value::Null)
            .as_array()
            .unwrap()
            .len(),
        12
    );
    let prios = ok(&store, "get_priorities", Value::Null);
    assert_eq!(prios[1]["is_default"], true);
    assert_eq!(
        ok(&store, "get_templates/1", Value::Null)
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        ok(&store, "get_templates/2", Value::Null)
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        ok(&store, "get_users", Value::Null)
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let paged = ok(&store, "get_users&limit=2", Value::Null);
    assert_eq!(paged["size"], 2);
    assert!(paged["_links"]["next"].is_string());
    let u = ok(&store, "get_user/2", Value::Null);
    let email = u["email"].as_str().unwrap().to_string();
    let by_email = ok(
        &store,
        &format!("get_user_by_email&email={}", email.replace('@', "%40")),
        Value::Null,
    );
    assert_eq!(by_email["id"], 2);
    assert_error(
        &err(&store, "get_user_by_email&email=nobody%40x.io", Value::Null),
        "Field :email is not a valid email address.",
        Some("email"),
    );
    assert_eq!(ok(&store, "get_current_user", Value::Null)["id"], 1);
    let m = ok(&store, "get_milestone/2", Value::Null);
    assert_eq!(
        ids(m["milestones"].as_array().unwrap()),
        vec![3],
        "sub-milestones"
    );
    assert_eq!(
        ok(&store, "get_milestones/1&is_completed=0", Value::Null)["size"]
            .as_u64()
            .unwrap()
            + ok(&store, "get_milestones/1&is_completed=1", Value::Null)["size"]
                .as_u64()
                .unwrap(),
        3
    );
}

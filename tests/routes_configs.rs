//! Conformance of the configuration routes (`get_configs`, `add_config_group`, `add_config`,
//! `update_config_group`, `update_config`, `delete_config_group`, `delete_config`) and the
//! milestone writes (`add_milestone`, `update_milestone`, `delete_milestone`) with TestRail's
//! documented behaviour: testrail-results.md §4.6, §6 point 19 and testrail-runs-facts.md §10, §11.
//! Written from those documents, not from the implementation.

mod common;
#[path = "common/runs.rs"]
mod runs_common;

use common::*;
use runs_common::*;
use serde_json::{json, Value};

const MILESTONE_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "start_on",
    "started_on",
    "is_started",
    "due_on",
    "is_completed",
    "completed_on",
    "project_id",
    "parent_id",
    "refs",
    "url",
];

fn configs(store: &trailstore::Store, project: u64) -> Value {
    ok(store, &format!("get_configs/{project}"), Value::Null)
}

#[test]
fn get_configs_is_a_bare_array_of_groups() {
    let (_d, store) = sample();
    let got = configs(&store, 2);
    assert_eq!(
        &got,
        &snapshot()["configs"],
        "the server's groups, as they were"
    );
    for g in got.as_array().expect("a bare array") {
        for k in ["id", "name", "project_id", "configs"] {
            assert!(g.get(k).is_some(), "group lacks {k}");
        }
        for c in g["configs"].as_array().unwrap() {
            assert_eq!(c["group_id"], g["id"]);
            assert!(c["name"].is_string());
        }
    }
    assert_eq!(
        configs(&store, 1),
        json!([]),
        "a project without configurations"
    );
    refuse_unknown(
        &store,
        "get_configs/99",
        Value::Null,
        "Field :project_id is not a valid or accessible project.",
    );
}

#[test]
fn configuration_writes_answer_testrails_shapes() {
    let (_d, store) = sample();
    // An `id` in the body is ignored.
    let g = write(
        &store,
        "add_config_group/1",
        json!({"name": "Browsers", "id": 0}),
    );
    let gid = id(&g);
    assert_eq!(
        g,
        json!({"id": gid, "name": "Browsers", "project_id": 1, "configs": []})
    );
    let c = write(
        &store,
        &format!("add_config/{gid}"),
        json!({"name": "Chrome"}),
    );
    let cid = id(&c);
    assert_eq!(c, json!({"id": cid, "name": "Chrome", "group_id": gid}));
    let f = write(
        &store,
        &format!("add_config/{gid}"),
        json!({"name": "Firefox"}),
    );
    let fid = id(&f);
    assert_eq!(
        configs(&store, 1),
        json!([{"id": gid, "name": "Browsers", "project_id": 1, "configs": [
            {"id": cid, "name": "Chrome", "group_id": gid},
            {"id": fid, "name": "Firefox", "group_id": gid}
        ]}])
    );

    let u = write(
        &store,
        &format!("update_config/{cid}"),
        json!({"name": "Chromium"}),
    );
    assert_eq!(u, json!({"id": cid, "name": "Chromium", "group_id": gid}));
    let ug = write(
        &store,
        &format!("update_config_group/{gid}"),
        json!({"name": "Web browsers"}),
    );
    assert_eq!(ug["id"], gid);
    assert_eq!(ug["name"], "Web browsers");
    assert_eq!(ug["project_id"], 1);
    assert_eq!(
        ug["configs"],
        json!([
            {"id": cid, "name": "Chromium", "group_id": gid},
            {"id": fid, "name": "Firefox", "group_id": gid}
        ]),
        "the group comes back with its configurations"
    );
    assert_eq!(configs(&store, 1), json!([ug.clone()]));

    let answer = write(&store, &format!("delete_config/{cid}"), json!({}));
    assert_eq!(answer, Value::Null, "an empty body");
    assert_eq!(
        configs(&store, 1)[0]["configs"],
        json!([{"id": fid, "name": "Firefox", "group_id": gid}])
    );
    let answer = write(&store, &format!("delete_config_group/{gid}"), json!({}));
    assert_eq!(answer, Value::Null);
    assert_eq!(configs(&store, 1), json!([]));
    // The sample's groups of project 2 were not touched.
    assert_eq!(&configs(&store, 2), &snapshot()["configs"]);
}

#[test]
fn configuration_refusals_write_nothing() {
    let (_d, store) = sample();
    for body in [json!({}), json!({"name": ""}), json!({"name": null})] {
        refuse(
            &store,
            "add_config_group/2",
            body.clone(),
            "Field :name is a required field.",
            400,
        );
        refuse(
            &store,
            "add_config/1",
            body.clone(),
            "Field :name is a required field.",
            400,
        );
    }
    refuse_unknown(
        &store,
        "add_config_group/99",
        json!({"name": "x"}),
        "Field :project_id is not a valid or accessible project.",
    );
    for route in [
        "add_config/999",
        "update_config_group/999",
        "delete_config_group/999",
    ] {
        refuse_unknown(
            &store,
            route,
            json!({"name": "x"}),
            "Field :config_group_id is not a valid configuration group.",
        );
    }
    for route in ["update_config/999", "delete_config/999"] {
        refuse_unknown(
            &store,
            route,
            json!({"name": "x"}),
            "Field :config_id is not a valid configuration.",
        );
    }
    refuse(
        &store,
        "update_config/1",
        json!({"name": ""}),
        "Field :name is a required field.",
        400,
    );
    refuse(
        &store,
        "add_config_group/2",
        json!({"name": "x".repeat(251)}),
        "Field :name is too long (250 characters at most).",
        400,
    );
    assert_eq!(&configs(&store, 2), &snapshot()["configs"]);
    assert!(journal(&store).is_empty());
}

#[test]
fn add_milestone_answers_testrails_shape() {
    let (_d, store) = sample();
    let m = write(
        &store,
        "add_milestone/1",
        json!({"name": "Release 2026.1", "description": "Winter", "due_on": 1800000000,
               "start_on": 1790000000, "refs": "SHOP-2000"}),
    );
    let mid = id(&m);
    for k in MILESTONE_KEYS {
        assert!(m.get(*k).is_some(), "milestone lacks {k}: {m}");
    }
    assert_eq!(m["name"], "Release 2026.1");
    assert_eq!(m["description"], "Winter");
    assert_eq!(m["due_on"], 1800000000);
    assert_eq!(m["start_on"], 1790000000);
    assert_eq!(m["refs"], "SHOP-2000");
    assert_eq!(m["project_id"], 1);
    assert_eq!(m["parent_id"], Value::Null);
    assert_eq!(m["is_started"], false);
    assert_eq!(m["started_on"], Value::Null);
    assert_eq!(m["is_completed"], false);
    assert_eq!(m["completed_on"], Value::Null);
    assert_eq!(
        m["milestones"],
        json!([]),
        "add_milestone shows its (no) sub-milestones"
    );
    assert!(m["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("index.php?/milestones/view/{mid}")));
    let got = ok(&store, &format!("get_milestone/{mid}"), Value::Null);
    for k in MILESTONE_KEYS {
        assert_eq!(got[*k], m[*k], "get_milestone's {k}");
    }
    let listed = all_pages(&store, "get_milestones/1", "milestones");
    assert!(ids(&listed).contains(&mid));
}

#[test]
fn sub_milestones_are_one_level_deep() {
    let (_d, store) = sample();
    let top = id(&write(&store, "add_milestone/1", json!({"name": "Top"})));
    let sub = write(
        &store,
        "add_milestone/1",
        json!({"name": "Sub", "parent_id": top}),
    );
    assert_eq!(sub["parent_id"], top);
    let parent = ok(&store, &format!("get_milestone/{top}"), Value::Null);
    let children = parent["milestones"]
        .as_array()
        .expect("sub-milestones listed");
    assert_eq!(ids(children), vec![id(&sub)]);
    refuse(
        &store,
        "add_milestone/1",
        json!({"name": "Sub-sub", "parent_id": id(&sub)}),
        "You cannot add a sub-milestone to a sub-milestone (only one sub-milestone level is supported).",
        400,
    );
    // A milestone with sub-milestones cannot itself become one.
    let other = id(&write(&store, "add_milestone/1", json!({"name": "Other"})));
    refuse(
        &store,
        &format!("update_milestone/{other}"),
        json!({"parent_id": other}),
        "Milestone and milestone parent must be two different milestones.",
        400,
    );
    refuse(
        &store,
        &format!("update_milestone/{top}"),
        json!({"parent_id": other}),
        "You cannot change a milestone with sub-milestones into a sub-milestone (only one sub-milestone level is supported).",
        400,
    );
    // A parent of another project is not a valid milestone here.
    refuse_unknown(
        &store,
        "add_milestone/1",
        json!({"name": "x", "parent_id": 5}),
        "Field :parent_id is not a valid milestone.",
    );
    // Moving a leaf under another top-level milestone, and back to the top.
    let moved = write(
        &store,
        &format!("update_milestone/{}", id(&sub)),
        json!({"parent_id": other}),
    );
    assert_eq!(moved["parent_id"], other);
    let moved = write(
        &store,
        &format!("update_milestone/{}", id(&sub)),
        json!({"parent_id": null}),
    );
    assert_eq!(moved["parent_id"], Value::Null);
}

#[test]
fn update_milestone_is_partial_and_stamps_started_and_completed() {
    let (_d, store) = sample();
    let m = write(
        &store,
        "add_milestone/2",
        json!({"name": "App 5.0", "description": "Big one", "due_on": 1800000000}),
    );
    let mid = id(&m);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let u = write(
        &store,
        &format!("update_milestone/{mid}"),
        json!({"is_started": true}),
    );
    assert_eq!(u["is_started"], true);
    assert!(
        u["started_on"].as_i64().unwrap() >= before,
        "started_on is set"
    );
    assert_eq!(u["name"], "App 5.0", "partial");
    assert_eq!(u["description"], "Big one");
    assert_eq!(u["due_on"], 1800000000);
    let u = write(
        &store,
        &format!("update_milestone/{mid}"),
        json!({"is_completed": true, "name": "App 5.0 (done)"}),
    );
    assert_eq!(u["is_completed"], true);
    assert!(
        u["completed_on"].as_i64().unwrap() >= before,
        "completed_on is set"
    );
    assert_eq!(u["name"], "App 5.0 (done)");
    assert_eq!(u["is_started"], true);
    let u = write(
        &store,
        &format!("update_milestone/{mid}"),
        json!({"is_completed": false}),
    );
    assert_eq!(u["is_completed"], false);
    assert_eq!(u["completed_on"], Value::Null, "reopened");
    let u = write(
        &store,
        &format!("update_milestone/{mid}"),
        json!({"start_on": 1790000000, "due_on": null, "refs": "MOB-500"}),
    );
    assert_eq!(u["start_on"], 1790000000);
    assert_eq!(u["due_on"], Value::Null);
    assert_eq!(u["refs"], "MOB-500");
    let got = ok(&store, &format!("get_milestone/{mid}"), Value::Null);
    for k in MILESTONE_KEYS {
        assert_eq!(got[*k], u[*k], "get_milestone's {k}");
    }
}

#[test]
fn milestone_refusals_write_nothing() {
    let (_d, store) = sample();
    refuse(
        &store,
        "add_milestone/1",
        json!({"description": "no name"}),
        "Field :name is a required field.",
        400,
    );
    refuse(
        &store,
        "add_milestone/1",
        json!({"name": ""}),
        "Field :name is a required field.",
        400,
    );
    refuse(
        &store,
        "add_milestone/1",
        json!({"name": "x".repeat(251)}),
        "Field :name is too long (250 characters at most).",
        400,
    );
    refuse_unknown(
        &store,
        "add_milestone/99",
        json!({"name": "x"}),
        "Field :project_id is not a valid or accessible project.",
    );
    refuse_unknown(
        &store,
        "add_milestone/1",
        json!({"name": "x", "parent_id": 999}),
        "Field :parent_id is not a valid milestone.",
    );
    refuse(
        &store,
        "add_milestone/1",
        json!({"name": "x", "due_on": "tomorrow"}),
        "Field :due_on is not a valid integer.",
        400,
    );
    refuse(
        &store,
        "add_milestone/1",
        json!({"name": "x", "start_on": "soon"}),
        "Field :start_on is not a valid integer.",
        400,
    );
    for route in [
        "get_milestone/999",
        "update_milestone/999",
        "delete_milestone/999",
    ] {
        refuse_unknown(
            &store,
            route,
            json!({"name": "x"}),
            "Field :milestone_id is not a valid milestone.",
        );
    }
    let e = refused(&store, "delete_milestone/0", json!({}));
    assert_eq!(e.http_status(), 400);
    refuse(
        &store,
        "update_milestone/2",
        json!({"due_on": "later"}),
        "Field :due_on is not a valid integer.",
        400,
    );
    refuse(
        &store,
        "update_milestone/2",
        json!({"name": ""}),
        "Field :name is a required field.",
        400,
    );
    assert!(journal(&store).is_empty());
}

#[test]
fn delete_milestone_unlinks_runs_and_plans() {
    let (_d, store) = sample();
    let m = id(&write(&store, "add_milestone/2", json!({"name": "Doomed"})));
    let r = id(&write(
        &store,
        "add_run/2",
        json!({"suite_id": 3, "name": "linked", "milestone_id": m}),
    ));
    let p = id(&write(
        &store,
        "add_plan/2",
        json!({"name": "linked plan", "milestone_id": m,
               "entries": [{"suite_id": 4, "include_all": false, "case_ids": [290]}]}),
    ));
    assert_eq!(
        ids(&all_pages(
            &store,
            &format!("get_runs/2&milestone_id={m}"),
            "runs"
        )),
        vec![r]
    );
    let answer = write(&store, &format!("delete_milestone/{m}"), json!({}));
    assert_eq!(answer, Value::Null, "an empty body");
    refuse_unknown(
        &store,
        &format!("get_milestone/{m}"),
        Value::Null,
        "Field :milestone_id is not a valid milestone.",
    );
    let run_now = run(&store, r);
    assert_eq!(
        run_now["milestone_id"],
        Value::Null,
        "the run stays, unlinked"
    );
    let plan_now = ok(&store, &format!("get_plan/{p}"), Value::Null);
    assert_eq!(
        plan_now["milestone_id"],
        Value::Null,
        "the plan stays, unlinked"
    );
    for pr in plan_now["entries"][0]["runs"].as_array().unwrap() {
        assert_eq!(pr["milestone_id"], Value::Null);
    }
    assert!(all_pages(&store, &format!("get_runs/2&milestone_id={m}"), "runs").is_empty());
    // The sample's run 1 belongs to milestone 2 in project 1.
    write(&store, "delete_milestone/2", json!({}));
    assert_eq!(run(&store, 1)["milestone_id"], Value::Null);
}

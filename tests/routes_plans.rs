//! Conformance of the plan routes (`add_plan`, `get_plan`, `get_plans`, `update_plan`,
//! `close_plan`, `delete_plan`, `add_plan_entry`, `update_plan_entry`, `delete_plan_entry`,
//! `add_run_to_plan_entry`, `update_run_in_plan_entry`, `delete_run_from_plan_entry`) and of the
//! run routes on plan runs, with TestRail's documented behaviour: testrail-results.md §1.3, §4.6,
//! §6 point 18 and testrail-runs-facts.md §6, §7, §11, §17. Written from those documents, not
//! from the implementation.

mod common;
#[path = "common/runs.rs"]
mod runs_common;

use common::*;
use runs_common::*;
use serde_json::{json, Value};
use trailstore::Store;

const PLAN_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "milestone_id",
    "assignedto_id",
    "is_completed",
    "completed_on",
    "project_id",
    "created_on",
    "created_by",
    "refs",
    "start_on",
    "due_on",
    "url",
];

const PLAN_RUN_KEYS: &[&str] = &[
    "id",
    "suite_id",
    "name",
    "description",
    "milestone_id",
    "assignedto_id",
    "include_all",
    "is_completed",
    "completed_on",
    "project_id",
    "plan_id",
    "entry_index",
    "entry_id",
    "config",
    "config_ids",
    "created_on",
    "created_by",
    "refs",
    "url",
];

const PLAN_DONE: &str = "This operation is not allowed. The test plan is already completed.";
const RUN_DONE: &str = "This operation is not allowed. The test run is already completed.";
const USE_PLAN_API: &str =
    "Field :run_id is part of a test run. Please use API endpoints for test plan entries.";

/// Two configuration groups of project 2, made through the routes.
struct Lab {
    chrome: u64,
    firefox: u64,
    linux: u64,
    windows: u64,
}

fn lab(store: &Store) -> Lab {
    let browsers = id(&write(
        store,
        "add_config_group/2",
        json!({"name": "Browsers"}),
    ));
    let chrome = id(&write(
        store,
        &format!("add_config/{browsers}"),
        json!({"name": "Chrome"}),
    ));
    let firefox = id(&write(
        store,
        &format!("add_config/{browsers}"),
        json!({"name": "Firefox"}),
    ));
    let os = id(&write(store, "add_config_group/2", json!({"name": "OS"})));
    let linux = id(&write(
        store,
        &format!("add_config/{os}"),
        json!({"name": "Linux"}),
    ));
    let windows = id(&write(
        store,
        &format!("add_config/{os}"),
        json!({"name": "Windows"}),
    ));
    Lab {
        chrome,
        firefox,
        linux,
        windows,
    }
}

/// A plan in project 2: entry 0 on suite 2 (iOS, 46 cases) with two configured runs, entry 1 on
/// suite 3 without configurations over cases 245–247.
fn release_plan(store: &Store, l: &Lab) -> Value {
    write(
        store,
        "add_plan/2",
        json!({"name": "Release 4.2", "description": "Sign-off", "milestone_id": 5,
        "entries": [
            {"suite_id": 2, "include_all": true,
             "config_ids": [l.chrome, l.firefox, l.linux],
             "runs": [
                 {"config_ids": [l.chrome, l.linux]},
                 {"config_ids": [l.firefox, l.linux], "include_all": false,
                  "case_ids": [199, 200], "assignedto_id": 2}
             ]},
            {"suite_id": 3, "name": "Android entry", "include_all": false,
             "case_ids": [245, 246, 247]}
        ]}),
    )
}

fn plan(store: &Store, plan_id: u64) -> Value {
    ok(store, &format!("get_plan/{plan_id}"), Value::Null)
}

fn entry_id(p: &Value, i: usize) -> String {
    p["entries"][i]["id"]
        .as_str()
        .expect("entry ids are strings")
        .to_string()
}

fn run_of(p: &Value, entry: usize, i: usize) -> u64 {
    id(&p["entries"][entry]["runs"][i])
}

fn plan_runs(p: &Value) -> Vec<Value> {
    p["entries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["runs"].as_array().unwrap().iter().cloned())
        .collect()
}

/// A plan's counters are the sums of its runs'.
#[track_caller]
fn assert_plan_sums(p: &Value) {
    let mut sum = [0u64; 12];
    for r in plan_runs(p) {
        for (s, c) in sum.iter_mut().zip(counts(&r)) {
            *s += c;
        }
    }
    assert_eq!(counts(p), sum, "plan counts are the sum of its runs'");
}

#[test]
fn add_plan_with_entries_and_configurations() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let pid = id(&p);
    for k in PLAN_KEYS.iter().chain(COUNT_KEYS.iter()) {
        assert!(p.get(*k).is_some(), "plan lacks {k}: {p}");
    }
    assert_eq!(p["name"], "Release 4.2");
    assert_eq!(p["description"], "Sign-off");
    assert_eq!(p["milestone_id"], 5);
    assert_eq!(p["project_id"], 2);
    assert_eq!(p["is_completed"], false);
    assert_eq!(p["completed_on"], Value::Null);
    assert_eq!(p["created_by"], store.user_id().unwrap());
    assert!(p["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("index.php?/plans/view/{pid}")));
    let entries = p["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);

    let e0 = &entries[0];
    let e0_id = entry_id(&p, 0);
    assert!(is_guid(&e0_id), "entry id {e0_id} is a GUID string");
    assert_eq!(e0["suite_id"], 2);
    assert_eq!(e0["name"], "iOS", "an entry's name defaults to its suite's");
    assert_eq!(e0["include_all"], true);
    for k in ["refs", "description"] {
        assert!(e0.get(k).is_some(), "entry lacks {k}");
    }
    let runs0 = e0["runs"].as_array().unwrap();
    assert_eq!(runs0.len(), 2);
    for r in runs0 {
        for k in PLAN_RUN_KEYS.iter().chain(COUNT_KEYS.iter()) {
            assert!(r.get(*k).is_some(), "plan run lacks {k}: {r}");
        }
        assert_eq!(r["plan_id"], pid);
        assert_eq!(r["entry_id"], e0_id.as_str());
        assert_eq!(
            r["entry_index"], runs0[0]["entry_index"],
            "one index per entry"
        );
        assert!(r["entry_index"].is_u64());
        assert_eq!(r["name"], "iOS", "runs take their entry's name");
        assert_eq!(r["suite_id"], 2);
        assert_eq!(r["project_id"], 2);
        assert_eq!(r["milestone_id"], 5, "runs take their plan's milestone");
        assert_eq!(r["is_completed"], false);
        assert_eq!(
            ok(&store, &format!("get_run/{}", id(r)), Value::Null),
            *r,
            "get_run of a plan run is the plan's run"
        );
    }
    assert_eq!(runs0[0]["config"], "Chrome, Linux");
    assert_eq!(runs0[0]["config_ids"], json!([l.chrome, l.linux]));
    assert_eq!(runs0[0]["include_all"], true);
    assert_eq!(counts(&runs0[0]), want(&[("untested_count", 46)]));
    assert_eq!(runs0[1]["config"], "Firefox, Linux");
    assert_eq!(runs0[1]["config_ids"], json!([l.firefox, l.linux]));
    assert_eq!(runs0[1]["include_all"], false);
    assert_eq!(runs0[1]["assignedto_id"], 2);
    assert_eq!(case_ids_of(&store, id(&runs0[1])), vec![199, 200]);

    let e1 = &entries[1];
    assert!(is_guid(e1["id"].as_str().unwrap()));
    assert_ne!(e1["id"], e0["id"]);
    assert_eq!(e1["name"], "Android entry");
    let runs1 = e1["runs"].as_array().unwrap();
    assert_eq!(runs1.len(), 1);
    assert_eq!(runs1[0]["config"], Value::Null);
    assert_eq!(runs1[0]["config_ids"], json!([]));
    assert_eq!(runs1[0]["name"], "Android entry");
    assert_ne!(runs1[0]["entry_index"], runs0[0]["entry_index"]);
    assert_eq!(case_ids_of(&store, id(&runs1[0])), vec![245, 246, 247]);

    assert_eq!(counts(&p), want(&[("untested_count", 46 + 2 + 3)]));
    assert_plan_sums(&p);
    assert_eq!(plan(&store, pid), p, "get_plan answers what add_plan did");

    // Plan runs stay out of get_runs unless asked for.
    let listed = ids(&all_pages(&store, "get_runs/2", "runs"));
    assert!(plan_runs(&p).iter().all(|r| !listed.contains(&id(r))));
    let listed = ids(&all_pages(&store, "get_runs/2&include_plan_runs=1", "runs"));
    assert!(plan_runs(&p).iter().all(|r| listed.contains(&id(r))));
}

#[test]
fn the_samples_plan_keeps_the_servers_shape() {
    let (_d, store) = sample();
    let want_plan = &snapshot()["plans"][0];
    let got = plan(&store, 1);
    for (k, v) in want_plan.as_object().unwrap() {
        assert_eq!(&got[k], v, "plan 1 key {k}");
    }
    assert_plan_sums(&got);
}

#[test]
fn get_plans_lists_plans_without_entries() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let listed = ok(&store, "get_plans/2", Value::Null);
    let items = page(&listed, "plans", 0, 250);
    assert_eq!(listed["_links"]["next"], Value::Null);
    let mut got = ids(items);
    got.sort_unstable();
    assert_eq!(got, vec![1, id(&p)]);
    for item in items {
        assert!(item.get("entries").is_none(), "get_plans has no entries");
        let full = plan(&store, id(item));
        for (k, v) in item.as_object().unwrap() {
            assert_eq!(&full[k], v, "plan {} key {k}", id(item));
        }
    }
    write(&store, &format!("close_plan/{}", id(&p)), json!({}));
    assert_eq!(
        ids(&all_pages(&store, "get_plans/2&is_completed=1", "plans")),
        vec![id(&p)]
    );
    assert_eq!(
        ids(&all_pages(&store, "get_plans/2&is_completed=0", "plans")),
        vec![1]
    );
    assert!(all_pages(&store, "get_plans/1", "plans").is_empty());
    refuse_unknown(
        &store,
        "get_plans/99",
        Value::Null,
        "Field :project_id is not a valid or accessible project.",
    );
}

#[test]
fn plan_counts_follow_results_in_its_runs() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let pid = id(&p);
    let (chrome, firefox, android) = (run_of(&p, 0, 0), run_of(&p, 0, 1), run_of(&p, 1, 0));
    write(
        &store,
        &format!("add_results_for_cases/{chrome}"),
        json!({"results": [{"case_id": 199, "status_id": 1}, {"case_id": 201, "status_id": 5}]}),
    );
    write(
        &store,
        &format!("add_result_for_case/{firefox}/199"),
        json!({"status_id": 6}),
    );
    write(
        &store,
        &format!("add_result_for_case/{android}/245"),
        json!({"status_id": 2}),
    );
    let now = plan(&store, pid);
    assert_eq!(
        counts(&now),
        want(&[
            ("passed_count", 1),
            ("failed_count", 1),
            ("custom_status1_count", 1),
            ("blocked_count", 1),
            ("untested_count", 51 - 4)
        ])
    );
    assert_plan_sums(&now);
    // The configured runs keep their own tests: Chrome's result is not Firefox's.
    assert_eq!(test_of(&store, firefox, 199)["status_id"], 6);
    assert_eq!(test_of(&store, chrome, 199)["status_id"], 1);
    // get_plans shows the same counters.
    let listed = all_pages(&store, "get_plans/2", "plans");
    let item = listed.iter().find(|i| id(i) == pid).unwrap();
    assert_eq!(counts(item), counts(&now));
}

#[test]
fn add_plan_entry_answers_the_entry_with_its_runs() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = write(&store, "add_plan/2", json!({"name": "Empty plan"}));
    let pid = id(&p);
    assert_eq!(p["entries"], json!([]));
    // trcli --plan-id without configurations: the add_run body.
    let e = write(
        &store,
        &format!("add_plan_entry/{pid}"),
        json!({"suite_id": "3", "description": "From JUnit", "include_all": false,
               "case_ids": [245, 246, 245], "refs": "MOB-9"}),
    );
    assert!(is_guid(e["id"].as_str().unwrap()));
    assert_eq!(e["suite_id"], 3);
    assert_eq!(e["name"], "Android", "the suite's name by default");
    assert_eq!(e["description"], "From JUnit");
    assert_eq!(e["refs"], "MOB-9");
    assert_eq!(e["include_all"], false);
    let runs = e["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let rid = id(&runs[0]);
    assert_eq!(runs[0]["entry_id"], e["id"]);
    assert_eq!(runs[0]["plan_id"], pid);
    assert_eq!(runs[0]["config"], Value::Null);
    assert_eq!(runs[0]["config_ids"], json!([]));
    assert_eq!(case_ids_of(&store, rid), vec![245, 246]);
    // trcli --plan-id with --config-ids.
    let e2 = write(
        &store,
        &format!("add_plan_entry/{pid}"),
        json!({"name": "Web", "suite_id": 2, "config_ids": [l.chrome, l.windows],
               "runs": [{"suite_id": 2, "description": "d", "include_all": false,
                         "case_ids": [199], "name": "Web", "config_ids": [l.chrome, l.windows]}]}),
    );
    assert_eq!(e2["name"], "Web");
    let r = &e2["runs"][0];
    assert_eq!(r["config"], "Chrome, Windows");
    assert_eq!(r["config_ids"], json!([l.chrome, l.windows]));
    assert_eq!(case_ids_of(&store, id(r)), vec![199]);
    let p = plan(&store, pid);
    assert_eq!(p["entries"].as_array().unwrap().len(), 2);
    assert_eq!(p["entries"][0], e);
    assert_eq!(p["entries"][1], e2);
    assert_eq!(counts(&p), want(&[("untested_count", 3)]));
}

#[test]
fn add_run_to_plan_entry_answers_the_plan() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let pid = id(&p);
    let e0 = entry_id(&p, 0);
    let answer = write(
        &store,
        &format!("add_run_to_plan_entry/{pid}/{e0}"),
        json!({"config_ids": [l.chrome, l.windows], "include_all": false, "case_ids": [201],
               "description": "Windows run"}),
    );
    assert_eq!(id(&answer), pid, "the whole plan comes back");
    let now = plan(&store, pid);
    assert_eq!(answer, now);
    let runs = now["entries"][0]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    let added = runs
        .iter()
        .find(|r| r["config"] == "Chrome, Windows")
        .expect("the new run is in the entry");
    assert_eq!(added["entry_id"], e0.as_str());
    assert_eq!(added["description"], "Windows run");
    assert_eq!(case_ids_of(&store, id(added)), vec![201]);
    assert_plan_sums(&now);
    refuse(
        &store,
        &format!("add_run_to_plan_entry/{pid}/{e0}"),
        json!({"include_all": true}),
        "Field :config_ids is a required field.",
        400,
    );
}

#[test]
fn update_plan_and_update_plan_entry_are_partial() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let pid = id(&p);
    let u = write(
        &store,
        &format!("update_plan/{pid}"),
        json!({"name": "Release 4.2.1"}),
    );
    assert_eq!(u["name"], "Release 4.2.1");
    assert_eq!(u["description"], "Sign-off", "update_plan is partial");
    assert_eq!(u["milestone_id"], 5);
    assert_eq!(u["entries"], p["entries"]);
    assert_eq!(plan(&store, pid), u);

    let e0 = entry_id(&p, 0);
    let e = write(
        &store,
        &format!("update_plan_entry/{pid}/{e0}"),
        json!({"name": "iOS sign-off", "description": "both browsers",
               "include_all": false, "case_ids": [199, 202]}),
    );
    assert_eq!(e["id"], e0.as_str(), "the entry comes back");
    assert_eq!(e["name"], "iOS sign-off");
    assert_eq!(e["description"], "both browsers");
    assert_eq!(e["include_all"], false);
    let runs = e["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "the configured runs stay");
    for r in runs {
        assert_eq!(r["name"], "iOS sign-off");
        assert_eq!(
            case_ids_of(&store, id(r)),
            vec![199, 202],
            "every run of the entry"
        );
        assert_eq!(counts(r), want(&[("untested_count", 2)]));
    }
    // Only the description: the rest stays.
    let e = write(
        &store,
        &format!("update_plan_entry/{pid}/{e0}"),
        json!({"description": "again"}),
    );
    assert_eq!(e["name"], "iOS sign-off");
    assert_eq!(e["include_all"], false);
    assert_eq!(case_ids_of(&store, run_of(&p, 0, 0)), vec![199, 202]);
    // "The config_ids and runs fields are NOT supported in POST calls to update_plan_entry": a
    // server may refuse them or leave them aside, but they never change the entry's runs.
    let runs_before = plan(&store, pid)["entries"][0]["runs"].clone();
    for body in [
        json!({"config_ids": [l.chrome]}),
        json!({"runs": [{"config_ids": [l.chrome, l.windows]}]}),
    ] {
        let route = format!("update_plan_entry/{pid}/{e0}");
        let n = journal(&store).len();
        match store.call(&route, Some(&body)) {
            // Left aside, the call changes nothing, and an update that changes nothing is not
            // journaled (as for cases).
            Ok(_) => assert_eq!(journal(&store).len(), n, "{body}"),
            Err(e) => {
                assert_eq!(e.http_status(), 400, "{e}");
                assert_eq!(journal(&store).len(), n, "{body}");
            }
        }
        assert_eq!(
            plan(&store, pid)["entries"][0]["runs"],
            runs_before,
            "{body} changed the entry's runs"
        );
    }
    assert_plan_sums(&plan(&store, pid));
}

#[test]
fn update_run_in_plan_entry_and_its_refusals() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let chrome = run_of(&p, 0, 0);
    let android = run_of(&p, 1, 0);
    // testrail-api sends a name too: ignored for a run of an entry.
    write(
        &store,
        &format!("update_run_in_plan_entry/{chrome}"),
        json!({"name": "ignored", "description": "only 199", "include_all": false,
               "case_ids": [199]}),
    );
    let r = run(&store, chrome);
    assert_eq!(r["description"], "only 199");
    assert_eq!(r["name"], "iOS");
    assert_eq!(case_ids_of(&store, chrome), vec![199]);
    assert_eq!(
        case_ids_of(&store, run_of(&p, 0, 1)),
        vec![199, 200],
        "the entry's other run is untouched"
    );
    let standalone = id(&write(
        &store,
        "add_run/2",
        json!({"suite_id": 3, "name": "alone"}),
    ));
    refuse(
        &store,
        &format!("update_run_in_plan_entry/{standalone}"),
        json!({"description": "x"}),
        "Field :run_id does not belong to a test plan entry.",
        400,
    );
    refuse(
        &store,
        &format!("update_run_in_plan_entry/{android}"),
        json!({"description": "x"}),
        "Field :run_id is a test plan entry. Please use update_plan_entry instead.",
        400,
    );
    refuse_unknown(
        &store,
        "update_run_in_plan_entry/999999",
        json!({"description": "x"}),
        "Field :run_id is not a valid test run.",
    );
    refuse(
        &store,
        &format!("update_run_in_plan_entry/{chrome}"),
        json!({"include_all": false, "case_ids": [999999]}),
        "Field :case_ids is not a valid ID.",
        400,
    );
}

#[test]
fn run_routes_refuse_plan_runs() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    for rid in [run_of(&p, 0, 0), run_of(&p, 1, 0), 3] {
        let e = refused(&store, &format!("update_run/{rid}"), json!({"name": "x"}));
        assert_eq!(e.to_string(), USE_PLAN_API, "update_run/{rid}");
        let e = refused(&store, &format!("delete_run/{rid}"), json!({}));
        assert_eq!(e.to_string(), USE_PLAN_API, "delete_run/{rid}");
        refuse_forbidden(
            &store,
            &format!("close_run/{rid}"),
            json!({}),
            "This operation is not allowed. The test run belongs to a test plan and cannot be closed independently.",
        );
    }
    // Results go to plan runs like to any run.
    write(
        &store,
        &format!("add_result_for_case/{}/245", run_of(&p, 1, 0)),
        json!({"status_id": 1}),
    );
}

#[test]
fn delete_run_from_plan_entry_and_its_refusals() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let pid = id(&p);
    let (chrome, firefox, android) = (run_of(&p, 0, 0), run_of(&p, 0, 1), run_of(&p, 1, 0));
    let standalone = id(&write(
        &store,
        "add_run/2",
        json!({"suite_id": 3, "name": "alone"}),
    ));
    refuse(
        &store,
        &format!("delete_run_from_plan_entry/{standalone}"),
        json!({}),
        "Field: run_id is not part of a test run. Please use delete_run instead.",
        400,
    );
    refuse(
        &store,
        &format!("delete_run_from_plan_entry/{android}"),
        json!({}),
        "Field :run_id is not part of a test run. Please use delete_plan_entry instead.",
        400,
    );
    refuse_unknown(
        &store,
        "delete_run_from_plan_entry/999999",
        json!({}),
        "Field :run_id is not a valid test run.",
    );
    let t = test_of(&store, firefox, 199);
    let answer = write(
        &store,
        &format!("delete_run_from_plan_entry/{firefox}"),
        json!({}),
    );
    assert_eq!(answer, Value::Null, "an empty body");
    refuse_unknown(
        &store,
        &format!("get_run/{firefox}"),
        Value::Null,
        "Field :run_id is not a valid test run.",
    );
    refuse_unknown(
        &store,
        &format!("get_test/{}", id(&t)),
        Value::Null,
        "Field :test_id is not a valid test.",
    );
    let now = plan(&store, pid);
    let left: Vec<u64> = plan_runs(&now).iter().map(id).collect();
    assert_eq!(left, vec![chrome, android]);
    assert_eq!(counts(&now), want(&[("untested_count", 46 + 3)]));
    assert_plan_sums(&now);
}

#[test]
fn delete_plan_entry_removes_its_runs() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let pid = id(&p);
    let e0 = entry_id(&p, 0);
    write(
        &store,
        &format!("add_result_for_case/{}/199", run_of(&p, 0, 0)),
        json!({"status_id": 5}),
    );
    let answer = write(&store, &format!("delete_plan_entry/{pid}/{e0}"), json!({}));
    assert_eq!(answer, Value::Null, "an empty body");
    let now = plan(&store, pid);
    assert_eq!(now["entries"].as_array().unwrap().len(), 1);
    assert_eq!(now["entries"][0]["name"], "Android entry");
    for rid in [run_of(&p, 0, 0), run_of(&p, 0, 1)] {
        refuse_unknown(
            &store,
            &format!("get_run/{rid}"),
            Value::Null,
            "Field :run_id is not a valid test run.",
        );
    }
    assert_eq!(counts(&now), want(&[("untested_count", 3)]));
    assert_plan_sums(&now);
    // The entry is gone; a GUID that never existed and text that is no GUID are no entries.
    for bad in [
        e0.as_str(),
        "00000000-0000-4000-8000-000000000000",
        "not-a-guid",
        "12",
    ] {
        refuse_unknown(
            &store,
            &format!("delete_plan_entry/{pid}/{bad}"),
            json!({}),
            "Field :entry_id is not a valid test plan entry.",
        );
        refuse_unknown(
            &store,
            &format!("update_plan_entry/{pid}/{bad}"),
            json!({"name": "x"}),
            "Field :entry_id is not a valid test plan entry.",
        );
        refuse_unknown(
            &store,
            &format!("add_run_to_plan_entry/{pid}/{bad}"),
            json!({"config_ids": [l.chrome, l.linux]}),
            "Field :entry_id is not a valid test plan entry.",
        );
    }
    // An entry of another plan is not this plan's.
    let other = release_plan(&store, &l);
    refuse_unknown(
        &store,
        &format!("update_plan_entry/{pid}/{}", entry_id(&other, 0)),
        json!({"name": "x"}),
        "Field :entry_id is not a valid test plan entry.",
    );
}

#[test]
fn close_plan_closes_every_run() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let pid = id(&p);
    write(
        &store,
        &format!("add_result_for_case/{}/199", run_of(&p, 0, 0)),
        json!({"status_id": 1}),
    );
    let c = write(&store, &format!("close_plan/{pid}"), json!({}));
    assert_eq!(c["is_completed"], true);
    assert!(c["completed_on"].is_i64());
    for r in plan_runs(&c) {
        assert_eq!(r["is_completed"], true, "run {} is closed", id(&r));
        assert!(r["completed_on"].is_i64());
        assert_eq!(run(&store, id(&r))["is_completed"], true);
    }
    assert_plan_sums(&c);
    assert_eq!(plan(&store, pid), c);
    refuse_forbidden(&store, &format!("close_plan/{pid}"), json!({}), PLAN_DONE);
    refuse_forbidden(
        &store,
        &format!("add_result_for_case/{}/199", run_of(&p, 0, 0)),
        json!({"status_id": 5}),
        RUN_DONE,
    );
    refuse_forbidden(
        &store,
        &format!("add_results_for_cases/{}", run_of(&p, 1, 0)),
        json!({"results": [{"case_id": 245, "status_id": 5}]}),
        RUN_DONE,
    );
    refuse_forbidden(
        &store,
        &format!("update_plan/{pid}"),
        json!({"name": "late"}),
        PLAN_DONE,
    );
    refuse_forbidden(
        &store,
        &format!("add_plan_entry/{pid}"),
        json!({"suite_id": 4}),
        PLAN_DONE,
    );
    refuse_forbidden(
        &store,
        &format!("update_plan_entry/{pid}/{}", entry_id(&p, 0)),
        json!({"name": "late"}),
        PLAN_DONE,
    );
    // A closed plan's tests no longer follow their cases.
    let before = test_of(&store, run_of(&p, 1, 0), 245);
    write(
        &store,
        "update_case/245",
        json!({"title": "Renamed after the plan closed"}),
    );
    assert_eq!(test_of(&store, run_of(&p, 1, 0), 245), before);
}

#[test]
fn delete_plan_removes_its_runs() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let pid = id(&p);
    let answer = write(&store, &format!("delete_plan/{pid}"), json!({}));
    assert_eq!(answer, Value::Null, "an empty body");
    refuse_unknown(
        &store,
        &format!("get_plan/{pid}"),
        Value::Null,
        "Field :plan_id is not a valid test plan.",
    );
    for r in plan_runs(&p) {
        refuse_unknown(
            &store,
            &format!("get_run/{}", id(&r)),
            Value::Null,
            "Field :run_id is not a valid test run.",
        );
    }
    let listed = ids(&all_pages(&store, "get_runs/2&include_plan_runs=1", "runs"));
    assert!(plan_runs(&p).iter().all(|r| !listed.contains(&id(r))));
}

#[test]
fn plan_refusals_write_nothing() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let pid = id(&p);
    refuse(
        &store,
        "add_plan/2",
        json!({"description": "no name"}),
        "Field :name is a required field.",
        400,
    );
    refuse_unknown(
        &store,
        "add_plan/99",
        json!({"name": "x"}),
        "Field :project_id is not a valid or accessible project.",
    );
    refuse_unknown(
        &store,
        "add_plan/2",
        json!({"name": "x", "milestone_id": 999}),
        "Field :milestone_id is not a valid milestone.",
    );
    for route in [
        "get_plan/999999",
        "update_plan/999999",
        "close_plan/999999",
        "delete_plan/999999",
        "add_plan_entry/999999",
    ] {
        let e = refused(&store, route, json!({"name": "x", "suite_id": 2}));
        assert_eq!(
            e.to_string(),
            "Field :plan_id is not a valid test plan.",
            "{route}"
        );
        assert_eq!(e.http_status(), 400);
    }
    refuse(
        &store,
        &format!("add_plan_entry/{pid}"),
        json!({"name": "no suite"}),
        "Field :suite_id is a required field.",
        400,
    );
    refuse_unknown(
        &store,
        &format!("add_plan_entry/{pid}"),
        json!({"suite_id": 999}),
        "Field :suite_id is not a valid test suite.",
    );
    refuse(
        &store,
        &format!("add_plan_entry/{pid}"),
        json!({"suite_id": 1}),
        "Field :suite_id is not a valid test suite.",
        400,
    );
    refuse(
        &store,
        &format!("add_plan_entry/{pid}"),
        json!({"suite_id": 2, "include_all": false, "case_ids": [199, 999999]}),
        "Field :case_ids is not a valid ID.",
        400,
    );
    // Configurations: unknown, two of one group in a run, one combination twice.
    let config_refusal = |body: Value, ends: &str| {
        let e = refused(&store, &format!("add_plan_entry/{pid}"), body);
        let text = e.to_string();
        assert!(
            text.starts_with("Field :") && text.ends_with(ends),
            "{text} should end with {ends}"
        );
        assert_eq!(e.http_status(), 400);
    };
    config_refusal(
        json!({"suite_id": 2, "config_ids": [l.chrome, 999],
               "runs": [{"config_ids": [l.chrome, 999]}]}),
        "contains one or more invalid or duplicate configurations.",
    );
    config_refusal(
        json!({"suite_id": 2, "config_ids": [l.chrome, l.firefox],
               "runs": [{"config_ids": [l.chrome, l.firefox]}]}),
        "uses an invalid combination of configurations (use one from each group).",
    );
    config_refusal(
        json!({"suite_id": 2, "config_ids": [l.chrome, l.linux],
               "runs": [{"config_ids": [l.chrome, l.linux]}, {"config_ids": [l.linux, l.chrome]}]}),
        "specifies the same configuration combination more than once.",
    );
    // A configuration of another project's group.
    let foreign_group = id(&write(
        &store,
        "add_config_group/1",
        json!({"name": "Elsewhere"}),
    ));
    let foreign = id(&write(
        &store,
        &format!("add_config/{foreign_group}"),
        json!({"name": "Not here"}),
    ));
    config_refusal(
        json!({"suite_id": 2, "config_ids": [foreign],
               "runs": [{"config_ids": [foreign]}]}),
        "contains one or more invalid or duplicate configurations.",
    );
    refuse(
        &store,
        "add_plan/2",
        json!({"name": "x", "milestone_id": 2}),
        "Field :milestone_id is not a valid milestone.",
        400,
    );
    // The whole add_plan is refused when one entry is bad.
    let before = all_pages(&store, "get_plans/2", "plans").len();
    let e = refused(
        &store,
        "add_plan/2",
        json!({"name": "half bad", "entries": [
            {"suite_id": 2},
            {"suite_id": 3, "include_all": false, "case_ids": [999999]}
        ]}),
    );
    assert_eq!(e.http_status(), 400);
    assert_eq!(all_pages(&store, "get_plans/2", "plans").len(), before);
    assert_eq!(plan(&store, pid), p, "nothing of the plan changed");
}

#[test]
fn include_all_plan_runs_gain_new_cases_of_their_suite() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let (chrome, firefox) = (run_of(&p, 0, 0), run_of(&p, 0, 1));
    let (_, added) = cases_in_project2(&store, 2, 1);
    assert!(case_ids_of(&store, chrome).contains(&added[0]));
    assert_eq!(case_ids_of(&store, firefox), vec![199, 200]);
    let now = plan(&store, id(&p));
    assert_eq!(counts(&now), want(&[("untested_count", 47 + 2 + 3)]));
    assert_plan_sums(&now);
}

#[test]
fn the_samples_plan_counts_follow_new_results() {
    let (_d, store) = sample();
    let before = plan(&store, 1);
    let untested = tests_of(&store, 3)
        .into_iter()
        .find(|t| t["status_id"] == 3)
        .expect("run 3 has an untested test");
    write(
        &store,
        &format!("add_result/{}", id(&untested)),
        json!({"status_id": 1}),
    );
    let after = plan(&store, 1);
    let mut expect = counts(&before);
    expect[slot(3)] -= 1;
    expect[slot(1)] += 1;
    assert_eq!(counts(&after), expect);
    assert_plan_sums(&after);
}

#[test]
fn deleting_a_case_updates_the_open_plans_runs_and_counts() {
    let (_d, store) = sample();
    let l = lab(&store);
    let p = release_plan(&store, &l);
    let firefox = run_of(&p, 0, 1);
    write(
        &store,
        &format!("add_result_for_case/{firefox}/200"),
        json!({"status_id": 5}),
    );
    write(&store, "delete_case/200", json!({}));
    assert_eq!(case_ids_of(&store, firefox), vec![199]);
    assert!(!case_ids_of(&store, run_of(&p, 0, 0)).contains(&200));
    let now = plan(&store, id(&p));
    assert_eq!(counts(&now), want(&[("untested_count", 45 + 1 + 3)]));
    assert_plan_sums(&now);
}

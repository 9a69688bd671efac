//! Conformance of the run and test routes (`add_run`, `get_run`, `get_runs`, `update_run`,
//! `close_run`, `delete_run`, `get_test`, `get_tests`) with TestRail's documented behaviour:
//! testrail-results.md §4.1, §4.2, §6 points 5–12 and testrail-runs-facts.md §1, §8, §12, §13,
//! §17, §18. Written from those documents, not from the implementation.

mod common;
#[path = "common/runs.rs"]
mod runs_common;

use common::*;
use runs_common::*;
use serde_json::{json, Value};
use trailstore::{ErrorCode, Store};

/// The keys of a standalone run as get_run, add_run, update_run and close_run answer it.
const RUN_KEYS: &[&str] = &[
    "id",
    "suite_id",
    "name",
    "description",
    "milestone_id",
    "assignedto_id",
    "include_all",
    "is_completed",
    "completed_on",
    "config",
    "config_ids",
    "project_id",
    "plan_id",
    "created_on",
    "created_by",
    "updated_on",
    "refs",
    "start_on",
    "due_on",
    "url",
];

/// The keys of a test (get_test and each element of get_tests).
const TEST_KEYS: &[&str] = &[
    "id",
    "case_id",
    "status_id",
    "assignedto_id",
    "run_id",
    "title",
    "template_id",
    "type_id",
    "priority_id",
    "estimate",
    "estimate_forecast",
    "refs",
    "milestone_id",
];

const DONE: &str = "This operation is not allowed. The test run is already completed.";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn sample_cases_of_suite(suite: u64) -> Vec<u64> {
    let mut v: Vec<u64> = snapshot()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["suite_id"] == suite)
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    v.sort_unstable();
    v
}

#[track_caller]
fn assert_run_shape(r: &Value) {
    for k in RUN_KEYS.iter().chain(COUNT_KEYS.iter()) {
        assert!(r.get(*k).is_some(), "run lacks {k}: {r}");
    }
    assert!(
        r["include_all"].is_boolean(),
        "include_all is a JSON boolean"
    );
    assert!(
        r["is_completed"].is_boolean(),
        "is_completed is a JSON boolean"
    );
    counts(r);
    let url = r["url"].as_str().expect("url is a string");
    assert!(
        url.ends_with(&format!("index.php?/runs/view/{}", id(r))),
        "url {url}"
    );
}

#[test]
fn add_run_answers_the_run_in_get_run_shape() {
    let (_d, store) = sample();
    let before = now();
    let r = write(
        &store,
        "add_run/1",
        json!({"name": "Smoke", "description": "Nightly smoke", "include_all": false,
               "case_ids": [1, 2, 3], "milestone_id": 2, "assignedto_id": 2, "refs": "SHOP-1"}),
    );
    assert_run_shape(&r);
    assert_eq!(r["name"], "Smoke");
    assert_eq!(r["description"], "Nightly smoke");
    assert_eq!(
        r["suite_id"], 1,
        "a single-suite project's run takes its suite"
    );
    assert_eq!(r["project_id"], 1);
    assert_eq!(r["milestone_id"], 2);
    assert_eq!(r["assignedto_id"], 2);
    assert_eq!(r["refs"], "SHOP-1");
    assert_eq!(r["include_all"], false);
    assert_eq!(r["is_completed"], false);
    assert_eq!(r["completed_on"], Value::Null);
    assert_eq!(r["plan_id"], Value::Null, "trcli indexes plan_id directly");
    assert_eq!(r["config"], Value::Null);
    assert_eq!(
        r["config_ids"],
        json!([]),
        "trcli indexes config_ids directly"
    );
    assert_eq!(r["created_by"], store.user_id().unwrap());
    assert!(r["created_on"].as_i64().unwrap() >= before);
    assert_eq!(counts(&r), want(&[("untested_count", 3)]));
    assert_eq!(run(&store, id(&r)), r, "get_run answers what add_run did");
    assert_eq!(case_ids_of(&store, id(&r)), vec![1, 2, 3]);
    // The tests start untested, assigned to the run's assignee ("the user to whom the tests
    // of the new test run should initially be assigned").
    for t in tests_of(&store, id(&r)) {
        assert_eq!(t["status_id"], 3);
        assert_eq!(t["run_id"], id(&r));
        assert_eq!(t["assignedto_id"], 2);
    }
}

#[test]
fn add_run_includes_all_cases_by_default() {
    let (_d, store) = sample();
    let r = write(&store, "add_run/1", json!({"name": "Everything"}));
    assert_eq!(r["include_all"], true, "include_all defaults to true");
    let all = sample_cases_of_suite(1);
    assert_eq!(counts(&r), want(&[("untested_count", all.len() as u64)]));
    assert_eq!(case_ids_of(&store, id(&r)), all);
    // case_ids are ignored when include_all is true.
    let r = write(
        &store,
        "add_run/1",
        json!({"name": "All anyway", "include_all": true, "case_ids": [1]}),
    );
    assert_eq!(case_ids_of(&store, id(&r)), all);
}

#[test]
fn add_run_takes_pytest_testrails_body() {
    let (_d, store) = sample();
    // pytest-testrail sends ids as strings, nulls literally and duplicate case ids.
    let r = write(
        &store,
        "add_run/2",
        json!({"suite_id": "2", "name": "Automated Run", "description": "",
               "assignedto_id": null, "include_all": false,
               "case_ids": [199, "200", 200, 199, "201"], "milestone_id": null}),
    );
    assert_eq!(r["suite_id"], 2);
    assert_eq!(r["assignedto_id"], Value::Null);
    assert_eq!(r["milestone_id"], Value::Null);
    assert_eq!(
        case_ids_of(&store, id(&r)),
        vec![199, 200, 201],
        "one test per selected case"
    );
    assert_eq!(counts(&r), want(&[("untested_count", 3)]));
    // trcli's body: ids as numbers, include_all false, refs and a milestone as a numeric string.
    let r = write(
        &store,
        "add_run/2",
        json!({"suite_id": 3, "description": "From JUnit\n\nbuild: 7", "include_all": false,
               "case_ids": [245, 246, 245], "name": "trcli", "milestone_id": "5", "refs": "MOB-1"}),
    );
    assert_eq!(r["milestone_id"], 5);
    assert_eq!(case_ids_of(&store, id(&r)), vec![245, 246]);
}

#[test]
fn add_run_refusals_write_nothing() {
    let (_d, store) = sample();
    refuse_unknown(
        &store,
        "add_run/99",
        json!({"name": "x"}),
        "Field :project_id is not a valid or accessible project.",
    );
    refuse(
        &store,
        "add_run/2",
        json!({"name": "x", "include_all": true}),
        "Field :suite_id is a required field.",
        400,
    );
    refuse_unknown(
        &store,
        "add_run/2",
        json!({"name": "x", "suite_id": 999}),
        "Field :suite_id is not a valid test suite.",
    );
    // A suite of another project is not a suite of this one.
    refuse(
        &store,
        "add_run/2",
        json!({"name": "x", "suite_id": 1}),
        "Field :suite_id is not a valid test suite.",
        400,
    );
    refuse(
        &store,
        "add_run/1",
        json!({"name": "x", "include_all": false, "case_ids": [1, 999999]}),
        "Field :case_ids is not a valid ID.",
        400,
    );
    refuse(
        &store,
        "add_run/1",
        json!({"name": "x", "include_all": false, "case_ids": [1, "abc"]}),
        "Field :case_ids is not a valid ID.",
        400,
    );
    // A case of another suite is not one of this run's suite.
    refuse(
        &store,
        "add_run/2",
        json!({"name": "x", "suite_id": 2, "include_all": false, "case_ids": [199, 245]}),
        "Field :case_ids is not a valid ID.",
        400,
    );
    refuse_unknown(
        &store,
        "add_run/1",
        json!({"name": "x", "milestone_id": 999}),
        "Field :milestone_id is not a valid milestone.",
    );
    // Milestone 5 belongs to project 2.
    refuse(
        &store,
        "add_run/1",
        json!({"name": "x", "milestone_id": 5}),
        "Field :milestone_id is not a valid milestone.",
        400,
    );
    assert!(journal(&store).is_empty());
}

#[test]
fn get_run_refusals() {
    let (_d, store) = sample();
    refuse_unknown(
        &store,
        "get_run/999999",
        Value::Null,
        "Field :run_id is not a valid test run.",
    );
    let e = err(&store, "get_run/abc", Value::Null);
    assert_error(&e, "Field :run_id is not a valid ID.", Some("run_id"));
    assert_eq!(e.http_status(), 400);
    let e = err(&store, "get_run", Value::Null);
    assert_error(&e, "Field :run_id is a required field.", Some("run_id"));
}

#[test]
fn imported_runs_keep_the_servers_shape() {
    let (_d, store) = sample();
    for want_run in snapshot()["runs"].as_array().unwrap() {
        let got = run(&store, id(want_run));
        assert_run_shape(&got);
        for (k, v) in want_run.as_object().unwrap() {
            assert_eq!(&got[k], v, "run {} key {k}", id(want_run));
        }
    }
}

/// Runs of project 1 made for the filter tests: A (open, milestone 3, refs REQ-1, REQ-2) and B
/// (closed, refs REQ-3), both by user 3, after the sample's run 1 (closed, milestone 2) and run
/// 2 (open), both by user 1 and created in 2025.
fn filter_runs(store: &Store) -> (u64, u64) {
    store.set_user_id(3).unwrap();
    let a = id(&write(
        store,
        "add_run/1",
        json!({"name": "A", "milestone_id": 3, "refs": "REQ-1, REQ-2"}),
    ));
    let b = id(&write(
        store,
        "add_run/1",
        json!({"name": "B", "refs": "REQ-3"}),
    ));
    write(store, &format!("close_run/{b}"), json!({}));
    (a, b)
}

fn run_ids(store: &Store, route: &str) -> Vec<u64> {
    ids(&all_pages(store, route, "runs"))
}

#[test]
fn get_runs_is_newest_first_and_filters() {
    let (_d, store) = sample();
    let (a, b) = filter_runs(&store);
    let page1 = ok(&store, "get_runs/1", Value::Null);
    let items = page(&page1, "runs", 0, 250);
    assert_eq!(ids(items), vec![b, a, 2, 1], "newest first");
    assert_eq!(page1["_links"]["next"], Value::Null);
    for r in items {
        assert_run_shape(r);
        assert_eq!(r, &run(&store, id(r)), "a listed run is get_run's run");
    }
    let cases: &[(&str, Vec<u64>)] = &[
        ("&is_completed=1", vec![b, 1]),
        ("&is_completed=0", vec![a, 2]),
        ("&milestone_id=2", vec![1]),
        ("&milestone_id=2,3", vec![a, 1]),
        ("&created_by=3", vec![b, a]),
        ("&created_by=1", vec![2, 1]),
        ("&created_by=1,3", vec![b, a, 2, 1]),
        ("&created_after=1760000000", vec![b, a, 2]),
        ("&created_before=1760000000", vec![1]),
        ("&refs=REQ-2", vec![a]),
        ("&refs=REQ-3", vec![b]),
        ("&suite_id=1", vec![b, a, 2, 1]),
        ("&is_completed=0&created_by=3", vec![a]),
    ];
    for (filter, want_ids) in cases {
        assert_eq!(
            &run_ids(&store, &format!("get_runs/1{filter}")),
            want_ids,
            "get_runs/1{filter}"
        );
    }
    refuse_unknown(
        &store,
        "get_runs/99",
        Value::Null,
        "Field :project_id is not a valid or accessible project.",
    );
}

#[test]
fn get_runs_lists_plan_runs_only_when_asked() {
    let (_d, store) = sample();
    let standalone = id(&write(
        &store,
        "add_run/2",
        json!({"name": "Android smoke", "suite_id": 3}),
    ));
    // The sample's plan holds runs 3 and 4 of suite 2 in project 2.
    assert_eq!(run_ids(&store, "get_runs/2"), vec![standalone]);
    let mut with_plans = run_ids(&store, "get_runs/2&include_plan_runs=1");
    with_plans.sort_unstable();
    assert_eq!(with_plans, vec![3, 4, standalone]);
    assert_eq!(run_ids(&store, "get_runs/2&suite_id=3"), vec![standalone]);
    assert!(run_ids(&store, "get_runs/2&suite_id=2").is_empty());
    let mut s2 = run_ids(&store, "get_runs/2&suite_id=2&include_plan_runs=1");
    s2.sort_unstable();
    assert_eq!(s2, vec![3, 4]);
    let mut s23 = run_ids(&store, "get_runs/2&suite_id=2,3&include_plan_runs=1");
    s23.sort_unstable();
    assert_eq!(s23, vec![3, 4, standalone]);
}

#[test]
fn get_runs_pages_at_0_250_and_251() {
    let (_d, store) = sample();
    let p = ok(
        &store,
        "add_project",
        json!({"name": "Many runs", "suite_mode": 1}),
    );
    let pid = id(&p);
    let listing = format!("get_runs/{pid}");
    let add = |from: usize, to: usize| {
        let mut batch = store.batch().unwrap();
        for i in from..to {
            batch
                .call(
                    &format!("add_run/{pid}"),
                    Some(&json!({"name": format!("Run {i}")})),
                )
                .unwrap();
        }
        batch.commit().unwrap();
    };
    let first = ok(&store, &listing, Value::Null);
    assert!(page(&first, "runs", 0, 250).is_empty());
    assert_eq!(first["_links"]["next"], Value::Null);

    add(0, 250);
    let first = ok(&store, &listing, Value::Null);
    let items = page(&first, "runs", 0, 250);
    assert_eq!(items.len(), 250);
    assert_eq!(first["_links"]["next"], Value::Null, "last page");
    assert_eq!(items[0]["name"], "Run 249", "newest first");

    add(250, 251);
    let first = ok(&store, &listing, Value::Null);
    assert_eq!(page(&first, "runs", 0, 250).len(), 250);
    assert_eq!(first["runs"][0]["name"], "Run 250");
    let next = first["_links"]["next"].as_str().expect("a next page");
    assert_eq!(next, format!("/api/v2/{listing}&limit=250&offset=250"));
    let second = ok(&store, next, Value::Null);
    let items = page(&second, "runs", 250, 250);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "Run 0", "the oldest run comes last");
    assert_eq!(second["_links"]["next"], Value::Null);
    assert_eq!(all_pages(&store, &listing, "runs").len(), 251);
    // Past the end: an empty page, not an error (trcli's parallel pagination relies on it).
    let past = ok(&store, &format!("{listing}&offset=600"), Value::Null);
    assert!(past["runs"].as_array().unwrap().is_empty());
    assert_eq!(past["_links"]["next"], Value::Null);
    // A custom limit.
    let small = ok(
        &store,
        &format!("{listing}&limit=10&offset=245"),
        Value::Null,
    );
    assert_eq!(page(&small, "runs", 245, 10).len(), 6);
}

#[test]
fn update_run_is_partial_and_ignores_suite_id() {
    let (_d, store) = sample();
    let r = write(
        &store,
        "add_run/1",
        json!({"name": "Before", "description": "kept", "refs": "R-1", "milestone_id": 2,
               "include_all": false, "case_ids": [1, 2]}),
    );
    let rid = id(&r);
    let u = write(
        &store,
        &format!("update_run/{rid}"),
        json!({"name": "After", "suite_id": 2}),
    );
    assert_run_shape(&u);
    assert_eq!(u["name"], "After");
    assert_eq!(u["description"], "kept");
    assert_eq!(u["refs"], "R-1");
    assert_eq!(u["milestone_id"], 2);
    assert_eq!(
        u["suite_id"], 1,
        "suite_id cannot be updated and is ignored"
    );
    assert_eq!(u["include_all"], false);
    assert_eq!(case_ids_of(&store, rid), vec![1, 2], "the selection stays");
    assert_eq!(run(&store, rid), u);
    // trcli's body for an existing run: current values back, suite_id, include_all kept.
    let u = write(
        &store,
        &format!("update_run/{rid}"),
        json!({"description": "kept", "refs": "R-1, R-2", "include_all": false,
               "case_ids": [1, 2, 3], "name": "After", "suite_id": 1}),
    );
    assert_eq!(u["refs"], "R-1, R-2");
    assert_eq!(case_ids_of(&store, rid), vec![1, 2, 3]);
    // Clearing an optional field with null.
    let u = write(
        &store,
        &format!("update_run/{rid}"),
        json!({"milestone_id": null}),
    );
    assert_eq!(u["milestone_id"], Value::Null);
}

#[test]
fn update_run_case_ids_replace_the_tests_and_kept_tests_keep_their_results() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1, 2, 3]);
    let t1 = test_of(&store, rid, 1);
    let t2 = test_of(&store, rid, 2);
    write(
        &store,
        &format!("add_results_for_cases/{rid}"),
        json!({"results": [{"case_id": 1, "status_id": 1}, {"case_id": 2, "status_id": 5}]}),
    );
    assert_eq!(
        counts(&run(&store, rid)),
        want(&[
            ("passed_count", 1),
            ("failed_count", 1),
            ("untested_count", 1)
        ])
    );
    let u = write(
        &store,
        &format!("update_run/{rid}"),
        json!({"include_all": false, "case_ids": [1, 3, 4]}),
    );
    assert_eq!(case_ids_of(&store, rid), vec![1, 3, 4]);
    assert_eq!(
        counts(&u),
        want(&[("passed_count", 1), ("untested_count", 2)]),
        "counts follow the new selection"
    );
    assert_eq!(counts(&run(&store, rid)), counts(&u));
    let kept = test_of(&store, rid, 1);
    assert_eq!(id(&kept), id(&t1), "a kept case keeps its test");
    assert_eq!(kept["status_id"], 1, "and its status");
    let results = ok(&store, &format!("get_results/{}", id(&t1)), Value::Null);
    assert_eq!(
        results["results"].as_array().unwrap().len(),
        1,
        "and its results"
    );
    let e = err(&store, &format!("get_test/{}", id(&t2)), Value::Null);
    assert_eq!(e.to_string(), "Field :test_id is not a valid test.");
    // include_all: true brings every case of the suite.
    write(
        &store,
        &format!("update_run/{rid}"),
        json!({"include_all": true}),
    );
    assert_eq!(case_ids_of(&store, rid), sample_cases_of_suite(1));
    assert_eq!(id(&test_of(&store, rid, 1)), id(&t1));
}

#[test]
fn update_run_refusals_write_nothing() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1, 2]);
    refuse_unknown(
        &store,
        "update_run/999999",
        json!({"name": "x"}),
        "Field :run_id is not a valid test run.",
    );
    refuse(
        &store,
        &format!("update_run/{rid}"),
        json!({"include_all": false, "case_ids": [1, 999999]}),
        "Field :case_ids is not a valid ID.",
        400,
    );
    // Case 245 is in suite 3 of project 2.
    refuse(
        &store,
        &format!("update_run/{rid}"),
        json!({"include_all": false, "case_ids": [1, 245]}),
        "Field :case_ids is not a valid ID.",
        400,
    );
    refuse_unknown(
        &store,
        &format!("update_run/{rid}"),
        json!({"milestone_id": 999}),
        "Field :milestone_id is not a valid milestone.",
    );
    assert_eq!(case_ids_of(&store, rid), vec![1, 2]);
    // A completed run can no longer be modified (sample run 1 is closed).
    refuse_forbidden(&store, "update_run/1", json!({"name": "x"}), DONE);
    write(&store, &format!("close_run/{rid}"), json!({}));
    refuse_forbidden(
        &store,
        &format!("update_run/{rid}"),
        json!({"description": "late"}),
        DONE,
    );
}

#[test]
fn close_run_freezes_the_run_and_answers_it() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1, 2, 3]);
    write(
        &store,
        &format!("add_result_for_case/{rid}/1"),
        json!({"status_id": 1}),
    );
    let before = now();
    // trcli sends the run id again in the body: ignored.
    let c = write(&store, &format!("close_run/{rid}"), json!({"run_id": rid}));
    assert_run_shape(&c);
    assert_eq!(c["is_completed"], true);
    assert!(c["completed_on"].as_i64().unwrap() >= before);
    assert_eq!(
        counts(&c),
        want(&[("passed_count", 1), ("untested_count", 2)])
    );
    assert_eq!(run(&store, rid), c);
    refuse_forbidden(&store, &format!("close_run/{rid}"), json!({}), DONE);
    refuse_unknown(
        &store,
        "close_run/999999",
        json!({}),
        "Field :run_id is not a valid test run.",
    );
    // Listed among the completed runs.
    assert!(run_ids(&store, "get_runs/1&is_completed=1").contains(&rid));
    assert!(!run_ids(&store, "get_runs/1&is_completed=0").contains(&rid));
}

#[test]
fn delete_run_removes_its_tests_and_results() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1, 2]);
    let t = test_of(&store, rid, 1);
    let res = write(
        &store,
        &format!("add_result/{}", id(&t)),
        json!({"status_id": 5, "comment": "boom"}),
    );
    // soft=1 reports and deletes nothing.
    let version = store.data_version().unwrap();
    let n = journal(&store).len();
    ok(&store, &format!("delete_run/{rid}&soft=1"), json!({}));
    assert_eq!(
        store.data_version().unwrap(),
        version,
        "soft=1 deletes nothing"
    );
    assert_eq!(journal(&store).len(), n);
    assert_eq!(id(&run(&store, rid)), rid);

    let answer = write(&store, &format!("delete_run/{rid}"), json!({}));
    assert_eq!(answer, Value::Null, "an empty body");
    refuse_unknown(
        &store,
        &format!("get_run/{rid}"),
        Value::Null,
        "Field :run_id is not a valid test run.",
    );
    refuse_unknown(
        &store,
        &format!("get_test/{}", id(&t)),
        Value::Null,
        "Field :test_id is not a valid test.",
    );
    refuse_unknown(
        &store,
        &format!("get_results/{}", id(&t)),
        Value::Null,
        "Field :test_id is not a valid test.",
    );
    let e = err(
        &store,
        &format!("edit_result/{}", id(&res)),
        json!({"comment": "x"}),
    );
    assert_eq!(e.http_status(), 400, "the result went with its run");
    assert!(!run_ids(&store, "get_runs/1").contains(&rid));
    refuse_unknown(
        &store,
        &format!("delete_run/{rid}"),
        json!({}),
        "Field :run_id is not a valid test run.",
    );
}

#[test]
fn get_test_has_the_cases_fields_and_equals_its_listing() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[8, 14]);
    for t in tests_of(&store, rid) {
        for k in TEST_KEYS {
            assert!(t.get(*k).is_some(), "test lacks {k}: {t}");
        }
        let case = ok(&store, &format!("get_case/{}", t["case_id"]), Value::Null);
        for k in [
            "title",
            "template_id",
            "type_id",
            "priority_id",
            "estimate",
            "refs",
        ] {
            assert_eq!(t[k], case[k], "test's {k} is its case's");
        }
        for (k, v) in case.as_object().unwrap() {
            if k.starts_with("custom_") {
                assert_eq!(&t[k], v, "test's {k} is its case's");
            }
        }
        assert_eq!(t["status_id"], 3, "untested before any result");
        assert_eq!(
            ok(&store, &format!("get_test/{}", id(&t)), Value::Null),
            t,
            "get_test is the get_tests element"
        );
    }
    refuse_unknown(
        &store,
        "get_test/999999",
        Value::Null,
        "Field :test_id is not a valid test.",
    );
    refuse_unknown(
        &store,
        "get_tests/999999",
        Value::Null,
        "Field :run_id is not a valid test run.",
    );
}

#[test]
fn tests_follow_their_case_until_the_run_is_closed() {
    let (_d, store) = sample();
    let open = run_over(&store, &[8, 9]);
    let closed_early = run_over(&store, &[8]);
    write(&store, &format!("close_run/{closed_early}"), json!({}));
    let frozen_before = test_of(&store, closed_early, 8);

    write(
        &store,
        "update_case/8",
        json!({"title": "Progress bar shows the step", "priority_id": 4, "estimate": "5m",
               "refs": "SHOP-9", "custom_story_points": 13, "type_id": 4, "milestone_id": 2}),
    );
    let t = test_of(&store, open, 8);
    assert_eq!(t["title"], "Progress bar shows the step");
    assert_eq!(t["type_id"], 4);
    assert_eq!(t["milestone_id"], 2);
    assert_eq!(t["priority_id"], 4);
    assert_eq!(t["estimate"], "5m");
    assert_eq!(t["refs"], "SHOP-9");
    assert_eq!(t["custom_story_points"], 13);
    assert_eq!(ok(&store, &format!("get_test/{}", id(&t)), Value::Null), t);
    assert_eq!(
        test_of(&store, closed_early, 8),
        frozen_before,
        "a closed run's test keeps the case as it was at close"
    );

    write(&store, &format!("close_run/{open}"), json!({}));
    write(
        &store,
        "update_case/8",
        json!({"title": "Renamed after close", "custom_story_points": 21}),
    );
    let t = ok(&store, &format!("get_test/{}", id(&t)), Value::Null);
    assert_eq!(t["title"], "Progress bar shows the step", "frozen at close");
    assert_eq!(t["custom_story_points"], 13, "frozen at close");
    assert_eq!(t["priority_id"], 4);
}

#[test]
fn include_all_runs_gain_cases_added_to_their_suite_while_open() {
    let (_d, store) = sample();
    let all = write(&store, "add_run/1", json!({"name": "All"}));
    let all_id = id(&all);
    let picked = run_over(&store, &[1, 2]);
    let closed = id(&write(&store, "add_run/1", json!({"name": "All, closed"})));
    write(&store, &format!("close_run/{closed}"), json!({}));
    let n = sample_cases_of_suite(1).len() as u64;

    let c = write(
        &store,
        "add_case/17",
        web_case("Added while the run is open"),
    );
    let cid = id(&c);
    let cases = case_ids_of(&store, all_id);
    assert!(
        cases.contains(&cid),
        "an include_all run gains the new case"
    );
    assert_eq!(cases.len() as u64, n + 1);
    assert_eq!(
        counts(&run(&store, all_id)),
        want(&[("untested_count", n + 1)])
    );
    assert_eq!(
        test_of(&store, all_id, cid)["title"],
        "Added while the run is open"
    );
    // The sample's open include_all run 2 too.
    assert!(case_ids_of(&store, 2).contains(&cid));
    assert_eq!(
        case_ids_of(&store, picked),
        vec![1, 2],
        "a selection stays as chosen"
    );
    assert_eq!(
        case_ids_of(&store, closed).len() as u64,
        n,
        "a closed run is frozen"
    );
    assert!(!case_ids_of(&store, 1).contains(&cid));
}

#[test]
fn deleting_a_case_removes_it_from_open_runs_only() {
    let (_d, store) = sample();
    let open = run_over(&store, &[1, 2, 3]);
    let closed = run_over(&store, &[1, 2, 3]);
    for r in [open, closed] {
        write(
            &store,
            &format!("add_results_for_cases/{r}"),
            json!({"results": [{"case_id": 2, "status_id": 5}, {"case_id": 3, "status_id": 1}]}),
        );
    }
    write(&store, &format!("close_run/{closed}"), json!({}));
    let run2_before = counts(&run(&store, 2));
    let run2_status_of_2 = test_of(&store, 2, 2)["status_id"].as_u64().unwrap();

    let open_t2 = id(&test_of(&store, open, 2));
    let closed_t2 = id(&test_of(&store, closed, 2));
    write(&store, "delete_case/2", json!({}));
    assert_eq!(case_ids_of(&store, open), vec![1, 3]);
    // The open run's test goes with its results; the closed run keeps both.
    let open_results = all_pages(&store, &format!("get_results_for_run/{open}"), "results");
    assert_eq!(open_results.len(), 1);
    assert!(open_results.iter().all(|r| r["test_id"] != open_t2));
    let e = err(&store, &format!("get_test/{open_t2}"), Value::Null);
    assert_eq!(e.to_string(), "Field :test_id is not a valid test.");
    let closed_results = all_pages(&store, &format!("get_results_for_run/{closed}"), "results");
    assert_eq!(closed_results.len(), 2);
    assert_eq!(
        ok(&store, &format!("get_test/{closed_t2}"), Value::Null)["status_id"],
        5
    );
    assert_eq!(
        counts(&run(&store, open)),
        want(&[("passed_count", 1), ("untested_count", 1)]),
        "counts follow"
    );
    assert_eq!(
        case_ids_of(&store, closed),
        vec![1, 2, 3],
        "a closed run keeps its tests"
    );
    assert_eq!(
        counts(&run(&store, closed)),
        want(&[
            ("passed_count", 1),
            ("failed_count", 1),
            ("untested_count", 1)
        ])
    );
    // The sample's open include_all run 2 loses the case and its status from its counts.
    assert!(!case_ids_of(&store, 2).contains(&2));
    let mut expect = run2_before;
    expect[slot(run2_status_of_2)] -= 1;
    assert_eq!(counts(&run(&store, 2)), expect);
}

#[test]
fn deleting_a_section_removes_its_cases_from_open_runs_only() {
    let (_d, store) = sample();
    let sec = id(&write(&store, "add_section/1", json!({"name": "Doomed"})));
    let doomed = id(&write(
        &store,
        &format!("add_case/{sec}"),
        web_case("Doomed case"),
    ));
    let open = run_over(&store, &[1, doomed]);
    let closed = run_over(&store, &[1, doomed]);
    write(
        &store,
        &format!("add_result_for_case/{closed}/{doomed}"),
        json!({"status_id": 5}),
    );
    write(&store, &format!("close_run/{closed}"), json!({}));
    assert!(
        case_ids_of(&store, 2).contains(&doomed),
        "include_all run 2 took it"
    );
    write(&store, &format!("delete_section/{sec}"), json!({}));
    assert_eq!(case_ids_of(&store, open), vec![1]);
    assert_eq!(counts(&run(&store, open)), want(&[("untested_count", 1)]));
    assert!(!case_ids_of(&store, 2).contains(&doomed));
    assert_eq!(case_ids_of(&store, closed), vec![1, doomed]);
    assert_eq!(
        counts(&run(&store, closed)),
        want(&[("failed_count", 1), ("untested_count", 1)])
    );
}

#[test]
fn get_tests_filters_by_status_and_reads_a_question_mark() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1, 2, 3, 4, 5]);
    write(
        &store,
        &format!("add_results_for_cases/{rid}"),
        json!({"results": [
            {"case_id": 1, "status_id": 1},
            {"case_id": 2, "status_id": 5},
            {"case_id": 3, "status_id": 2},
            {"case_id": 4, "status_id": 6}
        ]}),
    );
    let of = |route: &str| -> Vec<u64> {
        let mut v: Vec<u64> = all_pages(&store, route, "tests")
            .iter()
            .map(|t| t["case_id"].as_u64().unwrap())
            .collect();
        v.sort_unstable();
        v
    };
    assert_eq!(of(&format!("get_tests/{rid}&status_id=1")), vec![1]);
    assert_eq!(of(&format!("get_tests/{rid}&status_id=1,5")), vec![1, 2]);
    assert_eq!(of(&format!("get_tests/{rid}&status_id=3")), vec![5]);
    assert_eq!(of(&format!("get_tests/{rid}&status_id=6,2")), vec![3, 4]);
    assert!(of(&format!("get_tests/{rid}&status_id=4")).is_empty());

    // pytest-testrail 3.1.1 writes a `?` after the route.
    let q = ok(
        &store,
        &format!("get_tests/{rid}?limit=2&offset=0"),
        Value::Null,
    );
    let a = ok(
        &store,
        &format!("get_tests/{rid}&limit=2&offset=0"),
        Value::Null,
    );
    assert_eq!(q, a);
    assert_eq!(page(&q, "tests", 0, 2).len(), 2);
    assert!(q["_links"]["next"].is_string());
    let q = ok(&store, &format!("get_tests/{rid}?limit=250"), Value::Null);
    assert_eq!(q["size"], 5);
    assert_eq!(
        ok(&store, &format!("get_tests/{rid}?status_id=1"), Value::Null)["size"],
        1
    );
}

#[test]
fn get_tests_pages_at_0_250_and_251() {
    let (_d, store) = sample();
    for n in [0usize, 250, 251] {
        let (suite, _) = suite_of(&store, n);
        let rid = id(&write(
            &store,
            "add_run/2",
            json!({"name": format!("{n} tests"), "suite_id": suite}),
        ));
        let listing = format!("get_tests/{rid}");
        let first = ok(&store, &listing, Value::Null);
        let items = page(&first, "tests", 0, 250);
        assert_eq!(items.len(), n.min(250));
        if n <= 250 {
            assert_eq!(first["_links"]["next"], Value::Null, "{n}: last page");
        } else {
            let next = first["_links"]["next"].as_str().unwrap();
            assert_eq!(next, format!("/api/v2/{listing}&limit=250&offset=250"));
            let second = ok(&store, next, Value::Null);
            assert_eq!(page(&second, "tests", 250, 250).len(), 1);
            assert_eq!(second["_links"]["next"], Value::Null);
        }
        let all = all_pages(&store, &listing, "tests");
        assert_eq!(all.len(), n);
        let mut seen: Vec<u64> = all.iter().map(id).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), n, "no test twice across pages");
        assert_eq!(
            counts(&run(&store, rid)),
            want(&[("untested_count", n as u64)])
        );
        let past = ok(&store, &format!("{listing}&offset=1000"), Value::Null);
        assert_eq!(past["tests"], json!([]), "past the end: an empty page");
        // pytest-testrail's page walk.
        let q = ok(
            &store,
            &format!("get_tests/{rid}?limit=250&offset=250"),
            Value::Null,
        );
        assert_eq!(q["size"], n.saturating_sub(250));
    }
}

#[test]
fn unknown_ids_on_run_routes() {
    let (_d, store) = sample();
    for route in ["update_run/999999", "close_run/999999", "delete_run/999999"] {
        let e = refused(&store, route, json!({}));
        assert_eq!(
            e.to_string(),
            "Field :run_id is not a valid test run.",
            "{route}"
        );
        assert_eq!(e.code(), ErrorCode::NotFound);
        assert_eq!(e.http_status(), 400);
    }
    for route in ["get_run/-1", "get_tests/x", "get_run/1.5"] {
        let e = err(&store, route, Value::Null);
        assert_eq!(e.to_string(), "Field :run_id is not a valid ID.", "{route}");
        assert_eq!(e.http_status(), 400);
    }
}

#[test]
fn include_all_runs_gain_only_cases_of_their_own_suite() {
    let (_d, store) = sample();
    let android = id(&write(
        &store,
        "add_run/2",
        json!({"name": "Android, all", "suite_id": 3}),
    ));
    let ios = id(&write(
        &store,
        "add_run/2",
        json!({"name": "iOS, all", "suite_id": 2}),
    ));
    let before_ios = case_ids_of(&store, ios);
    let (_, added) = cases_in_project2(&store, 3, 2);
    let got = case_ids_of(&store, android);
    assert!(added.iter().all(|c| got.contains(c)));
    assert_eq!(got.len(), sample_cases_of_suite(3).len() + 2);
    assert_eq!(
        case_ids_of(&store, ios),
        before_ios,
        "another suite's run stays"
    );
    assert_eq!(
        counts(&run(&store, android)),
        want(&[("untested_count", got.len() as u64)])
    );
}

#[test]
fn get_test_with_data_wraps_the_test_and_its_results() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1]);
    let t = test_of(&store, rid, 1);
    let r = write(
        &store,
        &format!("add_result/{}", id(&t)),
        json!({"status_id": 1}),
    );
    let plain = ok(&store, &format!("get_test/{}", id(&t)), Value::Null);
    let wrapped = ok(
        &store,
        &format!("get_test/{}&with_data=1", id(&t)),
        Value::Null,
    );
    assert_eq!(wrapped["test"], plain);
    assert_eq!(wrapped["results"], json!([r]));
    assert_eq!(wrapped["attachments"], json!([]));
}

#[test]
fn deleting_a_suite_deletes_its_open_runs_and_keeps_closed_ones() {
    let (_d, store) = sample();
    // "Deletes all active test runs & results ... close active test runs to archive them and
    // prevent them from being deleted."
    let open = id(&write(
        &store,
        "add_run/2",
        json!({"name": "open", "suite_id": 4}),
    ));
    let closed = id(&write(
        &store,
        "add_run/2",
        json!({"name": "closed", "suite_id": 4}),
    ));
    write(
        &store,
        &format!("add_result_for_case/{closed}/290"),
        json!({"status_id": 1}),
    );
    write(&store, &format!("close_run/{closed}"), json!({}));
    let other = id(&write(
        &store,
        "add_run/2",
        json!({"name": "other", "suite_id": 3}),
    ));
    write(&store, "delete_suite/4", json!({}));
    refuse_unknown(
        &store,
        &format!("get_run/{open}"),
        Value::Null,
        "Field :run_id is not a valid test run.",
    );
    let kept = run(&store, closed);
    assert_eq!(kept["is_completed"], true);
    assert_eq!(kept["passed_count"], 1);
    assert_eq!(
        case_ids_of(&store, closed).len(),
        sample_cases_of_suite(4).len()
    );
    assert_eq!(id(&run(&store, other)), other);
}

/// TestRail numbers a new run's tests as its suite lists the cases: section by section in the
/// tree's display order, then by case id within a section, whatever order `case_ids` gives.
#[test]
fn a_new_runs_tests_follow_the_suites_order() {
    let (_d, store) = sample();
    let project = ok(
        &store,
        "add_project",
        json!({"name": "Order", "suite_mode": 3}),
    );
    let p = project["id"].as_u64().unwrap();
    let suite = ok(&store, &format!("add_suite/{p}"), json!({"name": "S"}))["id"]
        .as_u64()
        .unwrap();
    let section = |name: &str| {
        ok(
            &store,
            &format!("add_section/{p}"),
            json!({"suite_id": suite, "name": name}),
        )["id"]
            .as_u64()
            .unwrap()
    };
    let (first, second) = (section("made first"), section("made second"));
    let case = |s: u64, title: &str| {
        ok(&store, &format!("add_case/{s}"), json!({"title": title}))["id"]
            .as_u64()
            .unwrap()
    };
    let a1 = case(first, "a1");
    let b1 = case(second, "b1");
    let a2 = case(first, "a2");
    let b2 = case(second, "b2");
    // The section made second now comes first in the tree.
    ok(
        &store,
        &format!("move_section/{second}"),
        json!({"parent_id": null, "after_id": null}),
    );
    let want = vec![b1, b2, a1, a2];
    for body in [
        json!({"suite_id": suite, "name": "All", "include_all": true}),
        json!({"suite_id": suite, "name": "Some", "include_all": false, "case_ids": [a2, b2, a1, b1]}),
    ] {
        let run = ok(&store, &format!("add_run/{p}"), body.clone())["id"]
            .as_u64()
            .unwrap();
        let tests = all_pages(&store, &format!("get_tests/{run}"), "tests");
        let cases: Vec<u64> = tests
            .iter()
            .map(|t| t["case_id"].as_u64().unwrap())
            .collect();
        assert_eq!(cases, want, "{body}");
        let ids = ids(&tests);
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "numbered in that order"
        );
    }
}

/// Pages of a run's tests are found from the state blocks' counts; with tests removed here and
/// there (a whole block of 64 among them) and tests added after, every page at every offset
/// still equals the slice of the whole list that a walk of all tests gives.
#[test]
fn test_pages_at_every_offset_match_a_walk_of_the_whole_run() {
    let (_d, store) = sample();
    let p = ok(
        &store,
        "add_project",
        json!({"name": "Pages", "suite_mode": 3}),
    )["id"]
        .as_u64()
        .unwrap();
    let suite = ok(&store, &format!("add_suite/{p}"), json!({"name": "S"}))["id"]
        .as_u64()
        .unwrap();
    let section = ok(
        &store,
        &format!("add_section/{p}"),
        json!({"suite_id": suite, "name": "All"}),
    )["id"]
        .as_u64()
        .unwrap();
    let add_cases = |n: usize| -> Vec<u64> {
        let mut b = store.batch().unwrap();
        let ids = (0..n)
            .map(|i| {
                b.call(
                    &format!("add_case/{section}"),
                    Some(&json!({"title": format!("case {i}")})),
                )
                .unwrap()
                .into_value()["id"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        b.commit().unwrap();
        ids
    };
    let cases = add_cases(300);
    let run = ok(
        &store,
        &format!("add_run/{p}"),
        json!({"suite_id": suite, "name": "Paged", "include_all": true}),
    )["id"]
        .as_u64()
        .unwrap();
    // Gaps: every seventh case, and 70 in a row (a whole block of 64 test ids among them).
    let mut gone: Vec<u64> = cases.iter().step_by(7).copied().collect();
    gone.extend(&cases[100..170]);
    gone.sort_unstable();
    gone.dedup();
    ok(
        &store,
        &format!("delete_cases/{suite}&soft=0"),
        json!({"case_ids": gone}),
    );
    add_cases(40);
    // The walk: the filtered listing reads every test in id order.
    let whole = ids(&all_pages(
        &store,
        &format!("get_tests/{run}&status_id=3"),
        "tests",
    ));
    assert_eq!(whole.len(), 300 - gone.len() + 40);
    assert!(whole.windows(2).all(|w| w[0] < w[1]));
    for limit in [7usize, 64, 250] {
        for offset in 0..=whole.len() + 2 {
            let page = ok(
                &store,
                &format!("get_tests/{run}&limit={limit}&offset={offset}"),
                Value::Null,
            );
            let got = ids(page["tests"].as_array().unwrap());
            let want: Vec<u64> = whole.iter().skip(offset).take(limit).copied().collect();
            assert_eq!(got, want, "limit {limit}, offset {offset}");
            assert_eq!(
                page["_links"]["next"].is_null(),
                offset + limit >= whole.len(),
                "next at limit {limit}, offset {offset}"
            );
        }
    }
}

/// Cases a pull or snapshot brings join the runs made here that include all of their suite, in
/// both of the ways an import writes a case: one whose id is below the store's highest (compared
/// with what the store holds) and one above it (written as new, in bulk). A run that lists its
/// cases, and a run of another suite, take none.
#[test]
fn pulled_cases_join_the_local_runs_that_include_all() {
    let (_d, store) = sample_with(|s| {
        s["cases"]
            .as_array_mut()
            .unwrap()
            .retain(|c| c["id"] != 150);
    });
    let all = id(&write(
        &store,
        "add_run/1",
        json!({"name": "All", "include_all": true}),
    ));
    let listed = id(&write(
        &store,
        "add_run/1",
        json!({"name": "Listed", "include_all": false, "case_ids": [1, 2]}),
    ));
    let other = id(&write(
        &store,
        "add_run/2",
        json!({"name": "Other suite", "suite_id": 2, "include_all": true}),
    ));
    let (before, before_other) = (case_ids_of(&store, all), case_ids_of(&store, other));
    assert!(!before.contains(&150) && before.len() > 100);

    let mut snap = snapshot().clone();
    let cases = snap["cases"].as_array_mut().unwrap();
    let mut later = cases[0].clone();
    later["id"] = json!(5_000);
    later["title"] = json!("Written after the first pull");
    cases.push(later);
    store.import_snapshot(&snap).unwrap();

    let mut expected = before.clone();
    expected.extend([150, 5_000]);
    expected.sort_unstable();
    assert_eq!(case_ids_of(&store, all), expected);
    assert_eq!(case_ids_of(&store, listed), vec![1, 2]);
    assert_eq!(case_ids_of(&store, other), before_other);
    // The new tests are untested, like every test a run gains.
    assert_eq!(test_of(&store, all, 5_000)["status_id"], 3);
}

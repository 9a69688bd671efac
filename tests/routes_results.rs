//! Conformance of the result routes (`add_result`, `add_result_for_case`, `add_results`,
//! `add_results_for_cases`, `edit_result`, `get_results`, `get_results_for_case`,
//! `get_results_for_run`) with TestRail's documented behaviour: testrail-results.md §1.2, §4.2–4.4,
//! §6 points 13–17 and testrail-runs-facts.md §1–4, §8, §15, §16, §18. Written from those
//! documents, not from the implementation.

mod common;
#[path = "common/runs.rs"]
mod runs_common;

use common::*;
use runs_common::*;
use serde_json::{json, Value};
use trailstore::Store;

const DONE: &str = "This operation is not allowed. The test run is already completed.";

/// The keys every result carries (testrail-results.md §4.3, testrail-runs-facts.md §18).
const RESULT_KEYS: &[&str] = &[
    "id",
    "test_id",
    "status_id",
    "created_on",
    "created_by",
    "assignedto_id",
    "comment",
    "version",
    "elapsed",
    "defects",
];

/// The sample with a String result field required in project 2 only (`custom_os_version`) and a
/// second custom status (id 7, `custom_status2`).
fn sample_with_rules() -> (tempfile::TempDir, Store) {
    sample_with(|snap| {
        snap["result_fields"].as_array_mut().unwrap().push(json!({
            "id": 10, "is_active": true, "type_id": 1, "name": "os_version",
            "system_name": "custom_os_version", "label": "OS version", "description": null,
            "display_order": 4, "include_all": true, "template_ids": [],
            "configs": [{"id": "9f8e7d6c5b4a3", "context": {"is_global": false, "project_ids": [2]},
                         "options": {"is_required": true, "default_value": ""}}]
        }));
        snap["statuses"].as_array_mut().unwrap().push(json!({
            "id": 7, "name": "custom_status2", "label": "Known issue", "color_dark": 1,
            "color_medium": 2, "color_bright": 3, "is_system": false, "is_untested": false,
            "is_final": false
        }));
    })
}

/// A run in project 2 (suite 3, Android) over cases 245, 246 and 247.
fn android_run(store: &Store) -> u64 {
    id(&write(
        store,
        "add_run/2",
        json!({"name": "Android", "suite_id": 3, "include_all": false, "case_ids": [245, 246, 247]}),
    ))
}

fn results_of(store: &Store, route: &str) -> Vec<Value> {
    all_pages(store, route, "results")
}

#[test]
fn add_result_answers_one_result_with_every_key() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1, 2]);
    let t1 = test_of(&store, rid, 1);
    let r = write(
        &store,
        &format!("add_result/{}", id(&t1)),
        json!({"status_id": 1, "comment": "All good", "version": "1.2", "elapsed": "1m 45s",
               "defects": "BUG-1, BUG-2", "assignedto_id": 2, "custom_build": "b7"}),
    );
    for k in RESULT_KEYS {
        assert!(r.get(*k).is_some(), "result lacks {k}: {r}");
    }
    assert_eq!(r["test_id"], id(&t1));
    assert_eq!(r["status_id"], 1);
    assert_eq!(r["comment"], "All good");
    assert_eq!(r["version"], "1.2");
    assert_eq!(
        r["elapsed"], "1m 45s",
        "a canonical time span comes back unchanged"
    );
    assert_eq!(r["defects"], "BUG-1, BUG-2");
    assert_eq!(r["assignedto_id"], 2);
    assert_eq!(r["custom_build"], "b7");
    assert_eq!(r["created_by"], store.user_id().unwrap());
    let t1 = ok(&store, &format!("get_test/{}", id(&t1)), Value::Null);
    assert_eq!(t1["status_id"], 1);
    assert_eq!(
        t1["assignedto_id"], 2,
        "the result's assignee becomes the test's"
    );
    let listed = ok(&store, &format!("get_results/{}", id(&t1)), Value::Null);
    assert_eq!(page(&listed, "results", 0, 250), &vec![r.clone()]);

    // add_result_for_case finds the case's test in the run.
    let t2 = test_of(&store, rid, 2);
    let r2 = write(
        &store,
        &format!("add_result_for_case/{rid}/2"),
        json!({"status_id": 5, "elapsed": "30s"}),
    );
    assert_eq!(r2["test_id"], id(&t2));
    assert_eq!(r2["comment"], Value::Null);
    assert_eq!(r2["defects"], Value::Null);
    assert_eq!(
        counts(&run(&store, rid)),
        want(&[("passed_count", 1), ("failed_count", 1)])
    );
}

#[test]
fn bulk_answers_a_bare_array_in_request_order_and_the_last_result_wins() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1, 2, 3, 4]);
    let tid = |c: u64| id(&test_of(&store, rid, c));
    // trcli's entries: empty lists kept, local attachment paths, a BDD field this instance lacks.
    let body = json!({"results": [
        {"case_id": 1, "status_id": 5, "comment": "Type: AssertionError", "attachments": [],
         "custom_step_results": [], "custom_testrail_bdd_scenario_results": [], "elapsed": "3s"},
        {"case_id": "2", "status_id": 1, "attachments": ["/tmp/shot.png"], "version": "1.2",
         "custom_testrail_bdd_scenario_results": []},
        {"case_id": 1, "status_id": 1, "comment": "passed on rerun", "assignedto_id": "3"},
        {"case_id": 3, "comment": "only a note"}
    ]});
    let out = write(&store, &format!("add_results_for_cases/{rid}"), body);
    let out = out.as_array().expect("a bare array");
    assert_eq!(out.len(), 4, "one element per entry");
    let test_ids: Vec<u64> = out.iter().map(|r| r["test_id"].as_u64().unwrap()).collect();
    assert_eq!(
        test_ids,
        vec![tid(1), tid(2), tid(1), tid(3)],
        "request order"
    );
    let statuses: Vec<Value> = out.iter().map(|r| r["status_id"].clone()).collect();
    assert_eq!(statuses, vec![json!(5), json!(1), json!(1), Value::Null]);
    let mut result_ids: Vec<u64> = out.iter().map(id).collect();
    result_ids.sort_unstable();
    result_ids.dedup();
    assert_eq!(result_ids.len(), 4, "each entry is its own result");
    for r in out {
        for k in RESULT_KEYS {
            assert!(r.get(*k).is_some(), "result lacks {k}: {r}");
        }
        assert!(r.get("attachments").is_none(), "unknown keys are ignored");
    }
    assert_eq!(out[2]["assignedto_id"], 3);
    assert_eq!(
        test_of(&store, rid, 1)["status_id"],
        1,
        "the last entry for a case wins"
    );
    assert_eq!(test_of(&store, rid, 1)["assignedto_id"], 3);
    assert_eq!(
        test_of(&store, rid, 3)["status_id"],
        3,
        "a comment leaves the status"
    );
    assert_eq!(
        counts(&run(&store, rid)),
        want(&[("passed_count", 2), ("untested_count", 2)])
    );

    // add_results takes test ids, as numbers or numeric strings.
    let out = write(
        &store,
        &format!("add_results/{rid}"),
        json!({"results": [
            {"test_id": tid(4), "status_id": 2},
            {"test_id": tid(4).to_string(), "status_id": 4, "comment": "retry"},
            {"test_id": tid(2), "status_id": 5}
        ]}),
    );
    let out = out.as_array().expect("a bare array");
    let test_ids: Vec<u64> = out.iter().map(|r| r["test_id"].as_u64().unwrap()).collect();
    assert_eq!(test_ids, vec![tid(4), tid(4), tid(2)]);
    assert_eq!(test_of(&store, rid, 4)["status_id"], 4);
    assert_eq!(
        counts(&run(&store, rid)),
        want(&[
            ("passed_count", 1),
            ("failed_count", 1),
            ("retest_count", 1),
            ("untested_count", 1)
        ])
    );
}

#[test]
fn counts_follow_every_kind_of_result() {
    let (_d, store) = sample_with_rules();
    let rid = run_over(&store, &[1, 2, 3, 4, 5, 6, 7]);
    let add =
        |case: u64, body: Value| write(&store, &format!("add_result_for_case/{rid}/{case}"), body);
    let check = |nonzero: &[(&str, u64)]| {
        let r = run(&store, rid);
        assert_eq!(counts(&r), want(nonzero), "counts of {r}");
        // Counters are the statuses of the tests, nothing else.
        let mut from_tests = [0u64; 12];
        for t in tests_of(&store, rid) {
            from_tests[slot(t["status_id"].as_u64().unwrap())] += 1;
        }
        assert_eq!(counts(&r), from_tests, "counts equal the tests' statuses");
    };
    check(&[("untested_count", 7)]);
    add(1, json!({"status_id": 1}));
    check(&[("passed_count", 1), ("untested_count", 6)]);
    let note = add(1, json!({"comment": "a comment only"}));
    assert_eq!(
        note["status_id"],
        Value::Null,
        "a comment-only result has no status"
    );
    check(&[("passed_count", 1), ("untested_count", 6)]);
    add(2, json!({"assignedto_id": 3}));
    assert_eq!(test_of(&store, rid, 2)["assignedto_id"], 3);
    assert_eq!(
        test_of(&store, rid, 2)["status_id"],
        3,
        "an assignment leaves it untested"
    );
    check(&[("passed_count", 1), ("untested_count", 6)]);
    add(2, json!({"status_id": 2}));
    add(3, json!({"status_id": 4}));
    add(4, json!({"status_id": 5}));
    add(5, json!({"status_id": 6, "comment": "flaky"}));
    add(6, json!({"status_id": 7}));
    check(&[
        ("passed_count", 1),
        ("blocked_count", 1),
        ("retest_count", 1),
        ("failed_count", 1),
        ("custom_status1_count", 1),
        ("custom_status2_count", 1),
        ("untested_count", 1),
    ]);
    // A new status moves the test from one counter to another.
    add(1, json!({"status_id": 5}));
    add(5, json!({"status_id": 1}));
    check(&[
        ("passed_count", 1),
        ("blocked_count", 1),
        ("retest_count", 1),
        ("failed_count", 2),
        ("custom_status2_count", 1),
        ("untested_count", 1),
    ]);
    // Several results for one case in one bulk: the last sets the status.
    write(
        &store,
        &format!("add_results_for_cases/{rid}"),
        json!({"results": [
            {"case_id": 7, "status_id": 5},
            {"case_id": 7, "status_id": 6},
            {"case_id": 7, "status_id": 1},
            {"case_id": 4, "status_id": 1},
            {"case_id": 4, "comment": "still passing"}
        ]}),
    );
    check(&[
        ("passed_count", 3),
        ("blocked_count", 1),
        ("retest_count", 1),
        ("failed_count", 1),
        ("custom_status2_count", 1),
    ]);
    assert_eq!(test_of(&store, rid, 4)["status_id"], 1);
    // A comment-only result that gains a status through edit_result, being the latest, sets it.
    let note = add(3, json!({"comment": "looked again"}));
    check(&[
        ("passed_count", 3),
        ("blocked_count", 1),
        ("retest_count", 1),
        ("failed_count", 1),
        ("custom_status2_count", 1),
    ]);
    write(
        &store,
        &format!("edit_result/{}", id(&note)),
        json!({"status_id": 5}),
    );
    check(&[
        ("passed_count", 3),
        ("blocked_count", 1),
        ("failed_count", 2),
        ("custom_status2_count", 1),
    ]);
}

#[test]
fn edit_result_changes_the_status_and_the_counts() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1, 2, 8]);
    let r = write(
        &store,
        &format!("add_result_for_case/{rid}/1"),
        json!({"status_id": 1, "comment": "kept", "version": "1.0"}),
    );
    let e = write(
        &store,
        &format!("edit_result/{}", id(&r)),
        json!({"status_id": 5}),
    );
    assert_eq!(id(&e), id(&r));
    assert_eq!(e["status_id"], 5);
    assert_eq!(e["comment"], "kept", "edit_result is partial");
    assert_eq!(e["version"], "1.0");
    assert_eq!(test_of(&store, rid, 1)["status_id"], 5);
    assert_eq!(
        counts(&run(&store, rid)),
        want(&[("failed_count", 1), ("untested_count", 2)])
    );
    let listed = results_of(&store, &format!("get_results_for_case/{rid}/1"));
    assert_eq!(listed, vec![e.clone()]);
    let e = write(
        &store,
        &format!("edit_result/{}", id(&r)),
        json!({"comment": "changed", "defects": "BUG-7"}),
    );
    assert_eq!(e["status_id"], 5);
    assert_eq!(e["comment"], "changed");
    assert_eq!(e["defects"], "BUG-7");

    // An older result's status does not decide the test's: the latest status-bearing one does.
    let older = write(
        &store,
        &format!("add_result_for_case/{rid}/2"),
        json!({"status_id": 2}),
    );
    write(
        &store,
        &format!("add_result_for_case/{rid}/2"),
        json!({"status_id": 1}),
    );
    write(
        &store,
        &format!("edit_result/{}", id(&older)),
        json!({"status_id": 4}),
    );
    assert_eq!(test_of(&store, rid, 2)["status_id"], 1);
    assert_eq!(
        counts(&run(&store, rid)),
        want(&[
            ("failed_count", 1),
            ("passed_count", 1),
            ("untested_count", 1)
        ])
    );

    // Step results: trcli's {content, status_id} (with an untested step) and a replacement.
    let s = write(
        &store,
        &format!("add_result_for_case/{rid}/8"),
        json!({"status_id": 5, "custom_step_results": [
            {"content": "Open", "status_id": 1},
            {"content": "Pay", "status_id": 5},
            {"content": "Leave", "status_id": 3}
        ]}),
    );
    assert_eq!(s["custom_step_results"].as_array().unwrap().len(), 3);
    let s = write(
        &store,
        &format!("edit_result/{}", id(&s)),
        json!({"custom_step_results": [{"content": "Only", "expected": "ok", "actual": "ok", "status_id": 1}]}),
    );
    let steps = s["custom_step_results"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "step results replace the whole array");
    assert_eq!(steps[0]["content"], "Only");
    assert_eq!(s["status_id"], 5);

    refuse(
        &store,
        &format!("edit_result/{}", id(&r)),
        json!({"status_id": 3}),
        "Field :status_id uses an invalid status (Untested).",
        400,
    );
    refuse(
        &store,
        &format!("edit_result/{}", id(&r)),
        json!({"status_id": 99}),
        "Field :status_id is not a valid status.",
        400,
    );
    refuse(
        &store,
        &format!("edit_result/{}", id(&r)),
        json!({"elapsed": "0s"}),
        "Field :elapsed is not in a valid time span format.",
        400,
    );
    write(&store, &format!("close_run/{rid}"), json!({}));
    refuse_forbidden(
        &store,
        &format!("edit_result/{}", id(&r)),
        json!({"comment": "late"}),
        DONE,
    );
}

#[test]
fn bulk_refusals_write_nothing() {
    let (_d, store) = sample_with_rules();
    let rid = android_run(&store);
    let route = format!("add_results_for_cases/{rid}");
    let t245 = id(&test_of(&store, rid, 245));
    let good = json!({"case_id": 245, "status_id": 1, "custom_os_version": "14"});
    let bad = |body: Value, message: &str| {
        refuse(&store, &route, body, message, 400);
    };
    bad(
        json!({"results": []}),
        "Field :results cannot be empty (one result is required)",
    );
    bad(json!({}), "Field :results is a required field.");
    // One entry with a case outside the run refuses the whole array.
    bad(
        json!({"results": [good.clone(), {"case_id": 290, "status_id": 1, "custom_os_version": "14"}]}),
        "Field :results contains one or more invalid results (case C290 unknown or not part of the test run)",
    );
    bad(
        json!({"results": [good.clone(), {"case_id": 999999, "status_id": 1, "custom_os_version": "14"}]}),
        "Field :results contains one or more invalid results (case C999999 unknown or not part of the test run)",
    );
    bad(
        json!({"results": [good.clone(), {"status_id": 1, "custom_os_version": "14"}]}),
        "Field :results.case_id is a required field.",
    );
    bad(
        json!({"results": [good.clone(), {"case_id": "C245", "status_id": 1, "custom_os_version": "14"}]}),
        "Field :results.case_id is not a valid ID.",
    );
    bad(
        json!({"results": [good.clone(), {"case_id": 246, "defects": "BUG-1", "custom_os_version": "14"}]}),
        "Field :results contains one or more invalid results (one of Status ID, Assigned To or Comment is required)",
    );
    bad(
        json!({"results": [good.clone(), {"case_id": 246, "status_id": 3, "custom_os_version": "14"}]}),
        "Field :results.status_id uses an invalid status (Untested).",
    );
    bad(
        json!({"results": [good.clone(), {"case_id": 246, "status_id": 99, "custom_os_version": "14"}]}),
        "Field :results.status_id is not a valid status.",
    );
    for elapsed in ["0s", "abc", "5 parsecs"] {
        bad(
            json!({"results": [good.clone(), {"case_id": 246, "status_id": 1, "elapsed": elapsed, "custom_os_version": "14"}]}),
            "Field :results.elapsed is not in a valid time span format.",
        );
    }
    bad(
        json!({"results": [good.clone(), {"case_id": 246, "status_id": 1}]}),
        "Field :results.custom_os_version is a required field.",
    );
    // A custom field's value is checked by its type, under the bulk prefix.
    let e = refused(
        &store,
        &route,
        json!({"results": [good.clone(), {"case_id": 246, "status_id": 1, "custom_os_version": "14",
                                          "custom_environment": 9}]}),
    );
    assert!(
        e.to_string()
            .starts_with("Field :results.custom_environment "),
        "{e}"
    );
    assert_eq!(e.http_status(), 400);
    assert_eq!(
        test_of(&store, rid, 245)["status_id"],
        3,
        "nothing of the batch landed"
    );
    assert!(results_of(&store, &format!("get_results/{t245}")).is_empty());
    assert_eq!(counts(&run(&store, rid)), want(&[("untested_count", 3)]));

    // add_results: test ids of another run are not this run's.
    let other = android_run(&store);
    let foreign = id(&test_of(&store, other, 245));
    refuse(
        &store,
        &format!("add_results/{rid}"),
        json!({"results": [{"test_id": t245, "status_id": 1, "custom_os_version": "14"},
                           {"test_id": foreign, "status_id": 1, "custom_os_version": "14"}]}),
        &format!("Field :results contains one or more invalid results (test T{foreign} unknown or not part of the test run)"),
        400,
    );
    refuse(
        &store,
        &format!("add_results/{rid}"),
        json!({"results": [{"status_id": 1, "custom_os_version": "14"}]}),
        "Field :results.test_id is a required field.",
        400,
    );
    refuse(
        &store,
        &format!("add_results/{rid}"),
        json!({"results": []}),
        "Field :results cannot be empty (one result is required)",
        400,
    );
    refuse_unknown(
        &store,
        "add_results_for_cases/999999",
        json!({"results": [good.clone()]}),
        "Field :run_id is not a valid test run.",
    );
    refuse_unknown(
        &store,
        "add_results/999999",
        json!({"results": [{"test_id": t245, "status_id": 1}]}),
        "Field :run_id is not a valid test run.",
    );
    // The same batch, whole, is accepted.
    let out = write(&store, &route, json!({"results": [good]}));
    assert_eq!(out.as_array().unwrap().len(), 1);
}

#[test]
fn single_result_refusals_write_nothing() {
    let (_d, store) = sample_with_rules();
    let rid = android_run(&store);
    let t = id(&test_of(&store, rid, 245));
    for route in [
        format!("add_result/{t}"),
        format!("add_result_for_case/{rid}/245"),
    ] {
        let bad = |body: Value, message: &str| {
            refuse(&store, &route, body, message, 400);
        };
        bad(
            json!({"defects": "BUG-1", "version": "1", "elapsed": "5s", "custom_os_version": "14"}),
            "One of Status ID, Assigned To or Comment is required",
        );
        bad(
            json!({"status_id": 3, "custom_os_version": "14"}),
            "Field :status_id uses an invalid status (Untested).",
        );
        bad(
            json!({"status_id": 42, "custom_os_version": "14"}),
            "Field :status_id is not a valid status.",
        );
        bad(
            json!({"status_id": 1, "elapsed": "0s", "custom_os_version": "14"}),
            "Field :elapsed is not in a valid time span format.",
        );
        bad(
            json!({"status_id": 1, "elapsed": "soon", "custom_os_version": "14"}),
            "Field :elapsed is not in a valid time span format.",
        );
        bad(
            json!({"status_id": 1}),
            "Field :custom_os_version is a required field.",
        );
        bad(
            json!({"status_id": 1, "assignedto_id": 999, "custom_os_version": "14"}),
            "Field :assignedto_id is not a valid user.",
        );
    }
    refuse_unknown(
        &store,
        "add_result/999999",
        json!({"status_id": 1}),
        "Field :test_id is not a valid test.",
    );
    refuse_unknown(
        &store,
        "add_result_for_case/999999/245",
        json!({"status_id": 1}),
        "Field :run_id is not a valid test run.",
    );
    refuse_unknown(
        &store,
        &format!("add_result_for_case/{rid}/999999"),
        json!({"status_id": 1}),
        "Field :case_id is not a valid test case.",
    );
    // A case that exists but has no test in this run.
    refuse(
        &store,
        &format!("add_result_for_case/{rid}/248"),
        json!({"status_id": 1, "custom_os_version": "14"}),
        "No (active) test found for the run/case combination.",
        400,
    );
    assert_eq!(counts(&run(&store, rid)), want(&[("untested_count", 3)]));
}

#[test]
fn required_result_fields_follow_the_projects_context() {
    let (_d, store) = sample_with_rules();
    // custom_os_version is required in project 2 only: project 1 takes a result without it.
    let web = run_over(&store, &[1]);
    write(
        &store,
        &format!("add_results_for_cases/{web}"),
        json!({"results": [{"case_id": 1, "status_id": 1}]}),
    );
    let rid = android_run(&store);
    let out = write(
        &store,
        &format!("add_results_for_cases/{rid}"),
        json!({"results": [{"case_id": 245, "status_id": 1, "custom_os_version": "14"}]}),
    );
    assert_eq!(out[0]["custom_os_version"], "14");
}

#[test]
fn elapsed_takes_time_spans() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1]);
    for (given, shown) in [
        ("30s", "30s"),
        ("1m 45s", "1m 45s"),
        ("5m", "5m"),
        ("2h 5m", "2h 5m"),
        ("1d", "1d"),
        ("1w", "1w"),
    ] {
        let r = write(
            &store,
            &format!("add_result_for_case/{rid}/1"),
            json!({"status_id": 1, "elapsed": given}),
        );
        assert_eq!(r["elapsed"], shown, "elapsed {given}");
    }
    // trcli --allow-ms sends milliseconds; newer servers take them.
    let r = write(
        &store,
        &format!("add_results_for_cases/{rid}"),
        json!({"results": [{"case_id": 1, "status_id": 1, "elapsed": "0.005s"}]}),
    );
    assert!(r[0]["elapsed"].is_string());
    let r = write(
        &store,
        &format!("add_result_for_case/{rid}/1"),
        json!({"status_id": 1}),
    );
    assert_eq!(r["elapsed"], Value::Null, "no elapsed is null");
}

#[test]
fn a_closed_run_refuses_results() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1, 2]);
    let t = id(&test_of(&store, rid, 1));
    write(&store, &format!("close_run/{rid}"), json!({}));
    refuse_forbidden(
        &store,
        &format!("add_result_for_case/{rid}/1"),
        json!({"status_id": 1}),
        DONE,
    );
    refuse_forbidden(
        &store,
        &format!("add_results_for_cases/{rid}"),
        json!({"results": [{"case_id": 1, "status_id": 1}]}),
        DONE,
    );
    refuse_forbidden(
        &store,
        &format!("add_results/{rid}"),
        json!({"results": [{"test_id": t, "status_id": 1}]}),
        DONE,
    );
    // add_result names the test or the run (both texts are TestRail's).
    let e = refused(&store, &format!("add_result/{t}"), json!({"status_id": 1}));
    assert!(
        [
            DONE,
            "This operation is not allowed. The test is already completed."
        ]
        .contains(&e.to_string().as_str()),
        "{e}"
    );
    assert_eq!(e.http_status(), 403);
    // The sample's run 1 was closed on the server.
    refuse_forbidden(
        &store,
        "add_result_for_case/1/8",
        json!({"status_id": 1}),
        DONE,
    );
}

#[test]
fn results_are_listed_newest_first_with_filters() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1, 2]);
    let out = write(
        &store,
        &format!("add_results_for_cases/{rid}"),
        json!({"results": [
            {"case_id": 1, "status_id": 1, "comment": "first", "defects": "BUG-1, BUG-2"},
            {"case_id": 2, "status_id": 2, "comment": "other"},
            {"case_id": 1, "status_id": 5, "comment": "second", "defects": "BUG-3"},
            {"case_id": 1, "status_id": 4, "comment": "third"}
        ]}),
    );
    let ids_of = |items: &[Value]| -> Vec<u64> { ids(items) };
    let r: Vec<u64> = ids_of(out.as_array().unwrap());
    let t1 = id(&test_of(&store, rid, 1));
    let comments = |route: &str| -> Vec<String> {
        results_of(&store, route)
            .iter()
            .map(|r| r["comment"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        comments(&format!("get_results/{t1}")),
        ["third", "second", "first"],
        "newest first; later entries of a bulk are newer"
    );
    assert_eq!(
        comments(&format!("get_results_for_case/{rid}/1")),
        ["third", "second", "first"]
    );
    assert_eq!(
        ids_of(&results_of(&store, &format!("get_results_for_run/{rid}"))),
        vec![r[3], r[2], r[1], r[0]]
    );
    assert_eq!(
        comments(&format!("get_results/{t1}&status_id=1,5")),
        ["second", "first"]
    );
    assert_eq!(
        comments(&format!("get_results_for_run/{rid}&status_id=2")),
        ["other"]
    );
    assert_eq!(
        comments(&format!(
            "get_results_for_case/{rid}/1&defects_filter=BUG-2"
        )),
        ["first"]
    );
    assert_eq!(
        comments(&format!("get_results_for_run/{rid}&defects_filter=BUG-3")),
        ["second"]
    );
    // A `?` after the route, as pytest-testrail writes it.
    let q = ok(
        &store,
        &format!("get_results/{t1}?limit=1&offset=1"),
        Value::Null,
    );
    assert_eq!(page(&q, "results", 1, 1)[0]["comment"], "second");
    // get_results_for_run's elements name their test.
    for res in results_of(&store, &format!("get_results_for_run/{rid}")) {
        assert!(res["test_id"].is_u64());
    }
}

#[test]
fn get_results_for_run_filters_by_creation() {
    let (_d, store) = sample();
    // The sample's open run 2 holds results from December 2025.
    let tests2: Vec<u64> = snapshot()["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["run_id"] == 2)
        .map(id)
        .collect();
    let old: Vec<&Value> = snapshot()["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| tests2.contains(&r["test_id"].as_u64().unwrap()))
        .collect();
    let latest_old = old
        .iter()
        .map(|r| r["created_on"].as_i64().unwrap())
        .max()
        .unwrap();
    let mut old_newest_first = old.clone();
    old_newest_first.sort_by_key(|r| std::cmp::Reverse(r["created_on"].as_i64().unwrap()));
    store.set_user_id(2).unwrap();
    let new = write(
        &store,
        "add_results_for_cases/2",
        json!({"results": [{"case_id": 1, "status_id": 1}, {"case_id": 2, "status_id": 5}]}),
    );
    let new_ids: Vec<u64> = ids(new.as_array().unwrap()).into_iter().rev().collect();
    let listed = |filter: &str| {
        ids(&results_of(
            &store,
            &format!("get_results_for_run/2{filter}"),
        ))
    };
    let mut everything = new_ids.clone();
    everything.extend(old_newest_first.iter().map(|r| id(r)));
    assert_eq!(listed(""), everything, "newest first");
    assert_eq!(listed(&format!("&created_after={latest_old}")), new_ids);
    assert_eq!(
        listed(&format!("&created_before={}", latest_old + 1)),
        old_newest_first.iter().map(|r| id(r)).collect::<Vec<_>>()
    );
    let by = |u: u64| -> Vec<u64> {
        old_newest_first
            .iter()
            .filter(|r| r["created_by"] == u)
            .map(|r| id(r))
            .collect()
    };
    let mut by2 = new_ids.clone();
    by2.extend(by(2));
    assert_eq!(listed("&created_by=2"), by2);
    assert_eq!(listed("&created_by=3"), by(3));
    let both: Vec<u64> = everything
        .iter()
        .copied()
        .filter(|i| by2.contains(i) || by(3).contains(i))
        .collect();
    assert_eq!(listed("&created_by=2,3"), both);
    assert_eq!(
        listed(&format!(
            "&created_by=2&created_after={latest_old}&status_id=5"
        )),
        vec![new_ids[0]]
    );
}

#[test]
fn get_results_for_run_pages_at_0_250_and_251() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1, 2, 3]);
    let listing = format!("get_results_for_run/{rid}");
    let first = ok(&store, &listing, Value::Null);
    assert!(page(&first, "results", 0, 250).is_empty());
    assert_eq!(first["_links"]["next"], Value::Null);
    let batch: Vec<Value> = (0..250)
        .map(|i| json!({"case_id": 1 + i % 3, "status_id": 1, "comment": format!("r{i}")}))
        .collect();
    let out = write(
        &store,
        &format!("add_results_for_cases/{rid}"),
        json!({"results": batch}),
    );
    assert_eq!(out.as_array().unwrap().len(), 250);
    let first = ok(&store, &listing, Value::Null);
    assert_eq!(page(&first, "results", 0, 250).len(), 250);
    assert_eq!(first["_links"]["next"], Value::Null, "last page");
    assert_eq!(first["results"][0]["comment"], "r249", "newest first");

    write(
        &store,
        &format!("add_result_for_case/{rid}/2"),
        json!({"status_id": 5, "comment": "r250"}),
    );
    let first = ok(&store, &listing, Value::Null);
    assert_eq!(page(&first, "results", 0, 250).len(), 250);
    assert_eq!(first["results"][0]["comment"], "r250");
    let next = first["_links"]["next"].as_str().expect("a next page");
    assert_eq!(next, format!("/api/v2/{listing}&limit=250&offset=250"));
    let second = ok(&store, next, Value::Null);
    assert_eq!(page(&second, "results", 250, 250).len(), 1);
    assert_eq!(
        second["results"][0]["comment"], "r0",
        "the oldest comes last"
    );
    assert_eq!(second["_links"]["next"], Value::Null);
    let past = ok(&store, &format!("{listing}&offset=251"), Value::Null);
    assert_eq!(past["results"], json!([]));
    // The filter is repeated in the next link.
    let failed = ok(
        &store,
        &format!("{listing}&status_id=1&limit=100"),
        Value::Null,
    );
    assert_eq!(failed["size"], 100);
    assert_eq!(
        failed["_links"]["next"],
        format!("/api/v2/{listing}&status_id=1&limit=100&offset=100")
    );
    // The same walk over one test's results.
    let t1 = id(&test_of(&store, rid, 1));
    assert_eq!(results_of(&store, &format!("get_results/{t1}")).len(), 84);
    assert_eq!(
        results_of(&store, &format!("get_results_for_case/{rid}/2")).len(),
        84
    );
}

#[test]
fn result_reads_refuse_unknown_ids() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1]);
    refuse_unknown(
        &store,
        "get_results/999999",
        Value::Null,
        "Field :test_id is not a valid test.",
    );
    refuse_unknown(
        &store,
        "get_results_for_run/999999",
        Value::Null,
        "Field :run_id is not a valid test run.",
    );
    refuse_unknown(
        &store,
        "get_results_for_case/999999/1",
        Value::Null,
        "Field :run_id is not a valid test run.",
    );
    refuse_unknown(
        &store,
        &format!("get_results_for_case/{rid}/999999"),
        Value::Null,
        "Field :case_id is not a valid test case.",
    );
    refuse(
        &store,
        &format!("get_results_for_case/{rid}/2"),
        Value::Null,
        "No (active) test found for the run/case combination.",
        400,
    );
}

#[test]
fn elapsed_comes_back_in_largest_units_first() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1]);
    for (given, shown) in [("65s", "1m 5s"), ("90m", "1h 30m"), ("3600s", "1h")] {
        let r = write(
            &store,
            &format!("add_result_for_case/{rid}/1"),
            json!({"status_id": 1, "elapsed": given}),
        );
        assert_eq!(r["elapsed"], shown, "elapsed {given}");
    }
}

#[test]
fn unknown_keys_and_other_projects_fields_are_ignored() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1]);
    let r = write(
        &store,
        &format!("add_result_for_case/{rid}/1"),
        json!({"status_id": 1, "custom_no_such_field": 5, "attachments": ["a.png"],
               "quality_rating": {"relevance": 5}}),
    );
    assert!(r.get("custom_no_such_field").is_none());
    assert!(r.get("attachments").is_none());
    assert_eq!(r["status_id"], 1);
}

#[test]
fn edit_result_refuses_an_unknown_result() {
    let (_d, store) = sample();
    // validate.php's template for a result id: `validate_test_change`.
    refuse_unknown(
        &store,
        "edit_result/999999",
        json!({"comment": "x"}),
        "Field :result_id is not a valid test result or comment.",
    );
}

#[test]
fn results_are_journaled_as_creates_one_entry_per_call() {
    let (_d, store) = sample();
    let rid = run_over(&store, &[1, 2]);
    let out = write(
        &store,
        &format!("add_results_for_cases/{rid}"),
        json!({"results": [
            {"case_id": 1, "status_id": 1},
            {"case_id": 2, "comment": "note"},
            {"case_id": 1, "status_id": 5}
        ]}),
    );
    let entry = journal(&store).pop().unwrap();
    let created: Vec<u64> = entry["effects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "result")
        .map(|e| {
            assert_eq!(e["action"], "create", "results are append-only creates");
            e["id"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(
        created,
        ids(out.as_array().unwrap()),
        "one create per result, in order"
    );
}

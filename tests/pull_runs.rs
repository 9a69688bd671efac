//! Pull of the run side against a real `trailstore serve` standing in for TestRail: statuses,
//! result fields, configurations, open plans and runs with their tests (and results when asked),
//! so that a harness can add results to a run created on the server; later pulls fetch a run's
//! tests again only when it changed, learn that a run closed, and keep results recorded here.

mod common;

use common::serve::{Serve, ServeOptions};
use common::*;
use serde_json::{json, Value};
use trailstore::{Client, PullOptions, Remote, RetryPolicy, Store};

const USER: &str = "lab@example.com";
const KEY: &str = "pull-runs-key";

fn serve(path: &std::path::Path) -> Serve {
    Serve::start(ServeOptions {
        store: path,
        bind: "127.0.0.1:0".into(),
        user: USER,
        key: KEY,
        faults: None,
        capture_stderr: false,
    })
}

fn client(remote: &Remote) -> Client {
    Client::new(remote, RetryPolicy::default()).unwrap()
}

fn post(c: &Client, route: &str, body: Value) -> Value {
    c.request(route, Some(&body))
        .unwrap()
        .unwrap_or(Value::Null)
}

fn pull(local: &Store, remote: &Remote, results: bool) -> trailstore::PullReport {
    let opts = PullOptions {
        results,
        ..PullOptions::default()
    };
    trailstore::pull(local, remote, &opts, &mut |_| {}).unwrap()
}

/// The (case, status) of each test of a run.
fn statuses(store: &Store, run: u64) -> Vec<(u64, u64)> {
    all_pages(store, &format!("get_tests/{run}"), "tests")
        .iter()
        .map(|t| {
            (
                t["case_id"].as_u64().unwrap(),
                t["status_id"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_harness_records_results_in_a_run_the_server_made() {
    let dir = tempfile::tempdir().unwrap();
    let server_path = dir.path().join("server");
    {
        let s = Store::open(&server_path).unwrap();
        s.set_server_ids().unwrap();
        s.import_snapshot(snapshot()).unwrap();
    }
    let server = serve(&server_path);
    let remote = server.remote(USER, KEY);
    let c = client(&remote);
    // The server makes a run for the harness.
    let run = post(
        &c,
        "add_run/1",
        json!({"name": "Lab run", "include_all": false, "case_ids": [1, 2, 3, 4]}),
    );
    let run_id = run["id"].as_u64().unwrap();
    assert!(run_id < trailstore::LOCAL_ID_MIN);

    let local = Store::open(dir.path().join("local")).unwrap();
    let first = pull(&local, &remote, false);
    assert!(first.first);
    // Open runs: the sample's nightly run, the plan's two runs, and the new one; not the closed.
    assert_eq!(first.runs, 4, "{first}");
    assert!(first.tests > 0 && first.results == 0, "{first}");
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&ok(&local, "get_statuses", Value::Null)),
        names(&c.get("get_statuses").unwrap())
    );
    assert_eq!(
        ok(&local, "get_result_fields", Value::Null)
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        ok(&local, "get_configs/2", Value::Null),
        c.get("get_configs/2").unwrap()
    );
    assert_eq!(
        ok(&local, "get_plan/1", Value::Null),
        c.get("get_plan/1").unwrap(),
        "the plan, its entry and runs, as the server has them"
    );
    assert_eq!(
        ok(&local, "get_run/2", Value::Null),
        c.get("get_run/2").unwrap()
    );
    assert_eq!(
        all_pages(&local, "get_tests/2", "tests"),
        all_pages_remote(&c, "get_tests/2", "tests")
    );
    err(&local, "get_run/1", Value::Null);

    // The harness records results offline in the server's run.
    let recorded = ok(
        &local,
        &format!("add_results_for_cases/{run_id}"),
        json!({"results": [
            {"case_id": 1, "status_id": 1},
            {"case_id": 2, "status_id": 5, "comment": "broke"}]}),
    );
    assert_eq!(recorded.as_array().unwrap().len(), 2);
    let local_run = ok(&local, &format!("get_run/{run_id}"), Value::Null);
    assert_eq!(
        (&local_run["passed_count"], &local_run["failed_count"]),
        (&json!(1), &json!(1))
    );

    // Meanwhile the server: a result on case 3 and the nightly run closed.
    post(
        &c,
        &format!("add_result_for_case/{run_id}/3"),
        json!({"status_id": 4}),
    );
    post(&c, "add_result_for_case/2/1", json!({"status_id": 5}));
    post(&c, "close_run/2", json!({}));

    let second = pull(&local, &remote, false);
    assert!(!second.first);
    // The changed run's tests came again; so did the nightly run's, which closed.
    assert_eq!(
        statuses(&local, run_id),
        vec![(1, 1), (2, 5), (3, 4), (4, 3)],
        "local results keep their statuses; the server's arrive"
    );
    let nightly = ok(&local, "get_run/2", Value::Null);
    assert_eq!(nightly["is_completed"], true);
    assert_eq!(statuses(&local, 2), statuses_remote(&c, 2));
    // The local results are still there, and still waiting to be pushed.
    let results = all_pages(&local, &format!("get_results_for_run/{run_id}"), "results");
    assert_eq!(results.len(), 2);
    assert!(results
        .iter()
        .all(|r| trailstore::is_local_id(r["id"].as_u64().unwrap())));

    // Nothing changed on the server: no run's tests are read again.
    let third = pull(&local, &remote, false);
    assert_eq!(third.tests, 0, "{third}");

    // With results: the open runs' results come too, the server's only once.
    let fourth = pull(&local, &remote, true);
    let server_results = all_pages_remote(&c, &format!("get_results_for_run/{run_id}"), "results");
    assert!(fourth.results >= server_results.len() as u64, "{fourth}");
    let mut local_results: Vec<u64> = ids(&all_pages(
        &local,
        &format!("get_results_for_run/{run_id}"),
        "results",
    ));
    local_results.sort_unstable();
    let mut want: Vec<u64> = ids(&server_results);
    want.extend(ids(&results));
    want.sort_unstable();
    assert_eq!(local_results, want);
    let again = pull(&local, &remote, true);
    assert_eq!(
        all_pages(&local, &format!("get_results_for_run/{run_id}"), "results").len(),
        want.len(),
        "{again}"
    );
}

/// Every item of a list route read from the server.
fn all_pages_remote(c: &Client, route: &str, key: &str) -> Vec<Value> {
    c.get_all(route, key, |_| {}).unwrap()
}

fn statuses_remote(c: &Client, run: u64) -> Vec<(u64, u64)> {
    all_pages_remote(c, &format!("get_tests/{run}"), "tests")
        .iter()
        .map(|t| {
            (
                t["case_id"].as_u64().unwrap(),
                t["status_id"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn pull_with_attachments_brings_the_cases_files_and_their_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let server_path = dir.path().join("server");
    let (shot, log) = (vec![7u8; 300_000], b"a log line\n".repeat(1000));
    {
        let s = Store::open(&server_path).unwrap();
        s.set_server_ids().unwrap();
        s.import_snapshot(snapshot()).unwrap();
        s.add_attachment("add_attachment_to_case/1", "shot.png", &shot[..])
            .unwrap();
        s.add_attachment("add_attachment_to_case/1", "run.log", &log[..])
            .unwrap();
        s.add_attachment("add_attachment_to_case/2", "same.png", &shot[..])
            .unwrap();
    }
    let server = serve(&server_path);
    let remote = server.remote(USER, KEY);
    let c = client(&remote);

    // Without the option, no attachment is asked for.
    let plain = Store::open(dir.path().join("plain")).unwrap();
    pull(&plain, &remote, false);
    assert_eq!(
        ok(&plain, "get_attachments_for_case/1", Value::Null)["size"],
        0
    );

    let local = Store::open(dir.path().join("local")).unwrap();
    let opts = PullOptions {
        attachments: true,
        ..PullOptions::default()
    };
    let report = trailstore::pull(&local, &remote, &opts, &mut |_| {}).unwrap();
    assert_eq!(report.attachments, 3, "{report}");
    let listed = ok(&local, "get_attachments_for_case/1", Value::Null);
    assert_eq!(
        listed["attachments"],
        c.get("get_attachments_for_case/1").unwrap()["attachments"]
    );
    let got: Vec<u64> = ids(listed["attachments"].as_array().unwrap());
    assert_eq!(
        local
            .attachment(&got[0].to_string())
            .unwrap()
            .to_vec()
            .unwrap(),
        shot
    );
    assert_eq!(
        local
            .attachment(&got[1].to_string())
            .unwrap()
            .to_vec()
            .unwrap(),
        log
    );
    // The same bytes on two cases are one file here too.
    let files = std::fs::read_dir(local.path().join(trailstore::ATTACHMENTS_DIR))
        .unwrap()
        .flatten()
        .filter(|d| d.file_name() != "tmp")
        .map(|d| std::fs::read_dir(d.path()).unwrap().count())
        .sum::<usize>();
    assert_eq!(files, 2);

    // The server deletes one; the next pull follows, and downloads nothing again.
    c.request(&format!("delete_attachment/{}", got[1]), Some(&json!({})))
        .unwrap();
    let again = trailstore::pull(&local, &remote, &opts, &mut |_| {}).unwrap();
    assert_eq!(again.attachments, 0, "{again}");
    let left = ok(&local, "get_attachments_for_case/1", Value::Null);
    assert_eq!(ids(left["attachments"].as_array().unwrap()), vec![got[0]]);
    err(&local, &format!("get_attachment/{}", got[1]), Value::Null);
}

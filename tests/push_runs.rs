//! Push of the run side against a real `trailstore serve` standing in for TestRail (a store made
//! with server ids, and its fault plan): milestones, configurations, runs, plans with entries,
//! results in batches and attachments, created once each, with the local ids renamed and still
//! answering; then the ways it must not lose or repeat a result: answers dropped after the server
//! applied them, a refused batch with one bad result, a run closed on the server meanwhile.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::serve::{Serve, ServeOptions};
use common::*;
use serde_json::{json, Value};
use trailstore::{Client, ClosedRun, PullOptions, PushOptions, Remote, RetryPolicy, Store};

const USER: &str = "pusher@example.com";
const KEY: &str = "runs-push-key";

fn fast() -> RetryPolicy {
    RetryPolicy {
        backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        max_attempts: 40,
        ..RetryPolicy::default()
    }
}

struct Server {
    serve: Serve,
}

impl Server {
    fn start(path: &Path, faults: Option<&Value>, dir: &Path) -> Server {
        let file = dir.join(format!("faults-{}.json", std::process::id()));
        Server {
            serve: Serve::start(ServeOptions {
                store: path,
                bind: "127.0.0.1:0".into(),
                user: USER,
                key: KEY,
                faults: faults.map(|p| (p, file.as_path())),
                capture_stderr: false,
            }),
        }
    }

    fn remote(&self) -> Remote {
        self.serve.remote(USER, KEY)
    }

    fn client(&self) -> Client {
        Client::new(&self.remote(), fast()).unwrap()
    }

    fn get(&self, route: &str) -> Value {
        self.client().get(route).unwrap()
    }

    fn all(&self, route: &str, key: &str) -> Vec<Value> {
        self.client().get_all(route, key, |_| {}).unwrap()
    }
}

/// A server store with the sample and this user, and a local store that pulled it.
fn setup(dir: &Path, faults: Option<&Value>) -> (PathBuf, Server, Store) {
    let server_path = dir.join("server");
    {
        let s = Store::open(&server_path).unwrap();
        s.set_server_ids().unwrap();
        s.import_snapshot(snapshot()).unwrap();
        s.import_snapshot(&json!({"users": [{"id": 7, "name": "Pusher", "email": USER}]}))
            .unwrap();
    }
    let server = Server::start(&server_path, faults, dir);
    let local = Store::open(dir.join("local")).unwrap();
    trailstore::pull(
        &local,
        &server.remote(),
        &PullOptions {
            retry: fast(),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    (server_path, server, local)
}

fn push_with(local: &Store, server: &Server, closed: ClosedRun) -> trailstore::PushReport {
    trailstore::push(
        local,
        &server.remote(),
        &PushOptions {
            retry: fast(),
            closed_run: closed,
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap()
}

fn push(local: &Store, server: &Server) -> trailstore::PushReport {
    push_with(local, server, ClosedRun::Hold)
}

fn id(v: &Value) -> u64 {
    v["id"].as_u64().unwrap()
}

/// A run's tests as (case, status), and its counts.
fn run_state(tests: &[Value], run: &Value) -> (BTreeMap<u64, u64>, Vec<u64>) {
    let statuses = tests
        .iter()
        .map(|t| {
            (
                t["case_id"].as_u64().unwrap(),
                t["status_id"].as_u64().unwrap(),
            )
        })
        .collect();
    let counts = [
        "passed_count",
        "blocked_count",
        "untested_count",
        "retest_count",
        "failed_count",
        "custom_status1_count",
    ]
    .iter()
    .map(|k| run[*k].as_u64().unwrap())
    .collect();
    (statuses, counts)
}

/// The fields of results that a person recorded, in order, for comparing both sides.
fn results_of(list: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = list
        .iter()
        .map(|r| {
            json!({"status_id": r["status_id"], "comment": r["comment"], "version": r["version"],
                   "elapsed": r["elapsed"], "defects": r["defects"]})
        })
        .collect();
    out.sort_by_key(|v| v.to_string());
    out
}

#[test]
fn runs_plans_results_and_attachments_recorded_offline_reach_the_server_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, server, local) = setup(dir.path(), None);

    // Offline: a milestone, configurations, a case, a run of it and two server cases, results.
    let milestone = id(&ok(
        &local,
        "add_milestone/1",
        json!({"name": "Offline sprint", "due_on": 1790000000}),
    ));
    let group = id(&ok(
        &local,
        "add_config_group/2",
        json!({"name": "Browsers"}),
    ));
    let chrome = id(&ok(
        &local,
        &format!("add_config/{group}"),
        json!({"name": "Chrome"}),
    ));
    let firefox = id(&ok(
        &local,
        &format!("add_config/{group}"),
        json!({"name": "Firefox"}),
    ));
    let case = id(&ok(
        &local,
        "add_case/17",
        json!({"title": "Offline case", "custom_component": 1}),
    ));
    let run = id(&ok(
        &local,
        "add_run/1",
        json!({"name": "Plane run", "include_all": false, "case_ids": [1, 2, case],
               "milestone_id": milestone}),
    ));
    let recorded = ok(
        &local,
        &format!("add_results_for_cases/{run}"),
        json!({"results": [
            {"case_id": 1, "status_id": 1, "elapsed": "12s", "version": "1.0"},
            {"case_id": case, "status_id": 5, "comment": "broke", "defects": "BUG-1"},
            {"case_id": 2, "status_id": 4}]}),
    );
    let failed = recorded[1]["id"].as_u64().unwrap();
    ok(
        &local,
        &format!("add_result_for_case/{run}/2"),
        json!({"status_id": 1, "comment": "fixed"}),
    );
    let shot = vec![9u8; 70_000];
    local
        .add_attachment(
            &format!("add_attachment_to_result/{failed}"),
            "shot.png",
            &shot[..],
        )
        .unwrap();
    local
        .add_attachment(
            &format!("add_attachment_to_run/{run}"),
            "run.log",
            &b"log"[..],
        )
        .unwrap();
    ok(&local, &format!("close_run/{run}"), json!({}));
    // A plan with a run per configuration, and a result in one of them.
    let plan = ok(
        &local,
        "add_plan/2",
        json!({"name": "Offline plan", "entries": [{"suite_id": 2, "include_all": false,
               "case_ids": [199, 200], "config_ids": [chrome, firefox],
               "runs": [{"config_ids": [chrome]}, {"config_ids": [firefox]}]}]}),
    );
    let plan_run = plan["entries"][0]["runs"][0]["id"].as_u64().unwrap();
    let case_in_plan = all_pages(&local, &format!("get_tests/{plan_run}"), "tests")[0]["case_id"]
        .as_u64()
        .unwrap();
    ok(
        &local,
        &format!("add_result_for_case/{plan_run}/{case_in_plan}"),
        json!({"status_id": 6}),
    );
    // And a result in the server's own open run.
    ok(
        &local,
        "add_result_for_case/2/1",
        json!({"status_id": 5, "comment": "offline"}),
    );

    let report = push(&local, &server);
    assert_eq!(
        (
            report.rejected,
            report.blocked,
            report.held,
            report.conflicts
        ),
        (0, 0, 0, 0),
        "{report}"
    );
    assert_eq!(report.results, 6, "{report}");
    let journal = journal(&local);
    assert!(
        journal.iter().all(|e| e["push"]["state"] == "done"),
        "{:#?}",
        journal
            .iter()
            .filter(|e| e["push"]["state"] != "done")
            .collect::<Vec<_>>()
    );

    // The local ids are aliases of the server's now; both sides say the same.
    let local_run = ok(&local, &format!("get_run/{run}"), Value::Null);
    let server_run_id = id(&local_run);
    assert!(!trailstore::is_local_id(server_run_id));
    let server_run = server.get(&format!("get_run/{server_run_id}"));
    assert_eq!(server_run["name"], "Plane run");
    assert_eq!(server_run["is_completed"], true);
    assert_eq!(server_run["milestone_id"], local_run["milestone_id"]);
    assert!(!trailstore::is_local_id(
        server_run["milestone_id"].as_u64().unwrap()
    ));
    let local_tests = all_pages(&local, &format!("get_tests/{run}"), "tests");
    let server_tests = server.all(&format!("get_tests/{server_run_id}"), "tests");
    assert_eq!(
        run_state(&local_tests, &local_run),
        run_state(&server_tests, &server_run)
    );
    assert_eq!(
        ids(&local_tests),
        ids(&server_tests),
        "the tests took the server's ids"
    );
    assert_eq!(
        results_of(&all_pages(
            &local,
            &format!("get_results_for_run/{run}"),
            "results"
        )),
        results_of(&server.all(&format!("get_results_for_run/{server_run_id}"), "results"))
    );
    // The attachments went after their owners, with their bytes.
    let server_failed = ok(
        &local,
        &format!("get_results_for_run/{run}&status_id=5"),
        Value::Null,
    )["results"][0]
        .clone();
    let on_server = server.all(
        &format!("get_attachments_for_test/{}", server_failed["test_id"]),
        "attachments",
    );
    assert_eq!(on_server.len(), 1);
    assert_eq!(on_server[0]["name"], "shot.png");
    assert_eq!(on_server[0]["size"], shot.len());
    assert_eq!(
        server.all(
            &format!("get_attachments_for_run/{server_run_id}"),
            "attachments"
        )[0]["name"],
        "run.log"
    );
    // The plan: its entry, its two runs by configuration, and the custom status counted.
    let local_plan = ok(&local, &format!("get_plan/{}", id(&plan)), Value::Null);
    let server_plan = server.get(&format!("get_plan/{}", id(&local_plan)));
    assert_eq!(
        local_plan["entries"][0]["id"],
        server_plan["entries"][0]["id"]
    );
    assert_eq!(
        local_plan["entries"][0]["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].clone(), r["config"].clone()))
            .collect::<Vec<_>>(),
        server_plan["entries"][0]["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].clone(), r["config"].clone()))
            .collect::<Vec<_>>()
    );
    assert_eq!(server_plan["custom_status1_count"], 1);
    assert_eq!(local_plan["custom_status1_count"], 1);
    // The server's own run got its result.
    let results2 = server.all("get_results_for_case/2/1", "results");
    assert_eq!(results2[0]["comment"], "offline");

    // Nothing left to send.
    let again = push(&local, &server);
    assert_eq!((again.sent, again.results), (0, 0), "{again}");
}

/// The server state of a run: its tests' statuses and counts, and how many results it has.
fn server_run_state(server: &Server, run: u64) -> (BTreeMap<u64, u64>, Vec<u64>, usize) {
    let r = server.get(&format!("get_run/{run}"));
    let tests = server.all(&format!("get_tests/{run}"), "tests");
    let (s, c) = run_state(&tests, &r);
    let results = server
        .all(&format!("get_results_for_run/{run}"), "results")
        .len();
    (s, c, results)
}

/// `n` results for the cases of a run (status cycling, each with a comment naming it).
fn results_for(cases: &[u64], n: usize, tag: &str) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let status = [1, 5, 4, 2][i % 4];
            json!({"case_id": cases[i % cases.len()], "status_id": status,
                   "comment": format!("{tag} {i}"), "elapsed": format!("{}s", 1 + i % 90)})
        })
        .collect()
}

fn record_results(local: &Store, run: u64, results: Vec<Value>) {
    for chunk in results.chunks(50) {
        ok(
            local,
            &format!("add_results_for_cases/{run}"),
            json!({ "results": chunk }),
        );
    }
}

#[test]
fn results_whose_answers_are_lost_are_neither_lost_nor_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let plan = json!({"seed": 11, "rules": [
        {"action": "drop_after", "routes": ["add_results_for_cases", "add_run"], "rate": 0.1}]});
    let (_path, server, local) = setup(dir.path(), Some(&plan));
    let cases: Vec<u64> = (1..=40).collect();
    let run = id(&ok(
        &local,
        "add_run/1",
        json!({"name": "Lossy", "include_all": false, "case_ids": cases}),
    ));
    let n = if std::env::var("TRAILSTORE_PUSH_RESULTS").is_ok() {
        10_000
    } else {
        2_000
    };
    record_results(&local, run, results_for(&cases, n, "lossy"));
    let report = push(&local, &server);
    assert_eq!(
        (report.rejected, report.blocked, report.held),
        (0, 0, 0),
        "{report}"
    );
    let server_run = id(&ok(&local, &format!("get_run/{run}"), Value::Null));
    let (statuses, counts, results) = server_run_state(&server, server_run);
    assert_eq!(
        results, n,
        "0 lost, 0 repeated ({} adopted after lost answers)",
        report.adopted
    );
    assert!(
        report.adopted > 0,
        "the plan dropped some answers: {report}"
    );
    let local_run = ok(&local, &format!("get_run/{run}"), Value::Null);
    let local_tests = all_pages(&local, &format!("get_tests/{run}"), "tests");
    assert_eq!((statuses, counts), run_state(&local_tests, &local_run));
    assert!(journal(&local).iter().all(|e| e["push"]["state"] == "done"));
}

#[test]
fn a_refused_batch_loses_only_its_bad_result() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, server, local) = setup(dir.path(), None);
    let run = id(&ok(
        &local,
        "add_run/1",
        json!({"name": "One bad", "include_all": false, "case_ids": [1, 2, 3, 4]}),
    ));
    // The run reaches the server; then the server drops case 3 from it, so that the results
    // recorded here for case 3 name a case the run no longer has.
    push(&local, &server);
    let server_run = id(&ok(&local, &format!("get_run/{run}"), Value::Null));
    server
        .client()
        .request(
            &format!("update_run/{server_run}"),
            Some(&json!({"include_all": false, "case_ids": [1, 2, 4]})),
        )
        .unwrap();
    record_results(&local, run, results_for(&[1, 2, 3, 4], 50, "batch"));
    let report = push(&local, &server);
    assert_eq!(report.rejected, 12, "the results of case 3: {report}");
    let (_, _, on_server) = server_run_state(&server, server_run);
    assert_eq!(on_server, 38, "the other results arrived");
    let rejected: Vec<Value> = journal(&local)
        .into_iter()
        .filter(|e| e["push"]["state"] == "rejected")
        .collect();
    assert!(!rejected.is_empty());
    for e in &rejected {
        assert!(
            e["push"]["message"]
                .as_str()
                .unwrap()
                .contains("not part of the test run"),
            "{e}"
        );
    }
    let moved: usize = rejected
        .iter()
        .map(|e| e["effects"].as_array().unwrap().len())
        .sum();
    assert_eq!(moved, 12);
    // A later push sends nothing again.
    let again = push(&local, &server);
    assert_eq!(again.results, 0, "{again}");
}

#[test]
fn results_for_a_run_the_server_closed_are_held_then_go_to_a_new_run() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, server, local) = setup(dir.path(), None);
    // The sample's open run 2, pulled; the server closes it while results are recorded here.
    let before = server.all("get_results_for_run/2", "results").len();
    record_results(&local, 2, results_for(&[1, 2, 3], 30, "late"));
    server
        .client()
        .request("close_run/2", Some(&json!({})))
        .unwrap();
    let held = push(&local, &server);
    assert_eq!((held.held, held.results), (30, 0), "{held}");
    let j = journal(&local);
    let kept: Vec<&Value> = j.iter().filter(|e| e["push"]["state"] == "held").collect();
    assert!(!kept.is_empty());
    assert!(kept[0]["push"]["message"]
        .as_str()
        .unwrap()
        .contains("--closed-run new"));
    assert_eq!(server.all("get_results_for_run/2", "results").len(), before);
    // Told to, they go to a new run made like the closed one.
    let sent = push_with(&local, &server, ClosedRun::New);
    assert_eq!((sent.results, sent.held), (30, 0), "{sent}");
    let runs = server.all("get_runs/1", "runs");
    let new = runs
        .iter()
        .find(|r| r["name"] == "Nightly 2025-12-15" && r["id"] != 2)
        .expect("a new run named after the old one");
    assert_eq!(
        server
            .all(&format!("get_results_for_run/{}", new["id"]), "results")
            .len(),
        30
    );
    assert!(journal(&local).iter().all(|e| e["push"]["state"] == "done"));
    // Nothing more to send, and nothing sent twice.
    let again = push_with(&local, &server, ClosedRun::New);
    assert_eq!(again.results, 0, "{again}");
}

/// A local run of 40 cases with `n` results and a few attachments on them.
fn offline_work(local: &Store, n: usize) -> u64 {
    let cases: Vec<u64> = (1..=40).collect();
    let run = id(&ok(
        local,
        "add_run/1",
        json!({"name": "Killed pushes", "include_all": false, "case_ids": cases}),
    ));
    record_results(local, run, results_for(&cases, n, "kill"));
    let some = all_pages(
        local,
        &format!("get_results_for_run/{run}&status_id=5"),
        "results",
    );
    for (i, r) in some.iter().take(6).enumerate() {
        local
            .add_attachment(
                &format!("add_attachment_to_result/{}", id(r)),
                &format!("failure-{i}.log"),
                format!("failure log {i}\n").repeat(2000).as_bytes(),
            )
            .unwrap();
    }
    run
}

#[test]
fn a_pusher_killed_during_results_and_attachments_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, server, local) = setup(dir.path(), None);
    let n = 1_000;
    let run = offline_work(&local, n);
    let local_path = local.path().to_path_buf();
    drop(local);
    let mut kills = 0;
    let mut finished = false;
    for attempt in 0..25u64 {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_trailstore"))
            .arg("--store")
            .arg(&local_path)
            .arg("push")
            .env("TESTRAIL_URL", server.remote().url)
            .env("TESTRAIL_USER", USER)
            .env("TESTRAIL_KEY", KEY)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        if attempt == 24 {
            assert!(child.wait().unwrap().success(), "the last push failed");
            finished = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(40 + (attempt * 7919) % 300));
        match child.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success(), "push failed on attempt {attempt}");
                finished = true;
                break;
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
            }
        }
    }
    assert!(finished);
    assert!(kills >= 3, "the push was killed only {kills} times");
    let local = Store::open(&local_path).unwrap();
    let server_run = id(&ok(&local, &format!("get_run/{run}"), Value::Null));
    let (statuses, counts, results) = server_run_state(&server, server_run);
    assert_eq!(results, n, "0 lost, 0 repeated after {kills} kills");
    let local_run = ok(&local, &format!("get_run/{run}"), Value::Null);
    assert_eq!(
        (statuses, counts),
        run_state(
            &all_pages(&local, &format!("get_tests/{run}"), "tests"),
            &local_run
        )
    );
    // Each attachment once, on the right result, with its bytes.
    let mut names = Vec::new();
    for t in server.all(&format!("get_tests/{server_run}"), "tests") {
        for a in server.all(
            &format!("get_attachments_for_test/{}", t["id"]),
            "attachments",
        ) {
            names.push(a["name"].as_str().unwrap().to_string());
        }
    }
    names.sort();
    assert_eq!(
        names,
        (0..6)
            .map(|i| format!("failure-{i}.log"))
            .collect::<Vec<_>>()
    );
    assert!(journal(&local).iter().all(|e| e["push"]["state"] == "done"));
}

#[test]
fn rate_limits_on_30_percent_of_result_requests_fail_nothing_and_come_after_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let plan =
        json!({"seed": 9, "rules": [{"action": "rate_limit", "rate": 0.3, "retry_after": 1}]});
    let (_path, server, local) = setup(dir.path(), Some(&plan));
    let run = offline_work(&local, 200);
    let report = push(&local, &server);
    assert_eq!(
        (report.rejected, report.blocked, report.held),
        (0, 0, 0),
        "{report}"
    );
    let stats = server.get("x_fault_stats");
    assert!(stats["rate_limited"].as_u64().unwrap() >= 3, "{stats}");
    assert_eq!(
        stats["early_after_429"], 0,
        "sent before Retry-After passed: {stats}"
    );
    let server_run = id(&ok(&local, &format!("get_run/{run}"), Value::Null));
    assert_eq!(server_run_state(&server, server_run).2, 200);
}

/// A copy of a store folder (with nothing open on it).
fn copy_store(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_store(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn serve_on(path: &Path, port: u16) -> Server {
    Server {
        serve: Serve::start(ServeOptions {
            store: path,
            bind: format!("127.0.0.1:{port}"),
            user: USER,
            key: KEY,
            faults: None,
            capture_stderr: false,
        }),
    }
}

fn pull_from(local: &Store, server: &Server) {
    trailstore::pull(
        local,
        &server.remote(),
        &PullOptions {
            retry: fast(),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
}

/// What a server holds of a run, by content (ids differ between servers): the run, its tests'
/// statuses, its results, its files; and the results of the sample's case 1 in run 2.
fn server_state(s: &Server, run: u64) -> Value {
    let tests = s.all(&format!("get_tests/{run}"), "tests");
    let mut files = Vec::new();
    for t in &tests {
        for f in s.all(
            &format!("get_attachments_for_test/{}", t["id"]),
            "attachments",
        ) {
            files.push(json!([t["case_id"], f["name"], f["size"]]));
        }
    }
    files.sort_by_key(|v| v.to_string());
    let r = s.get(&format!("get_run/{run}"));
    json!({
        "run": [r["name"], r["is_completed"], r["passed_count"], r["failed_count"]],
        "tests": run_state(&tests, &r).0,
        "results": results_of(&s.all(&format!("get_results_for_run/{run}"), "results")),
        "files": files,
        "run_2": results_of(&s.all("get_results_for_case/2/1", "results")),
    })
}

#[test]
fn a_bundle_carried_across_the_gap_pushes_as_a_direct_push_would() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Two copies of one server: one pushed to directly, one through a bundle (served on the
    // same port in turn, so that both are "the same server" to the stores).
    {
        let s = Store::open(d.join("s0")).unwrap();
        s.set_server_ids().unwrap();
        s.import_snapshot(snapshot()).unwrap();
        s.import_snapshot(&json!({"users": [{"id": 7, "name": "Pusher", "email": USER}]}))
            .unwrap();
    }
    copy_store(&d.join("s0"), &d.join("direct"));
    copy_store(&d.join("s0"), &d.join("carried"));
    let (port, run, run_a) = {
        let server = serve_on(&d.join("direct"), 0);
        let offline = Store::open(d.join("offline")).unwrap();
        pull_from(&offline, &server);
        let run = offline_work(&offline, 120);
        ok(&offline, &format!("close_run/{run}"), json!({}));
        ok(
            &offline,
            "add_result_for_case/2/1",
            json!({"status_id": 5, "comment": "offline"}),
        );
        drop(offline);
        copy_store(&d.join("offline"), &d.join("offline_copy"));
        let offline = Store::open(d.join("offline")).unwrap();
        let a = push(&offline, &server);
        assert_eq!((a.results, a.rejected, a.blocked), (121, 0, 0), "{a}");
        let run_a = id(&ok(&offline, &format!("get_run/{run}"), Value::Null));
        (server.serve.port, run, run_a)
    };
    let file = d.join("work.bundle");
    Store::open(d.join("offline_copy"))
        .unwrap()
        .export_changes_bundle(&file)
        .unwrap();
    let run_b = {
        let server = serve_on(&d.join("carried"), port);
        let connected = Store::open(d.join("connected")).unwrap();
        pull_from(&connected, &server);
        assert!(connected.import_bundle(&file).unwrap().imported);
        assert!(
            !connected.import_bundle(&file).unwrap().imported,
            "a second import does nothing"
        );
        let b = push(&connected, &server);
        assert_eq!((b.results, b.rejected, b.blocked), (121, 0, 0), "{b}");
        id(&ok(&connected, &format!("get_run/{run}"), Value::Null))
    };
    let direct = serve_on(&d.join("direct"), 0);
    let carried = serve_on(&d.join("carried"), 0);
    assert_eq!(server_state(&direct, run_a), server_state(&carried, run_b));
}

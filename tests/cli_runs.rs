//! The command line's runs and results commands (`runs list/show/add/close`, `results add`),
//! run as a user runs them: the built binary on a store made by `init`, its project, section
//! and cases made with `call`. Human output and `--json`, exit statuses and TestRail's messages.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

/// What one run of the CLI gave.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cli(store: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_trailstore"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("TRAILSTORE_PATH")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs a command that must succeed; its standard output.
#[track_caller]
fn ok(store: &Path, args: &[&str]) -> String {
    let r = cli(store, args);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    r.stdout
}

/// Runs a command with `--json` that must succeed; its JSON.
#[track_caller]
fn json_of(store: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = ok(store, &all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {out}"))
}

/// Runs a command that must be refused (exit status 1); its standard error.
#[track_caller]
fn refused(store: &Path, args: &[&str]) -> String {
    let r = cli(store, args);
    assert_eq!(
        r.code, 1,
        "{args:?} should be refused: {}{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.is_empty(), "{args:?} printed {}", r.stdout);
    r.stderr
}

fn id(v: &Value) -> String {
    v["id"].as_u64().unwrap().to_string()
}

/// A store made by `init`, with a single-suite project, a section and three cases made with
/// `call`, and the custom status `custom_status1` labelled "Flaky" beside the system statuses
/// (a snapshot with statuses, as a server with a custom status gives). Returns the store's path,
/// the project id and the case ids.
struct Lab {
    _dir: tempfile::TempDir,
    store: PathBuf,
    project: String,
    cases: Vec<String>,
}

fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ok(&store, &["init"]);
    let project = json_of(
        &store,
        &[
            "call",
            "add_project",
            "--data",
            r#"{"name": "Lab", "suite_mode": 1}"#,
        ],
    );
    let project = id(&project);
    let section = json_of(
        &store,
        &[
            "call",
            &format!("add_section/{project}"),
            "--data",
            r#"{"name": "Rig"}"#,
        ],
    );
    let cases = ["Calibrate the rig", "Power cycle", "Read the trace"]
        .iter()
        .map(|t| {
            id(&json_of(
                &store,
                &[
                    "call",
                    &format!("add_case/{}", id(&section)),
                    "--data",
                    &json!({ "title": t }).to_string(),
                ],
            ))
        })
        .collect();
    let mut statuses = json_of(&store, &["call", "get_statuses"]);
    statuses.as_array_mut().unwrap().push(json!({
        "id": 6, "name": "custom_status1", "label": "Flaky", "is_system": false,
        "is_untested": false, "is_final": false,
        "color_dark": 0, "color_medium": 0, "color_bright": 0
    }));
    let file = dir.path().join("statuses.json");
    std::fs::write(&file, json!({ "statuses": statuses }).to_string()).unwrap();
    ok(&store, &["import", file.to_str().unwrap()]);
    Lab {
        _dir: dir,
        store,
        project,
        cases,
    }
}

/// The number of results a run holds (every page).
fn results_of(store: &Path, run: &str) -> u64 {
    json_of(store, &["call", &format!("get_results_for_run/{run}")])["size"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_run_is_added_gets_results_by_status_name_and_id_and_shows_them() {
    let lab = lab();
    let s = lab.store.as_path();
    let (c1, c2, c3) = (&lab.cases[0], &lab.cases[1], &lab.cases[2]);

    // Without --cases the run holds every case of the suite.
    let out = ok(
        s,
        &[
            "runs",
            "add",
            "--project",
            &lab.project,
            "--name",
            "Nightly",
        ],
    );
    let run = out
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("Added run R"))
        .and_then(|l| l.strip_suffix('.'))
        .unwrap_or_else(|| panic!("no run id in {out}"))
        .to_string();
    assert!(out.contains(&format!("R{run}  Nightly")), "{out}");
    assert!(out.contains("completed              no"), "{out}");
    assert!(
        out.contains("tests                  3: 3 Untested"),
        "{out}"
    );
    let got = json_of(s, &["call", &format!("get_run/{run}")]);
    assert_eq!(got["include_all"], true);
    assert_eq!(got["untested_count"], 3);

    // By status name (system name, any case), by label of a custom status, and by id.
    let out = ok(
        s,
        &[
            "results", "add", "--run", &run, "--case", c1, "--status", "passed",
        ],
    );
    assert!(out.contains("status                 Passed"), "{out}");
    assert!(out.contains("test status now        Passed"), "{out}");
    let failed = json_of(
        s,
        &[
            "results",
            "add",
            "--run",
            &run,
            "--case",
            c2,
            "--status",
            "5",
            "--comment",
            "Timeout after 30 s",
            "--elapsed",
            "1m",
            "5s",
            "--version",
            "2.1.0",
            "--defects",
            "BUG-12,BUG-14",
        ],
    );
    assert_eq!(failed["status_id"], 5);
    assert_eq!(failed["comment"], "Timeout after 30 s");
    assert_eq!(failed["elapsed"], "1m 5s");
    assert_eq!(failed["version"], "2.1.0");
    assert_eq!(failed["defects"], "BUG-12,BUG-14");
    // By test, with a status named by its label.
    let tests = json_of(s, &["call", &format!("get_tests/{run}")]);
    let t3 = tests["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["case_id"] == c3.parse::<u64>().unwrap())
        .map(id)
        .unwrap();
    let flaky = json_of(
        s,
        &[
            "results", "add", "--run", &run, "--test", &t3, "--status", "flaky",
        ],
    );
    assert_eq!(flaky["status_id"], 6);
    assert_eq!(flaky["test_id"].to_string(), t3);
    // FAILED in capitals is failed; a later result is the test's status.
    let again = json_of(
        s,
        &[
            "results", "add", "--run", &run, "--case", c1, "--status", "FAILED",
        ],
    );
    assert_eq!(again["status_id"], 5);
    // A comment alone is a result too; it leaves the status.
    ok(
        s,
        &[
            "results",
            "add",
            "--run",
            &run,
            "--case",
            c1,
            "--comment",
            "Seen again",
        ],
    );
    assert_eq!(results_of(s, &run), 5);

    // runs show: the header with counts (labels from get_statuses), then one line per test.
    let out = ok(s, &["runs", "show", &run]);
    assert!(
        out.contains("tests                  3: 2 Failed, 1 Flaky"),
        "{out}"
    );
    let line = |case: &str| {
        out.lines()
            .find(|l| l.contains(&format!("C{case} ")))
            .unwrap_or_else(|| panic!("no line for C{case} in {out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(line(c1)[2..], ["Failed", "Calibrate", "the", "rig"]);
    assert_eq!(line(c2)[2..], ["Failed", "Power", "cycle"]);
    assert_eq!(
        line(c3)[..3],
        [format!("T{t3}").as_str(), &format!("C{c3}"), "Flaky"]
    );
    assert!(out.trim_end().ends_with("(3 tests)"), "{out}");

    // --status keeps those tests, by name or by id; --json gives the run and the tests.
    let shown = json_of(s, &["runs", "show", &run, "--status", "failed"]);
    assert_eq!(shown["run"]["id"].to_string(), run);
    assert_eq!(shown["run"]["failed_count"], 2);
    assert_eq!(shown["run"]["custom_status1_count"], 1);
    assert_eq!(shown["run"]["is_completed"], false);
    let cases_of = |v: &Value| -> Vec<String> {
        v["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["case_id"].to_string())
            .collect()
    };
    assert_eq!(cases_of(&shown), [c1.clone(), c2.clone()]);
    let shown = json_of(s, &["runs", "show", &run, "--status", "6,1"]);
    assert_eq!(cases_of(&shown), std::slice::from_ref(c3));
    let out = ok(s, &["runs", "show", &run, "--status", "passed"]);
    assert!(out.contains("(no tests with those statuses)"), "{out}");

    // A second run of two cases, assigned by email, with a milestone and a description.
    let milestone = json_of(
        s,
        &[
            "call",
            &format!("add_milestone/{}", lab.project),
            "--data",
            r#"{"name": "2.1"}"#,
        ],
    );
    let smoke = json_of(
        s,
        &[
            "runs",
            "add",
            "--project",
            &lab.project,
            "--name",
            "Smoke",
            "--cases",
            &format!("{c1}, C{c3}"),
            "--milestone",
            &id(&milestone),
            "--description",
            "RC1",
            "--assign",
            "trailstore@localhost",
        ],
    );
    assert_eq!(smoke["include_all"], false);
    assert_eq!(smoke["untested_count"], 2);
    assert_eq!(smoke["milestone_id"], milestone["id"]);
    assert_eq!(smoke["description"], "RC1");
    assert_eq!(smoke["assignedto_id"], 1);
    let smoke = id(&smoke);

    // runs list: newest first, counts by label, completed or not.
    let out = ok(s, &["runs", "list", "--project", &lab.project]);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0][..4],
        [format!("R{smoke}").as_str(), "2", "no", "Smoke"]
    );
    assert_eq!(rows[0][4..], ["2", "Untested"]);
    assert_eq!(
        rows[1][..4],
        [format!("R{run}").as_str(), "3", "no", "Nightly"]
    );
    assert_eq!(rows[1][4..], ["2", "Failed,", "1", "Flaky"]);
    assert_eq!(rows[2], ["(2", "runs)"]);
    let listed = json_of(
        s,
        &["runs", "list", "--project", &lab.project, "--limit", "1"],
    );
    assert_eq!(listed["size"], 1);
    assert_eq!(id(&listed["runs"][0]), smoke);
    assert!(listed["_links"]["next"].is_string());
    let out = ok(
        s,
        &["runs", "list", "--project", &lab.project, "--limit", "1"],
    );
    assert!(out.contains("(1 shown; more with --offset 1)"), "{out}");

    // Closing: the run says so, and refuses results afterwards with TestRail's message.
    let out = ok(s, &["runs", "close", &run]);
    assert!(out.starts_with(&format!("Closed run R{run}.")), "{out}");
    assert!(out.contains("completed              yes"), "{out}");
    let err = refused(
        s,
        &[
            "results", "add", "--run", &run, "--case", c2, "--status", "passed",
        ],
    );
    assert_eq!(
        err.trim_end(),
        "error: This operation is not allowed. The test run is already completed."
    );
    let r = cli(
        s,
        &[
            "--json", "results", "add", "--run", &run, "--test", &t3, "--status", "1",
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).unwrap(),
        json!({"error": "This operation is not allowed. The test run is already completed."})
    );
    assert_eq!(results_of(s, &run), 5, "nothing was written");
    let closed = json_of(
        s,
        &["runs", "list", "--project", &lab.project, "--completed"],
    );
    assert_eq!(closed["size"], 1);
    assert_eq!(id(&closed["runs"][0]), run);
    let open = json_of(s, &["runs", "list", "--project", &lab.project, "--open"]);
    assert_eq!(id(&open["runs"][0]), smoke);
    assert_eq!(open["size"], 1);
}

#[test]
fn refusals_name_the_problem_and_write_nothing() {
    let lab = lab();
    let s = lab.store.as_path();
    let run = id(&json_of(
        s,
        &[
            "runs",
            "add",
            "--project",
            &lab.project,
            "--name",
            "R",
            "--cases",
            &lab.cases[0],
        ],
    ));
    let c1 = &lab.cases[0];

    // An unknown status name: refused before any request, with the names the store has.
    let err = refused(
        s,
        &[
            "results", "add", "--run", &run, "--case", c1, "--status", "pased",
        ],
    );
    assert!(
        err.starts_with("error: Unknown status \"pased\": give a status id or one of passed, blocked, untested, retest, failed, custom_status1 (\"Flaky\")"),
        "{err}"
    );
    assert!(
        err.contains("(field: status_id, code: validation)"),
        "{err}"
    );
    let err = refused(s, &["runs", "show", &run, "--status", "failed,nope"]);
    assert!(err.contains("Unknown status \"nope\""), "{err}");

    // TestRail's own refusals, as the route words them.
    let err = refused(
        s,
        &[
            "results", "add", "--run", &run, "--case", c1, "--status", "untested",
        ],
    );
    assert!(
        err.starts_with("error: Field :status_id uses an invalid status (Untested)."),
        "{err}"
    );
    let err = refused(s, &["results", "add", "--run", &run, "--case", c1]);
    assert!(
        err.starts_with("error: One of Status ID, Assigned To or Comment is required"),
        "{err}"
    );
    let err = refused(
        s,
        &[
            "results",
            "add",
            "--run",
            &run,
            "--case",
            c1,
            "--status",
            "1",
            "--elapsed",
            "0s",
        ],
    );
    assert!(err.contains("elapsed"), "{err}");
    let err = refused(
        s,
        &[
            "results",
            "add",
            "--run",
            &run,
            "--case",
            &lab.cases[1],
            "--status",
            "1",
        ],
    );
    assert!(
        err.starts_with("error: No (active) test found for the run/case combination."),
        "{err}"
    );
    let err = refused(
        s,
        &[
            "results", "add", "--run", "999999", "--case", c1, "--status", "1",
        ],
    );
    assert!(
        err.contains("Field :run_id is not a valid test run."),
        "{err}"
    );

    // A test of another run, given with --run: refused by the CLI, which --run promised.
    let other = id(&json_of(
        s,
        &["runs", "add", "--project", &lab.project, "--name", "Other"],
    ));
    let test_of_other = id(&json_of(s, &["call", &format!("get_tests/{other}")])["tests"][0]);
    let err = refused(
        s,
        &[
            "results",
            "add",
            "--run",
            &run,
            "--test",
            &test_of_other,
            "--status",
            "1",
        ],
    );
    assert!(
        err.starts_with(&format!(
            "error: Test T{test_of_other} is not part of run R{run} (it belongs to run R{other})."
        )),
        "{err}"
    );
    assert_eq!(results_of(s, &run), 0);
    assert_eq!(results_of(s, &other), 0);

    // --case or --test is required, and only one of them.
    let r = cli(s, &["results", "add", "--run", &run, "--status", "1"]);
    assert_eq!(r.code, 2, "clap's usage error");
    assert!(r.stderr.contains("--case"), "{}", r.stderr);

    // A multi-suite project needs --suite, in TestRail's words.
    let multi = id(&json_of(
        s,
        &[
            "call",
            "add_project",
            "--data",
            r#"{"name": "Multi", "suite_mode": 3}"#,
        ],
    ));
    let err = refused(s, &["runs", "add", "--project", &multi, "--name", "X"]);
    assert!(
        err.starts_with("error: Field :suite_id is a required field."),
        "{err}"
    );
    let err = refused(
        s,
        &[
            "runs",
            "add",
            "--project",
            &lab.project,
            "--name",
            "X",
            "--cases",
            "1,two",
        ],
    );
    assert!(
        err.contains("--cases takes ids separated by commas"),
        "{err}"
    );
    let listed = json_of(s, &["runs", "list", "--project", &lab.project]);
    assert_eq!(listed["size"], 2, "no run was added by a refused command");
}

#[test]
fn every_new_command_teaches_with_examples() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("store");
    for cmd in [
        &["runs", "list", "--help"][..],
        &["runs", "show", "--help"],
        &["runs", "add", "--help"],
        &["runs", "close", "--help"],
        &["results", "add", "--help"],
    ] {
        let out = ok(&s, cmd);
        assert!(out.contains("Example"), "{cmd:?}: {out}");
        assert!(
            out.contains(&format!("trailstore {} {}", cmd[0], cmd[1])),
            "{cmd:?}: {out}"
        );
    }
    let out = ok(&s, &["results", "add", "--help"]);
    assert!(out.contains("get_statuses"), "{out}");
    let out = ok(&s, &["--help"]);
    assert!(out.contains("runs") && out.contains("results"), "{out}");
}

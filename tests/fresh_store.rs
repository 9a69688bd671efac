//! A store made without a snapshot is a fresh TestRail: the reference data a new installation
//! has (priorities, case types, templates, the system case fields, statuses, the step-results
//! field, a user), the defaults TestRail applies to a new case, a push to another fresh store,
//! and their replacement by the server's lists on the first import.

mod common;

use common::serve::{Serve, ServeOptions};
use common::*;
use serde_json::{json, Value};
use trailstore::{LocalUser, PushOptions, ReferenceData, Store};

const USER: &str = "lab@example.com";
const KEY: &str = "fresh-store-key-0123";

fn fresh(path: &std::path::Path) -> Store {
    let store = Store::open(path).unwrap();
    assert!(store.install_defaults(&LocalUser::default()).unwrap());
    store
}

/// A real `trailstore serve` of the store at `path`, with this file's credentials.
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

/// A project "Lab" with a section "Rig": the ids of both.
fn lab_section(store: &Store) -> (u64, u64) {
    let id = |v: Value| v["id"].as_u64().unwrap();
    let pid = id(ok(
        store,
        "add_project",
        json!({"name": "Lab", "suite_mode": 1}),
    ));
    (
        pid,
        id(ok(
            store,
            &format!("add_section/{pid}"),
            json!({"name": "Rig"}),
        )),
    )
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_reference_route_answers_a_fresh_testrails_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh(&dir.path().join("store"));
    assert_eq!(store.reference_data().unwrap(), ReferenceData::Defaults);
    let project = ok(
        &store,
        "add_project",
        json!({"name": "Lab", "suite_mode": 1}),
    );
    let pid = project["id"].as_u64().unwrap();

    let priorities = ok(&store, "get_priorities", Value::Null);
    assert_eq!(
        names(&priorities, "name"),
        ["Low", "Medium", "High", "Critical"]
    );
    for p in priorities.as_array().unwrap() {
        for key in ["id", "name", "short_name", "is_default", "priority"] {
            assert!(p.get(key).is_some(), "priority without {key}: {p}");
        }
    }
    let defaults = |list: &Value| -> Vec<u64> {
        list.as_array()
            .unwrap()
            .iter()
            .filter(|v| v["is_default"] == true)
            .map(|v| v["id"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(defaults(&priorities), [2]);
    let types = ok(&store, "get_case_types", Value::Null);
    assert_eq!(types.as_array().unwrap().len(), 12);
    assert_eq!(defaults(&types), [7]);

    let templates = ok(&store, &format!("get_templates/{pid}"), Value::Null);
    assert_eq!(
        names(&templates, "name"),
        [
            "Test Case (Text)",
            "Test Case (Steps)",
            "Exploratory Session"
        ]
    );
    assert_eq!(
        names(&templates, "i18n_custom_id"),
        [
            "templates_test_case_text",
            "templates_test_case_steps",
            "templates_exploratory_session"
        ]
    );
    assert_eq!(defaults(&templates), [1]);

    let fields = ok(&store, "get_case_fields", Value::Null);
    assert_eq!(
        names(&fields, "system_name"),
        [
            "custom_preconds",
            "custom_steps",
            "custom_expected",
            "custom_steps_separated",
            "custom_mission",
            "custom_goals"
        ]
    );
    for f in fields.as_array().unwrap() {
        assert_eq!(f["configs"][0]["context"]["is_global"], true, "{f}");
        assert_eq!(f["include_all"], false);
        assert!(!f["template_ids"].as_array().unwrap().is_empty());
    }
    let separated = &fields[3];
    assert_eq!(separated["type_id"], 10);
    assert_eq!(separated["template_ids"], json!([2]));

    for route in ["get_statuses".to_string(), format!("get_statuses/{pid}")] {
        let statuses = ok(&store, &route, Value::Null);
        assert_eq!(
            names(&statuses, "name"),
            ["passed", "blocked", "untested", "retest", "failed"]
        );
        for s in statuses.as_array().unwrap() {
            for key in [
                "id",
                "label",
                "color_dark",
                "color_medium",
                "color_bright",
                "is_system",
                "is_untested",
                "is_final",
            ] {
                assert!(s.get(key).is_some(), "status without {key}: {s}");
            }
            assert_eq!(s["is_system"], true);
            assert_eq!(s["is_untested"], s["id"] == 3);
        }
    }
    assert_error(
        &err(&store, "get_statuses/999", Value::Null),
        "Field :project_id is not a valid or accessible project.",
        Some("project_id"),
    );
    let result_fields = ok(&store, "get_result_fields", Value::Null);
    assert_eq!(
        names(&result_fields, "system_name"),
        ["custom_step_results"]
    );
    assert_eq!(result_fields[0]["type_id"], 11);

    let me = ok(&store, "get_current_user", Value::Null);
    assert_eq!(me["id"], 1);
    assert_eq!(me["email"], "trailstore@localhost");
    assert_eq!(ok(&store, "get_users", Value::Null), json!([me.clone()]));
    assert_eq!(
        ok(
            &store,
            "get_user_by_email&email=trailstore@localhost",
            Value::Null
        ),
        me
    );

    // Nothing of this is a local change: there is nothing to push.
    assert_eq!(journal(&store).len(), 1, "only add_project is journaled");
    // And a second install writes nothing.
    let before = store.stats().unwrap();
    assert!(!store.install_defaults(&LocalUser::default()).unwrap());
    assert_eq!(store.stats().unwrap(), before);
}

#[test]
fn a_new_case_gets_testrails_defaults_and_its_steps_are_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh(&dir.path().join("store"));
    let (pid, sid) = lab_section(&store);
    let plain = ok(
        &store,
        &format!("add_case/{sid}"),
        json!({"title": "Power on"}),
    );
    assert_eq!(plain["template_id"], 1, "the project's default template");
    assert_eq!(plain["type_id"], 7, "the default type");
    assert_eq!(plain["priority_id"], 2, "the default priority");

    let stepped = ok(
        &store,
        &format!("add_case/{sid}"),
        json!({"title": "Calibrate the rig", "priority_id": 2, "template_id": 2,
               "custom_steps_separated": [
                   {"content": "Attach the oscilloscope", "expected": "A flat trace"}]}),
    );
    assert_eq!(stepped["priority_id"], 2);
    assert_eq!(stepped["template_id"], 2);
    assert_eq!(
        stepped["custom_steps_separated"][0]["expected"],
        "A flat trace"
    );
    let (hits, _) = search_hits(&store, &format!("x_search_cases/{pid}&q=oscilloscope"));
    assert_eq!(hits, [stepped["id"].as_u64().unwrap()]);
}

#[test]
fn a_case_of_a_fresh_store_pushes_to_another_fresh_store() {
    let dir = tempfile::tempdir().unwrap();
    let server_path = dir.path().join("server");
    {
        let server = fresh(&server_path);
        server.set_server_ids().unwrap();
    }
    let server = serve(&server_path);
    let local = fresh(&dir.path().join("local"));
    let (_, sid) = lab_section(&local);
    ok(
        &local,
        &format!("add_case/{sid}"),
        json!({"title": "Calibrate the rig", "priority_id": 2, "template_id": 2,
               "custom_steps_separated": [{"content": "Attach", "expected": "Flat"}]}),
    );
    let report = trailstore::push(
        &local,
        &server.remote(USER, KEY),
        &PushOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        (report.rejected, report.blocked, report.conflicts),
        (0, 0, 0)
    );
    assert_eq!(report.created, 3, "project, section and case");

    let client = trailstore::Client::new(&server.remote(USER, KEY), Default::default()).unwrap();
    let projects = client.get_all("get_projects", "projects", |_| {}).unwrap();
    let server_pid = projects[0]["id"].as_u64().unwrap();
    let cases = client
        .get_all(&format!("get_cases/{server_pid}"), "cases", |_| {})
        .unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["title"], "Calibrate the rig");
    assert_eq!(cases[0]["template_id"], 2);
    assert_eq!(cases[0]["priority_id"], 2);
    assert_eq!(cases[0]["type_id"], 7);
    assert_eq!(cases[0]["custom_steps_separated"][0]["content"], "Attach");
}

#[test]
fn the_first_import_replaces_the_defaults_with_the_servers_lists() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh(&dir.path().join("store"));
    store.import_snapshot(snapshot()).unwrap();
    assert_eq!(store.reference_data().unwrap(), ReferenceData::Server);
    let want = |key: &str| -> Vec<u64> {
        let mut ids = ids(snapshot()[key].as_array().unwrap());
        ids.sort_unstable();
        ids
    };
    let have = |route: &str| -> Vec<u64> {
        let mut out = ids(ok(&store, route, Value::Null).as_array().unwrap());
        out.sort_unstable();
        out
    };
    assert_eq!(have("get_priorities"), want("priorities"));
    assert_eq!(have("get_case_types"), want("case_types"));
    assert_eq!(have("get_case_fields"), want("case_fields"));
    assert_eq!(have("get_users"), want("users"));
    // The default field the sample does not have is gone with the rest of the defaults.
    let fields = ok(&store, "get_case_fields", Value::Null);
    assert_eq!(
        fields.as_array().unwrap().len(),
        snapshot()["case_fields"].as_array().unwrap().len()
    );

    // A store with a server's lists is never rewritten by defaults.
    assert!(!store.install_defaults(&LocalUser::default()).unwrap());
}

#[test]
fn an_empty_store_says_it_has_no_reference_data() {
    let (_dir, store) = empty();
    assert_eq!(store.reference_data().unwrap(), ReferenceData::None);
    assert_eq!(store.stats().unwrap()["reference_data"], "none");
    let (_dir, sample) = sample();
    assert_eq!(sample.reference_data().unwrap(), ReferenceData::Server);
}

#[test]
fn a_pull_replaces_the_defaults_with_the_servers_lists() {
    let dir = tempfile::tempdir().unwrap();
    let server_path = dir.path().join("server");
    {
        let s = Store::open(&server_path).unwrap();
        s.set_server_ids().unwrap();
        // The sample's statuses: the five system ones and a custom one (Flaky), as an
        // administrator adds it; its passed status is renamed here, as a server may have it.
        s.import_snapshot(snapshot()).unwrap();
        let mut batch = s.batch().unwrap();
        batch
            .import_snapshot(&json!({"statuses": [
                {"id": 1, "name": "passed", "label": "Done", "is_system": true, "is_final": true}]}))
            .unwrap();
        batch.commit().unwrap();
    }
    let server = serve(&server_path);
    let local = fresh(&dir.path().join("local"));
    trailstore::pull(
        &local,
        &server.remote(USER, KEY),
        &Default::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(local.reference_data().unwrap(), ReferenceData::Server);
    let mut priorities = ids(ok(&local, "get_priorities", Value::Null)
        .as_array()
        .unwrap());
    priorities.sort_unstable();
    let mut want = ids(snapshot()["priorities"].as_array().unwrap());
    want.sort_unstable();
    assert_eq!(priorities, want);
    let statuses = ok(&local, "get_statuses", Value::Null);
    assert_eq!(
        names(&statuses, "name"),
        [
            "passed",
            "blocked",
            "untested",
            "retest",
            "failed",
            "custom_status1"
        ]
    );
    assert_eq!(statuses[0]["label"], "Done");
    assert_eq!(statuses[5]["label"], "Flaky");
}

/// Runs the CLI on a store; its exit code and standard output.
fn cli(store: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trailstore"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("TESTRAIL_URL")
        .env_remove("TESTRAIL_USER")
        .env_remove("TESTRAIL_KEY")
        .env("XDG_CONFIG_HOME", store.with_extension("no-config"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn init_makes_a_fresh_testrail_and_a_push_with_a_rejected_entry_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let server_path = dir.path().join("server");
    assert_eq!(cli(&server_path, &["init", "--server-ids"]).0, 0);
    let server = serve(&server_path);

    // `init --empty` is today's empty store: its case has no template, and the server refuses it.
    let empty = dir.path().join("empty");
    assert_eq!(cli(&empty, &["init", "--empty"]).0, 0);
    {
        let store = Store::open(&empty).unwrap();
        assert_eq!(store.reference_data().unwrap(), ReferenceData::None);
        let (_, sid) = lab_section(&store);
        let case = ok(
            &store,
            &format!("add_case/{sid}"),
            json!({"title": "No template"}),
        );
        assert_eq!(case["template_id"], 0);
    }
    let url = server.url();
    let push = [
        "--json", "push", "--url", &url, "--user", USER, "--key", KEY,
    ];
    let (code, out) = cli(&empty, &push);
    assert_eq!(code, 3, "a push that left a rejected entry fails: {out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["rejected"], 1, "{report}");
    assert_eq!(report["created"], 2, "the project and the section went");

    // `init` with a user: the store's own user answers get_current_user.
    let local = dir.path().join("local");
    let (code, _) = cli(
        &local,
        &[
            "init",
            "--user-id",
            "7",
            "--user-name",
            "Ada",
            "--user-email",
            "ada@lab.example",
        ],
    );
    assert_eq!(code, 0);
    let (_, me) = cli(&local, &["call", "get_current_user"]);
    let me: Value = serde_json::from_str(&me).unwrap();
    assert_eq!(
        (me["id"].clone(), me["email"].clone()),
        (json!(7), json!("ada@lab.example"))
    );
    {
        let store = Store::open(&local).unwrap();
        let (_, sid) = lab_section(&store);
        let case = ok(
            &store,
            &format!("add_case/{sid}"),
            json!({"title": "Assigned", "priority_id": 2, "template_id": 2}),
        );
        assert_eq!(case["created_by"], 7);
    }
    let (code, out) = cli(&local, &push);
    assert_eq!(code, 0, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (report["rejected"].clone(), report["created"].clone()),
        (json!(0), json!(3))
    );
    // A store with reference data is left as it is by a second init.
    let before = Store::open(&local).unwrap().stats().unwrap();
    assert_eq!(cli(&local, &["init"]).0, 0);
    assert_eq!(Store::open(&local).unwrap().stats().unwrap(), before);
}

#[test]
fn the_readmes_first_steps_run_as_written_on_a_store_made_by_init_alone() {
    let readme = include_str!("../README.md");
    let start = readme.find("## First steps").unwrap();
    let block = &readme[start..];
    let block = &block[block.find("```bash\n").unwrap() + 8..];
    let block = &block[..block.find("```").unwrap()];
    assert!(block.contains("trailstore --store lab init"));
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(format!(
            "trailstore() {{ \"$TRAILSTORE_BIN\" \"$@\"; }}\n{block}"
        ))
        .env("TRAILSTORE_BIN", env!("CARGO_BIN_EXE_trailstore"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Calibrate the rig"), "{stdout}");
    assert!(stdout.contains("(1 of 1 matches shown)"), "{stdout}");
    let store = Store::open(dir.path().join("lab")).unwrap();
    let journal = journal(&store);
    assert_eq!(journal.len(), 3);
    let case = ok(&store, "get_case/2130706432", Value::Null);
    assert_eq!(
        (
            case["template_id"].clone(),
            case["priority_id"].clone(),
            case["type_id"].clone()
        ),
        (json!(2), json!(2), json!(7))
    );
}

//! Push against the real `trailstore serve` with its fault plan: thousands of mixed
//! operations with answers dropped after the server applied them, the pushing process killed and
//! restarted, rate limits, and conflicts with their resolution. The measures: no duplicates,
//! nothing lost, nothing left in flight, nothing sent before a Retry-After passed.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::serve::{Serve, ServeOptions};
use common::*;
use serde_json::{json, Value};
use trailstore::{PullOptions, PushOptions, Remote, RetryPolicy, Store};

const USER: &str = "pusher@example.com";
const KEY: &str = "SENTINEL-PUSH-KEY-99e1";

/// The server under test: a real `trailstore serve` (see `common::serve`).
struct Server(Serve);

impl Server {
    fn start(store: &Path, faults: Option<&Value>, dir: &Path) -> Server {
        let faults_file = dir.join(format!("faults-{}.json", rand_suffix()));
        Server(Serve::start(ServeOptions {
            store,
            bind: "127.0.0.1:0".into(),
            user: USER,
            key: KEY,
            faults: faults.map(|plan| (plan, faults_file.as_path())),
            capture_stderr: false,
        }))
    }

    fn remote(&self) -> Remote {
        self.0.remote(USER, KEY)
    }

    fn client(&self) -> trailstore::Client {
        trailstore::Client::new(&self.remote(), RetryPolicy::default()).unwrap()
    }

    fn get(&self, route: &str) -> Value {
        self.client().get(route).unwrap()
    }

    fn post(&self, route: &str, body: Value) -> Option<Value> {
        self.client().request(route, Some(&body)).unwrap()
    }

    fn all(&self, route: &str, key: &str) -> Vec<Value> {
        self.client().get_all(route, key, |_| {}).unwrap()
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        max_attempts: 30,
        ..RetryPolicy::default()
    }
}

/// A server store with the sample, and a local store that pulled it.
fn setup(dir: &Path, faults: Option<&Value>) -> (PathBuf, Server, Store) {
    let server_path = dir.join("server");
    {
        let s = Store::open(&server_path).unwrap();
        s.set_server_ids().unwrap();
        s.import_snapshot(snapshot()).unwrap();
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

fn push(local: &Store, server: &Server) -> trailstore::PushReport {
    trailstore::push(
        local,
        &server.remote(),
        &PushOptions {
            retry: fast(),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap()
}

/// What a case is, for comparing sides: its ids and the fields a person sets.
fn projection(c: &Value) -> Value {
    json!({
        "id": c["id"], "title": c["title"], "section_id": c["section_id"], "suite_id": c["suite_id"],
        "priority_id": c["priority_id"], "type_id": c["type_id"], "refs": c["refs"],
        "custom_component": c["custom_component"], "custom_platforms": c["custom_platforms"],
        "custom_preconds": c["custom_preconds"],
    })
}

/// Every case and section of both projects, projected, keyed by id.
fn world_local(store: &Store) -> (BTreeMap<u64, Value>, BTreeMap<u64, Value>) {
    let mut cases = BTreeMap::new();
    let mut sections = BTreeMap::new();
    for (p, suites) in [(1u64, vec![1u64]), (2, vec![2, 3, 4])] {
        for s in suites {
            for c in all_pages(store, &format!("get_cases/{p}&suite_id={s}"), "cases") {
                cases.insert(c["id"].as_u64().unwrap(), projection(&c));
            }
            for x in all_pages(store, &format!("get_sections/{p}&suite_id={s}"), "sections") {
                sections.insert(x["id"].as_u64().unwrap(), json!({"name": x["name"], "parent_id": x["parent_id"], "suite_id": x["suite_id"]}));
            }
        }
    }
    (cases, sections)
}

fn world_server(server: &Server) -> (BTreeMap<u64, Value>, BTreeMap<u64, Value>) {
    let mut cases = BTreeMap::new();
    let mut sections = BTreeMap::new();
    for (p, suites) in [(1u64, vec![1u64]), (2, vec![2, 3, 4])] {
        for s in suites {
            for c in server.all(&format!("get_cases/{p}&suite_id={s}"), "cases") {
                cases.insert(c["id"].as_u64().unwrap(), projection(&c));
            }
            for x in server.all(&format!("get_sections/{p}&suite_id={s}"), "sections") {
                sections.insert(x["id"].as_u64().unwrap(), json!({"name": x["name"], "parent_id": x["parent_id"], "suite_id": x["suite_id"]}));
            }
        }
    }
    (cases, sections)
}

/// A deterministic stream of mixed local changes until the journal holds `n` entries: new
/// sections with new cases in them, edits, moves (one by one and in bulk), deletes.
fn mixed_changes(store: &Store, n: usize, seed: u64) {
    let mut rng = seed
        .wrapping_mul(2862933555777941757)
        .wrapping_add(3037000493);
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let load = |store: &Store| -> (Vec<u64>, Vec<(u64, Option<u64>)>) {
        (
            ids(&all_pages(store, "get_cases/1", "cases")),
            all_pages(store, "get_sections/1", "sections")
                .iter()
                .map(|s| (s["id"].as_u64().unwrap(), s["parent_id"].as_u64()))
                .collect(),
        )
    };
    let (mut cases, mut sections) = load(store);
    let start = journal(store).len();
    let mut made = 0;
    let mut counter = 0;
    while start + made < n {
        counter += 1;
        let pick_case = |r: u64| cases[(r % cases.len() as u64) as usize];
        let pick_section = |r: u64| sections[(r % sections.len() as u64) as usize].0;
        let roll = next() % 100;
        let r = next();
        let before = store.data_version().unwrap();
        let result = if roll < 8 {
            let parent = if r % 3 == 0 {
                None
            } else {
                Some(pick_section(r))
            };
            let v = store
                .call(
                    "add_section/1",
                    Some(&json!({"name": format!("Section {counter}"), "parent_id": parent})),
                )
                .unwrap()
                .into_value();
            sections.push((v["id"].as_u64().unwrap(), parent));
            Ok(())
        } else if roll < 45 {
            let s = pick_section(r);
            let v = store.call(&format!("add_case/{s}"), Some(&json!({
                "title": format!("New case {counter}"), "custom_component": 1 + r % 4, "priority_id": 1 + (r >> 8) % 4,
                "custom_preconds": format!("Made offline as change {counter}"),
            }))).unwrap().into_value();
            cases.push(v["id"].as_u64().unwrap());
            Ok(())
        } else if roll < 70 {
            store.call(&format!("update_case/{}", pick_case(r)), Some(&json!({"title": format!("Edited {counter}"), "refs": format!("REF-{counter}")}))).map(|_| ())
        } else if roll < 80 {
            store
                .call(
                    &format!("update_case/{}", pick_case(r)),
                    Some(&json!({"section_id": pick_section(r >> 16), "priority_id": 1 + r % 4})),
                )
                .map(|_| ())
        } else if roll < 84 {
            let (a, b, s) = (pick_case(r), pick_case(r >> 20), pick_section(r >> 10));
            store
                .call(
                    &format!("move_cases_to_section/{s}"),
                    Some(&json!({"suite_id": 1, "case_ids": [a, b]})),
                )
                .map(|_| ())
        } else if roll < 87 {
            let (a, b) = (pick_case(r), pick_case(r >> 20));
            store
                .call(
                    "update_cases/1",
                    Some(&json!({"case_ids": [a, b], "custom_component": 1 + r % 4})),
                )
                .map(|_| ())
        } else if roll < 97 {
            let c = pick_case(r);
            cases.retain(|x| *x != c);
            store.call(&format!("delete_case/{c}"), None).map(|_| ())
        } else {
            // A section without subsections, with its cases.
            let leaves: Vec<u64> = sections
                .iter()
                .filter(|(id, _)| !sections.iter().any(|(_, p)| *p == Some(*id)))
                .map(|(id, _)| *id)
                .collect();
            let s = leaves[(r % leaves.len() as u64) as usize];
            let out = store.call(&format!("delete_section/{s}"), None).map(|_| ());
            (cases, sections) = load(store);
            out
        };
        result.unwrap();
        if store.data_version().unwrap() != before {
            made += 1;
        }
    }
    assert_eq!(journal(store).len(), n);
}

fn assert_converged(local: &Store, server: &Server) {
    let expected = world_local(local);
    let actual = world_server(server);
    let missing: Vec<_> = expected
        .0
        .keys()
        .filter(|k| !actual.0.contains_key(k))
        .collect();
    let extra: Vec<_> = actual
        .0
        .keys()
        .filter(|k| !expected.0.contains_key(k))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "lost cases {missing:?}, duplicated or stale {extra:?}"
    );
    for (id, want) in &expected.0 {
        assert_eq!(&actual.0[id], want, "case {id}");
    }
    assert_eq!(actual.1, expected.1, "sections");
    // No duplicates: every title made here exists once on the server.
    let mut titles = BTreeSet::new();
    for c in actual.0.values() {
        let t = c["title"].as_str().unwrap();
        if t.starts_with("New case") {
            assert!(titles.insert(t.to_string()), "duplicate {t}");
        }
    }
    // Nothing is left to send, in flight, blocked or rejected.
    let unsettled: Vec<Value> = journal(local)
        .into_iter()
        .filter(|e| e["push"]["state"] != "done")
        .collect();
    assert!(
        unsettled.is_empty(),
        "{} entries not done, e.g. {}",
        unsettled.len(),
        unsettled[0]
    );
    // Every local id is an alias of its server id.
    for e in journal(local) {
        for eff in e["effects"].as_array().unwrap() {
            let id = eff["id"].as_u64().unwrap();
            if eff["entity"] == "case"
                && eff["action"] == "create"
                && trailstore::is_local_id(id)
                && expected
                    .0
                    .contains_key(&(e["push"]["server_id"].as_u64().unwrap_or(0)))
            {
                let via_alias = ok(local, &format!("get_case/{id}"), Value::Null);
                assert_eq!(via_alias["id"], e["push"]["server_id"]);
            }
        }
    }
}

#[test]
fn two_thousand_operations_with_10_percent_of_answers_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let plan = json!({"seed": 3, "rules": [{"action": "drop_after", "writes": true, "rate": 0.1}]});
    let (_sp, server, local) = setup(dir.path(), Some(&plan));
    mixed_changes(&local, 2000, 42);
    assert_eq!(journal(&local).len(), 2000);
    let report = push(&local, &server);
    let stats = server.get("x_fault_stats");
    assert!(stats["dropped_after"].as_u64().unwrap() > 20, "{stats}");
    assert!(report.created > 500, "{report:?}");
    assert_eq!(
        (report.rejected, report.conflicts, report.blocked),
        (0, 0, 0),
        "{report:?}"
    );
    assert_converged(&local, &server);
    // A second push has nothing to do.
    let again = push(&local, &server);
    assert_eq!(again.sent, 0, "{again:?}");
}

#[test]
fn a_push_killed_at_random_points_and_restarted_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_sp, server, local) = setup(dir.path(), None);
    mixed_changes(&local, 300, 7);
    let local_path = local.path().to_path_buf();
    drop(local);
    // Kill the pushing process at pseudo-random points, then let a last run finish.
    let mut kills = 0;
    let mut finished = false;
    for attempt in 0..16u64 {
        let last = attempt == 15;
        let mut child = Command::new(env!("CARGO_BIN_EXE_trailstore"))
            .arg("--store")
            .arg(&local_path)
            .arg("push")
            .env("TESTRAIL_URL", server.remote().url)
            .env("TESTRAIL_USER", USER)
            .env("TESTRAIL_KEY", KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if last {
            assert!(child.wait().unwrap().success(), "the last push failed");
            finished = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(60 + (attempt * 7919) % 400));
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
    assert_converged(&local, &server);
}

#[test]
fn rate_limits_on_30_percent_of_requests_fail_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let plan =
        json!({"seed": 5, "rules": [{"action": "rate_limit", "rate": 0.3, "retry_after": 1}]});
    let (_sp, limited, local) = setup(dir.path(), Some(&plan));
    mixed_changes(&local, 25, 9);
    let before = limited.get("x_fault_stats")["rate_limited"]
        .as_u64()
        .unwrap();
    let report = push(&local, &limited);
    assert_eq!((report.rejected, report.blocked), (0, 0), "{report:?}");
    let stats = limited.get("x_fault_stats");
    assert!(
        stats["rate_limited"].as_u64().unwrap() >= before + 3,
        "{stats}"
    );
    assert_eq!(
        stats["early_after_429"], 0,
        "a request came before Retry-After passed: {stats}"
    );
    assert_converged(&local, &limited);
}

#[test]
fn conflicts_keep_both_values_and_can_be_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let (_sp, server, local) = setup(dir.path(), None);
    // Same field on both sides; different fields on each side; a case deleted on the server.
    ok(&local, "update_case/20", json!({"title": "Local title"}));
    server.post("update_case/20", json!({"title": "Server title"}));
    ok(&local, "update_case/21", json!({"title": "Local 21"}));
    server.post("update_case/21", json!({"priority_id": 4}));
    ok(&local, "update_case/22", json!({"refs": "GONE-1"}));
    server.post("delete_case/22", json!({}));
    ok(&local, "update_case/23", json!({"priority_id": 1}));
    server.post("update_case/23", json!({"priority_id": 3}));
    let report = push(&local, &server);
    assert_eq!(report.conflicts, 3, "{report:?}");
    assert_eq!(
        server.get("get_case/20")["title"],
        "Server title",
        "never silently overwritten"
    );
    let c21 = server.get("get_case/21");
    assert_eq!(
        (c21["title"].as_str(), c21["priority_id"].as_u64()),
        (Some("Local 21"), Some(4)),
        "different fields merge"
    );
    let conflicts = all_pages(&local, "x_get_conflicts", "conflicts");
    let title = conflicts
        .iter()
        .find(|c| c["key"] == "case/20/title")
        .unwrap();
    assert_eq!(
        (title["local"].as_str(), title["server"].as_str()),
        (Some("Local title"), Some("Server title"))
    );
    assert!(conflicts.iter().any(|c| c["key"] == "case/22/deleted"));
    // Keep local: pushed next time. Keep server: local takes it. Deleted: accept.
    ok(
        &local,
        "x_resolve_conflict",
        json!({"key": "case/20/title", "resolution": "local"}),
    );
    ok(
        &local,
        "x_resolve_conflict",
        json!({"key": "case/23/priority_id", "resolution": "server"}),
    );
    ok(
        &local,
        "x_resolve_conflict",
        json!({"key": "case/22/deleted", "resolution": "server"}),
    );
    assert_eq!(ok(&local, "get_case/23", Value::Null)["priority_id"], 3);
    err(&local, "get_case/22", Value::Null);
    assert!(all_pages(&local, "x_get_conflicts", "conflicts").is_empty());
    let report = push(&local, &server);
    assert_eq!(report.conflicts, 0, "{report:?}");
    assert_eq!(server.get("get_case/20")["title"], "Local title");
    assert_eq!(server.get("get_case/23")["priority_id"], 3);
    // A new value.
    ok(&local, "update_case/24", json!({"refs": "MINE"}));
    server.post("update_case/24", json!({"refs": "THEIRS"}));
    push(&local, &server);
    ok(
        &local,
        "x_resolve_conflict",
        json!({"key": "case/24/refs", "resolution": "value", "value": "BOTH"}),
    );
    push(&local, &server);
    assert_eq!(server.get("get_case/24")["refs"], "BOTH");
    assert!(
        journal(&local).iter().all(|e| e["push"]["state"] == "done"),
        "{:?}",
        journal(&local)
            .iter()
            .map(|e| e["push"].clone())
            .collect::<Vec<_>>()
    );
}

#[test]
fn dry_run_coalescing_and_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let (_sp, server, local) = setup(dir.path(), None);
    let s = ok(&local, "add_section/1", json!({"name": "Offline work"}))["id"]
        .as_u64()
        .unwrap();
    let c = ok(
        &local,
        &format!("add_case/{s}"),
        json!({"title": "Draft", "custom_component": 1}),
    )["id"]
        .as_u64()
        .unwrap();
    ok(
        &local,
        &format!("update_case/{c}"),
        json!({"title": "Final title"}),
    );
    ok(
        &local,
        &format!("update_case/{c}"),
        json!({"priority_id": 4}),
    );
    let gone = ok(
        &local,
        &format!("add_case/{s}"),
        json!({"title": "Never sent", "custom_component": 1}),
    )["id"]
        .as_u64()
        .unwrap();
    ok(&local, &format!("delete_case/{gone}"), Value::Null);
    ok(&local, "update_case/30", json!({"title": "First"}));
    ok(&local, "update_case/30", json!({"title": "Second"}));
    let dry = trailstore::push(
        &local,
        &server.remote(),
        &PushOptions {
            dry_run: true,
            retry: fast(),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(dry.dry_run.len(), 3, "{:#?}", dry.dry_run);
    assert!(
        dry.dry_run[1].starts_with(&format!("POST add_case/{s} ")),
        "a local id stands for the section the push creates first"
    );
    assert!(dry.dry_run[0].starts_with("POST add_section/1 "));
    assert!(
        dry.dry_run[1].contains("\"Final title\"") && dry.dry_run[1].contains("\"priority_id\":4"),
        "edits fold into the add: {}",
        dry.dry_run[1]
    );
    assert!(
        dry.dry_run[2].starts_with("POST update_case/30 ") && dry.dry_run[2].contains("Second")
    );
    assert!(
        journal(&local)
            .iter()
            .all(|e| e["push"]["state"] == "pending"),
        "a dry run changes nothing"
    );
    let report = push(&local, &server);
    assert_eq!((report.created, report.updated), (2, 1), "{report:?}");
    let server_case = ok(&local, &format!("get_case/{c}"), Value::Null);
    assert!(
        !trailstore::is_local_id(server_case["id"].as_u64().unwrap()),
        "the local id is an alias now"
    );
    assert_eq!(
        server.get(&format!("get_case/{}", server_case["id"]))["title"],
        "Final title"
    );
    // A request the server refuses is rejected with its message; what depends on it is blocked.
    server.post(
        "add_case_field",
        json!({"type": "Integer", "name": "budget", "label": "Budget", "include_all": true,
        "configs": [{"context": {"is_global": true}, "options": {"is_required": true}}]}),
    );
    let s2 = ok(&local, "add_section/1", json!({"name": "Later"}))["id"]
        .as_u64()
        .unwrap();
    ok(
        &local,
        &format!("add_case/{s2}"),
        json!({"title": "Lacks the server's new required field", "custom_component": 1}),
    );
    let report = push(&local, &server);
    assert_eq!(report.rejected, 1, "{report:?}");
    let rejected: Vec<Value> = journal(&local)
        .into_iter()
        .filter(|e| e["push"]["state"] == "rejected")
        .collect();
    assert_eq!(
        rejected[0]["push"]["message"],
        "Field :custom_budget is a required field."
    );
}

#[test]
fn a_bulk_delete_whose_answer_was_lost_is_not_refused_on_resend() {
    let dir = tempfile::tempdir().unwrap();
    // The first delete_cases is applied and its answer dropped; the resend names cases that
    // are gone, which TestRail refuses whole.
    let plan = json!({"seed": 1, "rules": [{"action": "drop_after", "routes": ["delete_cases"], "every": 1, "limit": 1}]});
    let (_sp, server, local) = setup(dir.path(), Some(&plan));
    ok(&local, "delete_case/60", Value::Null);
    ok(&local, "delete_case/61", Value::Null);
    ok(&local, "delete_case/62", Value::Null);
    let report = push(&local, &server);
    assert_eq!(report.rejected, 0, "{report:?}");
    assert_eq!(server.get("x_fault_stats")["dropped_after"], 1);
    for id in [60, 61, 62] {
        assert!(
            server
                .client()
                .request(&format!("get_case/{id}"), None)
                .is_err(),
            "case {id} is gone"
        );
    }
    assert!(journal(&local).iter().all(|e| e["push"]["state"] == "done"));
}

#[test]
fn suites_and_projects_created_offline_are_pushed_with_their_contents() {
    let dir = tempfile::tempdir().unwrap();
    let (_sp, server, local) = setup(dir.path(), None);
    // A new suite of the multi-suite project, and a new single-suite project (with its master).
    let suite = ok(&local, "add_suite/2", json!({"name": "Watch"}))["id"]
        .as_u64()
        .unwrap();
    let s1 = ok(
        &local,
        "add_section/2",
        json!({"name": "Pairing", "suite_id": suite}),
    )["id"]
        .as_u64()
        .unwrap();
    let c1 = ok(
        &local,
        &format!("add_case/{s1}"),
        json!({"title": "Pair a watch", "custom_platforms": [1]}),
    )["id"]
        .as_u64()
        .unwrap();
    let project = ok(&local, "add_project", json!({"name": "Kiosk"}))["id"]
        .as_u64()
        .unwrap();
    let s2 = ok(
        &local,
        &format!("add_section/{project}"),
        json!({"name": "Till"}),
    )["id"]
        .as_u64()
        .unwrap();
    let c2 = ok(
        &local,
        &format!("add_case/{s2}"),
        json!({"title": "Open the till", "custom_component": 1}),
    )["id"]
        .as_u64()
        .unwrap();
    let report = push(&local, &server);
    assert_eq!(
        (report.rejected, report.blocked, report.conflicts),
        (0, 0, 0),
        "{report:?} {:?}",
        journal(&local)
            .into_iter()
            .filter(|e| e["push"]["state"] == "rejected")
            .map(|e| (e["route"].clone(), e["push"]["message"].clone()))
            .collect::<Vec<_>>()
    );
    // Locally every record took its server id; the local ids still answer.
    for (local_id, kind_route) in [(c1, "get_case"), (c2, "get_case")] {
        let via_alias = ok(&local, &format!("{kind_route}/{local_id}"), Value::Null);
        let server_id = via_alias["id"].as_u64().unwrap();
        assert!(!trailstore::is_local_id(server_id));
        let on_server = server.get(&format!("get_case/{server_id}"));
        assert_eq!(on_server["title"], via_alias["title"]);
        assert_eq!(on_server["section_id"], via_alias["section_id"]);
        assert_eq!(on_server["suite_id"], via_alias["suite_id"]);
    }
    let watch = ok(&local, &format!("get_suite/{suite}"), Value::Null);
    let sid = watch["id"].as_u64().unwrap();
    assert!(!trailstore::is_local_id(sid));
    assert_eq!(
        ids(&all_pages(
            &local,
            &format!("get_cases/2&suite_id={sid}"),
            "cases"
        )),
        ids(&server.all(&format!("get_cases/2&suite_id={sid}"), "cases"))
    );
    let kiosk = ok(&local, &format!("get_project/{project}"), Value::Null)["id"]
        .as_u64()
        .unwrap();
    assert!(!trailstore::is_local_id(kiosk));
    let local_cases = all_pages(&local, &format!("get_cases/{kiosk}"), "cases");
    assert_eq!(
        ids(&local_cases),
        ids(&server.all(&format!("get_cases/{kiosk}"), "cases"))
    );
    assert_eq!(local_cases.len(), 1);
    let sections = all_pages(&local, &format!("get_sections/{kiosk}"), "sections");
    assert_eq!(sections.len(), 1);
    assert!(
        !trailstore::is_local_id(sections[0]["suite_id"].as_u64().unwrap()),
        "the master suite took the server's id"
    );
    assert!(journal(&local).iter().all(|e| e["push"]["state"] == "done"));
}

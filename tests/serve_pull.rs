//! `trailstore serve` (the real binary) and pull: TestRail's HTTP rules; a store pulling 5,000+
//! cases of a multi-suite project from another store's server and ending identical; an
//! incremental pull after server-side adds, edits, moves and deletes converging; 429s and
//! dropped connections during a pull; and a sentinel API key found in no file or output.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::serve::{Serve, ServeOptions};
use common::*;
use serde_json::{json, Value};
use trailstore::{PullOptions, Remote, RetryPolicy, Store};

const USER: &str = "qa@example.com";
const KEY: &str = "SENTINEL-KEY-7d1f0c2a9b";

/// A running `trailstore serve` (see `common::serve`). Its output is kept for the secrets check.
struct Server {
    serve: Serve,
    log: PathBuf,
}

impl Server {
    fn start(store: &Path, faults: Option<&Value>, log_dir: &Path) -> Server {
        let log = log_dir.join(format!("serve-{}.log", std::process::id()));
        let faults_file = log_dir.join("faults.json");
        let serve = Serve::start(ServeOptions {
            store,
            bind: "127.0.0.1:0".into(),
            user: USER,
            key: KEY,
            faults: faults.map(|plan| (plan, faults_file.as_path())),
            capture_stderr: true,
        });
        std::fs::write(&log, &serve.first_line).unwrap();
        Server { serve, log }
    }

    fn url(&self) -> String {
        self.serve.url()
    }

    fn remote(&self) -> Remote {
        self.serve.remote(USER, KEY)
    }

    /// A raw request: (status, content-type, body).
    fn raw(
        &self,
        method: &str,
        route: &str,
        auth: Option<(&str, &str)>,
        ctype: Option<&str>,
        body: &str,
    ) -> (u16, String, String) {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build(),
        );
        let url = format!("{}index.php?/api/v2/{route}", self.url());
        let auth_header = auth.map(|(u, k)| {
            use base64::Engine as _;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{k}"))
            )
        });
        let mut resp = if method == "GET" {
            let mut r = agent.get(&url);
            if let Some(a) = &auth_header {
                r = r.header("Authorization", a);
            }
            r.call().unwrap()
        } else {
            let mut r = agent.post(&url);
            if let Some(a) = &auth_header {
                r = r.header("Authorization", a);
            }
            if let Some(c) = ctype {
                r = r.header("Content-Type", c);
            }
            r.send(body.to_string()).unwrap()
        };
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (
            resp.status().as_u16(),
            ct,
            resp.body_mut().read_to_string().unwrap(),
        )
    }

    fn call(&self, route: &str, body: Option<Value>) -> Value {
        let (status, _, text) = match &body {
            None => self.raw("GET", route, Some((USER, KEY)), None, ""),
            Some(b) => self.raw(
                "POST",
                route,
                Some((USER, KEY)),
                Some("application/json"),
                &b.to_string(),
            ),
        };
        assert_eq!(status, 200, "{route}: {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    /// Every item of a paged route, over HTTP.
    fn all(&self, route: &str, key: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut next = Some(route.to_string());
        while let Some(r) = next {
            let page = self.call(&r, None);
            out.extend(page[key].as_array().unwrap().iter().cloned());
            next = page["_links"]["next"]
                .as_str()
                .map(|n| n.trim_start_matches("/api/v2/").to_string());
        }
        out
    }
}

impl Drop for Server {
    /// Stops the server and appends everything it printed to its log.
    fn drop(&mut self) {
        self.serve.stop();
        let mut rest = String::new();
        if let Some(mut o) = self.serve.child.stdout.take() {
            let _ = o.read_to_string(&mut rest);
        }
        if let Some(mut e) = self.serve.child.stderr.take() {
            let _ = e.read_to_string(&mut rest);
        }
        let mut log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.push_str(&rest);
        let _ = std::fs::write(&self.log, log);
    }
}

/// The sample snapshot grown to over 5,000 cases by copying every case 16 times.
fn big_snapshot() -> Value {
    let mut snap = snapshot().clone();
    let cases = snap["cases"].as_array().unwrap().clone();
    let mut grown = Vec::new();
    for k in 0..16u64 {
        for c in &cases {
            let mut c = c.clone();
            let id = c["id"].as_u64().unwrap();
            c["id"] = json!(id + k * 1000);
            if k > 0 {
                c["title"] = json!(format!("{} (copy {k})", c["title"].as_str().unwrap()));
            }
            grown.push(c);
        }
    }
    snap["cases"] = Value::Array(grown);
    snap
}

/// A store that plays the TestRail server, loaded with `snap`.
fn server_store(dir: &Path, snap: &Value) -> PathBuf {
    let path = dir.join("server-store");
    let store = Store::open(&path).unwrap();
    store.set_server_ids().unwrap();
    store.import_snapshot(snap).unwrap();
    path
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_attempts: 12,
        ..RetryPolicy::default()
    }
}

fn pull(store: &Store, server: &Server) -> trailstore::PullReport {
    let opts = PullOptions {
        retry: fast_retries(),
        ..PullOptions::default()
    };
    trailstore::pull(store, &server.remote(), &opts, &mut |_| {}).unwrap()
}

/// Compares what the server serves with what the local store answers, route by route.
fn assert_same_data(server: &Server, local: &Store) {
    let projects = server.all("get_projects", "projects");
    assert_eq!(projects, all_pages(local, "get_projects", "projects"));
    for route in [
        "get_case_fields",
        "get_case_types",
        "get_priorities",
        "get_users",
    ] {
        assert_eq!(
            server.call(route, None),
            ok(local, route, Value::Null),
            "{route}"
        );
    }
    for p in &projects {
        let pid = p["id"].as_u64().unwrap();
        assert_eq!(
            server.call(&format!("get_templates/{pid}"), None),
            ok(local, &format!("get_templates/{pid}"), Value::Null)
        );
        assert_eq!(
            server.all(&format!("get_milestones/{pid}"), "milestones"),
            all_pages(local, &format!("get_milestones/{pid}"), "milestones")
        );
        let suites = server.all(&format!("get_suites/{pid}"), "suites");
        assert_eq!(
            suites,
            all_pages(local, &format!("get_suites/{pid}"), "suites")
        );
        for s in &suites {
            let sid = s["id"].as_u64().unwrap();
            let sections = format!("get_sections/{pid}&suite_id={sid}");
            assert_eq!(
                server.all(&sections, "sections"),
                all_pages(local, &sections, "sections"),
                "{sections}"
            );
            let cases = format!("get_cases/{pid}&suite_id={sid}");
            let remote_cases = server.all(&cases, "cases");
            let local_cases = all_pages(local, &cases, "cases");
            assert_eq!(remote_cases.len(), local_cases.len(), "{cases}");
            for (r, l) in remote_cases.iter().zip(&local_cases) {
                assert_eq!(r, l, "{cases}: case {}", r["id"]);
            }
        }
    }
}

#[test]
fn http_rules_of_testrail() {
    let dir = tempfile::tempdir().unwrap();
    let path = server_store(dir.path(), snapshot());
    let server = Server::start(&path, None, dir.path());
    // Auth.
    let (status, ct, body) = server.raw("GET", "get_case/1", None, None, "");
    assert_eq!(status, 401);
    assert_eq!(
        body,
        r#"{"error":"Authentication failed: invalid or missing user/password or session cookie."}"#
    );
    assert!(ct.starts_with("application/json"));
    assert_eq!(
        server
            .raw("GET", "get_case/1", Some((USER, "wrong")), None, "")
            .0,
        401
    );
    let (status, ct, body) =
        server.raw("GET", "get_case/1", Some(("QA@EXAMPLE.COM", KEY)), None, "");
    assert_eq!(status, 200, "emails compare case-insensitively");
    assert_eq!(ct, "application/json; charset=utf-8");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["id"], 1);
    // Content-Type on POST.
    let (status, _, body) = server.raw(
        "POST",
        "add_case/17",
        Some((USER, KEY)),
        None,
        r#"{"title":"x"}"#,
    );
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"error":"Content-Type header missing (use Content-Type: application\/json)"}"#
                .replace("\\/", "/")
                .as_str()
        )
    );
    let (status, _, body) = server.raw(
        "POST",
        "add_case/17",
        Some((USER, KEY)),
        Some("text/plain"),
        r#"{"title":"x"}"#,
    );
    assert_eq!(status, 400);
    assert!(body.contains("Content-Type header invalid"));
    // Errors with TestRail's codes and bodies.
    let (status, _, body) = server.raw("GET", "get_case/999999", Some((USER, KEY)), None, "");
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"error":"Field :case_id is not a valid test case."}"#
        )
    );
    let (status, _, body) = server.raw("GET", "get_foo/1", Some((USER, KEY)), None, "");
    assert_eq!(
        (status, body.as_str()),
        (404, r#"{"error":"Unknown method 'get_foo'"}"#)
    );
    let (status, _, body) = server.raw(
        "POST",
        "add_case/17",
        Some((USER, KEY)),
        Some("application/json"),
        r#"{"custom_component": 1}"#,
    );
    assert_eq!(
        (status, body.as_str()),
        (400, r#"{"error":"Field :title is a required field."}"#)
    );
    let (status, _, _) = server.raw(
        "POST",
        "add_case/17",
        Some((USER, KEY)),
        Some("application/json"),
        "{not json",
    );
    assert_eq!(status, 400);
    // GET for reads, POST for writes.
    assert_eq!(
        server
            .raw("GET", "delete_case/1", Some((USER, KEY)), None, "")
            .0,
        400
    );
    assert_eq!(
        server
            .raw(
                "POST",
                "get_case/1",
                Some((USER, KEY)),
                Some("application/json"),
                ""
            )
            .0,
        400
    );
    // A write with unknown keys; a delete answers an empty 200.
    let c = server.call("add_case/17", Some(json!({"title": "Over HTTP", "custom_component": 1, "is_legacy": true, "attachments": []})));
    assert!(
        c["id"].as_u64().unwrap() < trailstore::LOCAL_ID_MIN,
        "a server store gives server ids"
    );
    let (status, _, body) = server.raw(
        "POST",
        &format!("delete_case/{}", c["id"]),
        Some((USER, KEY)),
        Some("application/json"),
        "{}",
    );
    assert_eq!((status, body.as_str()), (200, ""));
    // Paging over HTTP: next links work as given.
    let page = server.call("get_cases/1&limit=100", None);
    assert_eq!(
        page["_links"]["next"],
        "/api/v2/get_cases/1&limit=100&offset=100"
    );
    assert_eq!(server.all("get_cases/1&limit=100", "cases").len(), 198);
    // Served concurrently: 16 clients at once.
    std::thread::scope(|s| {
        for i in 0..16 {
            let server = &server;
            s.spawn(move || {
                for j in 0..10 {
                    let id = 1 + (i * 10 + j) % 300;
                    server.call(&format!("get_case/{id}"), None);
                }
            });
        }
    });
}

#[test]
fn pull_5000_cases_then_converge_after_server_changes() {
    let dir = tempfile::tempdir().unwrap();
    let snap = big_snapshot();
    assert!(snap["cases"].as_array().unwrap().len() > 5000);
    let server_path = server_store(dir.path(), &snap);
    let server = Server::start(&server_path, None, dir.path());
    let local = Store::open(dir.path().join("local")).unwrap();
    let first = pull(&local, &server);
    assert!(first.first);
    assert_eq!(first.fetched, 5232);
    assert_eq!(first.new, 5232);
    assert!(first.requests > 30, "several pages: {}", first.requests);
    assert_same_data(&server, &local);
    assert!(
        journal(&local).is_empty(),
        "pulled data is base state, not journaled"
    );

    // Server-side changes: adds (new section and cases), edits, moves, deletes.
    let sec = server.call(
        "add_section/2",
        Some(json!({"suite_id": 3, "name": "Added on the server", "parent_id": 60})),
    );
    let sid = sec["id"].as_u64().unwrap();
    let mut added = Vec::new();
    for i in 0..5 {
        added.push(
            server.call(
                &format!("add_case/{sid}"),
                Some(json!({"title": format!("Server case {i}"), "custom_platforms": [3]})),
            )["id"]
                .as_u64()
                .unwrap(),
        );
    }
    server.call(
        "update_case/250",
        Some(json!({"title": "Edited on the server", "priority_id": 4})),
    );
    server.call("update_case/1", Some(json!({"section_id": 19})));
    server.call(
        "move_cases_to_section/19",
        Some(json!({"suite_id": 1, "case_ids": [2, 3]})),
    );
    server.call("move_section/26", Some(json!({"parent_id": 2})));
    server.call("delete_case/4", Some(json!({})));
    server.call("delete_cases/1", Some(json!({"case_ids": [1005, 1006]})));
    server.call("delete_section/27", Some(json!({})));
    server.call(
        "update_section/12",
        Some(json!({"name": "Renamed on the server"})),
    );
    std::thread::sleep(Duration::from_millis(1100)); // updated_on has one-second resolution
    let second = pull(&local, &server);
    assert!(!second.first);
    assert!(second.deleted >= 3, "{second:?}");
    assert_eq!(second.conflicts, 0);
    assert_same_data(&server, &local);
    for id in &added {
        ok(&local, &format!("get_case/{id}"), Value::Null);
    }
    // Nothing changed: a third pull changes nothing.
    let third = pull(&local, &server);
    assert_eq!(
        (third.new, third.changed, third.deleted),
        (0, 0, 0),
        "{third:?}"
    );
    assert_same_data(&server, &local);
}

#[test]
fn local_edits_survive_a_pull_and_conflicts_keep_both_values() {
    let dir = tempfile::tempdir().unwrap();
    let server_path = server_store(dir.path(), snapshot());
    let server = Server::start(&server_path, None, dir.path());
    let local = Store::open(dir.path().join("local")).unwrap();
    pull(&local, &server);
    // Different fields on each side merge; the same field differently is a conflict.
    ok(&local, "update_case/10", json!({"title": "Local title"}));
    server.call("update_case/10", Some(json!({"priority_id": 4})));
    ok(&local, "update_case/11", json!({"title": "Local wins?"}));
    server.call("update_case/11", Some(json!({"title": "Server wins?"})));
    ok(&local, "update_case/12", json!({"refs": "SAME-1"}));
    server.call("update_case/12", Some(json!({"refs": "SAME-1"})));
    let mine = ok(&local, "add_case/17", web_case("Only here"));
    ok(
        &local,
        "update_case/13",
        json!({"title": "Edited here, deleted there"}),
    );
    server.call("delete_case/13", Some(json!({})));
    std::thread::sleep(Duration::from_millis(1100));
    let report = pull(&local, &server);
    assert_eq!(report.conflicts, 2, "{report:?}");
    let c10 = ok(&local, "get_case/10", Value::Null);
    assert_eq!(
        (c10["title"].as_str(), c10["priority_id"].as_u64()),
        (Some("Local title"), Some(4))
    );
    assert_eq!(
        ok(&local, "get_case/11", Value::Null)["title"],
        "Local wins?",
        "never silently overwritten"
    );
    assert_eq!(ok(&local, "get_case/12", Value::Null)["refs"], "SAME-1");
    ok(&local, &format!("get_case/{}", mine["id"]), Value::Null);
    assert_eq!(
        ok(&local, "get_case/13", Value::Null)["title"],
        "Edited here, deleted there"
    );
    let conflicts = all_pages(&local, "x_get_conflicts", "conflicts");
    let title = conflicts.iter().find(|c| c["id"] == 11).unwrap();
    assert_eq!(title["field"], "title");
    assert_eq!(title["local"], "Local wins?");
    assert_eq!(title["server"], "Server wins?");
    assert_eq!(title["base"], snapshot()["cases"][10]["title"]);
    let gone = conflicts.iter().find(|c| c["id"] == 13).unwrap();
    assert_eq!(gone["field"], "deleted");
    // The local edits are still in the journal: those of the two cases in conflict are held
    // in the conflict state at once (push does not meet them again), the rest pending.
    assert_eq!(
        all_pages(&local, "x_get_journal&state=pending", "journal").len(),
        3
    );
    let held = all_pages(&local, "x_get_journal&state=conflict", "journal");
    let mut held_cases: Vec<u64> = held
        .iter()
        .map(|e| e["effects"][0]["id"].as_u64().unwrap())
        .collect();
    held_cases.sort_unstable();
    assert_eq!(held_cases, [11, 13]);
    let opts = trailstore::PushOptions {
        retry: fast_retries(),
        ..Default::default()
    };
    let pushed = trailstore::push(&local, &server.remote(), &opts, &mut |_| {}).unwrap();
    assert_eq!(pushed.conflicts, 0, "found at pull, not again: {pushed:?}");
    assert_eq!(server.call("get_case/11", None)["title"], "Server wins?");
    // Settling the conflict makes its entry pending again, and the next push sends it.
    ok(
        &local,
        "x_resolve_conflict",
        json!({"key": "case/11/title", "resolution": "local"}),
    );
    assert!(all_pages(&local, "x_get_journal&state=conflict", "journal").len() == 1);
    let pushed = trailstore::push(&local, &server.remote(), &opts, &mut |_| {}).unwrap();
    assert_eq!(pushed.conflicts, 0, "{pushed:?}");
    assert_eq!(server.call("get_case/11", None)["title"], "Local wins?");
}

#[test]
fn rate_limits_and_dropped_connections_during_a_pull_still_converge() {
    let dir = tempfile::tempdir().unwrap();
    let server_path = server_store(dir.path(), &big_snapshot());
    let plan = json!({"seed": 11, "rules": [
        {"action": "rate_limit", "rate": 0.3, "retry_after": 1, "limit": 6},
        {"action": "drop_before", "rate": 0.15},
        {"action": "error", "status": 503, "rate": 0.05},
    ]});
    let faulty = Server::start(&server_path, Some(&plan), dir.path());
    let local = Store::open(dir.path().join("local")).unwrap();
    let report = pull(&local, &faulty);
    assert_eq!(report.fetched, 5232);
    let stats = faulty.call("x_fault_stats", None);
    assert!(stats["rate_limited"].as_u64().unwrap() >= 1, "{stats}");
    assert!(stats["dropped_before"].as_u64().unwrap() >= 1, "{stats}");
    assert_eq!(
        stats["early_after_429"], 0,
        "nothing was sent before Retry-After: {stats}"
    );
    drop(faulty);
    let server = Server::start(&server_path, None, dir.path());
    assert_same_data(&server, &local);
}

#[test]
fn refuses_bad_credentials_a_second_server_and_loose_config_files() {
    let dir = tempfile::tempdir().unwrap();
    let server_path = server_store(dir.path(), snapshot());
    let server = Server::start(&server_path, None, dir.path());
    let local = Store::open(dir.path().join("local")).unwrap();
    let mut bad = server.remote();
    bad.key = "wrong".into();
    let e = trailstore::pull(&local, &bad, &PullOptions::default(), &mut |_| {}).unwrap_err();
    assert_eq!(e.code(), trailstore::ErrorCode::Remote);
    assert!(e.to_string().contains("401"), "{e}");
    assert!(!e.to_string().contains("wrong"));
    pull(&local, &server);
    let mut other = server.remote();
    other.url = format!("http://localhost:{}/", server.serve.port);
    let e = trailstore::pull(&local, &other, &PullOptions::default(), &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("This store pulls from"), "{e}");
    // A config file others can read is refused; a private one is used.
    let cfg = dir.path().join("config.json");
    std::fs::write(
        &cfg,
        json!({"url": server.url(), "user": USER, "key": KEY}).to_string(),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Remote::resolve(None, None, None, Some(&cfg)).unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let r = Remote::resolve(None, None, None, Some(&cfg)).unwrap();
    assert_eq!(r.user, USER);
    assert!(!format!("{r:?}").contains(KEY));
}

/// Runs the CLI's pull with the key in the environment and checks that the key is in no file of
/// either store, in no output and in no log.
#[test]
fn the_api_key_is_written_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let server_path = server_store(dir.path(), snapshot());
    let server = Server::start(&server_path, None, dir.path());
    let local = dir.path().join("local");
    let mut outputs = String::new();
    for args in [
        vec!["pull"],
        vec!["pull", "--no-scan"],
        vec!["status"],
        vec!["journal"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_trailstore"))
            .arg("--store")
            .arg(&local)
            .args(&args)
            .env("TESTRAIL_URL", server.url())
            .env("TESTRAIL_USER", USER)
            .env("TESTRAIL_KEY", KEY)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push_str(&String::from_utf8_lossy(&out.stdout));
        outputs.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    assert!(outputs.contains("First pull"), "{outputs}");
    // A failing pull's error does not echo the key either.
    let out = Command::new(env!("CARGO_BIN_EXE_trailstore"))
        .arg("--store")
        .arg(&local)
        .args(["pull", "--key", "SENTINEL-WRONG-KEY"])
        .env("TESTRAIL_URL", server.url())
        .env("TESTRAIL_USER", USER)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("401") && !err.contains("SENTINEL-WRONG-KEY"),
        "{err}"
    );
    drop(server);
    assert!(!outputs.contains(KEY));
    for root in [dir.path()] {
        for file in walk(root) {
            let bytes = std::fs::read(&file).unwrap_or_default();
            if file.ends_with("faults.json") {
                continue;
            }
            assert!(
                !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
                "the key is in {}",
                file.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

//! W9..W11: recording results as harnesses do (trcli's batches of 50, a big include-all run,
//! one large request through `trailstore serve`); W12: pushing such a recording to a server that
//! allows 180 requests a minute, as TestRail Cloud does.

use std::time::Duration;

use serde_json::{json, Value};
use trailstore::{Request, Store};

use super::{open_sql, Run};
use crate::gen::{Dataset, Rng};
use crate::serve::{Serve, KEY, USER};
use crate::sqlite::Sql;
use crate::util::{
    copy_dir, median, percentile, remove, thread_cpu_ms, thread_user_sys_ms, timed, Row, Target,
};
use crate::Prepared;

/// Results a batch holds: trcli's default (`-b/--batch-size`).
const BATCH: usize = 50;

/// Results push sends in one `add_results_for_cases` (the library's own batch size).
const PUSH_BATCH: u64 = 50;

/// Seconds since the epoch, for the SQLite side's `created_on` (the store takes its own clock).
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `n` distinct cases of suite 1, in a random order.
fn suite1_cases(ds: &Dataset, n: usize, seed: u64) -> Vec<u64> {
    let mut ids: Vec<u64> = (1..=ds.cases)
        .filter(|id| ds.suite_of(*id).0 == 1)
        .collect();
    assert!(
        ids.len() >= n,
        "suite 1 holds {} cases, fewer than the {n} wanted",
        ids.len()
    );
    let mut rng = Rng::keyed(seed, 9);
    // A partial Fisher-Yates shuffle: the first n are a uniform sample.
    for i in 0..n {
        let j = i + rng.below((ids.len() - i) as u64) as usize;
        ids.swap(i, j);
    }
    ids.truncate(n);
    ids
}

/// `n` results as trcli sends them (`TestRailResult.to_dict`): cycling through `cases`, mostly
/// passed (1) with failures (5, with a JUnit-style comment) and skips (4, retest), `elapsed` in
/// whole seconds, the empty lists trcli always sends, and a version for each pass over the run.
fn trcli_results(ds: &Dataset, cases: &[u64], n: usize, key: u64) -> Vec<Value> {
    let mut rng = Rng::keyed(ds.seed, key);
    (0..n)
        .map(|i| {
            let status = [1, 5, 4][rng.weighted(&[80, 15, 5])];
            let comment = match status {
                5 => format!(
                    "Type: AssertionError\nMessage: {}\nText: {}",
                    ds.vocab.sentence(&mut rng, 60),
                    ds.vocab.sentence(&mut rng, 140)
                ),
                4 => format!(
                    "Type: pytest.skip\nMessage: {}",
                    ds.vocab.sentence(&mut rng, 40)
                ),
                _ => String::new(),
            };
            json!({
                "case_id": cases[i % cases.len()],
                "status_id": status,
                "comment": comment,
                "attachments": [],
                "custom_step_results": [],
                "custom_testrail_bdd_scenario_results": [],
                "elapsed": format!("{}s", 1 + rng.below(120)),
                "version": format!("1.15.{}", i / cases.len()),
            })
        })
        .collect()
}

/// The request bodies: `{"results": [...]}` of `BATCH` results each.
fn batches(results: Vec<Value>) -> Vec<Value> {
    results
        .chunks(BATCH)
        .map(|c| json!({ "results": c }))
        .collect()
}

fn add_run_body(name: &str, cases: Option<&[u64]>) -> Value {
    match cases {
        Some(ids) => json!({"suite_id": 1, "name": name, "include_all": false, "case_ids": ids}),
        None => json!({"suite_id": 1, "name": name, "include_all": true}),
    }
}

/// A run's counts as `get_run` shows them, for comparing the sides after the same work.
fn counts(run: &Value) -> Vec<i64> {
    [
        "passed_count",
        "untested_count",
        "retest_count",
        "failed_count",
    ]
    .iter()
    .map(|k| run[*k].as_i64().unwrap_or(-1))
    .collect()
}

/// What one side of W9 measured in one repetition.
#[derive(Default)]
struct W9Rep {
    add_run_ms: f64,
    total_ms: f64,
    /// The batches' time on a CPU (the rest of `total_ms` is waiting, mostly on fsync).
    cpu_ms: f64,
    /// The part of `cpu_ms` spent in the kernel (writes and fsync), at the kernel's tick.
    kernel_ms: f64,
    batch_ms: Vec<f64>,
    counts: Vec<i64>,
}

fn w9_ts(store: &Store, cases: &[u64], bodies: &[Value], rep: usize) -> W9Rep {
    let (add_run_ms, run) = timed(|| {
        store
            .call(
                "add_run/1",
                Some(&add_run_body(&format!("W9 trailstore {rep}"), Some(cases))),
            )
            .expect("add_run")
            .into_value()
    });
    let run_id = run["id"].as_u64().expect("run id");
    let route = format!("add_results_for_cases/{run_id}");
    let mut batch_ms = Vec::with_capacity(bodies.len());
    // Every front (HTTP, Python, C) owns the body it parsed and hands it over; copied here,
    // outside the clock, to call the way they do.
    let owned: Vec<Value> = bodies.to_vec();
    let cpu_before = thread_cpu_ms();
    let us_before = thread_user_sys_ms();
    let (total_ms, _) = timed(|| {
        for b in owned {
            let (t, answer) = timed(|| {
                let request = Request::parse_owned(&route, Some(b)).expect("route");
                let answer = store
                    .answer_request(&request)
                    .expect("add_results_for_cases");
                // Both sides answer as JSON text, the form the HTTP and C fronts send.
                serde_json::to_vec(&answer).expect("answer as JSON")
            });
            std::hint::black_box(answer);
            batch_ms.push(t);
        }
    });
    let cpu_ms = thread_cpu_ms() - cpu_before;
    let us_after = thread_user_sys_ms();
    let kernel_ms = us_after.1 - us_before.1;
    let run = store
        .call(&format!("get_run/{run_id}"), None)
        .expect("get_run")
        .into_value();
    W9Rep {
        add_run_ms,
        total_ms,
        cpu_ms,
        kernel_ms,
        batch_ms,
        counts: counts(&run),
    }
}

fn w9_sql(db: &mut Sql, cases: &[u64], bodies: &[Value], rep: usize) -> W9Rep {
    let body = add_run_body(&format!("W9 SQLite {rep}"), Some(cases));
    let (add_run_ms, run) = timed(|| db.add_run(1, &body, now()).expect("add_run"));
    let run_id = run["id"].as_u64().expect("run id");
    let mut batch_ms = Vec::with_capacity(bodies.len());
    let cpu_before = thread_cpu_ms();
    let us_before = thread_user_sys_ms();
    let (total_ms, _) = timed(|| {
        for b in bodies {
            let (t, answer) = timed(|| {
                let answer = db
                    .add_results_for_cases(run_id, b, now())
                    .expect("add_results_for_cases");
                serde_json::to_vec(&answer).expect("answer as JSON")
            });
            std::hint::black_box(answer);
            batch_ms.push(t);
        }
    });
    let cpu_ms = thread_cpu_ms() - cpu_before;
    let us_after = thread_user_sys_ms();
    let kernel_ms = us_after.1 - us_before.1;
    let run = db.run(run_id).expect("run");
    W9Rep {
        add_run_ms,
        total_ms,
        cpu_ms,
        kernel_ms,
        batch_ms,
        counts: counts(&run),
    }
}

/// What paging a run's tests saw: how many tests, the case ids of the first page, and the keys
/// of its first test (to check that both sides list the same tests in the same shape).
type Paged = (usize, Vec<u64>, Vec<String>);

fn first_page(tests: &[Value]) -> (Vec<u64>, Vec<String>) {
    let ids = tests.iter().filter_map(|t| t["case_id"].as_u64()).collect();
    let keys = tests
        .first()
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    (ids, keys)
}

/// Every page of a run's tests (250 a page, as clients ask) until `_links.next` is null;
/// `page(offset)` answers one page in TestRail's paged wrapper.
fn all_pages(mut page: impl FnMut(u64) -> Value) -> Paged {
    let mut offset = 0;
    let mut got = 0;
    let mut first = (Vec::new(), Vec::new());
    loop {
        let v = page(offset);
        let tests = v["tests"].as_array().map_or(&[][..], Vec::as_slice);
        if offset == 0 {
            first = first_page(tests);
        }
        got += tests.len();
        if v["_links"]["next"].is_null() {
            return (got, first.0, first.1);
        }
        offset += 250;
    }
}

fn ts_pages(store: &Store, run_id: u64) -> Paged {
    all_pages(|offset| {
        store
            .call(
                &format!("get_tests/{run_id}&limit=250&offset={offset}"),
                None,
            )
            .expect("get_tests")
            .into_value()
    })
}

fn sql_pages(db: &Sql, run_id: u64) -> Paged {
    all_pages(|offset| db.tests_page(run_id, 250, offset).expect("tests page"))
}

impl Run {
    /// W9: a run of 2,000 tests, then results in trcli's batches of 50, each batch one durable
    /// transaction on each side.
    pub(super) fn w9(&mut self) {
        let n_tests = 2_000;
        let n_results = if self.quick { 200 } else { 10_000 };
        eprintln!("W9 {n_results} results in batches of {BATCH} into a run of {n_tests} tests");
        let reps = if self.quick { 1 } else { self.reps.clamp(1, 3) };
        let seed = self.seed;
        let (cases, bodies) = {
            let ds = self.ds();
            let cases = suite1_cases(ds, n_tests, seed);
            let bodies = batches(trcli_results(ds, &cases, n_results, 90));
            (cases, bodies)
        };
        let (ts_dir, sql_file) = self.scratch("w9");
        let store = Store::open(&ts_dir).expect("open");
        let mut db = open_sql(&sql_file);
        db.create_runs_schema().expect("runs schema");
        let mut ts_reps: Vec<W9Rep> = Vec::new();
        let mut sql_reps: Vec<W9Rep> = Vec::new();
        for rep in 0..reps {
            let mut ts_side = || ts_reps.push(w9_ts(&store, &cases, &bodies, rep));
            let mut sql_side = || sql_reps.push(w9_sql(&mut db, &cases, &bodies, rep));
            if rep % 2 == 0 {
                ts_side();
                sql_side();
            } else {
                sql_side();
                ts_side();
            }
        }
        let pick = |v: &[W9Rep], f: fn(&W9Rep) -> f64| median(&v.iter().map(f).collect::<Vec<_>>());
        let all_batches = |v: &[W9Rep]| -> Vec<f64> {
            v.iter().flat_map(|r| r.batch_ms.iter().copied()).collect()
        };
        if ts_reps
            .iter()
            .map(|r| &r.counts)
            .ne(sql_reps.iter().map(|r| &r.counts))
        {
            self.notes.push(format!(
                "W9: the run counts (passed, untested, retest, failed) differ: trailstore {:?}, SQLite {:?}",
                ts_reps.iter().map(|r| &r.counts).collect::<Vec<_>>(),
                sql_reps.iter().map(|r| &r.counts).collect::<Vec<_>>()
            ));
        }
        self.push(Row::new(
            "W9",
            format!("add_run with {n_tests} case ids (include_all false)"),
            "ms",
            pick(&ts_reps, |r| r.add_run_ms),
            Some(pick(&sql_reps, |r| r.add_run_ms)),
        ));
        let (t, s) = (
            pick(&ts_reps, |r| r.total_ms),
            pick(&sql_reps, |r| r.total_ms),
        );
        let batches_n = bodies.len();
        self.push(
            Row::new(
                "W9",
                format!("{n_results} results in {batches_n} durable batches of {BATCH}, total"),
                "s",
                t / 1e3,
                Some(s / 1e3),
            )
            .target(Target::Factor(2.0))
            .note("goal 2x"),
        );
        self.push(
            Row::new(
                "W9",
                "results recorded per second",
                "results/s",
                n_results as f64 / (t / 1e3),
                Some(n_results as f64 / (s / 1e3)),
            )
            .higher()
            .target(Target::Factor(1.0))
            .note("at least as fast"),
        );
        let (tb, sb) = (all_batches(&ts_reps), all_batches(&sql_reps));
        self.push(Row::new(
            "W9",
            format!("one batch of {BATCH}, p50"),
            "ms",
            median(&tb),
            Some(median(&sb)),
        ));
        self.push(Row::new(
            "W9",
            format!("one batch of {BATCH}, p99"),
            "ms",
            percentile(&tb, 99.0),
            Some(percentile(&sb, 99.0)),
        ));
        drop(store);
        drop(db);
        remove(&ts_dir);
        remove(&sql_file);
    }

    /// W10: a run that includes a whole suite, then every page of its tests.
    pub(super) fn w10(&mut self) {
        let cases = if self.quick { 2_000 } else { self.cases };
        eprintln!("W10 add_run include_all on a {cases}-case suite, then get_tests page by page");
        let p = Prepared::one_suite(&self.base, cases, self.seed);
        p.ensure(cases, self.seed);
        let ts_dir = self.base.join("scratch-w10-ts");
        let sql_file = self.base.join("scratch-w10.db");
        remove(&ts_dir);
        remove(&sql_file);
        copy_dir(&p.ts, &ts_dir).expect("copy store");
        copy_dir(&p.sql, &sql_file).expect("copy db");
        let store = Store::open(&ts_dir).expect("open");
        let mut db = open_sql(&sql_file);
        db.create_runs_schema().expect("runs schema");
        let reps = if self.quick { 1 } else { self.reps.clamp(1, 3) };
        let mut ts_add = Vec::new();
        let mut ts_page = Vec::new();
        let mut sql_add = Vec::new();
        let mut sql_page = Vec::new();
        let mut seen: (Paged, Paged) = Default::default();
        for rep in 0..reps {
            let body = add_run_body(&format!("W10 {rep}"), None);
            let ts_side = |ts_add: &mut Vec<f64>, ts_page: &mut Vec<f64>| {
                let (t, run) = timed(|| {
                    store
                        .call("add_run/1", Some(&body))
                        .expect("add_run")
                        .into_value()
                });
                ts_add.push(t);
                let run_id = run["id"].as_u64().expect("run id");
                let (t, got) = timed(|| ts_pages(&store, run_id));
                ts_page.push(t);
                got
            };
            let sql_side = |db: &mut Sql, sql_add: &mut Vec<f64>, sql_page: &mut Vec<f64>| {
                let (t, run) = timed(|| db.add_run(1, &body, now()).expect("add_run"));
                sql_add.push(t);
                let run_id = run["id"].as_u64().expect("run id");
                let (t, got) = timed(|| sql_pages(db, run_id));
                sql_page.push(t);
                got
            };
            let (a, b) = if rep % 2 == 0 {
                let a = ts_side(&mut ts_add, &mut ts_page);
                (a, sql_side(&mut db, &mut sql_add, &mut sql_page))
            } else {
                let b = sql_side(&mut db, &mut sql_add, &mut sql_page);
                (ts_side(&mut ts_add, &mut ts_page), b)
            };
            seen = (a, b);
        }
        let ((ts_n, ts_ids, ts_keys), (sql_n, sql_ids, sql_keys)) = seen;
        if ts_n != sql_n || ts_n as u64 != cases {
            self.notes.push(format!(
                "W10: the run has {ts_n} tests on trailstore, {sql_n} on SQLite, for {cases} cases"
            ));
        }
        if ts_ids != sql_ids {
            self.notes.push(
                "W10: the first page lists the tests in a different order on the two sides".into(),
            );
        }
        if ts_keys != sql_keys {
            self.notes.push(format!(
                "W10: a test has keys {ts_keys:?} on trailstore, {sql_keys:?} on SQLite"
            ));
        }
        let (ta, sa) = (median(&ts_add), median(&sql_add));
        let (tp, sp) = (median(&ts_page), median(&sql_page));
        self.push(
            Row::new(
                "W10",
                format!("add_run include_all, {cases}-case suite"),
                "s",
                ta / 1e3,
                Some(sa / 1e3),
            )
            .target(Target::Factor(3.0)),
        );
        let pages = cases.div_ceil(250);
        self.push(
            Row::new(
                "W10",
                format!("get_tests, all {pages} pages of 250"),
                "s",
                tp / 1e3,
                Some(sp / 1e3),
            )
            .target(Target::Factor(3.0))
            .note(format!(
                "{:.0} vs {:.0} µs a test",
                tp * 1e3 / cases as f64,
                sp * 1e3 / cases as f64
            )),
        );
        self.push(
            Row::new(
                "W10",
                "add_run + all pages",
                "s",
                (ta + tp) / 1e3,
                Some((sa + sp) / 1e3),
            )
            .target(Target::Factor(3.0)),
        );
        drop(store);
        drop(db);
        remove(&ts_dir);
        remove(&sql_file);
    }

    /// W11: one `add_results_for_cases` of thousands of results through a real `trailstore
    /// serve`, timed from sending the request to having read the whole answer. trailstore only.
    pub(super) fn w11(&mut self) {
        let n = if self.quick { 500 } else { 5_000 };
        eprintln!("W11 one add_results_for_cases of {n} results through trailstore serve");
        let reps = if self.quick { 1 } else { self.reps.clamp(1, 3) };
        let seed = self.seed;
        let (cases, body) = {
            let ds = self.ds();
            let cases = suite1_cases(ds, n, seed);
            let results = trcli_results(ds, &cases, n, 110);
            (cases, json!({ "results": results }))
        };
        let text = body.to_string();
        let ts_dir = self.base.join("scratch-w11-ts");
        remove(&ts_dir);
        copy_dir(&self.prepared().ts, &ts_dir).expect("copy store");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Generous: the figure is the point, not a client's patience.
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .into();
        let mut http_ms = Vec::new();
        let mut answer_bytes = 0;
        {
            let serve = Serve::start(&ts_dir);
            let post = |route: &str, body: &str| -> (u16, String) {
                let mut resp = agent
                    .post(format!("{}{route}", serve.url))
                    .header("Authorization", &serve.auth)
                    .header("Content-Type", "application/json")
                    .send(body)
                    .expect("POST");
                let status = resp.status().as_u16();
                let text = resp
                    .body_mut()
                    .with_config()
                    .limit(1 << 30)
                    .read_to_string()
                    .expect("answer");
                (status, text)
            };
            for rep in 0..reps {
                let run_body = add_run_body(&format!("W11 {rep}"), Some(&cases)).to_string();
                let (status, run) = post("add_run/1", &run_body);
                assert_eq!(status, 200, "add_run through serve: {run}");
                let run: Value = serde_json::from_str(&run).expect("run JSON");
                let run_id = run["id"].as_u64().expect("run id");
                let (t, (status, answer)) =
                    timed(|| post(&format!("add_results_for_cases/{run_id}"), &text));
                assert_eq!(
                    status, 200,
                    "add_results_for_cases through serve: {answer:.300}"
                );
                let got: Value = serde_json::from_str(&answer).expect("answer JSON");
                assert_eq!(
                    got.as_array().map_or(0, Vec::len),
                    n,
                    "one result per entry"
                );
                answer_bytes = answer.len();
                http_ms.push(t);
            }
        }
        // The same request in this process (the server has stopped and released the store), to
        // show what HTTP adds.
        let store = Store::open(&ts_dir).expect("open");
        let mut call_ms = Vec::new();
        for rep in 0..reps {
            let run = store
                .call(
                    "add_run/1",
                    Some(&add_run_body(
                        &format!("W11 in-process {rep}"),
                        Some(&cases),
                    )),
                )
                .expect("add_run")
                .into_value();
            let route = format!("add_results_for_cases/{}", run["id"]);
            call_ms.push(timed(|| store.call(&route, Some(&body)).expect("add_results")).0);
        }
        drop(store);
        let mb = |b: usize| b as f64 / (1024.0 * 1024.0);
        self.push(
            Row::new(
                "W11",
                format!("one add_results_for_cases of {n} results through serve, end to end"),
                "s",
                median(&http_ms) / 1e3,
                None,
            )
            .target(Target::AbsoluteAtMost(5.0))
            .note(format!(
                "trailstore only; max {:.2} s; request {:.2} MB, answer {:.2} MB",
                percentile(&http_ms, 100.0) / 1e3,
                mb(text.len()),
                mb(answer_bytes)
            )),
        );
        self.push(
            Row::new(
                "W11",
                format!("the same {n} results through Store::call, in process"),
                "s",
                median(&call_ms) / 1e3,
                None,
            )
            .note("trailstore only"),
        );
        remove(&ts_dir);
    }
}

impl Run {
    /// W12: 10,000 results recorded offline into a run of 2,000 tests, pushed through a `serve`
    /// that plays a Cloud server's limit of 180 requests a minute: the requests and the wall
    /// time, against the fewest requests push could make and the time the limit alone costs.
    /// trailstore only (SQLite has no push to compare with).
    pub(super) fn w12(&mut self) {
        let n_tests: u64 = if self.quick { 200 } else { 2_000 };
        let n_results = if self.quick { 500 } else { 10_000 };
        const PER_MINUTE: u64 = 180;
        eprintln!(
            "W12 push {n_results} results into a run of {n_tests} tests through a limit of {PER_MINUTE} requests a minute"
        );
        let dir = self.base.join("scratch-w12");
        remove(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let ds = Dataset::with_suites(self.seed, n_tests, crate::gen::ONE_SUITE);
        let server_path = dir.join("server");
        {
            let server = Store::open(&server_path).expect("open the server store");
            server.set_server_ids().expect("server ids");
            for k in 0..ds.chunks() {
                server.import_snapshot(&ds.chunk(k)).expect("import");
            }
            server
                .import_snapshot(&json!({"users": [{"id": 1000, "name": "Bench", "email": USER}]}))
                .expect("the pushing user");
        }
        let remote = |serve: &Serve| trailstore::Remote {
            url: serve.base.clone(),
            user: USER.into(),
            key: KEY.into(),
            ca_file: None,
        };
        let local = Store::open(dir.join("local")).expect("open the local store");
        let port = {
            let serve = Serve::start(&server_path);
            trailstore::pull(
                &local,
                &remote(&serve),
                &trailstore::PullOptions::default(),
                &mut |_| {},
            )
            .expect("pull");
            serve.port
        };
        let cases = suite1_cases(&ds, n_tests as usize, self.seed);
        let run = local
            .call("add_run/1", Some(&add_run_body("W12", Some(&cases))))
            .expect("add_run")
            .into_value();
        let route = format!("add_results_for_cases/{}", run["id"]);
        for b in batches(trcli_results(&ds, &cases, n_results, 130)) {
            local.call(&route, Some(&b)).expect("add_results_for_cases");
        }
        let local_run = local
            .call(&format!("get_run/{}", run["id"]), None)
            .expect("get_run")
            .into_value();

        // The same recording is pushed twice, to copies of both stores: through the limit, and
        // without one (what push itself costs).
        drop(local);
        for side in ["server", "local"] {
            copy_dir(&dir.join(side), &dir.join(format!("{side}-unlimited"))).expect("copy");
        }
        let plan = dir.join("faults.json");
        std::fs::write(
            &plan,
            json!({"rules": [{"action": "rate_limit", "per_minute": PER_MINUTE}]}).to_string(),
        )
        .expect("fault plan");
        // Each push goes to a fresh server process on the address the store pulled from, so
        // that the pull's requests are not in the limit's window.
        let push_to = |server: &str, local: &str, faults: Option<&std::path::Path>| {
            let serve = Serve::start_with_faults(&dir.join(server), faults, port);
            let local = Store::open(dir.join(local)).expect("open the local store");
            let (ms, report) = timed(|| {
                trailstore::push(
                    &local,
                    &remote(&serve),
                    &trailstore::PushOptions::default(),
                    &mut |_| {},
                )
                .expect("push")
            });
            let client =
                trailstore::Client::new(&remote(&serve), trailstore::RetryPolicy::default())
                    .expect("client");
            let stats = faults.map(|_| client.get("x_fault_stats").expect("fault stats"));
            let server_runs = client
                .get_all("get_runs/1", "runs", |_| {})
                .expect("get_runs");
            let server_run = server_runs
                .iter()
                .find(|r| r["name"] == "W12")
                .expect("the run reached the server");
            assert_eq!(
                counts(server_run),
                counts(&local_run),
                "W12: the server's run counts differ from the local ones"
            );
            assert_eq!(report.results, n_results as u64, "W12: results pushed");
            (ms, report, stats.unwrap_or(Value::Null))
        };
        let (ms, report, stats) = push_to("server", "local", Some(&plan));
        let (free_ms, free_report, _) = push_to("server-unlimited", "local-unlimited", None);
        // The fewest requests: add_run, the pages of its tests (to learn their ids), and the
        // result batches; the limit then costs a minute for each full window after the first.
        let pages = n_tests.div_ceil(250);
        let batches_needed = (n_results as u64).div_ceil(PUSH_BATCH);
        let bound = 1 + pages + batches_needed;
        let bound_s = ((bound - 1) / PER_MINUTE) as f64 * 60.0;
        let limited = stats["rate_limited"].as_u64().unwrap_or(0);
        let early = stats["early_after_429"].as_u64().unwrap_or(0);
        self.push(
            Row::new(
                "W12",
                format!(
                    "push {n_results} results through {PER_MINUTE} requests a minute: wall time"
                ),
                "s",
                ms / 1e3,
                None,
            )
            .note(format!(
                "trailstore only; the limit alone costs {bound_s:.0} s for the fewest requests"
            )),
        );
        self.push(
            Row::new(
                "W12",
                format!(
                    "the same push with no limit: wall time ({} requests)",
                    free_report.requests
                ),
                "s",
                free_ms / 1e3,
                None,
            )
            .note("trailstore only"),
        );
        self.push(
            Row::new(
                "W12",
                "the same push: requests made (429s included)",
                "requests",
                report.requests as f64,
                None,
            )
            .note(format!(
                "trailstore only; lower bound {bound} (1 add_run, {pages} pages of tests, {batches_needed} batches of {}); {limited} answered 429, {early} sent before Retry-After",
                PUSH_BATCH
            )),
        );
        remove(&dir);
    }
}

/// For profilers: W9's trailstore side alone on a store of `cases` generated cases (a copy of
/// prepared data): a run of 2,000 tests, then `results` results in batches of 50.
pub(super) fn record_loop(dir: &str, cases: u64, seed: u64, results: usize) -> Value {
    let ds = Dataset::new(seed, cases);
    let ids = suite1_cases(&ds, 2_000, seed);
    let bodies = batches(trcli_results(&ds, &ids, results, 90));
    let store = Store::open(dir).expect("open");
    let r = w9_ts(&store, &ids, &bodies, 0);
    json!({
        "add_run_ms": r.add_run_ms,
        "total_ms": r.total_ms,
        "cpu_ms": r.cpu_ms,
        "kernel_ms": r.kernel_ms,
        "batch_p50_ms": median(&r.batch_ms),
        "batch_p99_ms": percentile(&r.batch_ms, 99.0),
    })
}

/// The same on the SQLite side (a copy of a prepared database).
pub(super) fn record_loop_sql(file: &str, cases: u64, seed: u64, results: usize) -> Value {
    let ds = Dataset::new(seed, cases);
    let ids = suite1_cases(&ds, 2_000, seed);
    let bodies = batches(trcli_results(&ds, &ids, results, 90));
    let mut db = open_sql(std::path::Path::new(file));
    db.create_runs_schema().expect("runs schema");
    let r = w9_sql(&mut db, &ids, &bodies, 0);
    json!({
        "add_run_ms": r.add_run_ms,
        "total_ms": r.total_ms,
        "cpu_ms": r.cpu_ms,
        "kernel_ms": r.kernel_ms,
        "batch_p50_ms": median(&r.batch_ms),
        "batch_p99_ms": percentile(&r.batch_ms, 99.0),
    })
}

/// For profilers: W10's trailstore side alone: an include-all run of suite 1, then its pages.
pub(super) fn include_all_loop(dir: &str, pages: bool) -> Value {
    let store = Store::open(dir).expect("open");
    let (add_ms, run) = timed(|| {
        store
            .call("add_run/1", Some(&add_run_body("profile", None)))
            .expect("add_run")
            .into_value()
    });
    let run_id = run["id"].as_u64().expect("run id");
    let (page_ms, got) = if pages {
        timed(|| ts_pages(&store, run_id).0)
    } else {
        (0.0, 0)
    };
    json!({"add_run_ms": add_ms, "pages_ms": page_ms, "tests": got})
}

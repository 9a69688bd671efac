//! Pull: bring a TestRail server's state into the store as base state.
//!
//! - The first pull takes the whole snapshot: case types, priorities, case fields, users,
//!   projects, and per project templates, suites, milestones, sections and cases, following
//!   `_links.next` (or taking bare arrays from servers before 6.7).
//! - Later pulls ask for cases with `updated_after` = the newest server `updated_on` seen, less
//!   an overlap (seconds are coarse; results are deduplicated), refresh the small lists, and find
//!   deletions and moves with a full id scan (`scan: false` skips it).
//! - Everything lands in one transaction through the snapshot importer, so a case with pending
//!   local edits is merged per field and conflicts are recorded, never overwritten. Only the
//!   server's clocks are used.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{json, Value};

use super::client::{Client, RetryPolicy};
use super::Remote;
use crate::error::{Error, Result};
use crate::model::{is_local_id, Section, Suite};
use crate::snapshot::{self, ServerDeletions};
use crate::store::Store;
use crate::tables::{self, meta};
use crate::tx::Tx;

/// How to pull.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Only these projects (all projects when empty).
    pub projects: Vec<u64>,
    /// Scan every case id to find deletions and moves (later pulls).
    pub scan: bool,
    /// Seconds subtracted from the watermark of an incremental pull.
    pub overlap: i64,
    /// Also bring the results of the open runs (their tests always come).
    pub results: bool,
    /// Also bring the attachments of the cases this pull fetches: their metadata and bytes.
    /// TestRail lists attachments one case at a time, so a first pull makes one more request
    /// per case.
    pub attachments: bool,
    pub retry: RetryPolicy,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            projects: Vec::new(),
            scan: true,
            overlap: 60,
            results: false,
            attachments: false,
            retry: RetryPolicy::default(),
        }
    }
}

/// Progress of a pull, for a progress bar.
#[derive(Debug, Clone)]
pub enum PullProgress {
    /// A new stage (`"projects"`, `"cases of Mobile App / iOS"`).
    Stage(String),
    /// A page of `items` records arrived.
    Page { items: usize },
}

/// What a pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Whether this was the store's first pull from the server.
    pub first: bool,
    /// Cases received (after deduplication).
    pub fetched: u64,
    pub new: u64,
    pub changed: u64,
    pub deleted: u64,
    pub conflicts: u64,
    /// Runs received (open ones, and those this store had open that closed since).
    pub runs: u64,
    /// Tests received, of runs whose tests changed.
    pub tests: u64,
    /// Results received (with [`PullOptions::results`]).
    pub results: u64,
    /// Attachments whose bytes were downloaded (with [`PullOptions::attachments`]).
    pub attachments: u64,
    /// HTTP requests sent, retries included.
    pub requests: u64,
}

impl PullReport {
    pub fn to_json(&self) -> Value {
        json!({
            "first": self.first, "fetched": self.fetched, "new": self.new,
            "changed": self.changed, "deleted": self.deleted, "conflicts": self.conflicts,
            "runs": self.runs, "tests": self.tests, "results": self.results,
            "attachments": self.attachments,
            "requests": self.requests,
        })
    }
}

impl std::fmt::Display for PullReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pull: {} cases fetched, {} new, {} changed, {} deleted, {} conflicts; {} runs, {} tests, {} results ({} requests)",
            if self.first { "First" } else { "Incremental" },
            self.fetched,
            self.new,
            self.changed,
            self.deleted,
            self.conflicts,
            self.runs,
            self.tests,
            self.results,
            self.requests
        )
    }
}

fn id_of(v: &Value) -> Option<u64> {
    v.get("id").and_then(Value::as_u64)
}

/// Pulls from `remote` into `store` (see the module docs); [`super::pull`] is the entry point.
pub(super) fn run(
    store: &Store,
    remote: &Remote,
    opts: &PullOptions,
    progress: &mut dyn FnMut(PullProgress),
) -> Result<PullReport> {
    let url = remote.display_url();
    let (known_url, watermark) = {
        let rtx = store.begin_read()?;
        let tx = Tx::Read(&rtx);
        (
            tx.meta_str(meta::REMOTE_URL)?,
            tx.meta_u64(meta::PULL_WATERMARK)?.map(|w| w as i64),
        )
    };
    if let Some(known) = &known_url {
        if *known != url {
            return Err(Error::BadRequest {
                message: format!(
                    "This store pulls from {known}, not {url}; use another store for another server."
                ),
            });
        }
    }
    let first = watermark.is_none();
    let client = Client::new(remote, opts.retry.clone())?;
    let progress = std::cell::RefCell::new(progress);
    let stage = |s: String| (*progress.borrow_mut())(PullProgress::Stage(s));
    let mut page = |n: usize| (*progress.borrow_mut())(PullProgress::Page { items: n });

    let case_types = client.get_all("get_case_types", "case_types", &mut page)?;
    let priorities = client.get_all("get_priorities", "priorities", &mut page)?;
    let case_fields = client.get_all("get_case_fields", "case_fields", &mut page)?;
    // Older servers have no such route (404); their store keeps what it has.
    let optional = |r: Result<Vec<Value>>| match r {
        Err(Error::Remote {
            status: Some(404), ..
        }) => Ok(None),
        other => other.map(Some),
    };
    let statuses = optional(client.get_all("get_statuses", "statuses", &mut page))?;
    let result_fields = optional(client.get_all("get_result_fields", "result_fields", &mut page))?;
    let mut projects = client.get_all("get_projects", "projects", &mut page)?;
    if !opts.projects.is_empty() {
        for want in &opts.projects {
            if !projects.iter().any(|p| id_of(p) == Some(*want)) {
                return Err(Error::Remote {
                    status: None,
                    message: format!(
                        "project {want} is not on the server, or not accessible to this user"
                    ),
                });
            }
        }
        projects.retain(|p| id_of(p).is_some_and(|id| opts.projects.contains(&id)));
    }
    // Administrators may list every user; others must ask per project.
    let mut users = match client.get_all("get_users", "users", &mut page) {
        Ok(u) => u,
        Err(Error::Remote {
            status: Some(400 | 403),
            ..
        }) => Vec::new(),
        Err(e) => return Err(e),
    };

    let mut templates = serde_json::Map::new();
    let mut suites = Vec::new();
    let mut milestones = Vec::new();
    let mut sections = Vec::new();
    let mut cases: BTreeMap<u64, Value> = BTreeMap::new();
    let mut scanned: HashMap<u64, BTreeSet<u64>> = HashMap::new();
    let mut runs_side = RunSide::default();
    for p in &projects {
        let pid = id_of(p).ok_or_else(|| Error::Remote {
            status: Some(200),
            message: "get_projects answered a project without an id".into(),
        })?;
        let pname = p
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        stage(format!("project {pname}"));
        if users.is_empty() {
            for u in client.get_all(&format!("get_users/{pid}"), "users", &mut page)? {
                if !users.iter().any(|x| id_of(x) == id_of(&u)) {
                    users.push(u);
                }
            }
        }
        templates.insert(
            pid.to_string(),
            Value::Array(client.get_all(
                &format!("get_templates/{pid}"),
                "templates",
                &mut page,
            )?),
        );
        let project_suites = client.get_all(&format!("get_suites/{pid}"), "suites", &mut page)?;
        milestones.extend(client.get_all(
            &format!("get_milestones/{pid}"),
            "milestones",
            &mut page,
        )?);
        for s in &project_suites {
            let sid = id_of(s).ok_or_else(|| Error::Remote {
                status: Some(200),
                message: "get_suites answered a suite without an id".into(),
            })?;
            let sname = s.get("name").and_then(Value::as_str).unwrap_or("?");
            stage(format!("{pname} / {sname}"));
            sections.extend(client.get_all(
                &format!("get_sections/{pid}&suite_id={sid}"),
                "sections",
                &mut page,
            )?);
            let mut take = |list: Vec<Value>| {
                for c in list {
                    let Some(id) = id_of(&c) else { continue };
                    let newer = |old: &Value| {
                        c.get("updated_on").and_then(Value::as_i64)
                            >= old.get("updated_on").and_then(Value::as_i64)
                    };
                    if cases.get(&id).is_none_or(newer) {
                        cases.insert(id, c);
                    }
                }
            };
            if let Some(w) = watermark {
                let since = w - opts.overlap;
                take(client.get_all(
                    &format!("get_cases/{pid}&suite_id={sid}&updated_after={since}"),
                    "cases",
                    &mut page,
                )?);
            }
            if first || opts.scan {
                let all = client.get_all(
                    &format!("get_cases/{pid}&suite_id={sid}"),
                    "cases",
                    &mut page,
                )?;
                scanned.insert(sid, all.iter().filter_map(id_of).collect());
                take(all);
            }
        }
        suites.extend(project_suites);
        stage(format!("{pname}: configurations, plans and open runs"));
        runs_side.fetch(store, &client, pid, opts, watermark, &mut page)?;
    }

    // What the server no longer has, among what this store got from it.
    let deletions = {
        let rtx = store.begin_read()?;
        let tx = Tx::Read(&rtx);
        let server_ids =
            |list: &[Value]| -> BTreeSet<u64> { list.iter().filter_map(id_of).collect() };
        let project_ids = server_ids(&projects);
        let suite_ids = server_ids(&suites);
        let section_ids = server_ids(&sections);
        let milestone_ids = server_ids(&milestones);
        let mut del = ServerDeletions::default();
        if opts.projects.is_empty() {
            for p in tx.all::<crate::model::Project>()? {
                if !is_local_id(p.id) && !project_ids.contains(&p.id) {
                    del.projects.push(p.id);
                    for sid in tx.children(tables::PROJECT_SUITES, p.id)? {
                        collect_suite(&tx, sid, &mut del)?;
                    }
                }
            }
        }
        for pid in &project_ids {
            for sid in tx.children(tables::PROJECT_SUITES, *pid)? {
                if !is_local_id(sid) && !suite_ids.contains(&sid) {
                    collect_suite(&tx, sid, &mut del)?;
                    continue;
                }
                for sec in tx.children(tables::SUITE_SECTIONS, sid)? {
                    if !is_local_id(sec) && !section_ids.contains(&sec) {
                        del.sections.push(sec);
                    }
                }
                if let Some(seen) = scanned.get(&sid) {
                    tx.for_each_suite_case(sid, 0, |cid, _| {
                        if !is_local_id(cid) && !seen.contains(&cid) {
                            del.cases.push(cid);
                        }
                        Ok(true)
                    })?;
                }
            }
            for mid in tx.children(tables::PROJECT_MILESTONES, *pid)? {
                if !is_local_id(mid) && !milestone_ids.contains(&mid) {
                    del.milestones.push(mid);
                }
            }
        }
        // Cases of deleted sections go with them (a server delete cascades).
        for sec in del.sections.clone() {
            for cid in tx.children(tables::SECTION_CASES, sec)? {
                if !is_local_id(cid) && !del.cases.contains(&cid) && !cases.contains_key(&cid) {
                    del.cases.push(cid);
                }
            }
        }
        del
    };

    let mut attachments = Vec::new();
    if opts.attachments {
        stage(format!("attachments of {} cases", cases.len()));
        for id in cases.keys() {
            for mut a in client.get_all(
                &format!("get_attachments_for_case/{id}"),
                "attachments",
                &mut page,
            )? {
                if let Value::Object(m) = &mut a {
                    if !m.contains_key("entity_type") {
                        m.insert("case_id".into(), (*id).into());
                    }
                }
                attachments.push(a);
            }
        }
    }
    let newest = cases
        .values()
        .filter_map(|c| c.get("updated_on").and_then(Value::as_i64))
        .max();
    let fetched = cases.len() as u64;
    let snapshot = json!({
        "format": snapshot::SNAPSHOT_FORMAT,
        "version": snapshot::SNAPSHOT_VERSION,
        "users": users,
        "case_types": case_types,
        "priorities": priorities,
        "case_fields": case_fields,
        "statuses": statuses,
        "result_fields": result_fields,
        "projects": projects,
        "templates": Value::Object(templates),
        "suites": suites,
        "sections": sections,
        "milestones": milestones,
        "cases": cases.into_values().collect::<Vec<_>>(),
        "configs": runs_side.configs,
        "plans": runs_side.plans,
        "runs": runs_side.runs,
        "tests": runs_side.tests,
        "results": runs_side.results,
        "attachments": attachments,
    });
    let (run_count, test_count, result_count) = runs_side.counts;
    stage("saving".into());
    let mut batch = store.batch()?;
    let import = batch.import_snapshot(&snapshot)?;
    let (deleted, deletion_conflicts) = batch.with_writer(|w| {
        let out = snapshot::apply_deletions(w, &deletions)?;
        w.set_meta_str(meta::REMOTE_URL, &url)?;
        let mark = newest
            .or(watermark)
            .unwrap_or(0)
            .max(watermark.unwrap_or(0));
        w.set_meta_u64(meta::PULL_WATERMARK, mark.max(0) as u64)?;
        w.set_meta_u64(meta::LAST_PULL, crate::clock::now() as u64)?;
        for (key, print) in &runs_side.prints {
            w.set_meta_str(key, print)?;
        }
        Ok(out)
    })?;
    batch.commit()?;
    let downloaded = if opts.attachments {
        stage("attachment bytes".into());
        download_attachments(store, &client, &mut page)?
    } else {
        0
    };
    Ok(PullReport {
        first,
        fetched,
        new: import.cases_new as u64,
        changed: import.cases_changed as u64,
        deleted: deleted as u64,
        conflicts: (import.conflicts + deletion_conflicts) as u64,
        runs: run_count,
        tests: test_count,
        results: result_count,
        attachments: downloaded,
        requests: client.requests.get(),
    })
}

/// Marks a suite, its sections and its cases as deleted on the server.
fn collect_suite(tx: &Tx<'_>, suite_id: u64, del: &mut ServerDeletions) -> Result<()> {
    if tx.get::<Suite>(suite_id)?.is_none() {
        return Ok(());
    }
    del.suites.push(suite_id);
    for sec in tx.children(tables::SUITE_SECTIONS, suite_id)? {
        if tx.get::<Section>(sec)?.is_some() {
            del.sections.push(sec);
        }
    }
    tx.for_each_suite_case(suite_id, 0, |cid, _| {
        del.cases.push(cid);
        Ok(true)
    })?;
    Ok(())
}

/// The run side of a pull: configurations, the open plans (with their entries and runs), the
/// open runs, their tests and (with [`PullOptions::results`]) results.
///
/// Incremental as far as TestRail allows: no route lists tests or runs changed since a time, so
/// each pull lists the open runs and plans (a few requests), and fetches a run's tests again only
/// when the run changed since the last pull: its `updated_on`, its counts or its state (the
/// fingerprint kept in the meta table). Results newer than the last pull (less the overlap) are
/// fetched by `created_after`. A run this store had open that the server no longer lists as open
/// is read once more (`get_run`), to learn that it closed.
#[derive(Default)]
struct RunSide {
    configs: Vec<Value>,
    plans: Vec<Value>,
    runs: Vec<Value>,
    tests: Vec<Value>,
    results: Vec<Value>,
    /// Meta keys and the run fingerprints to record once the pull commits.
    prints: Vec<(String, String)>,
    counts: (u64, u64, u64),
}

/// The meta key of a pulled run's fingerprint.
fn print_key(run_id: u64) -> String {
    format!("pulled_run.{run_id}")
}

/// What identifies the state of a run on the server: when it changed, its counts and whether
/// it is closed.
fn fingerprint(run: &Value) -> String {
    let mut parts = vec![
        run.get("updated_on")
            .map(Value::to_string)
            .unwrap_or_default(),
        run.get("is_completed")
            .map(Value::to_string)
            .unwrap_or_default(),
    ];
    if let Some(m) = run.as_object() {
        for (k, v) in m {
            if k.ends_with("_count") {
                parts.push(format!("{k}={v}"));
            }
        }
    }
    parts.join(";")
}

impl RunSide {
    fn fetch(
        &mut self,
        store: &Store,
        client: &Client,
        pid: u64,
        opts: &PullOptions,
        watermark: Option<i64>,
        page: &mut dyn FnMut(usize),
    ) -> Result<()> {
        // Servers before 5.2 have no configurations: a 404 means none.
        match client.get_all(&format!("get_configs/{pid}"), "configs", &mut *page) {
            Ok(groups) => self.configs.extend(groups),
            Err(Error::Remote {
                status: Some(404), ..
            }) => {}
            Err(e) => return Err(e),
        }
        let mut open_runs = client.get_all(
            &format!("get_runs/{pid}&is_completed=0"),
            "runs",
            &mut *page,
        )?;
        for p in client.get_all(
            &format!("get_plans/{pid}&is_completed=0"),
            "plans",
            &mut *page,
        )? {
            let Some(plan_id) = id_of(&p) else { continue };
            let plan = client.get(&format!("get_plan/{plan_id}"))?;
            for e in plan
                .get("entries")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for r in e
                    .get("runs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    open_runs.push(r.clone());
                }
            }
            self.plans.push(plan);
        }
        // Runs this store had open from the server that are no longer listed as open.
        let listed: BTreeSet<u64> = open_runs.iter().filter_map(id_of).collect();
        let (known_open, prints) = {
            let rtx = store.begin_read()?;
            let tx = Tx::Read(&rtx);
            let mut known = Vec::new();
            for run in tx.all::<crate::model::Run>()? {
                if run.project_id == pid
                    && !run.is_completed
                    && !is_local_id(run.id)
                    && !listed.contains(&run.id)
                {
                    known.push(run.id);
                }
            }
            let mut prints = HashMap::new();
            for id in &listed {
                if let Some(p) = tx.meta_str(&print_key(*id))? {
                    prints.insert(*id, p);
                }
            }
            (known, prints)
        };
        for id in known_open {
            match client.get(&format!("get_run/{id}")) {
                Ok(run) => open_runs.push(run),
                // Deleted on the server: its local copy stays until the store learns more
                // (a run with local results must not vanish).
                Err(Error::Remote {
                    status: Some(400 | 404),
                    ..
                }) => {}
                Err(e) => return Err(e),
            }
        }
        for run in &open_runs {
            let Some(run_id) = id_of(run) else { continue };
            let print = fingerprint(run);
            if prints.get(&run_id) != Some(&print) {
                let tests = client.get_all(&format!("get_tests/{run_id}"), "tests", &mut *page)?;
                self.counts.1 += tests.len() as u64;
                self.tests.extend(tests);
                self.prints.push((print_key(run_id), print));
            }
            if opts.results {
                let since = match watermark {
                    Some(w) if prints.contains_key(&run_id) => {
                        format!("&created_after={}", w - opts.overlap)
                    }
                    _ => String::new(),
                };
                let results = client.get_all(
                    &format!("get_results_for_run/{run_id}{since}"),
                    "results",
                    &mut *page,
                )?;
                self.counts.2 += results.len() as u64;
                self.results.extend(results);
            }
        }
        self.counts.0 += open_runs.len() as u64;
        // Plan runs travel inside their plans; the rest as runs.
        self.runs.extend(
            open_runs
                .into_iter()
                .filter(|r| r.get("plan_id").is_none_or(Value::is_null)),
        );
        Ok(())
    }
}

/// Downloads the bytes of every attachment from the server that the store has without them,
/// each streamed into the store and recorded in its own transaction (so a pull cut short keeps
/// what it got). Returns how many came.
fn download_attachments(
    store: &Store,
    client: &Client,
    page: &mut dyn FnMut(usize),
) -> Result<u64> {
    let missing: Vec<crate::model::Attachment> = {
        let rtx = store.begin_read()?;
        Tx::Read(&rtx)
            .all::<crate::model::Attachment>()?
            .into_iter()
            .filter(|a| a.sha256.is_empty() && !is_local_id(a.id))
            .collect()
    };
    let mut n = 0;
    for a in missing {
        let route = match &a.uuid {
            Some(u) => format!("get_attachment/{u}"),
            None => format!("get_attachment/{}", a.id),
        };
        let incoming = client.download(&route, &|| store.inner.blobs.begin())?;
        let staged = incoming.finish()?;
        store.record_attachment_bytes(a.id, &staged)?;
        page(1);
        n += 1;
    }
    Ok(n)
}

//! The SQLite side: what a careful developer would build for the same job with SQLite + FTS5.
//!
//! - `cases` keeps the filterable columns plus the whole case as JSON text (`data`), with
//!   indexes for section listings and suite + updated_on listings;
//! - `cases_fts` is a *contentless* FTS5 table (`content=''`, `contentless_delete=1`) over the
//!   same text trailstore indexes (title, refs, custom text fields, steps, dropdown labels): the
//!   text is not stored twice, which is SQLite's smallest on disk (and why it has no snippets);
//! - `section_closure` (ancestor, section) answers subtree filters;
//! - `journal` mirrors trailstore's journal entries.
//!
//! WAL, `synchronous=FULL`, and a 256 MiB page cache (as trailstore gives redb).

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

/// The schema (`sqlite_schema.sql`, shared with the Python bench), with a contentless FTS table
/// whose rows can be deleted.
pub fn schema() -> String {
    include_str!("sqlite_schema.sql").replace("{fts}", ", contentless_delete=1")
}

/// The same boosts as trailstore's default fields (title 2, refs 1.5, the rest 1).
pub const BM25: &str = "bm25(cases_fts, 2.0, 1.5, 1.0, 1.0, 1.0)";

/// What the FTS columns need to know about a custom field.
struct FieldInfo {
    name: String,
    type_id: i64,
    /// (project id or 0 for global) → item id → label.
    labels: HashMap<u64, HashMap<i64, String>>,
}

pub struct Fields(Vec<FieldInfo>);

impl Fields {
    pub fn from_json(fields: &Value) -> Fields {
        let mut out = Vec::new();
        for f in fields.as_array().into_iter().flatten() {
            let mut labels = HashMap::new();
            for c in f["configs"].as_array().into_iter().flatten() {
                let items: HashMap<i64, String> = c["options"]["items"]
                    .as_str()
                    .unwrap_or("")
                    .lines()
                    .filter_map(|l| {
                        let (id, label) = l.split_once(',')?;
                        Some((id.trim().parse().ok()?, label.trim().to_string()))
                    })
                    .collect();
                match c["context"]["project_ids"].as_array() {
                    Some(ps) if c["context"]["is_global"] != true => {
                        for p in ps.iter().filter_map(Value::as_u64) {
                            labels.insert(p, items.clone());
                        }
                    }
                    _ => {
                        labels.insert(0, items);
                    }
                }
            }
            out.push(FieldInfo {
                name: f["system_name"].as_str().unwrap_or("").to_string(),
                type_id: f["type_id"].as_i64().unwrap_or(0),
                labels,
            });
        }
        Fields(out)
    }

    /// The FTS columns of a case: title, refs, text, steps, options.
    pub fn fts(&self, c: &Value, project_id: u64) -> [String; 5] {
        let mut text = Vec::new();
        let mut steps = Vec::new();
        let mut options = Vec::new();
        for f in &self.0 {
            let v = &c[&f.name];
            if v.is_null() {
                continue;
            }
            let label = |i: i64| {
                f.labels
                    .get(&project_id)
                    .or_else(|| f.labels.get(&0))
                    .and_then(|m| m.get(&i))
            };
            match f.type_id {
                1 | 3 | 4 => {
                    if let Some(s) = v.as_str() {
                        text.push(s);
                    }
                }
                10 => {
                    for s in v.as_array().into_iter().flatten() {
                        for k in ["content", "expected", "additional_info"] {
                            if let Some(t) = s[k].as_str().filter(|t| !t.is_empty()) {
                                steps.push(t);
                            }
                        }
                    }
                }
                6 => {
                    if let Some(l) = v.as_i64().and_then(label) {
                        options.push(l.clone());
                    }
                }
                12 => {
                    for i in v.as_array().into_iter().flatten().filter_map(Value::as_i64) {
                        if let Some(l) = label(i) {
                            options.push(l.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        [
            c["title"].as_str().unwrap_or("").to_string(),
            c["refs"].as_str().unwrap_or("").to_string(),
            text.join("\n"),
            steps.join("\n"),
            options.join("\n"),
        ]
    }
}

pub struct Sql {
    pub conn: Connection,
    pub fields: Option<Fields>,
}

pub fn open(path: &Path) -> rusqlite::Result<Sql> {
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-262144;",
    )?;
    let fields = conn
        .query_row(
            "SELECT data FROM refdata WHERE kind='case_fields' AND id=0",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .map(|v| Fields::from_json(&v));
    Ok(Sql { conn, fields })
}

/// The records of a snapshot list (bare array or paged wrapper).
fn list<'a>(snap: &'a Value, key: &str) -> Vec<&'a Value> {
    match &snap[key] {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => o
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

impl Sql {
    pub fn create_schema(&self) -> rusqlite::Result<()> {
        self.conn.execute_batch(&schema())
    }

    /// Imports a snapshot chunk in one transaction: rows, JSON, and the FTS index.
    pub fn import(&mut self, snap: &Value) -> rusqlite::Result<usize> {
        let tx = self.conn.transaction()?;
        if let Some(fields) = snap.get("case_fields") {
            tx.execute(
                "INSERT OR REPLACE INTO refdata VALUES ('case_fields', 0, ?1)",
                [fields.to_string()],
            )?;
            self.fields = Some(Fields::from_json(fields));
        }
        for kind in [
            "users",
            "case_types",
            "priorities",
            "milestones",
            "statuses",
        ] {
            let mut st = tx.prepare_cached("INSERT OR REPLACE INTO refdata VALUES (?1, ?2, ?3)")?;
            for v in list(snap, kind) {
                st.execute(params![kind, v["id"].as_i64(), v.to_string()])?;
            }
        }
        if let Some(t) = snap.get("templates") {
            tx.execute(
                "INSERT OR REPLACE INTO refdata VALUES ('templates', 0, ?1)",
                [t.to_string()],
            )?;
        }
        for p in list(snap, "projects") {
            tx.execute(
                "INSERT OR REPLACE INTO projects VALUES (?1, ?2)",
                params![p["id"].as_i64(), p.to_string()],
            )?;
        }
        for s in list(snap, "suites") {
            tx.execute(
                "INSERT OR REPLACE INTO suites VALUES (?1, ?2, ?3)",
                params![s["id"].as_i64(), s["project_id"].as_i64(), s.to_string()],
            )?;
        }
        let sections = list(snap, "sections");
        if !sections.is_empty() {
            let parents: HashMap<i64, Option<i64>> = sections
                .iter()
                .map(|s| (s["id"].as_i64().unwrap_or(0), s["parent_id"].as_i64()))
                .collect();
            let mut st = tx.prepare_cached(
                "INSERT OR REPLACE INTO sections VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut cl =
                tx.prepare_cached("INSERT OR IGNORE INTO section_closure VALUES (?1, ?2)")?;
            for s in &sections {
                let id = s["id"].as_i64().unwrap_or(0);
                st.execute(params![
                    id,
                    s["suite_id"].as_i64(),
                    s["parent_id"].as_i64(),
                    s["depth"].as_i64().unwrap_or(0),
                    s["display_order"].as_i64().unwrap_or(0),
                    s.to_string()
                ])?;
                let mut a = Some(id);
                while let Some(x) = a {
                    cl.execute(params![x, id])?;
                    a = parents.get(&x).copied().flatten();
                }
            }
        }
        let cases = list(snap, "cases");
        {
            let fields = self
                .fields
                .as_ref()
                .expect("case fields come with the first chunk");
            let mut suite_project: HashMap<i64, u64> = HashMap::new();
            {
                let mut q = tx.prepare("SELECT id, project_id FROM suites")?;
                let rows = q.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
                for r in rows {
                    let (s, p) = r?;
                    suite_project.insert(s, p as u64);
                }
            }
            let mut st = tx.prepare_cached(
                "INSERT INTO cases VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            let mut fts = tx.prepare_cached(
                "INSERT INTO cases_fts (rowid, title, refs, text, steps, options) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for c in &cases {
                let project = suite_project
                    .get(&c["suite_id"].as_i64().unwrap_or(0))
                    .copied()
                    .unwrap_or(0);
                let id = c["id"].as_i64();
                st.execute(params![
                    id,
                    project,
                    c["suite_id"].as_i64(),
                    c["section_id"].as_i64(),
                    c["template_id"].as_i64(),
                    c["type_id"].as_i64(),
                    c["priority_id"].as_i64(),
                    c["milestone_id"].as_i64(),
                    c["created_by"].as_i64(),
                    c["created_on"].as_i64(),
                    c["updated_by"].as_i64(),
                    c["updated_on"].as_i64(),
                    c["display_order"].as_i64(),
                    c.to_string(),
                ])?;
                let [t, r, x, s, o] = fields.fts(c, project);
                fts.execute(params![id, t, r, x, s, o])?;
            }
        }
        tx.commit()?;
        Ok(cases.len())
    }

    /// get_case: the stored JSON, parsed.
    pub fn get_case(&self, id: u64) -> rusqlite::Result<Option<Value>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT data FROM cases WHERE id = ?1")?;
        let s: Option<String> = st.query_row([id as i64], |r| r.get(0)).optional()?;
        Ok(s.and_then(|s| serde_json::from_str(&s).ok()))
    }

    /// Runs a query returning `data` column rows, parsing each.
    pub fn rows(&self, sql: &str, p: &[&dyn rusqlite::ToSql]) -> rusqlite::Result<Vec<Value>> {
        let mut st = self.conn.prepare_cached(sql)?;
        let rows = st.query_map(p, |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(serde_json::from_str(&r?).unwrap_or(Value::Null));
        }
        Ok(out)
    }

    /// A top-k full-text search with optional filters, returning the parsed cases.
    pub fn search(
        &self,
        project_id: u64,
        query: &str,
        section: Option<u64>,
        priority: Option<&[u64]>,
        limit: usize,
    ) -> rusqlite::Result<Vec<Value>> {
        let mut sql = String::from(
            "SELECT c.data FROM cases_fts JOIN cases c ON c.id = cases_fts.rowid \
             WHERE cases_fts MATCH ?1 AND c.project_id = ?2",
        );
        if section.is_some() {
            sql.push_str(
                " AND c.section_id IN (SELECT section_id FROM section_closure WHERE ancestor_id = ?3)",
            );
        }
        if let Some(p) = priority {
            let list: Vec<String> = p.iter().map(u64::to_string).collect();
            sql.push_str(&format!(" AND c.priority_id IN ({})", list.join(",")));
        }
        sql.push_str(&format!(" ORDER BY {BM25} LIMIT {limit}"));
        let sec = section.unwrap_or(0) as i64;
        if section.is_some() {
            self.rows(&sql, &[&query, &(project_id as i64), &sec])
        } else {
            self.rows(&sql, &[&query, &(project_id as i64)])
        }
    }

    /// update_case with a journal entry, committed at synchronous=FULL (see [`update_in`]).
    pub fn update_case(&mut self, id: u64, patch: &Value, now: i64) -> rusqlite::Result<()> {
        let fields = self.fields.as_ref().expect("imported");
        let tx = self.conn.transaction()?;
        update_in(&tx, fields, id, patch, now)?;
        tx.commit()
    }

    /// Several update_case in one transaction (as a trailstore batch).
    pub fn update_many(&mut self, ids: &[u64], patch: &Value, now: i64) -> rusqlite::Result<()> {
        let fields = self.fields.as_ref().expect("imported");
        let tx = self.conn.transaction()?;
        for id in ids {
            update_in(&tx, fields, *id, patch, now)?;
        }
        tx.commit()
    }

    /// x_get_journal's equivalent: entries after `since`, a page at a time, as JSON values.
    pub fn journal_page(
        &self,
        since: u64,
        limit: usize,
        offset: usize,
    ) -> rusqlite::Result<Vec<Value>> {
        let mut st = self.conn.prepare_cached(
            "SELECT seq, op_id, route, body, time, user_id, state, effects FROM journal \
             WHERE seq > ?1 ORDER BY seq LIMIT ?2 OFFSET ?3",
        )?;
        let rows = st.query_map(
            params![since as i64, limit as i64, offset as i64],
            |r| {
                Ok(json!({
                    "seq": r.get::<_, i64>(0)?,
                    "op_id": r.get::<_, String>(1)?,
                    "route": r.get::<_, String>(2)?,
                    "body": serde_json::from_str::<Value>(&r.get::<_, String>(3)?).unwrap_or(Value::Null),
                    "time": r.get::<_, i64>(4)?,
                    "user_id": r.get::<_, i64>(5)?,
                    "state": r.get::<_, String>(6)?,
                    "effects": serde_json::from_str::<Value>(&r.get::<_, String>(7)?).unwrap_or(Value::Null),
                }))
            },
        )?;
        rows.collect()
    }
}

/// One update_case inside a transaction: read the old row, apply the change, rewrite the row and
/// its FTS document, append a journal entry with each changed field's before and after.
pub fn update_in(
    conn: &Connection,
    fields: &Fields,
    id: u64,
    patch: &Value,
    now: i64,
) -> rusqlite::Result<()> {
    let (old, project): (String, i64) = conn
        .prepare_cached("SELECT data, project_id FROM cases WHERE id = ?1")?
        .query_row([id as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let mut case: Value = serde_json::from_str(&old).unwrap_or(Value::Null);
    let mut changes = serde_json::Map::new();
    for (k, v) in patch.as_object().into_iter().flatten() {
        if case[k] != *v {
            changes.insert(k.clone(), json!([case[k].clone(), v.clone()]));
            case[k] = v.clone();
        }
    }
    case["updated_on"] = json!(now);
    conn.prepare_cached(
        "UPDATE cases SET priority_id = ?2, updated_on = ?3, data = ?4 WHERE id = ?1",
    )?
    .execute(params![
        id as i64,
        case["priority_id"].as_i64(),
        now,
        case.to_string()
    ])?;
    conn.prepare_cached("DELETE FROM cases_fts WHERE rowid = ?1")?
        .execute([id as i64])?;
    let [t, r, x, s, o] = fields.fts(&case, project as u64);
    conn.prepare_cached(
        "INSERT INTO cases_fts (rowid, title, refs, text, steps, options) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![id as i64, t, r, x, s, o])?;
    let effects = json!([{"entity": "case", "id": id, "action": "update", "changes": changes}]);
    conn.prepare_cached(
        "INSERT INTO journal (op_id, route, body, time, user_id, state, effects) VALUES (?1, ?2, ?3, ?4, 1, 'pending', ?5)",
    )?
    .execute(params![
        format!("{:032x}", (now as u128) << 32 | id as u128),
        format!("update_case/{id}"),
        patch.to_string(),
        now,
        effects.to_string()
    ])?;
    Ok(())
}

/// The run, test and result tables of W9 and W10 (`sqlite_runs.sql`).
pub const RUNS_SCHEMA: &str = include_str!("sqlite_runs.sql");

/// The counts columns of a run, by status id (1..=5 system, 6..=12 custom 1..7).
const COUNTS: [&str; 12] = [
    "passed_count",
    "blocked_count",
    "untested_count",
    "retest_count",
    "failed_count",
    "custom_status1_count",
    "custom_status2_count",
    "custom_status3_count",
    "custom_status4_count",
    "custom_status5_count",
    "custom_status6_count",
    "custom_status7_count",
];

/// TestRail's refusal texts the SQLite side gives for the same mistakes (it refuses what the
/// store refuses, so that both validate the same things).
fn refuse(message: impl Into<String>) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(message.into().into())
}

/// An id given as a number or a numeric string, as TestRail takes it.
fn id_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().filter(|i| *i > 0),
        Value::String(s) => s.trim().parse().ok().filter(|i: &i64| *i > 0),
        _ => None,
    }
}

/// `elapsed` as TestRail takes it ("1s", "1m 45s", "0.5s", a number of seconds); `0s` is not a
/// time span.
fn elapsed_ok(s: &str) -> bool {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return n > 0.0;
    }
    let mut total = 0.0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
        } else if c.is_whitespace() {
            if !num.is_empty() {
                return false;
            }
        } else {
            let mult = match c.to_ascii_lowercase() {
                's' => 1.0,
                'm' => 60.0,
                'h' => 3600.0,
                'd' => 28_800.0,
                'w' => 144_000.0,
                _ => return false,
            };
            let Ok(n) = num.parse::<f64>() else {
                return false;
            };
            total += n * mult;
            num.clear();
        }
    }
    num.is_empty() && total > 0.0
}

/// A journal row: one request as the journal keeps it.
fn journal_row(
    tx: &Connection,
    now: i64,
    seq_hint: i64,
    route: &str,
    body: &Value,
    effects: &Value,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO journal (op_id, route, body, time, user_id, state, effects) VALUES (?1, ?2, ?3, ?4, 1, 'pending', ?5)",
    )?
    .execute(params![
        format!("{:032x}", (now as u128) << 32 | seq_hint as u128),
        route,
        body.to_string(),
        now,
        effects.to_string()
    ])?;
    Ok(())
}

/// A run's JSON with its counts (TestRail's `get_run` shape).
fn run_json(conn: &Connection, run_id: i64) -> rusqlite::Result<Value> {
    let cols = COUNTS.join(", ");
    conn.query_row(
        &format!("SELECT data, {cols} FROM runs WHERE id = ?1"),
        [run_id],
        |r| {
            let mut v: Value = serde_json::from_str(&r.get::<_, String>(0)?).unwrap_or(Value::Null);
            for (i, c) in COUNTS.iter().enumerate() {
                v[*c] = json!(r.get::<_, i64>(i + 1)?);
            }
            Ok(v)
        },
    )
}

impl Sql {
    /// Adds the run, test and result tables (to a copy of a prepared database).
    pub fn create_runs_schema(&self) -> rusqlite::Result<()> {
        self.conn.execute_batch(RUNS_SCHEMA)
    }

    /// `get_run/{id}`: the run's JSON with its counts.
    pub fn run(&self, id: u64) -> rusqlite::Result<Value> {
        run_json(&self.conn, id as i64)
    }

    /// `add_run/{project_id}` with `suite_id`, `name`, `include_all` and `case_ids`, in one
    /// transaction: the run row, one untested test per case (every case of the suite, or the
    /// listed ones, which must be cases of that suite), numbered in the suite's order (section
    /// display order, then id) as TestRail lists them, the run's untested count, the journal.
    /// Answers the run's JSON.
    pub fn add_run(&mut self, project_id: u64, body: &Value, now: i64) -> rusqlite::Result<Value> {
        let tx = self.conn.transaction()?;
        let suite_id = body["suite_id"]
            .as_i64()
            .ok_or_else(|| refuse("Field :suite_id is a required field."))?;
        let suite_project: Option<i64> = tx
            .prepare_cached("SELECT project_id FROM suites WHERE id = ?1")?
            .query_row([suite_id], |r| r.get(0))
            .optional()?;
        if suite_project != Some(project_id as i64) {
            return Err(refuse(
                "Field :suite_id is not a valid test suite (or not in the project).",
            ));
        }
        let include_all = body["include_all"].as_bool().unwrap_or(true);
        let run = json!({
            "suite_id": suite_id,
            "name": body["name"],
            "description": body.get("description").cloned().unwrap_or(Value::Null),
            "milestone_id": body.get("milestone_id").cloned().unwrap_or(Value::Null),
            "assignedto_id": body.get("assignedto_id").cloned().unwrap_or(Value::Null),
            "include_all": include_all,
            "is_completed": false,
            "completed_on": null,
            "config": null,
            "config_ids": [],
            "project_id": project_id,
            "plan_id": null,
            "created_on": now,
            "created_by": 1,
            "refs": body.get("refs").cloned().unwrap_or(Value::Null),
            "updated_on": now,
        });
        tx.prepare_cached("INSERT INTO runs (project_id, suite_id, data) VALUES (?1, ?2, ?3)")?
            .execute(params![project_id as i64, suite_id, run.to_string()])?;
        let run_id = tx.last_insert_rowid();
        let order = "ORDER BY s.display_order, c.section_id, c.id";
        let made = if include_all {
            tx.prepare_cached(&format!(
                "INSERT INTO tests (run_id, case_id, status_id) \
                 SELECT ?1, c.id, 3 FROM cases c JOIN sections s ON s.id = c.section_id \
                 WHERE c.suite_id = ?2 {order}"
            ))?
            .execute(params![run_id, suite_id])?
        } else {
            let ids = body["case_ids"].to_string();
            let wanted = body["case_ids"].as_array().map_or(0, Vec::len);
            let n = tx
                .prepare_cached(&format!(
                    "INSERT INTO tests (run_id, case_id, status_id) \
                     SELECT ?1, c.id, 3 FROM cases c JOIN sections s ON s.id = c.section_id \
                     WHERE c.id IN (SELECT value FROM json_each(?3)) AND c.suite_id = ?2 {order}"
                ))?
                .execute(params![run_id, suite_id, ids])?;
            if n != wanted {
                return Err(refuse(
                    "Field :case_ids contains one or more invalid cases.",
                ));
            }
            n
        };
        let mut run = run;
        run["id"] = json!(run_id);
        run["url"] = json!(format!("http://localhost/index.php?/runs/view/{run_id}"));
        tx.prepare_cached("UPDATE runs SET data = ?2, untested_count = ?3 WHERE id = ?1")?
            .execute(params![run_id, run.to_string(), made as i64])?;
        let effects = json!([{"entity": "run", "id": run_id, "action": "create"}]);
        journal_row(
            &tx,
            now,
            run_id,
            &format!("add_run/{project_id}"),
            body,
            &effects,
        )?;
        let out = run_json(&tx, run_id)?;
        tx.commit()?;
        Ok(out)
    }

    /// `add_results_for_cases/{run_id}` in one transaction, checking what the store checks: the
    /// run exists and is open, every entry names a case with a test in the run, a known status
    /// other than untested, a valid `elapsed`, something to say; all of them before any write.
    /// Then: a result row each (its JSON, test, run, status, time), each test's latest status,
    /// the run's counts in one update, one journal row with the request body. Answers the new
    /// results in request order.
    pub fn add_results_for_cases(
        &mut self,
        run_id: u64,
        body: &Value,
        now: i64,
    ) -> rusqlite::Result<Vec<Value>> {
        let tx = self.conn.transaction()?;
        let open: Option<i64> = tx
            .prepare_cached("SELECT is_completed FROM runs WHERE id = ?1")?
            .query_row([run_id as i64], |r| r.get(0))
            .optional()?;
        match open {
            None => return Err(refuse("Field :run_id is not a valid test run.")),
            Some(1) => {
                return Err(refuse(
                    "Field :run_id refers to a closed test run (closed runs cannot be edited).",
                ))
            }
            Some(_) => {}
        }
        let entries = match &body["results"] {
            Value::Array(a) if !a.is_empty() => a,
            Value::Array(_) => {
                return Err(refuse(
                    "Field :results cannot be empty (one result is required)",
                ))
            }
            _ => return Err(refuse("Field :results is a required field.")),
        };
        // Validate everything first: a bad entry refuses the whole request.
        let mut tests: HashMap<i64, (i64, i64)> = HashMap::new(); // test id → (before, now)
        let mut rows = Vec::with_capacity(entries.len());
        {
            let mut find = tx.prepare_cached(
                "SELECT id, status_id FROM tests WHERE run_id = ?1 AND case_id = ?2",
            )?;
            let mut known =
                tx.prepare_cached("SELECT 1 FROM refdata WHERE kind = 'statuses' AND id = ?1")?;
            for e in entries {
                let case_id = id_of(&e["case_id"])
                    .ok_or_else(|| refuse("Field :results.case_id is a required field."))?;
                let status = match &e["status_id"] {
                    Value::Null => None,
                    v => match id_of(v) {
                        Some(s)
                            if s != 3 && known.query_row([s], |_| Ok(())).optional()?.is_some() =>
                        {
                            Some(s)
                        }
                        _ => return Err(refuse("Field :results.status_id is not a valid status.")),
                    },
                };
                if let Some(el) = e["elapsed"].as_str() {
                    if !elapsed_ok(el) {
                        return Err(refuse(
                            "Field :results.elapsed is not in a valid time span format.",
                        ));
                    }
                }
                let says = status.is_some()
                    || e["comment"].as_str().is_some_and(|c| !c.is_empty())
                    || !e["assignedto_id"].is_null();
                if !says {
                    return Err(refuse(
                        "Field :results requires a status, comment or assignee.",
                    ));
                }
                let (test_id, before) = find
                    .query_row(params![run_id as i64, case_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?
                    .ok_or_else(|| {
                        refuse(format!(
                            "Field :results contains one or more invalid results (case C{case_id} unknown or not part of the test run)"
                        ))
                    })?;
                tests.entry(test_id).or_insert((before, before));
                rows.push((test_id, case_id, status, e));
            }
        }
        let first: i64 = tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM results", [], |r| {
            r.get(0)
        })?;
        let mut out = Vec::with_capacity(rows.len());
        {
            let mut put = tx.prepare_cached(
                "INSERT INTO results (id, test_id, run_id, status_id, created_on, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, (test_id, _case_id, status, e)) in rows.iter().enumerate() {
                let id = first + i as i64;
                let text = |k: &str| {
                    e.get(k)
                        .filter(|v| v.is_string())
                        .cloned()
                        .unwrap_or(Value::Null)
                };
                let r = json!({
                    "id": id,
                    "test_id": test_id,
                    "status_id": status,
                    "created_on": now,
                    "created_by": 1,
                    "assignedto_id": e.get("assignedto_id").cloned().unwrap_or(Value::Null),
                    "comment": text("comment"),
                    "version": text("version"),
                    "elapsed": text("elapsed"),
                    "defects": text("defects"),
                    "attachment_ids": [],
                });
                put.execute(params![
                    id,
                    test_id,
                    run_id as i64,
                    status,
                    now,
                    r.to_string()
                ])?;
                if let Some(s) = status {
                    if let Some(t) = tests.get_mut(test_id) {
                        t.1 = *s;
                    }
                }
                out.push(r);
            }
        }
        let mut delta = [0i64; 12];
        {
            let mut set = tx.prepare_cached("UPDATE tests SET status_id = ?2 WHERE id = ?1")?;
            for (test_id, (before, after)) in &tests {
                if before != after {
                    set.execute(params![test_id, after])?;
                    delta[(*before - 1) as usize] -= 1;
                    delta[(*after - 1) as usize] += 1;
                }
            }
        }
        let sets: Vec<String> = COUNTS
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = {c} + ?{}", i + 2))
            .collect();
        let mut st = tx.prepare_cached(&format!(
            "UPDATE runs SET {} WHERE id = ?1",
            sets.join(", ")
        ))?;
        let run_key = run_id as i64;
        let mut p: Vec<&dyn rusqlite::ToSql> = vec![&run_key];
        for d in &delta {
            p.push(d);
        }
        st.execute(p.as_slice())?;
        drop(st);
        let effects = Value::Array(
            out.iter()
                .map(|r| json!({"entity": "result", "id": r["id"], "action": "create"}))
                .collect(),
        );
        journal_row(
            &tx,
            now,
            first,
            &format!("add_results_for_cases/{run_id}"),
            body,
            &effects,
        )?;
        tx.commit()?;
        Ok(out)
    }

    /// A `get_tests/{run_id}&limit=L&offset=O` page: the run's tests in id order, each joined
    /// with its case and shown as TestRail shows a test (the case's title, type, priority,
    /// estimate, refs, milestone and custom fields), in the paged wrapper. `next` is null on
    /// the last page.
    pub fn tests_page(&self, run_id: u64, limit: u64, offset: u64) -> rusqlite::Result<Value> {
        // The offset is applied to the tests alone (the `tests_run` index), so the rows skipped
        // cost no case lookup; a join under LIMIT/OFFSET would read every skipped case.
        let mut st = self.conn.prepare_cached(
            "SELECT t.id, t.case_id, t.status_id, t.assignedto_id, c.data FROM \
             (SELECT id, case_id, status_id, assignedto_id FROM tests WHERE run_id = ?1 \
              ORDER BY id LIMIT ?2 OFFSET ?3) t \
             JOIN cases c ON c.id = t.case_id ORDER BY t.id",
        )?;
        let mut rows = st.query(params![run_id as i64, (limit + 1) as i64, offset as i64])?;
        let mut tests = Vec::with_capacity(limit as usize);
        let mut more = false;
        while let Some(r) = rows.next()? {
            if tests.len() as u64 == limit {
                more = true;
                break;
            }
            let case: Value = serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or(Value::Null);
            let mut t = serde_json::Map::new();
            t.insert("id".into(), json!(r.get::<_, i64>(0)?));
            t.insert("case_id".into(), json!(r.get::<_, i64>(1)?));
            t.insert("status_id".into(), json!(r.get::<_, i64>(2)?));
            t.insert("assignedto_id".into(), json!(r.get::<_, Option<i64>>(3)?));
            t.insert("run_id".into(), json!(run_id));
            for k in [
                "title",
                "template_id",
                "type_id",
                "priority_id",
                "estimate",
                "estimate_forecast",
                "refs",
                "milestone_id",
            ] {
                t.insert(k.into(), case.get(k).cloned().unwrap_or(Value::Null));
            }
            if let Value::Object(c) = &case {
                for (k, v) in c.iter().filter(|(k, _)| k.starts_with("custom_")) {
                    t.insert(k.clone(), v.clone());
                }
            }
            t.insert(
                "labels".into(),
                case.get("labels").cloned().unwrap_or(json!([])),
            );
            tests.push(Value::Object(t));
        }
        let link = |o: u64| format!("/api/v2/get_tests/{run_id}&limit={limit}&offset={o}");
        Ok(json!({
            "offset": offset,
            "limit": limit,
            "size": tests.len(),
            "_links": {
                "next": if more { json!(link(offset + limit)) } else { Value::Null },
                "prev": if offset > 0 { json!(link(offset.saturating_sub(limit))) } else { Value::Null },
            },
            "tests": tests,
        }))
    }
}

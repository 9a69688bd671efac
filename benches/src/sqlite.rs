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
        for kind in ["users", "case_types", "priorities", "milestones"] {
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

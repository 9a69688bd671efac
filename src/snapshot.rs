//! Snapshot import: TestRail-shaped JSON loaded as server base state.
//!
//! A snapshot is one JSON object whose keys are the bodies of TestRail's list endpoints:
//! `users`, `case_types`, `priorities`, `case_fields`, `projects`, `templates`, `suites`,
//! `sections`, `milestones`, `cases`. Each may be a bare array (TestRail before 6.7), a paged
//! wrapper (`{"offset", "limit", "size", "_links", "cases": [...]}`), or an array of such pages.
//! `templates` may also be an object keyed by project id (the bodies of `get_templates/{id}`).
//!
//! Imported data is what the server holds, not a local change: nothing is journaled. Every
//! record is parsed and every reference checked before the first write, and the whole import is
//! one transaction, so a bad snapshot changes nothing.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::model::{
    Case, CaseField, CaseType, Milestone, Priority, Project, Section, Suite, Template, User,
};
use crate::tx::Writer;

/// The snapshot format this build writes and reads.
pub const SNAPSHOT_FORMAT: &str = "trailstore-snapshot";
pub const SNAPSHOT_VERSION: u64 = 1;

/// How many records of each kind an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub counts: BTreeMap<&'static str, usize>,
}

impl ImportReport {
    pub fn to_json(&self) -> Value {
        json!(self.counts)
    }

    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }
}

/// The records of one list, whatever form the list came in.
fn items<'a>(snapshot: &'a Value, key: &str) -> Result<Vec<&'a Value>> {
    fn collect<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) -> Result<()> {
        match v {
            Value::Null => Ok(()),
            Value::Array(list) => {
                for item in list {
                    // An array of page wrappers, or an array of records.
                    match item.get(key) {
                        Some(inner)
                            if item.get("_links").is_some() || item.get("size").is_some() =>
                        {
                            collect(inner, key, out)?
                        }
                        _ => out.push(item),
                    }
                }
                Ok(())
            }
            Value::Object(m) => match m.get(key) {
                Some(inner) => collect(inner, key, out),
                None => Err(Error::bad_request(format!(
                    "The snapshot's \"{key}\" is an object without a \"{key}\" list."
                ))),
            },
            _ => Err(Error::bad_request(format!(
                "The snapshot's \"{key}\" must be a list or a page of a list."
            ))),
        }
    }
    let mut out = Vec::new();
    if let Some(v) = snapshot.get(key) {
        collect(v, key, &mut out)?;
    }
    Ok(out)
}

fn parse_all<T>(
    snapshot: &Value,
    key: &'static str,
    parse: impl Fn(&Value) -> Result<T>,
) -> Result<Vec<T>> {
    items(snapshot, key)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            parse(v).map_err(|e| match e {
                Error::Validation { field, message } => Error::Validation {
                    message: format!("{key}[{i}]: {message}"),
                    field,
                },
                other => other,
            })
        })
        .collect()
}

fn dangling(what: &str, id: u64, field: &str, target: u64) -> Error {
    Error::validation(
        field,
        format!("The snapshot's {what} {id} has {field} {target}, which is neither in the snapshot nor in the store."),
    )
}

/// Imports a snapshot through a writer. See the module docs.
pub(crate) fn import(w: &mut Writer<'_>, snapshot: &Value) -> Result<ImportReport> {
    if !snapshot.is_object() {
        return Err(Error::bad_request("A snapshot must be a JSON object."));
    }
    if let Some(f) = snapshot.get("format").and_then(Value::as_str) {
        if f != SNAPSHOT_FORMAT {
            return Err(Error::bad_request(format!(
                "This file is a \"{f}\", not a trailstore snapshot."
            )));
        }
    }
    if let Some(v) = snapshot.get("version").and_then(Value::as_u64) {
        if v > SNAPSHOT_VERSION {
            return Err(Error::Unsupported {
                found: v as u32,
                supported: SNAPSHOT_VERSION as u32,
            });
        }
    }

    let users = parse_all(snapshot, "users", User::from_json)?;
    let case_types = parse_all(snapshot, "case_types", CaseType::from_json)?;
    let priorities = parse_all(snapshot, "priorities", Priority::from_json)?;
    let fields = parse_all(snapshot, "case_fields", CaseField::from_json)?;
    let projects = parse_all(snapshot, "projects", Project::from_json)?;
    let mut suites = parse_all(snapshot, "suites", Suite::from_json)?;
    let mut sections = parse_all(snapshot, "sections", Section::from_json)?;
    let mut milestones = parse_all(snapshot, "milestones", Milestone::from_json)?;
    let mut cases = parse_all(snapshot, "cases", Case::from_json)?;

    // Templates: per project (`{"1": [...]}`) or one list for every project.
    let mut templates: BTreeMap<u64, Template> = BTreeMap::new();
    let all_projects: Vec<u64> = projects.iter().map(|p| p.id).collect();
    let mut add_templates = |list: Vec<Template>, pids: &[u64]| {
        for t in list {
            let entry = templates.entry(t.id).or_insert_with(|| t.clone());
            entry.name = t.name;
            entry.is_default = t.is_default;
            entry.extra = t.extra;
            for pid in pids {
                if !entry.project_ids.contains(pid) {
                    entry.project_ids.push(*pid);
                }
            }
        }
    };
    match snapshot.get("templates") {
        Some(Value::Object(by_project)) if !by_project.contains_key("templates") => {
            for (pid, list) in by_project {
                let pid: u64 = pid.parse().map_err(|_| {
                    Error::bad_request(format!(
                        "The snapshot's templates are keyed by project id; \"{pid}\" is not one."
                    ))
                })?;
                let parsed = match list {
                    Value::Array(l) => l
                        .iter()
                        .map(Template::from_json)
                        .collect::<Result<Vec<_>>>()?,
                    _ => {
                        return Err(Error::bad_request(
                            "The snapshot's templates of a project must be a list.",
                        ))
                    }
                };
                add_templates(parsed, &[pid]);
            }
        }
        Some(_) => {
            let list = parse_all(snapshot, "templates", Template::from_json)?;
            add_templates(list, &all_projects);
        }
        None => {}
    }

    // Check references against the snapshot and what the store already holds.
    let tx = w.tx();
    let project_ids: HashMap<u64, ()> = projects.iter().map(|p| (p.id, ())).collect();
    let mut suite_project: HashMap<u64, u64> = HashMap::new();
    for s in &suites {
        if !project_ids.contains_key(&s.project_id) && !tx.exists::<Project>(s.project_id)? {
            return Err(dangling("suite", s.id, "project_id", s.project_id));
        }
        suite_project.insert(s.id, s.project_id);
    }
    let project_of_suite = |suite_id: u64| -> Result<Option<u64>> {
        if let Some(p) = suite_project.get(&suite_id) {
            return Ok(Some(*p));
        }
        Ok(tx.get::<Suite>(suite_id)?.map(|s| s.project_id))
    };
    let mut section_suite: HashMap<u64, (u64, u64)> = HashMap::new();
    for s in &mut sections {
        s.project_id = project_of_suite(s.suite_id)?
            .ok_or_else(|| dangling("section", s.id, "suite_id", s.suite_id))?;
        section_suite.insert(s.id, (s.suite_id, s.project_id));
    }
    for s in &sections {
        if let Some(p) = s.parent_id {
            let parent_suite = match section_suite.get(&p) {
                Some((suite, _)) => Some(*suite),
                None => tx.get::<Section>(p)?.map(|x| x.suite_id),
            };
            if parent_suite != Some(s.suite_id) {
                return Err(dangling("section", s.id, "parent_id", p));
            }
        }
    }
    for m in &milestones {
        if !project_ids.contains_key(&m.project_id) && !tx.exists::<Project>(m.project_id)? {
            return Err(dangling("milestone", m.id, "project_id", m.project_id));
        }
    }
    for c in &mut cases {
        let (suite, project) = match section_suite.get(&c.section_id) {
            Some(sp) => *sp,
            None => match tx.get::<Section>(c.section_id)? {
                Some(s) => (s.suite_id, s.project_id),
                None => return Err(dangling("case", c.id, "section_id", c.section_id)),
            },
        };
        if suite != c.suite_id {
            return Err(Error::validation(
                "suite_id",
                format!(
                    "The snapshot's case {} has suite_id {} but its section {} is in suite {suite}.",
                    c.id, c.suite_id, c.section_id
                ),
            ));
        }
        c.project_id = project;
    }

    // Write, each kind in id order.
    suites.sort_by_key(|s| s.id);
    sections.sort_by_key(|s| s.id);
    milestones.sort_by_key(|m| m.id);
    cases.sort_by_key(|c| c.id);
    let mut report = ImportReport::default();
    for u in &users {
        w.put(u)?;
    }
    report.counts.insert("users", users.len());
    for t in &case_types {
        w.put(t)?;
    }
    report.counts.insert("case_types", case_types.len());
    for p in &priorities {
        w.put(p)?;
    }
    report.counts.insert("priorities", priorities.len());
    for (_, mut t) in std::mem::take(&mut templates) {
        if let Some(old) = w.tx().get::<Template>(t.id)? {
            for pid in old.project_ids {
                if !t.project_ids.contains(&pid) {
                    t.project_ids.push(pid);
                }
            }
        }
        t.project_ids.sort_unstable();
        w.put(&t)?;
        *report.counts.entry("templates").or_default() += 1;
    }
    for f in &fields {
        w.put(f)?;
    }
    report.counts.insert("case_fields", fields.len());
    for p in &projects {
        w.put(p)?;
    }
    report.counts.insert("projects", projects.len());
    for s in &suites {
        w.put_suite(s)?;
    }
    report.counts.insert("suites", suites.len());
    for m in &milestones {
        w.put_milestone(m)?;
    }
    report.counts.insert("milestones", milestones.len());
    for s in &sections {
        w.put_section(s)?;
    }
    report.counts.insert("sections", sections.len());
    for c in &cases {
        let old = w.tx().get::<Case>(c.id)?;
        w.put_case(c, old.as_ref())?;
    }
    report.counts.insert("cases", cases.len());
    Ok(report)
}

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
//!
//! A case or section with local changes not yet pushed is merged field by field rather than
//! overwritten (sync-and-reliability.md §3): the value each field had before the first pending
//! local change (the journal keeps it) is the base; a field only the server changed takes the
//! server's value, a field only changed locally keeps the local one, and a field both changed to
//! different values keeps the local value and records a conflict with all three. A record
//! deleted locally and not yet pushed stays deleted.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Value};

use crate::conflicts::{same, Conflict, DELETED};
use crate::error::{Error, Result};
use crate::journal::{Action, PushState};
use crate::model::{
    Case, CaseField, CaseOf, CaseType, CaseView, Config, ConfigGroup, Json, Kind, Milestone, Plan,
    Priority, Project, ResultField, Run, Section, Status, Suite, Template, Test, TestResult, User,
};
use crate::search::{SearchIndex, STAGE_MIN};
use crate::tables::{self, meta};
use crate::tx::{Tx, Writer};

/// The snapshot format this build writes and reads.
pub const SNAPSHOT_FORMAT: &str = "trailstore-snapshot";
pub const SNAPSHOT_VERSION: u64 = 1;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Records of each kind in the snapshot.
    pub counts: BTreeMap<&'static str, usize>,
    /// Cases that were not in the store before.
    pub cases_new: usize,
    /// Cases whose stored copy changed.
    pub cases_changed: usize,
    /// Fields changed on both sides to different values (recorded as conflicts).
    pub conflicts: usize,
}

impl ImportReport {
    pub fn to_json(&self) -> Value {
        json!({
            "counts": self.counts,
            "cases_new": self.cases_new,
            "cases_changed": self.cases_changed,
            "conflicts": self.conflicts,
        })
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

/// On a store whose reference data are still `init`'s defaults, a snapshot that brings a list
/// replaces that list whole: the server is the truth, and a default it does not have must not
/// stay valid. The first such import ends the defaults.
fn replace_defaults(w: &mut Writer<'_>, snapshot: &Value) -> Result<()> {
    if w.tx().meta_u64(meta::REFERENCE_DEFAULTS)? != Some(1) {
        return Ok(());
    }
    // An empty list says nothing (a server that would not list its users answers none).
    let has = |key: &str| {
        snapshot
            .get(key)
            .is_some_and(|v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
    };
    let mut replaced = false;
    macro_rules! replace {
        ($key:literal, $ty:ty) => {
            if has($key) {
                w.clear::<$ty>()?;
                replaced = true;
            }
        };
    }
    replace!("users", User);
    replace!("statuses", Status);
    replace!("result_fields", ResultField);
    replace!("case_types", CaseType);
    replace!("priorities", Priority);
    replace!("templates", Template);
    replace!("case_fields", CaseField);
    if replaced {
        w.set_meta_u64(meta::REFERENCE_DEFAULTS, 0)?;
    }
    Ok(())
}

fn parse_all<T>(
    snapshot: &Value,
    key: &'static str,
    parse: impl Fn(&Value) -> Result<T>,
) -> Result<Vec<T>> {
    items(snapshot, key)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| parse(v).map_err(|e| in_list(key, i, e)))
        .collect()
}

/// Names the list and position of the record a validation error is about.
fn in_list(key: &str, i: usize, e: Error) -> Error {
    match e {
        Error::Validation { field, message } => Error::Validation {
            message: format!("{key}[{i}]: {message}"),
            field,
        },
        other => other,
    }
}

/// The snapshot's cases, parsed one at a time as they are written: an import holds one case
/// at a time rather than all of them (at 100,000 cases, hundreds of megabytes next to the
/// snapshot itself).
struct SnapshotCases<'a> {
    items: Vec<&'a Value>,
    /// Ids and positions in `items`, in id order, each id once.
    order: Vec<(u64, usize)>,
    /// Suite and project of each section the snapshot brings.
    section_suite: HashMap<u64, (u64, u64)>,
}

impl<'a> SnapshotCases<'a> {
    /// Orders the cases by id; overlapping pages may list a case twice, and the later copy
    /// wins. A case without a numeric id is parsed at once, for its error.
    fn new(snapshot: &'a Value) -> Result<SnapshotCases<'a>> {
        let items = items(snapshot, "cases")?;
        let mut keyed = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            let id = match v.get("id").and_then(Value::as_u64) {
                Some(id) => id,
                None => Case::from_json(v).map_err(|e| in_list("cases", i, e))?.id,
            };
            keyed.push((id, std::cmp::Reverse(i)));
        }
        keyed.sort_unstable();
        keyed.dedup_by_key(|(id, _)| *id);
        let order = keyed.into_iter().map(|(id, i)| (id, i.0)).collect();
        Ok(SnapshotCases {
            items,
            order,
            section_suite: HashMap::new(),
        })
    }

    fn len(&self) -> usize {
        self.order.len()
    }

    fn id(&self, n: usize) -> u64 {
        self.order[n].0
    }

    /// How many of the cases have ids up to `id`.
    fn up_to(&self, id: u64) -> usize {
        self.order.partition_point(|&(c, _)| c <= id)
    }

    /// The `n`-th case in id order, parsed and checked against its section: the section must
    /// exist (in the snapshot or the store) and be in the case's suite, whose project the case
    /// takes. As a [`CaseView`] its text is borrowed from the snapshot.
    fn case<S: From<&'a str> + AsRef<str>>(&self, tx: &Tx<'_>, n: usize) -> Result<CaseOf<S>> {
        let i = self.order[n].1;
        let mut c = CaseOf::<S>::parse(self.items[i]).map_err(|e| in_list("cases", i, e))?;
        let (suite, project) = match self.section_suite.get(&c.section_id) {
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
        Ok(c)
    }
}

fn dangling(what: &str, id: u64, field: &str, target: u64) -> Error {
    Error::validation(
        field,
        format!("The snapshot's {what} {id} has {field} {target}, which is neither in the snapshot nor in the store."),
    )
}

/// Imports a snapshot through a writer. See the module docs.
///
/// With `index`, an import of [`crate::search::STAGE_MIN`] cases or more stages their search
/// documents as it writes them and sets `*staged` (the caller commits or unstages them).
pub(crate) fn import(
    w: &mut Writer<'_>,
    snapshot: &Value,
    index: Option<&SearchIndex>,
    staged: &mut bool,
) -> Result<ImportReport> {
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
    let statuses = parse_all(snapshot, "statuses", Status::from_json)?;
    let result_fields = parse_all(snapshot, "result_fields", ResultField::from_json)?;
    let case_types = parse_all(snapshot, "case_types", CaseType::from_json)?;
    let priorities = parse_all(snapshot, "priorities", Priority::from_json)?;
    let fields = parse_all(snapshot, "case_fields", CaseField::from_json)?;
    let projects = parse_all(snapshot, "projects", Project::from_json)?;
    let mut suites = parse_all(snapshot, "suites", Suite::from_json)?;
    let mut sections = parse_all(snapshot, "sections", Section::from_json)?;
    let mut milestones = parse_all(snapshot, "milestones", Milestone::from_json)?;
    let mut cases = SnapshotCases::new(snapshot)?;
    let run_side = RunSide::parse(snapshot)?;

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
    let section_suite = &mut cases.section_suite;
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

    // Write, each kind in id order.
    suites.sort_by_key(|s| s.id);
    sections.sort_by_key(|s| s.id);
    milestones.sort_by_key(|m| m.id);
    let mut report = ImportReport::default();
    replace_defaults(w, snapshot)?;
    for s in &statuses {
        w.put(s)?;
    }
    if !statuses.is_empty() {
        report.counts.insert("statuses", statuses.len());
    }
    for f in &result_fields {
        w.put(f)?;
    }
    if !result_fields.is_empty() {
        report.counts.insert("result_fields", result_fields.len());
    }
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
    let pending = PendingLocal::load(&w.tx())?;
    let now = crate::clock::now();
    for s in &sections {
        let key = (Kind::Section, s.id);
        if pending.deleted.contains(&key) {
            continue;
        }
        let old = w.tx().get::<Section>(s.id)?;
        let section = match (&old, pending.bases.get(&key)) {
            (Some(local), Some(bases)) => {
                let merged = merge(
                    &local.to_json(),
                    &s.to_json(),
                    bases,
                    Kind::Section,
                    s.id,
                    now,
                    w,
                    &mut report,
                )?;
                let mut m = Section::from_json(&merged)?;
                m.project_id = s.project_id;
                m
            }
            _ => s.clone(),
        };
        if old.as_ref() != Some(&section) {
            w.put_section(&section)?;
        }
    }
    report.counts.insert("sections", sections.len());
    train_dictionary(w, &cases)?;
    // Cases above every id the store holds (all of them in a first import or pull, the later
    // chunks of a large one) are new: nothing to look up or merge, and no search document to
    // replace. The others are compared with what the store holds.
    let last = w.tx().last_id::<Case>()?;
    let known = last.map_or(0, |id| cases.up_to(id));
    let stage = index.filter(|_| cases.len() >= STAGE_MIN);
    // The custom fields as this transaction has them (the import may have added some).
    let stage_fields = match stage {
        Some(_) => w.tx().all::<CaseField>()?,
        None => Vec::new(),
    };
    let mut stager = match stage {
        Some(index) => index.begin_stage(&stage_fields)?,
        None => None,
    };
    *staged = stager.is_some();
    let total = cases.len();
    let deleted = |n: usize| pending.deleted.contains(&(Kind::Case, cases.id(n)));
    for n in 0..known {
        if deleted(n) {
            continue;
        }
        let c = cases.case(&w.tx(), n)?;
        let key = (Kind::Case, c.id);
        let old = w.tx().get::<Case>(c.id)?;
        let case = match (&old, pending.bases.get(&key)) {
            (Some(local), Some(bases)) => {
                let merged = merge(
                    &local.to_json(&[]),
                    &c.to_json(&[]),
                    bases,
                    Kind::Case,
                    c.id,
                    now,
                    w,
                    &mut report,
                )?;
                let mut m = Case::from_json(&merged)?;
                m.project_id = c.project_id;
                m.updated_on = m.updated_on.max(local.updated_on);
                m
            }
            _ => c,
        };
        match &old {
            None => report.cases_new += 1,
            Some(o) if *o == case => continue,
            Some(_) => report.cases_changed += 1,
        }
        w.put_case(&case, old.as_ref())?;
        if old.is_none() {
            crate::runs::cases_pulled(w, case.suite_id, &[case.id])?;
        }
        if let Some(stager) = stager.as_mut() {
            stager.add(&w.tx(), &case, false)?;
        }
    }
    // Only cases deleted here (and not pushed yet) stay out of the new ones.
    let mut by_suite: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    report.cases_new += w.put_new_cases(
        total - known,
        |tx, k| match deleted(known + k) {
            true => Ok(None),
            false => cases.case::<&str>(tx, known + k).map(Some),
        },
        |tx, case: &CaseView<'_>| {
            by_suite.entry(case.suite_id).or_default().push(case.id);
            match stager.as_mut() {
                Some(stager) => stager.add(tx, case, true),
                None => Ok(()),
            }
        },
    )?;
    for (suite, ids) in by_suite {
        crate::runs::cases_pulled(w, suite, &ids)?;
    }
    report.counts.insert("cases", total);
    run_side.write(w, &mut report)?;
    import_attachments(w, snapshot, &mut report)?;
    if report.conflicts > 0 {
        hold_conflicted_entries(w)?;
    }
    Ok(report)
}

/// What a journal entry held back by a conflict found at pull says.
const HELD_BY_PULL: &str =
    "changed here and on the server (found by pull); resolve it with x_resolve_conflict";

/// Puts the pending journal entries of every entity with an open conflict into the conflict
/// state, as push does when it meets one: push leaves them alone instead of comparing them with
/// the server again, and resolving the entity's last conflict makes them pending again
/// ([`crate::conflicts::resolve`]). Entries in flight or blocked keep their state: push's own
/// rules decide those.
fn hold_conflicted_entries(w: &mut Writer<'_>) -> Result<()> {
    let tx = w.tx();
    let mut held: HashSet<(Kind, u64)> = HashSet::new();
    for c in tx.conflicts()? {
        if let Some(local) = tx.local_alias(c.kind, c.id)? {
            held.insert((c.kind, local));
        }
        held.insert((c.kind, c.id));
    }
    let mut entries = Vec::new();
    tx.for_each_journal_entry(0, |e| {
        if e.state == PushState::Pending && e.effects.iter().any(|f| held.contains(&(f.kind, f.id)))
        {
            entries.push(e);
        }
        Ok(true)
    })?;
    for mut e in entries {
        e.state = PushState::Conflict {
            detail: HELD_BY_PULL.into(),
        };
        w.update_journal(&e)?;
    }
    Ok(())
}

/// Cases an import must bring for the store to train its record dictionary on them.
const DICTIONARY_MIN: usize = 256;

/// Trains the store's record dictionary on the cases of its first import that brings
/// [`DICTIONARY_MIN`] or more (a sample of them, spread over the import), so that they and every
/// record written after them are packed with it (see [`crate::codec`]). Text from the same
/// server repeats across its cases (field names, words, step layouts), which is what a
/// dictionary holds: on the benchmark's cases, 1.22 KB a case packs to 0.45 KB with one and to
/// 0.73 KB without.
fn train_dictionary(w: &mut Writer<'_>, cases: &SnapshotCases<'_>) -> Result<()> {
    if cases.len() < DICTIONARY_MIN || w.tx().meta_u64(meta::RECORD_DICTIONARY)?.is_some() {
        return Ok(());
    }
    let step = cases.len().div_ceil(crate::codec::TRAIN_SAMPLES).max(1);
    let tx = w.tx();
    let samples = (0..cases.len())
        .step_by(step)
        .map(|n| crate::codec::payload(&cases.case::<&str>(&tx, n)?))
        .collect::<Result<Vec<_>>>()?;
    match crate::codec::train(&samples) {
        Some(dict) => w.set_record_dictionary(&dict),
        None => Ok(()),
    }
}

/// The snapshot's `attachments`: bodies of `get_attachments_for_*` (pre-7.1 items with
/// `case_id`, or 7.1+ ones with `entity_type` and `entity_id`), metadata only. The list of an
/// owner is all of its attachments on the server: one the store has from the server and the
/// list lacks is gone; one added here and not pushed stays. Bytes already in the store are
/// kept (see [`crate::remote::pull`], which brings them).
fn import_attachments(
    w: &mut Writer<'_>,
    snapshot: &Value,
    report: &mut ImportReport,
) -> Result<()> {
    use crate::model::{AttachedTo, Attachment};
    let list = items(snapshot, "attachments")?;
    if list.is_empty() {
        return Ok(());
    }
    let mut by_owner: BTreeMap<(AttachedTo, u64), Vec<Attachment>> = BTreeMap::new();
    for (i, v) in list.into_iter().enumerate() {
        let bad = || {
            Error::validation(
                "entity_id",
                format!("The snapshot's attachments[{i}] names no case, result, run or plan."),
            )
        };
        let id_of = |k: &str| {
            v.get(k).and_then(|x| {
                x.as_u64()
                    .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
            })
        };
        let (entity, owner) = match v.get("entity_type").and_then(Value::as_str) {
            Some(t) => (
                AttachedTo::from_name(t).ok_or_else(bad)?,
                id_of("entity_id").ok_or_else(bad)?,
            ),
            None => (AttachedTo::Case, id_of("case_id").ok_or_else(bad)?),
        };
        let exists = match entity {
            AttachedTo::Case => w.tx().exists::<Case>(owner)?,
            AttachedTo::Result => w.tx().exists::<TestResult>(owner)?,
            AttachedTo::Run => w.tx().exists::<Run>(owner)?,
            AttachedTo::Plan | AttachedTo::PlanEntry => w.tx().exists::<Plan>(owner)?,
        };
        if !exists {
            return Err(dangling("attachment", i as u64, "entity_id", owner));
        }
        let mut a = Attachment::from_json(v, entity, owner)?;
        if entity == AttachedTo::Case {
            a.case_id = Some(owner);
        }
        by_owner.entry((entity, owner)).or_default().push(a);
    }
    let mut count = 0;
    for ((entity, owner), listed) in by_owner {
        let ids: HashSet<u64> = listed.iter().map(|a| a.id).collect();
        for old in w.tx().attachments_of(entity, owner)? {
            if !crate::model::is_local_id(old.id) && !ids.contains(&old.id) {
                w.delete_attachment(&old)?;
            }
        }
        for mut a in listed {
            match w.tx().get::<Attachment>(a.id)? {
                Some(old) => {
                    a.sha256 = old.sha256.clone();
                    if a != old {
                        w.update_attachment(&old, &a)?;
                    }
                }
                None => w.put_new_attachment(&a)?,
            }
            count += 1;
        }
    }
    report.counts.insert("attachments", count);
    Ok(())
}

/// The run side of a snapshot: configurations (`configs`, the bodies of `get_configs`), plans
/// (`plans`, bodies of `get_plan`, whose entries carry their runs), runs (`runs`), tests
/// (`tests`) and results (`results`). A run's tests in the snapshot are all of its tests: one
/// the store has and the snapshot does not is gone from the server, unless it holds local
/// results not yet pushed. A test with local results keeps the status they gave it.
struct RunSide {
    groups: Vec<(ConfigGroup, Vec<Config>)>,
    plans: Vec<Plan>,
    runs: Vec<Run>,
    tests: Vec<Test>,
    results: Vec<Value>,
}

impl RunSide {
    fn parse(snapshot: &Value) -> Result<RunSide> {
        let mut groups = Vec::new();
        for g in items(snapshot, "configs")? {
            let group = ConfigGroup::from_json(g)?;
            let mut configs = Vec::new();
            if let Some(Value::Array(list)) = g.get("configs") {
                for c in list {
                    configs.push(Config::from_json(c, group.id)?);
                }
            }
            groups.push((group, configs));
        }
        let mut plans = parse_all(snapshot, "plans", Plan::from_json)?;
        let mut runs = parse_all(snapshot, "runs", Run::from_json)?;
        for (p, v) in plans.iter_mut().zip(items(snapshot, "plans")?) {
            for e in v
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
                    let mut run = Run::from_json(r)?;
                    run.plan_id = Some(p.id);
                    if run.project_id == 0 {
                        run.project_id = p.project_id;
                    }
                    if !runs.iter().any(|x: &Run| x.id == run.id) {
                        runs.push(run);
                    }
                }
            }
        }
        let tests = parse_all(snapshot, "tests", Test::from_json)?;
        let results = items(snapshot, "results")?.into_iter().cloned().collect();
        Ok(RunSide {
            groups,
            plans,
            runs,
            tests,
            results,
        })
    }

    fn write(self, w: &mut Writer<'_>, report: &mut ImportReport) -> Result<()> {
        let tx = w.tx();
        for (g, configs) in &self.groups {
            if !tx.exists::<Project>(g.project_id)? {
                return Err(dangling(
                    "configuration group",
                    g.id,
                    "project_id",
                    g.project_id,
                ));
            }
            w.put_config_group(g)?;
            for c in configs {
                w.put_config(c)?;
            }
        }
        if !self.groups.is_empty() {
            report.counts.insert("configs", self.groups.len());
        }
        // A run or plan changed here and not pushed yet keeps its local fields (the server's
        // only news that matters then is that it closed); one deleted here stays deleted.
        let pending = PendingLocal::load(&w.tx())?;
        let mut runs = BTreeMap::new();
        for mut run in self.runs {
            if pending.deleted.contains(&(Kind::Run, run.id)) {
                continue;
            }
            if pending.bases.contains_key(&(Kind::Run, run.id)) {
                if let Some(local) = w.tx().get::<Run>(run.id)? {
                    let (closed, on) = (run.is_completed, run.completed_on);
                    run = local;
                    if closed && !run.is_completed {
                        run.is_completed = true;
                        run.completed_on = on;
                    }
                }
            }
            if run.project_id == 0 {
                run.project_id = tx.get::<Suite>(run.suite_id)?.map_or(0, |s| s.project_id);
            }
            if !w.tx().exists::<Project>(run.project_id)? {
                return Err(dangling("run", run.id, "project_id", run.project_id));
            }
            if let Some(old) = w.tx().get::<Run>(run.id)? {
                run.counts = old.counts;
            }
            runs.insert(run.id, run);
        }
        // Tests by run; each run's tests in the snapshot replace the server tests it had.
        let mut by_run: BTreeMap<u64, Vec<Test>> = BTreeMap::new();
        for t in self.tests {
            if !runs.contains_key(&t.run_id) && !w.tx().exists::<Run>(t.run_id)? {
                return Err(dangling("test", t.id, "run_id", t.run_id));
            }
            by_run.entry(t.run_id).or_default().push(t);
        }
        let test_count: usize = by_run.values().map(Vec::len).sum();
        for (run_id, tests) in &by_run {
            if pending.deleted.contains(&(Kind::Run, *run_id)) {
                continue;
            }
            if let Some(run) = w.tx().get::<Run>(*run_id)? {
                runs.entry(*run_id).or_insert(run);
            }
            let keep: HashSet<u64> = tests.iter().map(|t| t.id).collect();
            let mut gone = Vec::new();
            w.tx().for_each_run_test(*run_id, 0, |old| {
                if !keep.contains(&old.id) && !crate::model::is_local_id(old.id) {
                    gone.push(old);
                }
                Ok(true)
            })?;
            let mut kept = Vec::new();
            for old in gone {
                let local_results = w
                    .tx()
                    .test_result_ids(old.run_id, old.id)?
                    .into_iter()
                    .any(crate::model::is_local_id);
                if !local_results {
                    kept.push(old);
                }
            }
            w.delete_tests(&kept)?;
            let mut tests = tests.clone();
            for t in &mut tests {
                let has_local = w
                    .tx()
                    .test_result_ids(t.run_id, t.id)?
                    .into_iter()
                    .any(crate::model::is_local_id);
                if has_local {
                    t.status_id = crate::runs::status_from_results(&w.tx(), t.run_id, t.id)?;
                }
            }
            w.put_tests(&tests)?;
        }
        // Results, for tests of the snapshot or of the store.
        let mut result_count = 0;
        for (i, v) in self.results.iter().enumerate() {
            let test_id = v.get("test_id").and_then(Value::as_u64).unwrap_or(0);
            let test = w.tx().test(test_id)?.ok_or_else(|| {
                Error::validation(
                    "test_id",
                    format!("The snapshot's results[{i}] has test_id {test_id}, which is neither in the snapshot nor in the store."),
                )
            })?;
            let r = TestResult::from_json(v, test.run_id, test.case_id)?;
            w.put_new_results(&[r])?;
            result_count += 1;
        }
        // Counts follow the tests as they now stand.
        for run in runs.values_mut() {
            let mut counts = crate::model::StatusCounts::default();
            w.tx().for_each_run_test(run.id, 0, |t| {
                counts.add(t.status_id, 1);
                Ok(true)
            })?;
            run.counts = counts;
            w.put_run(run)?;
        }
        let run_count = runs.len();
        for mut plan in self.plans {
            if pending.deleted.contains(&(Kind::Plan, plan.id)) {
                continue;
            }
            if pending.bases.contains_key(&(Kind::Plan, plan.id)) {
                if let Some(local) = w.tx().get::<Plan>(plan.id)? {
                    plan = local;
                }
            }
            let mut counts = crate::model::StatusCounts::default();
            for e in &plan.entries {
                for r in w.tx().get_many::<Run>(&e.runs)?.into_iter().flatten() {
                    counts.merge(&r.counts, 1);
                }
            }
            plan.counts = counts;
            w.put_plan(&plan)?;
            *report.counts.entry("plans").or_default() += 1;
        }
        if run_count > 0 {
            report.counts.insert("runs", run_count);
        }
        if test_count > 0 {
            report.counts.insert("tests", test_count);
        }
        if result_count > 0 {
            report.counts.insert("results", result_count);
        }
        Ok(())
    }
}

/// Local changes not yet on the server, from the journal.
pub(crate) struct PendingLocal {
    /// For each entity, each locally changed field's value before the first pending change.
    pub bases: HashMap<(Kind, u64), BTreeMap<String, Option<Json>>>,
    /// Entities deleted locally.
    pub deleted: HashSet<(Kind, u64)>,
}

impl PendingLocal {
    pub fn load(tx: &Tx<'_>) -> Result<PendingLocal> {
        let mut out = PendingLocal {
            bases: HashMap::new(),
            deleted: HashSet::new(),
        };
        tx.for_each_journal_entry(0, |e| {
            if matches!(e.state, PushState::Done { .. }) {
                return Ok(true);
            }
            for eff in e.effects {
                let key = (eff.kind, eff.id);
                match eff.action {
                    Action::Delete => {
                        out.deleted.insert(key);
                    }
                    // Created locally: no server copy to merge with.
                    Action::Create => {}
                    Action::Update | Action::Move => {
                        let fields = out.bases.entry(key).or_default();
                        for c in eff.changes {
                            fields.entry(c.field).or_insert(c.old);
                        }
                    }
                }
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// Whether an entity has local changes that are not on the server.
    pub fn touches(&self, kind: Kind, id: u64) -> bool {
        self.bases.contains_key(&(kind, id)) || self.deleted.contains(&(kind, id))
    }
}

/// Merges a server record into a local one with pending changes (see the module docs), recording
/// conflicts. Both records are given as TestRail JSON.
#[allow(clippy::too_many_arguments)]
fn merge(
    local: &Value,
    server: &Value,
    bases: &BTreeMap<String, Option<Json>>,
    kind: Kind,
    id: u64,
    now: i64,
    w: &mut Writer<'_>,
    report: &mut ImportReport,
) -> Result<Value> {
    let mut merged = server.clone();
    for (field, base) in bases {
        let l = local.get(field).map(Json::from);
        let s = server.get(field).map(Json::from);
        if same(s.as_ref(), base.as_ref()) || same(s.as_ref(), l.as_ref()) {
            // Only the local side changed it (or both agree): keep the local value.
        } else {
            w.put_conflict(&Conflict {
                kind,
                id,
                field: field.clone(),
                base: base.clone(),
                local: l.clone().filter(|v| !v.is_null()),
                server: s.filter(|v| !v.is_null()),
                detected_on: now,
                source: "pull".into(),
            })?;
            report.conflicts += 1;
        }
        match local.get(field) {
            Some(v) => merged[field.as_str()] = v.clone(),
            None => {
                if let Some(m) = merged.as_object_mut() {
                    m.remove(field);
                }
            }
        }
    }
    Ok(merged)
}

/// Entities a pull found deleted on the server.
#[derive(Debug, Default, Clone)]
pub(crate) struct ServerDeletions {
    pub cases: Vec<u64>,
    pub sections: Vec<u64>,
    pub suites: Vec<u64>,
    pub projects: Vec<u64>,
    pub milestones: Vec<u64>,
}

/// Applies deletions found on the server. An entity with pending local changes, or that still
/// holds something local, is kept and a `deleted` conflict recorded. Returns (deleted,
/// conflicts).
pub(crate) fn apply_deletions(w: &mut Writer<'_>, del: &ServerDeletions) -> Result<(usize, usize)> {
    let pending = PendingLocal::load(&w.tx())?;
    let now = crate::clock::now();
    let mut deleted = 0;
    let mut conflicts = 0;
    let mut keep = |w: &mut Writer<'_>, kind: Kind, id: u64, local: Option<Json>| -> Result<()> {
        conflicts += 1;
        w.put_conflict(&Conflict {
            kind,
            id,
            field: DELETED.into(),
            base: None,
            local,
            server: None,
            detected_on: now,
            source: "pull".into(),
        })
    };
    for id in &del.cases {
        let Some(case) = w.tx().get::<Case>(*id)? else {
            continue;
        };
        if pending.touches(Kind::Case, *id) {
            keep(w, Kind::Case, *id, Some(Json::Str(case.title.clone())))?;
        } else {
            w.delete_case(&case)?;
            crate::cascade::case_deleted(w, &case)?;
            deleted += 1;
        }
    }
    // Deepest sections first, so a parent is empty when its turn comes.
    let mut sections: Vec<Section> = Vec::new();
    for id in &del.sections {
        if let Some(s) = w.tx().get::<Section>(*id)? {
            sections.push(s);
        }
    }
    sections.sort_by_key(|s| std::cmp::Reverse(s.depth));
    for s in sections {
        let tx = w.tx();
        let has_cases = !tx.children(tables::SECTION_CASES, s.id)?.is_empty();
        let has_children = tx
            .children(tables::SUITE_SECTIONS, s.suite_id)?
            .into_iter()
            .filter(|c| *c != s.id)
            .map(|c| tx.get::<Section>(c))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .any(|c| c.parent_id == Some(s.id));
        if has_cases || has_children || pending.touches(Kind::Section, s.id) {
            keep(w, Kind::Section, s.id, Some(Json::Str(s.name.clone())))?;
        } else {
            w.delete_section(&s)?;
            deleted += 1;
        }
    }
    for id in &del.suites {
        let Some(suite) = w.tx().get::<Suite>(*id)? else {
            continue;
        };
        if !w
            .tx()
            .children(tables::SUITE_SECTIONS, suite.id)?
            .is_empty()
        {
            keep(
                w,
                Kind::Suite,
                suite.id,
                Some(Json::Str(suite.name.clone())),
            )?;
        } else {
            w.delete_suite(&suite)?;
            deleted += 1;
        }
    }
    for id in &del.milestones {
        if let Some(m) = w.tx().get::<Milestone>(*id)? {
            w.delete_milestone(&m)?;
            deleted += 1;
        }
    }
    for id in &del.projects {
        let Some(p) = w.tx().get::<Project>(*id)? else {
            continue;
        };
        if !w.tx().children(tables::PROJECT_SUITES, p.id)?.is_empty() {
            keep(w, Kind::Project, p.id, Some(Json::Str(p.name.clone())))?;
        } else {
            for mid in w.tx().children(tables::PROJECT_MILESTONES, p.id)? {
                if let Some(m) = w.tx().get::<Milestone>(mid)? {
                    w.delete_milestone(&m)?;
                }
            }
            w.remove::<Project>(p.id)?;
            deleted += 1;
        }
    }
    if conflicts > 0 {
        hold_conflicted_entries(w)?;
    }
    Ok((deleted, conflicts))
}

//! Planning a push: journal entries become the operations to send, in journal order, with later
//! edits folded into earlier calls and case deletes grouped. Pure functions of the entries: no
//! server, no store.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::api::{Method, Request};
use crate::error::{Error, Result};
use crate::journal::{Action, Change, Effect, JournalEntry, PushState};
use crate::model::{Json, Kind};

/// Field → (base, new) of an update; the base is what the server is compared with.
pub(super) type Changes = BTreeMap<String, (Option<Json>, Option<Json>)>;

/// The server call an operation makes.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Call {
    Create {
        kind: Kind,
        local: u64,
        /// The route's method and its path ids (e.g. add_case's section).
        method: Method,
        path: Vec<(Kind, u64)>,
        body: Map<String, Value>,
        /// add_project in single-suite mode: the local master suite the server makes itself.
        master_suite: Option<u64>,
    },
    Update {
        kind: Kind,
        id: u64,
        changes: Changes,
    },
    UpdateCases {
        suite: u64,
        cases: Vec<(u64, Changes)>,
    },
    MoveSection {
        id: u64,
        parent: Option<u64>,
        after: Option<u64>,
    },
    MoveCases {
        section: u64,
        suite: u64,
        ids: Vec<u64>,
    },
    Delete {
        kind: Kind,
        id: u64,
        suite: Option<u64>,
    },
    DeleteCases {
        suite: Option<u64>,
        ids: Vec<u64>,
    },
    /// Cancelled out (an add then a delete): nothing to send.
    Nothing,
    /// A plan, an entry of one, or a run of an entry: the answer names the server's entries and
    /// runs, matched with `runs` (made here) by entry and configurations. `local` is the plan.
    CreatePlan {
        local: u64,
        method: Method,
        path: Vec<(Kind, u64)>,
        entry: Option<String>,
        body: Map<String, Value>,
        runs: Vec<PlanRun>,
    },
    /// New results of one run, sent as one `add_results_for_cases`.
    Results {
        run: u64,
        items: Vec<ResultItem>,
    },
    /// An attachment's bytes, uploaded to its owner once the owner is on the server.
    Upload {
        local: u64,
        method: Method,
        path: Vec<(Kind, u64)>,
        entry: Option<String>,
    },
    /// A write replayed as its route, ids translated when sent; a delete of what is gone is
    /// done.
    Replay {
        method: Method,
        path: Vec<(Kind, u64)>,
        entry: Option<String>,
        body: Map<String, Value>,
        delete: bool,
    },
}

/// A run a plan create made here: to be matched with the server's by entry and configurations.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PlanRun {
    pub(super) local: u64,
    /// The entry's GUID here.
    pub(super) entry: Option<String>,
    pub(super) config_ids: Vec<u64>,
}

/// One result of a [`Call::Results`]: the entry it came from, its id here and what is sent.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ResultItem {
    pub(super) seq: u64,
    pub(super) local: u64,
    pub(super) body: Map<String, Value>,
}

/// One planned operation: a call and the journal entries it settles.
#[derive(Debug, Clone)]
pub(super) struct Op {
    pub(super) seqs: Vec<u64>,
    pub(super) op_id: String,
    pub(super) call: Call,
    /// The entities the call refers to, for coalescing.
    pub(super) touches: Vec<(Kind, u64)>,
    /// An earlier push sent (or may have sent) it and never learned the outcome.
    pub(super) in_flight: bool,
}

/// A positive id held in a change value.
pub(super) fn json_id(v: Option<&Json>) -> Option<u64> {
    v.and_then(Json::as_i64)
        .filter(|i| *i > 0)
        .map(|i| i as u64)
}

fn new_values(changes: &[Change], skip: &[&str]) -> Map<String, Value> {
    changes
        .iter()
        .filter(|c| !skip.contains(&c.field.as_str()))
        .map(|c| {
            (
                c.field.clone(),
                c.new.as_ref().map_or(Value::Null, Json::to_value),
            )
        })
        .collect()
}

fn change_map(changes: &[Change]) -> Changes {
    changes
        .iter()
        .map(|c| (c.field.clone(), (c.old.clone(), c.new.clone())))
        .collect()
}

fn change<'e>(e: &'e Effect, field: &str) -> Option<&'e Change> {
    e.changes.iter().find(|c| c.field == field)
}

/// The id an effect set `field` to.
fn new_id(e: &Effect, field: &str) -> Option<u64> {
    change(e, field).and_then(|c| json_id(c.new.as_ref()))
}

/// The id `field` held before an effect.
fn old_id(e: &Effect, field: &str) -> Option<u64> {
    change(e, field).and_then(|c| json_id(c.old.as_ref()))
}

fn op(entry: &JournalEntry, call: Call, touches: Vec<(Kind, u64)>) -> Op {
    Op {
        seqs: vec![entry.seq],
        op_id: entry.op_id.clone(),
        call,
        touches,
        in_flight: matches!(entry.state, PushState::InFlight { .. }),
    }
}

/// Turns a journal entry into operations (before coalescing).
pub(super) fn ops_of(entry: &JournalEntry) -> Result<Vec<Op>> {
    let req = Request::parse(&entry.route, None)?;
    let body = match entry.body.to_value() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let first = entry.effects.first();
    if let Some(ops) = super::plan_runs::ops_of(entry, &req, &body) {
        return Ok(ops);
    }
    use Method::*;
    Ok(match req.method {
        AddProject | AddSuite | AddSection | AddCase | CopyCasesToSection | AddCaseField => {
            creates(entry, &req, &body)
        }
        UpdateProject | UpdateSuite | UpdateSection | UpdateCase => {
            first.map(|e| update(entry, e)).into_iter().collect()
        }
        UpdateCases => update_cases(entry, &req),
        MoveSection => first.map(|e| move_section(entry, e)).into_iter().collect(),
        MoveCasesToSection => move_cases(entry, &req, &body).into_iter().collect(),
        DeleteCase | DeleteSection | DeleteSuite | DeleteProject => {
            first.map(|e| delete(entry, e)).into_iter().collect()
        }
        DeleteCases => vec![delete_cases(entry, &req)],
        other => {
            return Err(Error::internal(format!(
                "journal entry {} has a route push cannot replay: {}",
                entry.seq,
                other.name()
            )))
        }
    })
}

/// One create per entity an add or copy made, except the master suite the server makes with a
/// project.
fn creates(entry: &JournalEntry, req: &Request, entry_body: &Map<String, Value>) -> Vec<Op> {
    let mut out = Vec::new();
    for (i, e) in entry.effects.iter().enumerate() {
        if e.action != Action::Create {
            continue;
        }
        if req.method == Method::AddProject && e.kind == Kind::Suite {
            continue;
        }
        let Some((method, path, body)) = create_call(req, e, entry_body) else {
            continue;
        };
        let master_suite = (req.method == Method::AddProject)
            .then(|| {
                entry
                    .effects
                    .get(i + 1)
                    .filter(|s| s.kind == Kind::Suite)
                    .map(|s| s.id)
            })
            .flatten();
        let mut touches = vec![(e.kind, e.id)];
        touches.extend(path.iter().copied());
        for k in ["suite_id", "parent_id"] {
            if let Some(id) = body.get(k).and_then(Value::as_u64) {
                touches.push((Kind::of_field(k).unwrap_or(Kind::Section), id));
            }
        }
        out.push(op(
            entry,
            Call::Create {
                kind: e.kind,
                local: e.id,
                method,
                path,
                body,
                master_suite,
            },
            touches,
        ));
    }
    out
}

/// The add route, its path ids and the body that create the entity of `e` on the server.
#[allow(clippy::type_complexity)]
fn create_call(
    req: &Request,
    e: &Effect,
    entry_body: &Map<String, Value>,
) -> Option<(Method, Vec<(Kind, u64)>, Map<String, Value>)> {
    Some(match e.kind {
        Kind::Case => {
            let section = new_id(e, "section_id")
                .or(req.ids.first().copied())
                .unwrap_or(0);
            (
                Method::AddCase,
                vec![(Kind::Section, section)],
                new_values(&e.changes, &["section_id", "suite_id"]),
            )
        }
        Kind::Section => {
            let mut b = new_values(&e.changes, &["suite_id", "parent_id"]);
            if let Some(s) = new_id(e, "suite_id") {
                b.insert("suite_id".into(), s.into());
            }
            if let Some(p) = new_id(e, "parent_id") {
                b.insert("parent_id".into(), p.into());
            }
            (Method::AddSection, vec![(Kind::Project, req.ids[0])], b)
        }
        Kind::Suite => (
            Method::AddSuite,
            vec![(Kind::Project, req.ids[0])],
            new_values(
                &e.changes,
                &[
                    "project_id",
                    "is_master",
                    "is_baseline",
                    "is_completed",
                    "completed_on",
                ],
            ),
        ),
        Kind::Project => (
            Method::AddProject,
            vec![],
            new_values(&e.changes, &["is_completed", "completed_on"]),
        ),
        Kind::CaseField => (Method::AddCaseField, vec![], entry_body.clone()),
        _ => return None,
    })
}

fn update(entry: &JournalEntry, e: &Effect) -> Op {
    let changes = change_map(&e.changes);
    let mut touches = vec![(e.kind, e.id)];
    if let Some((_, new)) = changes.get("section_id") {
        if let Some(s) = json_id(new.as_ref()) {
            touches.push((Kind::Section, s));
        }
    }
    op(
        entry,
        Call::Update {
            kind: e.kind,
            id: e.id,
            changes,
        },
        touches,
    )
}

/// One bulk update when the suite is known, else one update per case.
fn update_cases(entry: &JournalEntry, req: &Request) -> Vec<Op> {
    let cases: Vec<(u64, Changes)> = entry
        .effects
        .iter()
        .map(|e| (e.id, change_map(&e.changes)))
        .collect();
    let suite = req
        .ids
        .first()
        .copied()
        .or_else(|| entry.effects.first().and_then(|e| old_id(e, "suite_id")));
    match suite {
        Some(suite) => {
            let touches = cases.iter().map(|(id, _)| (Kind::Case, *id)).collect();
            vec![op(entry, Call::UpdateCases { suite, cases }, touches)]
        }
        None => cases
            .into_iter()
            .map(|(id, changes)| {
                op(
                    entry,
                    Call::Update {
                        kind: Kind::Case,
                        id,
                        changes,
                    },
                    vec![(Kind::Case, id)],
                )
            })
            .collect(),
    }
}

fn move_section(entry: &JournalEntry, e: &Effect) -> Op {
    // parent_id unchanged: the current parent.
    let parent = new_id(e, "parent_id")
        .or_else(|| entry.body.get("parent_id").and_then(|v| json_id(Some(v))));
    let after = new_id(e, "after_id");
    let mut touches = vec![(Kind::Section, e.id)];
    touches.extend(parent.map(|p| (Kind::Section, p)));
    touches.extend(after.map(|a| (Kind::Section, a)));
    op(
        entry,
        Call::MoveSection {
            id: e.id,
            parent,
            after,
        },
        touches,
    )
}

fn move_cases(entry: &JournalEntry, req: &Request, body: &Map<String, Value>) -> Option<Op> {
    let ids: Vec<u64> = entry.effects.iter().map(|e| e.id).collect();
    if ids.is_empty() {
        return None;
    }
    let suite = body
        .get("suite_id")
        .and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .unwrap_or(0);
    let mut touches: Vec<(Kind, u64)> = ids.iter().map(|i| (Kind::Case, *i)).collect();
    touches.push((Kind::Section, req.ids[0]));
    Some(op(
        entry,
        Call::MoveCases {
            section: req.ids[0],
            suite,
            ids,
        },
        touches,
    ))
}

/// A delete touches everything it took with it (a section's cases, a suite's sections).
fn delete(entry: &JournalEntry, e: &Effect) -> Op {
    let touches = entry.effects.iter().map(|x| (x.kind, x.id)).collect();
    op(
        entry,
        Call::Delete {
            kind: e.kind,
            id: e.id,
            suite: old_id(e, "suite_id"),
        },
        touches,
    )
}

fn delete_cases(entry: &JournalEntry, req: &Request) -> Op {
    let ids: Vec<u64> = entry.effects.iter().map(|e| e.id).collect();
    let touches = ids.iter().map(|i| (Kind::Case, *i)).collect();
    op(
        entry,
        Call::DeleteCases {
            suite: req.ids.first().copied(),
            ids,
        },
        touches,
    )
}

/// Builds the operations of a push, coalescing as described in the module docs.
pub(super) fn plan(entries: &[JournalEntry]) -> Result<Vec<Op>> {
    let mut planner = Planner::default();
    for entry in entries {
        for op in ops_of(entry)? {
            planner.add(op);
        }
    }
    Ok(planner.ops)
}

/// The operations planned so far.
#[derive(Default)]
struct Planner {
    ops: Vec<Op>,
    /// The operation that last touched each entity.
    last: HashMap<(Kind, u64), usize>,
    /// The operation that creates each local entity.
    created_at: HashMap<(Kind, u64), usize>,
}

impl Planner {
    fn add(&mut self, op: Op) {
        // Results of one run recorded one after the other go in the same batches.
        if let Some(last) = self.ops.last_mut() {
            if super::plan_runs::fold_results(last, &op) {
                let i = self.ops.len() - 1;
                for t in &op.touches {
                    self.last.insert(*t, i);
                }
                return;
            }
        }
        if let Some(i) = self.coalesce_into(&op) {
            self.fold(i, op);
        } else if !self.group_case_delete(&op) {
            self.append(op);
        }
    }

    /// Where an operation can be folded into an earlier one, if anywhere: a case's update or
    /// delete folds into the add or update that last touched the case.
    fn coalesce_into(&self, op: &Op) -> Option<usize> {
        let (kind, id) = match &op.call {
            Call::Update {
                kind: Kind::Case,
                id,
                ..
            } => (Kind::Case, *id),
            Call::Delete {
                kind: Kind::Case,
                id,
                ..
            } => (Kind::Case, *id),
            _ => return None,
        };
        let i = *self.last.get(&(kind, id))?;
        let fits = matches!(
            (&self.ops[i].call, &op.call),
            (Call::Create { kind: Kind::Case, local, .. }, _) if *local == id
        ) || matches!(&self.ops[i].call, Call::Update { kind: Kind::Case, id: t, .. } if *t == id);
        if !fits {
            return None;
        }
        // Everything the folded change refers to must exist by the time op i runs.
        op.touches
            .iter()
            .filter(|t| **t != (kind, id))
            .all(|t| self.created_at.get(t).is_none_or(|c| *c < i))
            .then_some(i)
    }

    fn fold(&mut self, i: usize, op: Op) {
        let target = &mut self.ops[i];
        target.seqs.extend(op.seqs.iter().copied());
        target.in_flight |= op.in_flight;
        fold_call(&mut target.call, op.call);
        for t in &op.touches {
            self.last.insert(*t, i);
        }
    }

    /// Consecutive case deletes in one suite go as one delete_cases. Whether `op` joined the
    /// last operation.
    fn group_case_delete(&mut self, op: &Op) -> bool {
        let Call::Delete {
            kind: Kind::Case,
            id,
            suite: Some(s),
        } = &op.call
        else {
            return false;
        };
        let Some(prev) = self.ops.last_mut() else {
            return false;
        };
        let grouped = match &mut prev.call {
            Call::DeleteCases {
                suite: Some(ps),
                ids,
            } if ps == s => {
                ids.push(*id);
                true
            }
            Call::Delete {
                kind: Kind::Case,
                id: pid,
                suite: Some(ps),
            } if ps == s => {
                prev.call = Call::DeleteCases {
                    suite: Some(*s),
                    ids: vec![*pid, *id],
                };
                true
            }
            _ => false,
        };
        if !grouped {
            return false;
        }
        prev.in_flight |= op.in_flight;
        prev.seqs.extend(op.seqs.iter().copied());
        prev.touches.extend(op.touches.iter().copied());
        let i = self.ops.len() - 1;
        for t in &op.touches {
            self.last.insert(*t, i);
        }
        true
    }

    fn append(&mut self, op: Op) {
        let i = self.ops.len();
        if let Call::Create { kind, local, .. } = &op.call {
            self.created_at.insert((*kind, *local), i);
        }
        for t in &op.touches {
            self.last.insert(*t, i);
        }
        self.ops.push(op);
    }
}

/// Folds a later call on a case into the earlier one: edits into an add (a new section becomes
/// the add's path) or an update (keeping the first base), a delete cancels an add and replaces
/// an update.
fn fold_call(into: &mut Call, later: Call) {
    match (into, later) {
        (Call::Create { body, path, .. }, Call::Update { changes, .. }) => {
            for (field, (_, new)) in changes {
                if field == "section_id" {
                    if let Some(s) = json_id(new.as_ref()) {
                        path[0] = (Kind::Section, s);
                    }
                    continue;
                }
                body.insert(field, new.as_ref().map_or(Value::Null, Json::to_value));
            }
        }
        (Call::Update { changes: into, .. }, Call::Update { changes, .. }) => {
            for (field, (old, new)) in changes {
                into.entry(field)
                    .and_modify(|e| e.1 = new.clone())
                    .or_insert((old, new));
            }
        }
        (a @ Call::Create { .. }, Call::Delete { .. }) => *a = Call::Nothing,
        (a @ Call::Update { .. }, d @ Call::Delete { .. }) => *a = d,
        _ => {}
    }
}

#[cfg(test)]
mod tests;

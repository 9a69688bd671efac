//! Push: replay the journal's pending entries against a TestRail server, exactly once.
//!
//! - **Order and coalescing.** Entries become operations in journal order (parents are created
//!   before what goes in them, because the journal saw them that way). Later edits of a case fold
//!   into an earlier add or update of it when nothing in between refers to the case; an add then a
//!   delete sends nothing; multi-case calls use TestRail's bulk endpoints (`update_cases`,
//!   `delete_cases`, `move_cases_to_section`).
//! - **Exactly once without idempotency keys.** Before each request its entries are committed
//!   `in_flight`. When the answer is lost (broken connection, 5xx, 409, or a crash), a create is
//!   not resent blindly: the target is probed first — by the marker field when the instance has
//!   one (`custom_trailstore_op`, holding the operation id), otherwise by title and every sent
//!   field, among entities this user created whose ids are newer than any the store knows — and
//!   one match is adopted, none means resend, several is a conflict for a person. Updates re-read
//!   the server first, so a resend of an applied update sends nothing; a delete whose target is
//!   already gone counts as done.
//! - **Ids.** A created entity's server id is recorded in the id map, and the local record is
//!   renamed to it, in the same transaction that marks its entries done; the local id stays a
//!   valid alias in every route. Later operations are translated when sent; one that needs an id
//!   whose create failed is `blocked`.
//! - **Conflicts.** Before an update, the server's copy is compared with the base (the values the
//!   local change started from): fields only changed here are sent; a field changed on both sides
//!   to different values is recorded as a conflict with both values and not sent.
//! - **Faults.** 429 waits `Retry-After` and resends (never fails an entry); 5xx, 409 and broken
//!   connections back off and retry; a 400 rejects the entry with the server's message; 401/403
//!   stop the push with the journal intact.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use super::client::{Client, RetryPolicy, Sent};
use super::Remote;
use crate::api::{Method, Request};
use crate::conflicts::{same, Conflict, DELETED};
use crate::error::{Error, Result};
use crate::journal::{Action, JournalEntry, PushState};
use crate::model::{is_local_id, Case, CaseField, Json, Kind, Project, Section, Suite};
use crate::store::{now, Store};
use crate::tables::{self, meta};
use crate::tx::{Tx, Writer};

/// The custom field that, when the instance has it, carries each create's operation id.
pub const MARKER_FIELD: &str = "custom_trailstore_op";

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Only say what would be sent.
    pub dry_run: bool,
    pub retry: RetryPolicy,
    /// The marker field's system name (used when the server has it).
    pub marker_field: String,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            dry_run: false,
            retry: RetryPolicy::default(),
            marker_field: MARKER_FIELD.into(),
        }
    }
}

/// Progress of a push, for a progress bar.
#[derive(Debug, Clone)]
pub enum PushProgress {
    /// The number of operations to send.
    Planned(usize),
    /// One operation finished.
    Done,
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Requests that changed the server (or, in a dry run, would).
    pub sent: u64,
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    pub rejected: u64,
    pub conflicts: u64,
    pub blocked: u64,
    /// Journal entries now done.
    pub entries_done: u64,
    /// Ambiguous creates settled by probing instead of resending.
    pub adopted: u64,
    /// HTTP requests, retries included.
    pub requests: u64,
    /// The requests of a dry run, as `POST route body`.
    pub dry_run: Vec<String>,
}

impl PushReport {
    pub fn to_json(&self) -> Value {
        json!({
            "sent": self.sent, "created": self.created, "updated": self.updated,
            "deleted": self.deleted, "rejected": self.rejected, "conflicts": self.conflicts,
            "blocked": self.blocked, "entries_done": self.entries_done, "adopted": self.adopted,
            "requests": self.requests, "dry_run": self.dry_run,
        })
    }
}

impl std::fmt::Display for PushReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Push: {} sent ({} created, {} updated, {} deleted), {} rejected, {} conflicts, {} blocked; {} journal entries done ({} requests)",
            self.sent, self.created, self.updated, self.deleted, self.rejected, self.conflicts,
            self.blocked, self.entries_done, self.requests
        )
    }
}

type Changes = BTreeMap<String, (Option<Json>, Option<Json>)>;

#[derive(Debug, Clone)]
enum Action2 {
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
}

#[derive(Debug, Clone)]
struct Op {
    seqs: Vec<u64>,
    op_id: String,
    action: Action2,
    touches: Vec<(Kind, u64)>,
    /// An earlier push sent (or may have sent) it and never learned the outcome.
    in_flight: bool,
}

fn new_values(changes: &[crate::journal::Change], skip: &[&str]) -> Map<String, Value> {
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

fn change_map(changes: &[crate::journal::Change]) -> Changes {
    changes
        .iter()
        .map(|c| (c.field.clone(), (c.old.clone(), c.new.clone())))
        .collect()
}

fn json_id(v: Option<&Json>) -> Option<u64> {
    v.and_then(Json::as_i64)
        .filter(|i| *i > 0)
        .map(|i| i as u64)
}

/// Turns journal entries into operations (before coalescing).
fn ops_of(entry: &JournalEntry) -> Result<Vec<Op>> {
    let req = Request::parse(&entry.route, None)?;
    let body = match entry.body.to_value() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let in_flight = matches!(entry.state, PushState::InFlight { .. });
    let op = |action: Action2, touches: Vec<(Kind, u64)>| Op {
        seqs: vec![entry.seq],
        op_id: entry.op_id.clone(),
        action,
        touches,
        in_flight,
    };
    let first = entry.effects.first();
    let mut out = Vec::new();
    use Method::*;
    match req.method {
        AddProject | AddSuite | AddSection | AddCase | CopyCasesToSection | AddCaseField => {
            for (i, e) in entry.effects.iter().enumerate() {
                if e.action != Action::Create {
                    continue;
                }
                if req.method == AddProject && e.kind == Kind::Suite {
                    continue; // the master suite, made by the server with the project
                }
                let (method, path, body) = match e.kind {
                    Kind::Case => {
                        let section = json_id(
                            e.changes
                                .iter()
                                .find(|c| c.field == "section_id")
                                .and_then(|c| c.new.as_ref()),
                        )
                        .or(req.ids.first().copied())
                        .unwrap_or(0);
                        (
                            AddCase,
                            vec![(Kind::Section, section)],
                            new_values(&e.changes, &["section_id", "suite_id"]),
                        )
                    }
                    Kind::Section => {
                        let mut b = new_values(&e.changes, &["suite_id", "parent_id"]);
                        let suite = e
                            .changes
                            .iter()
                            .find(|c| c.field == "suite_id")
                            .and_then(|c| json_id(c.new.as_ref()));
                        let parent = e
                            .changes
                            .iter()
                            .find(|c| c.field == "parent_id")
                            .and_then(|c| json_id(c.new.as_ref()));
                        if let Some(s) = suite {
                            b.insert("suite_id".into(), s.into());
                        }
                        if let Some(p) = parent {
                            b.insert("parent_id".into(), p.into());
                        }
                        (AddSection, vec![(Kind::Project, req.ids[0])], b)
                    }
                    Kind::Suite => (
                        AddSuite,
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
                        AddProject,
                        vec![],
                        new_values(&e.changes, &["is_completed", "completed_on"]),
                    ),
                    Kind::CaseField => (AddCaseField, vec![], body.clone()),
                    _ => continue,
                };
                let master_suite = (req.method == AddProject)
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
                    Action2::Create {
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
        }
        UpdateProject | UpdateSuite | UpdateSection | UpdateCase => {
            if let Some(e) = first {
                let changes = change_map(&e.changes);
                let mut touches = vec![(e.kind, e.id)];
                if let Some((_, new)) = changes.get("section_id") {
                    if let Some(s) = json_id(new.as_ref()) {
                        touches.push((Kind::Section, s));
                    }
                }
                out.push(op(
                    Action2::Update {
                        kind: e.kind,
                        id: e.id,
                        changes,
                    },
                    touches,
                ));
            }
        }
        UpdateCases => {
            let cases: Vec<(u64, Changes)> = entry
                .effects
                .iter()
                .map(|e| (e.id, change_map(&e.changes)))
                .collect();
            let suite = req.ids.first().copied().or_else(|| {
                entry
                    .effects
                    .first()
                    .and_then(|e| e.changes.iter().find(|c| c.field == "suite_id"))
                    .and_then(|c| json_id(c.old.as_ref()))
            });
            let touches = cases.iter().map(|(id, _)| (Kind::Case, *id)).collect();
            match suite {
                Some(suite) => out.push(op(Action2::UpdateCases { suite, cases }, touches)),
                None => {
                    for (id, changes) in cases {
                        out.push(op(
                            Action2::Update {
                                kind: Kind::Case,
                                id,
                                changes,
                            },
                            vec![(Kind::Case, id)],
                        ));
                    }
                }
            }
        }
        MoveSection => {
            if let Some(e) = first {
                let get = |f: &str| e.changes.iter().find(|c| c.field == f);
                let parent = match get("parent_id") {
                    Some(c) => json_id(c.new.as_ref()),
                    None => None,
                };
                // parent_id unchanged: the current parent.
                let parent =
                    parent.or_else(|| entry.body.get("parent_id").and_then(|v| json_id(Some(v))));
                let after = get("after_id").and_then(|c| json_id(c.new.as_ref()));
                let mut touches = vec![(Kind::Section, e.id)];
                touches.extend(parent.map(|p| (Kind::Section, p)));
                touches.extend(after.map(|a| (Kind::Section, a)));
                out.push(op(
                    Action2::MoveSection {
                        id: e.id,
                        parent,
                        after,
                    },
                    touches,
                ));
            }
        }
        MoveCasesToSection => {
            let ids: Vec<u64> = entry.effects.iter().map(|e| e.id).collect();
            if !ids.is_empty() {
                let suite = body
                    .get("suite_id")
                    .and_then(|v| {
                        v.as_u64()
                            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    })
                    .unwrap_or(0);
                let mut touches: Vec<(Kind, u64)> = ids.iter().map(|i| (Kind::Case, *i)).collect();
                touches.push((Kind::Section, req.ids[0]));
                out.push(op(
                    Action2::MoveCases {
                        section: req.ids[0],
                        suite,
                        ids,
                    },
                    touches,
                ));
            }
        }
        DeleteCase | DeleteSection | DeleteSuite | DeleteProject => {
            if let Some(e) = first {
                let suite = e
                    .changes
                    .iter()
                    .find(|c| c.field == "suite_id")
                    .and_then(|c| json_id(c.old.as_ref()));
                let touches = entry.effects.iter().map(|x| (x.kind, x.id)).collect();
                out.push(op(
                    Action2::Delete {
                        kind: e.kind,
                        id: e.id,
                        suite,
                    },
                    touches,
                ));
            }
        }
        DeleteCases => {
            let ids: Vec<u64> = entry.effects.iter().map(|e| e.id).collect();
            let touches = ids.iter().map(|i| (Kind::Case, *i)).collect();
            out.push(op(
                Action2::DeleteCases {
                    suite: req.ids.first().copied(),
                    ids,
                },
                touches,
            ));
        }
        other => {
            return Err(Error::internal(format!(
                "journal entry {} has a route push cannot replay: {}",
                entry.seq,
                other.name()
            )))
        }
    }
    Ok(out)
}

/// Builds the operations of a push, coalescing as described in the module docs.
fn plan(entries: &[JournalEntry]) -> Result<Vec<Op>> {
    let mut ops: Vec<Op> = Vec::new();
    let mut last: HashMap<(Kind, u64), usize> = HashMap::new();
    let mut created_at: HashMap<(Kind, u64), usize> = HashMap::new();
    for entry in entries {
        for op in ops_of(entry)? {
            if let Some(i) = coalesce_into(&ops, &last, &created_at, &op) {
                let target = &mut ops[i];
                target.seqs.extend(op.seqs.iter().copied());
                target.in_flight |= op.in_flight;
                match (&mut target.action, op.action) {
                    (Action2::Create { body, path, .. }, Action2::Update { changes, .. }) => {
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
                    (Action2::Update { changes: into, .. }, Action2::Update { changes, .. }) => {
                        for (field, (old, new)) in changes {
                            into.entry(field)
                                .and_modify(|e| e.1 = new.clone())
                                .or_insert((old, new));
                        }
                    }
                    (a @ Action2::Create { .. }, Action2::Delete { .. }) => *a = Action2::Nothing,
                    (a @ Action2::Update { .. }, d @ Action2::Delete { .. }) => *a = d,
                    _ => {}
                }
                for t in &op.touches {
                    last.insert(*t, i);
                }
                continue;
            }
            // Consecutive case deletes in one suite go as one delete_cases.
            if let (
                Action2::Delete {
                    kind: Kind::Case,
                    id,
                    suite: Some(s),
                },
                Some(prev),
            ) = (&op.action, ops.last_mut())
            {
                let merged = match &mut prev.action {
                    Action2::DeleteCases {
                        suite: Some(ps),
                        ids,
                    } if ps == s => {
                        ids.push(*id);
                        true
                    }
                    Action2::Delete {
                        kind: Kind::Case,
                        id: pid,
                        suite: Some(ps),
                    } if ps == s => {
                        prev.action = Action2::DeleteCases {
                            suite: Some(*s),
                            ids: vec![*pid, *id],
                        };
                        true
                    }
                    _ => false,
                };
                if merged {
                    prev.in_flight |= op.in_flight;
                    prev.seqs.extend(op.seqs.iter().copied());
                    prev.touches.extend(op.touches.iter().copied());
                    let i = ops.len() - 1;
                    for t in &op.touches {
                        last.insert(*t, i);
                    }
                    continue;
                }
            }
            let i = ops.len();
            if let Action2::Create { kind, local, .. } = &op.action {
                created_at.insert((*kind, *local), i);
            }
            for t in &op.touches {
                last.insert(*t, i);
            }
            ops.push(op);
        }
    }
    Ok(ops)
}

/// Where an operation can be folded into an earlier one, if anywhere.
fn coalesce_into(
    ops: &[Op],
    last: &HashMap<(Kind, u64), usize>,
    created_at: &HashMap<(Kind, u64), usize>,
    op: &Op,
) -> Option<usize> {
    let (kind, id) = match &op.action {
        Action2::Update {
            kind: Kind::Case,
            id,
            ..
        } => (Kind::Case, *id),
        Action2::Delete {
            kind: Kind::Case,
            id,
            ..
        } => (Kind::Case, *id),
        _ => return None,
    };
    let i = *last.get(&(kind, id))?;
    let fits = matches!(
        (&ops[i].action, &op.action),
        (Action2::Create { kind: Kind::Case, local, .. }, _) if *local == id
    ) || matches!(&ops[i].action, Action2::Update { kind: Kind::Case, id: t, .. } if *t == id);
    if !fits {
        return None;
    }
    // Everything the folded change refers to must exist by the time op i runs.
    op.touches
        .iter()
        .filter(|t| **t != (kind, id))
        .all(|t| created_at.get(t).is_none_or(|c| *c < i))
        .then_some(i)
}

enum Step {
    /// The entries are done; the server answered this.
    Done(Option<Value>),
    /// Created on the server: the entries are done once these local ids are renamed to the
    /// server's (in the same transaction).
    Created(Value, Vec<(Kind, u64, u64)>),
    /// Rejected for good.
    Rejected(String),
    /// Recorded as conflicts; nothing (more) to send.
    Conflicted,
    /// Needs an id whose create has not reached the server.
    Blocked(u64),
    /// Nothing to do (an add cancelled by a delete, or an update already applied).
    Nothing,
}

struct Pusher<'a> {
    store: &'a Store,
    client: Client,
    opts: &'a PushOptions,
    report: PushReport,
    marker: bool,
    me: Option<u64>,
    /// The seq of the entry that creates each local entity, for `blocked`.
    creators: HashMap<(Kind, u64), u64>,
}

fn is_gone(message: &str) -> bool {
    message.contains("is not a valid")
}

impl Pusher<'_> {
    fn read<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let rtx = self.store.begin_read()?;
        f(&Tx::Read(&rtx))
    }

    fn write<T>(&self, f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        let mut batch = self.store.batch()?;
        let out = batch.with_writer(f)?;
        batch.commit()?;
        Ok(out)
    }

    /// The server id for an id, or the seq of the entry whose create it waits for. In a dry
    /// run an id that is not on the server yet stands for itself.
    fn server_id(&self, kind: Kind, id: u64) -> Result<std::result::Result<u64, u64>> {
        if !is_local_id(id) {
            return Ok(Ok(id));
        }
        if self.opts.dry_run {
            return Ok(Ok(self.read(|tx| tx.server_id(kind, id))?.unwrap_or(id)));
        }
        match self.read(|tx| tx.server_id(kind, id))? {
            Some(s) => Ok(Ok(s)),
            None => Ok(Err(self.creators.get(&(kind, id)).copied().unwrap_or(0))),
        }
    }

    fn set_state(&self, seqs: &[u64], state: PushState) -> Result<()> {
        self.write(|w| {
            for seq in seqs {
                if let Some(mut e) = w.tx().journal_entry(*seq)? {
                    e.state = state.clone();
                    w.update_journal(&e)?;
                }
            }
            Ok(())
        })
    }

    /// Translates the local ids of a body's id fields; Err(seq) names what it waits for.
    fn translate_body(
        &self,
        body: &Map<String, Value>,
    ) -> Result<std::result::Result<Map<String, Value>, u64>> {
        let mut out = body.clone();
        for (k, v) in out.iter_mut() {
            let Some(kind) = Kind::of_field(k) else {
                continue;
            };
            if let Some(id) = v.as_u64() {
                match self.server_id(kind, id)? {
                    Ok(s) => *v = s.into(),
                    Err(seq) => return Ok(Err(seq)),
                }
            }
        }
        Ok(Ok(out))
    }

    /// Sends a write until it has a definite answer. For a create, `probe` settles an
    /// ambiguous answer before any resend.
    #[allow(clippy::type_complexity)]
    fn send(
        &mut self,
        route: &str,
        body: &Value,
        mut probe: Option<&mut dyn FnMut(&Self) -> Result<Probe>>,
    ) -> Result<Sent> {
        let mut attempt = 0u32;
        let mut backoff = self.client.policy().backoff;
        loop {
            match self.client.send_once(route, Some(body)) {
                Sent::Ambiguous(why) => {
                    attempt += 1;
                    if attempt >= self.client.policy().max_attempts {
                        return Err(Error::Remote {
                            status: None,
                            message: format!("{route}: {why} (gave up after {attempt} attempts; the entry stays in flight and the next push settles it)"),
                        });
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(self.client.policy().max_backoff);
                    if let Some(p) = probe.as_mut() {
                        match p(self)? {
                            Probe::Found(v) => {
                                self.report.adopted += 1;
                                return Ok(Sent::Ok(Some(v)));
                            }
                            Probe::Several => return Ok(Sent::Refused {
                                status: 0,
                                message:
                                    "several server entities match this create; pick one by hand"
                                        .into(),
                            }),
                            Probe::None => {}
                        }
                    }
                }
                Sent::Refused {
                    status: s @ (401 | 403),
                    message,
                } => {
                    return Err(Error::Remote {
                        status: Some(s),
                        message,
                    });
                }
                other => return Ok(other),
            }
        }
    }

    fn run_op(&mut self, op: &Op) -> Result<Step> {
        match &op.action {
            Action2::Nothing => Ok(Step::Nothing),
            Action2::Create { .. } => self.create(op),
            Action2::Update { kind, id, changes } => self.update(op, *kind, *id, changes),
            Action2::UpdateCases { suite, cases } => self.update_cases(op, *suite, cases),
            Action2::MoveSection { id, parent, after } => {
                let id = match self.server_id(Kind::Section, *id)? {
                    Ok(s) => s,
                    Err(seq) => return Ok(Step::Blocked(seq)),
                };
                let mut body = json!({"parent_id": Value::Null, "after_id": Value::Null});
                for (k, v) in [("parent_id", parent), ("after_id", after)] {
                    if let Some(v) = v {
                        match self.server_id(Kind::Section, *v)? {
                            Ok(s) => body[k] = s.into(),
                            Err(seq) => return Ok(Step::Blocked(seq)),
                        }
                    }
                }
                self.simple(op, &format!("move_section/{id}"), body, false)
            }
            Action2::MoveCases {
                section,
                suite,
                ids,
            } => {
                let section = match self.server_id(Kind::Section, *section)? {
                    Ok(s) => s,
                    Err(seq) => return Ok(Step::Blocked(seq)),
                };
                let suite = match self.server_id(Kind::Suite, *suite)? {
                    Ok(s) => s,
                    Err(seq) => return Ok(Step::Blocked(seq)),
                };
                let mut server_ids = Vec::new();
                for id in ids {
                    match self.server_id(Kind::Case, *id)? {
                        Ok(s) => server_ids.push(s.to_string()),
                        Err(seq) => return Ok(Step::Blocked(seq)),
                    }
                }
                let body = json!({"suite_id": suite, "case_ids": server_ids.join(",")});
                self.simple(op, &format!("move_cases_to_section/{section}"), body, false)
            }
            Action2::Delete { kind, id, .. } => {
                let id = match self.server_id(*kind, *id)? {
                    Ok(s) => s,
                    // Created here, never pushed, now deleted: nothing to send.
                    Err(_) => return Ok(Step::Nothing),
                };
                let method = match kind {
                    Kind::Case => "delete_case",
                    Kind::Section => "delete_section",
                    Kind::Suite => "delete_suite",
                    _ => "delete_project",
                };
                self.simple(op, &format!("{method}/{id}"), json!({}), true)
            }
            Action2::DeleteCases { suite, ids } => {
                let mut server_ids = Vec::new();
                for id in ids {
                    if let Ok(s) = self.server_id(Kind::Case, *id)? {
                        server_ids.push(s);
                    }
                }
                let route = match suite {
                    Some(s) => match self.server_id(Kind::Suite, *s)? {
                        Ok(s) => format!("delete_cases/{s}"),
                        Err(seq) => return Ok(Step::Blocked(seq)),
                    },
                    None => "delete_cases".into(),
                };
                // A bulk delete is refused whole if one case is already gone, as it is after a
                // send whose answer was lost: only the cases still there are sent.
                if op.in_flight && !self.opts.dry_run {
                    server_ids = self.still_there(&server_ids)?;
                }
                if server_ids.is_empty() {
                    return Ok(Step::Nothing);
                }
                match self.simple(op, &route, json!({"case_ids": server_ids}), true)? {
                    Step::Rejected(m) if m.contains("invalid case IDs") => {
                        let left = self.still_there(&server_ids)?;
                        if left.is_empty() {
                            Ok(Step::Done(None))
                        } else {
                            self.simple(op, &route, json!({"case_ids": left}), true)
                        }
                    }
                    other => Ok(other),
                }
            }
        }
    }

    /// The cases of a list that the server still has.
    fn still_there(&self, ids: &[u64]) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        for id in ids {
            if self.server_copy(Kind::Case, *id)?.is_some() {
                out.push(*id);
            }
        }
        Ok(out)
    }

    /// A write whose resend is harmless (moves, deletes).
    fn simple(&mut self, op: &Op, route: &str, body: Value, delete: bool) -> Result<Step> {
        if self.opts.dry_run {
            self.report.dry_run.push(format!("POST {route} {body}"));
            return Ok(Step::Done(None));
        }
        self.set_state(&op.seqs, PushState::InFlight { since: now() })?;
        match self.send(route, &body, None)? {
            Sent::Ok(v) => {
                self.report.sent += 1;
                if delete {
                    self.report.deleted += 1;
                } else {
                    self.report.updated += 1;
                }
                Ok(Step::Done(v))
            }
            // Deleting what is already gone (an earlier send that lost its answer) is success.
            Sent::Refused { message, .. } if delete && is_gone(&message) => Ok(Step::Done(None)),
            Sent::Refused { message, .. } => Ok(Step::Rejected(message)),
            Sent::Ambiguous(why) => Err(Error::Remote {
                status: None,
                message: why,
            }),
        }
    }

    fn create(&mut self, op: &Op) -> Result<Step> {
        let Action2::Create {
            kind,
            local,
            method,
            path,
            body,
            master_suite,
        } = &op.action
        else {
            return Ok(Step::Nothing);
        };
        // Already created by an earlier push that lost track (crash after the map commit).
        if self.read(|tx| tx.server_id(*kind, *local))?.is_some() {
            return Ok(Step::Done(None));
        }
        let mut route = method.name().to_string();
        let mut parent_server = Vec::new();
        for (k, id) in path {
            match self.server_id(*k, *id)? {
                Ok(s) => {
                    route.push_str(&format!("/{s}"));
                    parent_server.push(s);
                }
                Err(seq) => return Ok(Step::Blocked(seq)),
            }
        }
        let mut body = match self.translate_body(body)? {
            Ok(b) => b,
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        if *kind == Kind::Case && self.marker {
            body.insert(
                self.opts.marker_field.clone(),
                Value::String(op.op_id.clone()),
            );
        }
        let body = Value::Object(body);
        if self.opts.dry_run {
            self.report.dry_run.push(format!("POST {route} {body}"));
            return Ok(Step::Done(None));
        }
        let parent = parent_server.first().copied();
        // It may have reached the server before the process that sent it died: look first.
        let earlier = if op.in_flight {
            match self.probe(*kind, parent, &body, &op.op_id)? {
                Probe::Found(v) => {
                    self.report.adopted += 1;
                    Some(Sent::Ok(Some(v)))
                }
                Probe::Several => Some(Sent::Refused {
                    status: 0,
                    message: "several server entities match this create; pick one by hand".into(),
                }),
                Probe::None => None,
            }
        } else {
            None
        };
        let answer = match earlier {
            Some(a) => a,
            None => {
                self.set_state(&op.seqs, PushState::InFlight { since: now() })?;
                let (kind, body_c, op_id) = (*kind, body.clone(), op.op_id.clone());
                let mut probe = move |p: &Self| p.probe(kind, parent, &body_c, &op_id);
                self.send(&route, &body, Some(&mut probe))?
            }
        };
        match answer {
            Sent::Ok(Some(v)) => {
                let server = v
                    .get("id")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| Error::Remote {
                        status: Some(200),
                        message: format!("{route} answered without an id"),
                    })?;
                let master = match (master_suite, *kind) {
                    (Some(ms), Kind::Project) => {
                        let suites = self.client.get_all(
                            &format!("get_suites/{server}"),
                            "suites",
                            |_| {},
                        )?;
                        suites
                            .first()
                            .and_then(|s| s.get("id"))
                            .and_then(Value::as_u64)
                            .map(|sid| (*ms, sid))
                    }
                    _ => None,
                };
                let mut renames = vec![(*kind, *local, server)];
                if let Some((l, s)) = master {
                    renames.push((Kind::Suite, l, s));
                }
                self.report.sent += 1;
                self.report.created += 1;
                Ok(Step::Created(v, renames))
            }
            Sent::Ok(None) => Err(Error::Remote {
                status: Some(200),
                message: format!("{route} answered an empty body"),
            }),
            Sent::Refused { status: 0, message } => {
                self.conflict(
                    *kind,
                    *local,
                    "create",
                    None,
                    Some(Json::Str(message)),
                    None,
                )?;
                Ok(Step::Conflicted)
            }
            Sent::Refused { message, .. } => Ok(Step::Rejected(message)),
            Sent::Ambiguous(why) => Err(Error::Remote {
                status: None,
                message: why,
            }),
        }
    }

    /// Looks for the entity an ambiguous create may have made.
    fn probe(&self, kind: Kind, parent: Option<u64>, body: &Value, op_id: &str) -> Result<Probe> {
        let newest_known = self.read(|tx| with_max_server_id(tx, kind))?;
        let mapped = |id: u64| {
            self.read(|tx| tx.local_alias(kind, id))
                .map(|a| a.is_some())
        };
        let candidates: Vec<Value> = match kind {
            Kind::Case => {
                let Some(section) = parent else {
                    return Ok(Probe::None);
                };
                let Some(sec) = self.read(|tx| tx.get::<Section>(section))? else {
                    return Ok(Probe::None);
                };
                let mut route = format!(
                    "get_cases/{}&suite_id={}&section_id={section}",
                    sec.project_id, sec.suite_id
                );
                if let Some(me) = self.me {
                    route.push_str(&format!("&created_by={me}"));
                }
                self.client.get_all(&route, "cases", |_| {})?
            }
            Kind::Section => {
                let Some(project) = parent else {
                    return Ok(Probe::None);
                };
                let mut route = format!("get_sections/{project}");
                if let Some(s) = body.get("suite_id").and_then(Value::as_u64) {
                    route.push_str(&format!("&suite_id={s}"));
                }
                self.client.get_all(&route, "sections", |_| {})?
            }
            Kind::Suite => {
                let Some(project) = parent else {
                    return Ok(Probe::None);
                };
                self.client
                    .get_all(&format!("get_suites/{project}"), "suites", |_| {})?
            }
            Kind::Project => self.client.get_all("get_projects", "projects", |_| {})?,
            Kind::CaseField => self
                .client
                .get_all("get_case_fields", "case_fields", |_| {})?,
            _ => Vec::new(),
        };
        let mut found = Vec::new();
        for c in candidates {
            let Some(id) = c.get("id").and_then(Value::as_u64) else {
                continue;
            };
            if id <= newest_known || mapped(id)? {
                continue;
            }
            let matches = if kind == Kind::Case && self.marker {
                c.get(&self.opts.marker_field).and_then(Value::as_str) == Some(op_id)
            } else if kind == Kind::CaseField {
                c.get("name") == body.get("name")
            } else {
                body.as_object().is_some_and(|b| {
                    b.iter().all(|(k, v)| {
                        let theirs = c.get(k).map(Json::from);
                        same(theirs.as_ref(), Some(&Json::from(v)))
                    })
                })
            };
            if matches {
                found.push(c);
            }
        }
        Ok(match found.len() {
            0 => Probe::None,
            1 => Probe::Found(found.remove(0)),
            _ => Probe::Several,
        })
    }

    fn conflict(
        &self,
        kind: Kind,
        id: u64,
        field: &str,
        base: Option<Json>,
        local: Option<Json>,
        server: Option<Json>,
    ) -> Result<()> {
        self.write(|w| {
            w.put_conflict(&Conflict {
                kind,
                id,
                field: field.into(),
                base,
                local,
                server,
                detected_on: now(),
                source: "push".into(),
            })
        })
    }

    /// Compares a server copy with the base of each change: what to send, what conflicts.
    fn check(
        &mut self,
        kind: Kind,
        id: u64,
        server: &Value,
        changes: &Changes,
    ) -> Result<(Map<String, Value>, usize)> {
        let mut send = Map::new();
        let mut conflicts = 0;
        for (field, (base, new)) in changes {
            let theirs = server.get(field).map(Json::from);
            if same(theirs.as_ref(), new.as_ref()) {
                continue; // already so (also: an earlier send whose answer was lost)
            }
            if same(theirs.as_ref(), base.as_ref()) {
                send.insert(
                    field.clone(),
                    new.as_ref().map_or(Value::Null, Json::to_value),
                );
            } else {
                self.conflict(
                    kind,
                    id,
                    field,
                    base.clone(),
                    new.clone(),
                    theirs.filter(|v| !v.is_null()),
                )?;
                conflicts += 1;
            }
        }
        Ok((send, conflicts))
    }

    fn get_route(kind: Kind, id: u64) -> String {
        match kind {
            Kind::Case => format!("get_case/{id}"),
            Kind::Section => format!("get_section/{id}"),
            Kind::Suite => format!("get_suite/{id}"),
            _ => format!("get_project/{id}"),
        }
    }

    /// The server's copy of an entity, or None when it is gone.
    fn server_copy(&self, kind: Kind, id: u64) -> Result<Option<Value>> {
        match self.client.request(&Self::get_route(kind, id), None) {
            Ok(v) => Ok(v),
            Err(Error::Remote {
                status: Some(400),
                message,
            }) if is_gone(&message) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn update(&mut self, op: &Op, kind: Kind, id: u64, changes: &Changes) -> Result<Step> {
        let server_id = match self.server_id(kind, id)? {
            Ok(s) => s,
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        let mut changes = changes.clone();
        if let Some((base, new)) = changes.get_mut("section_id") {
            for v in [base, new] {
                if let Some(s) = json_id(v.as_ref()) {
                    match self.server_id(Kind::Section, s)? {
                        Ok(t) => *v = Some(Json::Int(t as i64)),
                        Err(seq) => return Ok(Step::Blocked(seq)),
                    }
                }
            }
        }
        let Some(server) = self.server_copy(kind, server_id)? else {
            self.conflict(
                kind,
                server_id,
                DELETED,
                None,
                Some(Json::Str("edited here".into())),
                None,
            )?;
            self.report.conflicts += 1;
            return Ok(Step::Conflicted);
        };
        let (send, conflicts) = self.check(kind, server_id, &server, &changes)?;
        self.report.conflicts += conflicts as u64;
        if send.is_empty() {
            return Ok(if conflicts > 0 {
                Step::Conflicted
            } else {
                Step::Nothing
            });
        }
        let method = match kind {
            Kind::Case => "update_case",
            Kind::Section => "update_section",
            Kind::Suite => "update_suite",
            _ => "update_project",
        };
        let step = self.simple(
            op,
            &format!("{method}/{server_id}"),
            Value::Object(send),
            false,
        )?;
        Ok(match step {
            Step::Done(_) if conflicts > 0 => Step::Conflicted,
            s => s,
        })
    }

    fn update_cases(&mut self, op: &Op, suite: u64, cases: &[(u64, Changes)]) -> Result<Step> {
        let suite = match self.server_id(Kind::Suite, suite)? {
            Ok(s) => s,
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        let mut bulk: Option<Map<String, Value>> = None;
        let mut same_for_all = true;
        let mut ids = Vec::new();
        let mut conflicted = false;
        let mut singles = Vec::new();
        for (id, changes) in cases {
            let sid = match self.server_id(Kind::Case, *id)? {
                Ok(s) => s,
                Err(seq) => return Ok(Step::Blocked(seq)),
            };
            let Some(server) = self.server_copy(Kind::Case, sid)? else {
                self.conflict(
                    Kind::Case,
                    sid,
                    DELETED,
                    None,
                    Some(Json::Str("edited here".into())),
                    None,
                )?;
                self.report.conflicts += 1;
                conflicted = true;
                continue;
            };
            let (send, conflicts) = self.check(Kind::Case, sid, &server, changes)?;
            self.report.conflicts += conflicts as u64;
            conflicted |= conflicts > 0;
            if send.is_empty() {
                continue;
            }
            match &bulk {
                None => bulk = Some(send.clone()),
                Some(b) if *b != send => same_for_all = false,
                _ => {}
            }
            ids.push(sid);
            singles.push((sid, send));
        }
        if ids.is_empty() {
            return Ok(if conflicted {
                Step::Conflicted
            } else {
                Step::Nothing
            });
        }
        let step = if same_for_all {
            let mut body = bulk.unwrap_or_default();
            body.insert("case_ids".into(), json!(ids));
            self.simple(
                op,
                &format!("update_cases/{suite}"),
                Value::Object(body),
                false,
            )?
        } else {
            let mut last = Step::Nothing;
            for (sid, send) in singles {
                last = self.simple(
                    op,
                    &format!("update_case/{sid}"),
                    Value::Object(send),
                    false,
                )?;
                if !matches!(last, Step::Done(_)) {
                    break;
                }
            }
            last
        };
        Ok(match step {
            Step::Done(_) if conflicted => Step::Conflicted,
            s => s,
        })
    }
}

enum Probe {
    Found(Value),
    None,
    Several,
}

/// The highest server-range id of a kind the store holds.
fn with_max_server_id(tx: &Tx<'_>, kind: Kind) -> Result<u64> {
    let mut max = 0;
    let ids: Vec<u64> = match kind {
        Kind::Case => tx.all::<Case>()?.iter().map(|c| c.id).collect(),
        Kind::Section => tx.all::<Section>()?.iter().map(|c| c.id).collect(),
        Kind::Suite => tx.all::<Suite>()?.iter().map(|c| c.id).collect(),
        Kind::Project => tx.all::<Project>()?.iter().map(|c| c.id).collect(),
        Kind::CaseField => tx.all::<CaseField>()?.iter().map(|c| c.id).collect(),
        _ => Vec::new(),
    };
    for id in ids {
        if !is_local_id(id) {
            max = max.max(id);
        }
    }
    Ok(max)
}

/// Rewrites every section and case of a suite with the given edits, moving their index entries
/// (a section whose suite changes leaves the old suite's list).
fn rewrite_suite(
    w: &mut Writer<'_>,
    suite_id: u64,
    edit_section: impl Fn(&mut Section),
    edit_case: impl Fn(&mut Case),
) -> Result<()> {
    for sec_id in w.tx().children(tables::SUITE_SECTIONS, suite_id)? {
        if let Some(mut sec) = w.tx().get::<Section>(sec_id)? {
            edit_section(&mut sec);
            if sec.suite_id != suite_id {
                w.unlink(tables::SUITE_SECTIONS, suite_id, sec_id)?;
            }
            w.put_section(&sec)?;
        }
    }
    let mut cases = Vec::new();
    w.tx().for_each_suite_case(suite_id, 0, |cid, _| {
        cases.push(cid);
        Ok(true)
    })?;
    for cid in cases {
        if let Some(old) = w.tx().get::<Case>(cid)? {
            let mut c = old.clone();
            edit_case(&mut c);
            w.put_case(&c, Some(&old))?;
        }
    }
    Ok(())
}

/// Renames a local entity to its server id, moving everything that points at it, and records
/// the mapping. Nothing happens when it is already renamed.
fn rename(w: &mut Writer<'_>, kind: Kind, local: u64, server: u64) -> Result<()> {
    let tx = w.tx();
    match kind {
        Kind::Case => {
            if let Some(old) = tx.get::<Case>(local)? {
                let mut c = old.clone();
                c.id = server;
                w.delete_case(&old)?;
                w.put_case(&c, None)?;
            }
        }
        Kind::Section => {
            if let Some(old) = tx.get::<Section>(local)? {
                let mut s = old.clone();
                s.id = server;
                w.delete_section(&old)?;
                w.put_section(&s)?;
                for sid in w.tx().children(tables::SUITE_SECTIONS, s.suite_id)? {
                    if let Some(mut child) = w.tx().get::<Section>(sid)? {
                        if child.parent_id == Some(local) {
                            child.parent_id = Some(server);
                            w.put_section(&child)?;
                        }
                    }
                }
                for cid in w.tx().children(tables::SECTION_CASES, local)? {
                    if let Some(old_case) = w.tx().get::<Case>(cid)? {
                        let mut c = old_case.clone();
                        c.section_id = server;
                        w.put_case(&c, Some(&old_case))?;
                    }
                }
            }
        }
        Kind::Suite => {
            if let Some(old) = tx.get::<Suite>(local)? {
                let mut s = old.clone();
                s.id = server;
                w.delete_suite(&old)?;
                w.put_suite(&s)?;
                rewrite_suite(w, local, |s| s.suite_id = server, |c| c.suite_id = server)?;
            }
        }
        Kind::Project => {
            if let Some(old) = tx.get::<Project>(local)? {
                let mut p = old.clone();
                p.id = server;
                w.remove::<Project>(local)?;
                w.put(&p)?;
                for sid in w.tx().children(tables::PROJECT_SUITES, local)? {
                    if let Some(mut suite) = w.tx().get::<Suite>(sid)? {
                        w.unlink(tables::PROJECT_SUITES, local, sid)?;
                        suite.project_id = server;
                        w.put_suite(&suite)?;
                        rewrite_suite(
                            w,
                            sid,
                            |s| s.project_id = server,
                            |c| c.project_id = server,
                        )?;
                    }
                }
            }
        }
        Kind::CaseField => {
            if let Some(old) = tx.get::<CaseField>(local)? {
                let mut f = old.clone();
                f.id = server;
                w.remove::<CaseField>(local)?;
                w.put(&f)?;
            }
        }
        _ => {}
    }
    w.map_id(kind, local, server)
}

/// Pushes the pending journal to `remote` (see the module docs).
pub fn push(
    store: &Store,
    remote: &Remote,
    opts: &PushOptions,
    progress: &mut dyn FnMut(PushProgress),
) -> Result<PushReport> {
    let url = remote.display_url();
    let (known, entries, creators) = {
        let rtx = store.begin_read()?;
        let tx = Tx::Read(&rtx);
        let mut entries = Vec::new();
        let mut creators = HashMap::new();
        tx.for_each_journal_entry(0, |e| {
            for eff in &e.effects {
                if eff.action == Action::Create {
                    creators.insert((eff.kind, eff.id), e.seq);
                }
            }
            if matches!(
                e.state,
                PushState::Pending | PushState::InFlight { .. } | PushState::Blocked { .. }
            ) {
                entries.push(e);
            }
            Ok(true)
        })?;
        (tx.meta_str(meta::REMOTE_URL)?, entries, creators)
    };
    if let Some(k) = &known {
        if *k != url {
            return Err(Error::BadRequest {
                message: format!("This store pushes to {k}, not {url}."),
            });
        }
    }
    let ops = plan(&entries)?;
    progress(PushProgress::Planned(ops.len()));
    let client = Client::new(remote, opts.retry.clone())?;
    let mut pusher = Pusher {
        store,
        marker: false,
        me: None,
        creators,
        opts,
        report: PushReport::default(),
        client,
    };
    if !ops.is_empty() && !opts.dry_run {
        let fields = pusher
            .client
            .get_all("get_case_fields", "case_fields", |_| {})?;
        pusher.marker = fields.iter().any(|f| {
            f.get("system_name").and_then(Value::as_str) == Some(opts.marker_field.as_str())
        });
        pusher.me = pusher
            .client
            .get(&format!(
                "get_user_by_email&email={}",
                percent_encoding::utf8_percent_encode(
                    &remote.user,
                    percent_encoding::NON_ALPHANUMERIC
                )
            ))
            .ok()
            .and_then(|u| u.get("id").and_then(Value::as_u64));
    }
    for op in &ops {
        let step = match pusher.run_op(op) {
            Ok(s) => s,
            Err(e) => {
                // Stop with the journal intact: a refused login puts the entries back to
                // pending; anything else leaves them in flight for the next push to settle.
                if matches!(
                    e,
                    Error::Remote {
                        status: Some(401 | 403),
                        ..
                    }
                ) {
                    let _ = pusher.set_state(&op.seqs, PushState::Pending);
                }
                pusher.report.requests = pusher.client.requests.get();
                return Err(e);
            }
        };
        if opts.dry_run {
            progress(PushProgress::Done);
            continue;
        }
        let mut renames = Vec::new();
        let state = match &step {
            Step::Created(v, r) => {
                renames = r.clone();
                PushState::Done {
                    server_id: v.get("id").and_then(Value::as_u64),
                    server_updated_on: v.get("updated_on").and_then(Value::as_i64),
                }
            }
            Step::Done(v) => PushState::Done {
                server_id: v.as_ref().and_then(|v| v.get("id")).and_then(Value::as_u64),
                server_updated_on: v
                    .as_ref()
                    .and_then(|v| v.get("updated_on"))
                    .and_then(Value::as_i64),
            },
            Step::Nothing => PushState::Done {
                server_id: None,
                server_updated_on: None,
            },
            Step::Rejected(m) => {
                pusher.report.rejected += 1;
                PushState::Rejected { message: m.clone() }
            }
            Step::Conflicted => PushState::Conflict {
                detail: "see trailstore conflicts".into(),
            },
            Step::Blocked(seq) => {
                pusher.report.blocked += 1;
                PushState::Blocked { on_seq: *seq }
            }
        };
        if matches!(state, PushState::Done { .. }) {
            pusher.report.entries_done += op.seqs.len() as u64;
        }
        // The id map, the renamed records and the entries' state commit together.
        pusher.write(|w| {
            for (kind, local, server) in &renames {
                rename(w, *kind, *local, *server)?;
            }
            for seq in &op.seqs {
                if let Some(mut e) = w.tx().journal_entry(*seq)? {
                    e.state = state.clone();
                    w.update_journal(&e)?;
                }
            }
            Ok(())
        })?;
        progress(PushProgress::Done);
    }
    if !opts.dry_run && known.is_none() && !ops.is_empty() {
        pusher.write(|w| w.set_meta_str(meta::REMOTE_URL, &url))?;
    }
    pusher.report.requests = pusher.client.requests.get();
    Ok(pusher.report)
}

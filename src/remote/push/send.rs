//! Sending planned operations: the `Pusher` translates local ids, marks entries in flight before
//! each request, retries until an answer is definite, and records each outcome.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::ids::rename;
use super::plan::{Call, Op};
use super::{PushOptions, PushReport};
use crate::clock::now;
use crate::error::{Error, Result};
use crate::journal::PushState;
use crate::model::{is_local_id, Kind};
use crate::remote::{Client, Remote, Sent};
use crate::store::Store;
use crate::tx::{Tx, Writer};

/// How an operation ended.
pub(super) enum Step {
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

pub(super) struct Pusher<'a> {
    pub(super) store: &'a Store,
    pub(super) client: Client,
    pub(super) opts: &'a PushOptions,
    pub(super) report: PushReport,
    /// Whether the server has the marker field.
    pub(super) marker: bool,
    /// The pushing user's server id, when the server told it.
    pub(super) me: Option<u64>,
    /// The seq of the entry that creates each local entity, for `blocked`.
    pub(super) creators: HashMap<(Kind, u64), u64>,
}

/// Whether a refusal says the target is not on the server.
pub(super) fn is_gone(message: &str) -> bool {
    message.contains("is not a valid")
}

/// Sets the state of journal entries.
fn mark(w: &mut Writer<'_>, seqs: &[u64], state: &PushState) -> Result<()> {
    for seq in seqs {
        if let Some(mut e) = w.tx().journal_entry(*seq)? {
            e.state = state.clone();
            w.update_journal(&e)?;
        }
    }
    Ok(())
}

impl<'a> Pusher<'a> {
    pub(super) fn new(
        store: &'a Store,
        remote: &Remote,
        opts: &'a PushOptions,
        creators: HashMap<(Kind, u64), u64>,
    ) -> Result<Pusher<'a>> {
        Ok(Pusher {
            store,
            marker: false,
            me: None,
            creators,
            opts,
            report: PushReport::default(),
            client: Client::new(remote, opts.retry.clone())?,
        })
    }
}

impl Pusher<'_> {
    /// Asks the server whether it has the marker field, and who `user` is there.
    pub(super) fn learn_server(&mut self, user: &str) -> Result<()> {
        let fields = self
            .client
            .get_all("get_case_fields", "case_fields", |_| {})?;
        self.marker = fields.iter().any(|f| {
            f.get("system_name").and_then(Value::as_str) == Some(self.opts.marker_field.as_str())
        });
        self.me = self
            .client
            .get(&format!(
                "get_user_by_email&email={}",
                percent_encoding::utf8_percent_encode(user, percent_encoding::NON_ALPHANUMERIC)
            ))
            .ok()
            .and_then(|u| u.get("id").and_then(Value::as_u64));
        Ok(())
    }

    /// Ends a push on `e` with the journal intact: a refused login puts the entries back to
    /// pending; anything else leaves them in flight for the next push to settle.
    pub(super) fn stop(&self, op: &Op, e: Error) -> Error {
        if matches!(
            e,
            Error::Remote {
                status: Some(401 | 403),
                ..
            }
        ) {
            let _ = self.set_state(&op.seqs, PushState::Pending);
        }
        e
    }

    /// The report, with the requests made.
    pub(super) fn finish(mut self) -> PushReport {
        self.report.requests = self.client.requests.get();
        self.report
    }

    /// Records how an operation ended: the id map, the renamed records and the entries' state
    /// commit together.
    pub(super) fn record(&mut self, op: &Op, step: &Step) -> Result<()> {
        let state = self.state_after(step);
        if matches!(state, PushState::Done { .. }) {
            self.report.entries_done += op.seqs.len() as u64;
        }
        let renames: &[(Kind, u64, u64)] = match step {
            Step::Created(_, r) => r,
            _ => &[],
        };
        let answer = match step {
            Step::Created(v, _) => Some(v),
            Step::Done(v) => v.as_ref(),
            _ => None,
        };
        self.write(|w| {
            for (kind, local, server) in renames {
                rename(w, *kind, *local, *server)?;
            }
            if let Some(v) = answer {
                take_server_times(w, v)?;
            }
            mark(w, &op.seqs, &state)
        })
    }

    /// The journal state of an operation's entries after `step`.
    fn state_after(&mut self, step: &Step) -> PushState {
        match step {
            Step::Created(v, _) => PushState::Done {
                server_id: v.get("id").and_then(Value::as_u64),
                server_updated_on: v.get("updated_on").and_then(Value::as_i64),
            },
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
                self.report.rejected += 1;
                PushState::Rejected { message: m.clone() }
            }
            Step::Conflicted => PushState::Conflict {
                detail: "changed here and on the server; resolve it with x_resolve_conflict".into(),
            },
            Step::Blocked(seq) => {
                self.report.blocked += 1;
                PushState::Blocked { on_seq: *seq }
            }
        }
    }

    pub(super) fn read<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let rtx = self.store.begin_read()?;
        f(&Tx::Read(&rtx))
    }

    pub(super) fn write<T>(&self, f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        let mut batch = self.store.batch()?;
        let out = batch.with_writer(f)?;
        batch.commit()?;
        Ok(out)
    }

    pub(super) fn set_state(&self, seqs: &[u64], state: PushState) -> Result<()> {
        self.write(|w| mark(w, seqs, &state))
    }

    /// The server id for an id, or the seq of the entry whose create it waits for. In a dry
    /// run an id that is not on the server yet stands for itself.
    pub(super) fn server_id(&self, kind: Kind, id: u64) -> Result<std::result::Result<u64, u64>> {
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

    /// Translates the local ids of a body's id fields; Err(seq) names what it waits for.
    pub(super) fn translate_body(
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
    pub(super) fn send(
        &mut self,
        route: &str,
        body: &Value,
        mut probe: Option<&mut dyn FnMut(&Self) -> Result<super::probe::Probe>>,
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
                        let found = p(self)?;
                        if let Some(answer) = self.settle(found) {
                            return Ok(answer);
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

    pub(super) fn run_op(&mut self, op: &Op) -> Result<Step> {
        match &op.call {
            Call::Nothing => Ok(Step::Nothing),
            Call::Create { .. } => self.create(op),
            Call::Update { kind, id, changes } => self.update(op, *kind, *id, changes),
            Call::UpdateCases { suite, cases } => self.update_cases(op, *suite, cases),
            Call::MoveSection { id, parent, after } => self.move_section(op, *id, *parent, *after),
            Call::MoveCases {
                section,
                suite,
                ids,
            } => self.move_cases(op, *section, *suite, ids),
            Call::Delete { kind, id, .. } => self.delete(op, *kind, *id),
            Call::DeleteCases { suite, ids } => self.delete_cases(op, *suite, ids),
        }
    }

    fn move_section(
        &mut self,
        op: &Op,
        id: u64,
        parent: Option<u64>,
        after: Option<u64>,
    ) -> Result<Step> {
        let id = match self.server_id(Kind::Section, id)? {
            Ok(s) => s,
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        let mut body = json!({"parent_id": Value::Null, "after_id": Value::Null});
        for (k, v) in [("parent_id", parent), ("after_id", after)] {
            if let Some(v) = v {
                match self.server_id(Kind::Section, v)? {
                    Ok(s) => body[k] = s.into(),
                    Err(seq) => return Ok(Step::Blocked(seq)),
                }
            }
        }
        self.simple(op, &format!("move_section/{id}"), body, false)
    }

    fn move_cases(&mut self, op: &Op, section: u64, suite: u64, ids: &[u64]) -> Result<Step> {
        let section = match self.server_id(Kind::Section, section)? {
            Ok(s) => s,
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        let suite = match self.server_id(Kind::Suite, suite)? {
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

    fn delete(&mut self, op: &Op, kind: Kind, id: u64) -> Result<Step> {
        let id = match self.server_id(kind, id)? {
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

    fn delete_cases(&mut self, op: &Op, suite: Option<u64>, ids: &[u64]) -> Result<Step> {
        let mut server_ids = Vec::new();
        for id in ids {
            if let Ok(s) = self.server_id(Kind::Case, *id)? {
                server_ids.push(s);
            }
        }
        let route = match suite {
            Some(s) => match self.server_id(Kind::Suite, s)? {
                Ok(s) => format!("delete_cases/{s}"),
                Err(seq) => return Ok(Step::Blocked(seq)),
            },
            None => "delete_cases".into(),
        };
        // A bulk delete is refused whole if one case is already gone, as it is after a send
        // whose answer was lost: only the cases still there are sent.
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
    pub(super) fn simple(
        &mut self,
        op: &Op,
        route: &str,
        body: Value,
        delete: bool,
    ) -> Result<Step> {
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

    fn get_route(kind: Kind, id: u64) -> String {
        match kind {
            Kind::Case => format!("get_case/{id}"),
            Kind::Section => format!("get_section/{id}"),
            Kind::Suite => format!("get_suite/{id}"),
            _ => format!("get_project/{id}"),
        }
    }

    /// The server's copy of an entity, or None when it is gone.
    pub(super) fn server_copy(&self, kind: Kind, id: u64) -> Result<Option<Value>> {
        match self.client.request(&Self::get_route(kind, id), None) {
            Ok(v) => Ok(v),
            Err(Error::Remote {
                status: Some(400),
                message,
            }) if is_gone(&message) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The server's clock is the truth: a case the server answered with (an add or update, or the
/// `updated` list of a bulk update) takes the server's `created_on` and `updated_on`, so that
/// the local copy and the server's agree even when the push fell in another second than the
/// edit.
fn take_server_times(w: &mut Writer<'_>, answer: &Value) -> Result<()> {
    let cases: Vec<&Value> = match answer.get("updated").and_then(Value::as_array) {
        Some(list) => list.iter().collect(),
        None => vec![answer],
    };
    for c in cases {
        let (Some(id), Some(updated)) = (
            c.get("id").and_then(Value::as_u64),
            c.get("updated_on").and_then(Value::as_i64),
        ) else {
            continue;
        };
        if c.get("section_id").is_none() {
            continue;
        }
        if let Some(old) = w.tx().get::<crate::model::Case>(id)? {
            let mut case = old.clone();
            case.updated_on = updated;
            if let Some(created) = c.get("created_on").and_then(Value::as_i64) {
                case.created_on = created;
            }
            if case != old {
                w.put_case(&case, Some(&old))?;
            }
        }
    }
    Ok(())
}

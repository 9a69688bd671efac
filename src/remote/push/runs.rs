//! Sending the run side: plans and their entries, results in batches, attachments, and the
//! routes replayed as they were called.
//!
//! - **Ids.** Path ids, body ids (nested ones too: a plan's entries and their runs) and plan entry
//!   GUIDs are translated to the server's when sent; one that names an entity whose create has not
//!   reached the server blocks the operation on that create.
//! - **Tests.** The server numbers a new run's tests itself: after a run is created (alone, in a
//!   plan, or given more cases by an update), its tests are read back and each local test takes
//!   the id of the server's test of the same case.
//! - **Results, exactly once.** A batch is committed in flight before it is sent. When its answer
//!   is lost (or an earlier push died with it in flight), the run's results made by this user
//!   since are read back and matched with the batch (by a marker field when the server has one,
//!   else by test and every sent field); only the results not found are sent again.
//! - **A refused batch** (400) is split in halves until the bad results are alone: those are
//!   rejected with the server's message, moved to journal entries of their own; the others go.
//! - **A run the server closed** (TestRail 10.1+ closes runs after 180 days): its results are
//!   held, with a message saying so; with `ClosedRun::New` they go to a new run made after the
//!   old one instead (as pytest-testrail does when its run is closed), remembered so that later
//!   batches follow them.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};

use super::plan::{Call, Op, PlanRun, ResultItem};
use super::send::{Pusher, Rename, Step};
use crate::api::Method;
use crate::clock::now;
use crate::error::{Error, Result};
use crate::journal::PushState;
use crate::model::{is_local_id, Kind, Run};
use crate::remote::Sent;

/// What the server says when results go to a closed run.
fn is_closed(message: &str) -> bool {
    message.contains("already completed")
}

/// The key of a run whose results go elsewhere since the server closed it.
fn redirect_key(server_run: u64) -> String {
    format!("closed_run_redirect.{server_run}")
}

/// A translation that may wait for a create: `Err(seq)` names it.
type Translated<T> = std::result::Result<T, u64>;

impl Pusher<'_> {
    /// The kind a body key names ids of, for an entity of `owner`.
    fn key_kind(owner: Kind, key: &str) -> Option<Kind> {
        match (owner, key) {
            (Kind::Milestone, "parent_id") => Some(Kind::Milestone),
            (_, "parent_id" | "after_id" | "section_id") => None,
            (_, "config_group_id") => Some(Kind::ConfigGroup),
            (_, k) => Kind::of_field(k),
        }
    }

    /// Translates the ids of a value under `key`: a number, a numeric string, a list of them,
    /// or a comma-separated string.
    fn translate_ids(&self, kind: Kind, v: &Value) -> Result<Translated<Value>> {
        let one = |id: u64| self.server_id(kind, id);
        Ok(Ok(match v {
            Value::Number(n) => match n.as_u64() {
                Some(id) => match one(id)? {
                    Ok(s) => s.into(),
                    Err(seq) => return Ok(Err(seq)),
                },
                None => v.clone(),
            },
            Value::String(s) if s.contains(',') || s.trim().parse::<u64>().is_ok() => {
                let mut parts = Vec::new();
                for p in s.split(',') {
                    match p.trim().parse::<u64>() {
                        Ok(id) => match one(id)? {
                            Ok(s) => parts.push(s.to_string()),
                            Err(seq) => return Ok(Err(seq)),
                        },
                        Err(_) => parts.push(p.to_string()),
                    }
                }
                Value::String(parts.join(","))
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    match self.translate_ids(kind, i)? {
                        Ok(t) => out.push(t),
                        Err(seq) => return Ok(Err(seq)),
                    }
                }
                Value::Array(out)
            }
            other => other.clone(),
        }))
    }

    /// A body with every id (nested objects and lists of them too) translated.
    pub(super) fn translate_deep(
        &self,
        owner: Kind,
        body: &Map<String, Value>,
    ) -> Result<Translated<Map<String, Value>>> {
        let mut out = Map::with_capacity(body.len());
        for (k, v) in body {
            let t = match (Self::key_kind(owner, k), v) {
                (Some(kind), _) => self.translate_ids(kind, v)?,
                (None, Value::Object(m)) => self.translate_deep(owner, m)?.map(Value::Object),
                (None, Value::Array(items)) if items.iter().all(Value::is_object) => {
                    let mut list = Vec::with_capacity(items.len());
                    for i in items {
                        let m = i.as_object().cloned().unwrap_or_default();
                        match self.translate_deep(owner, &m)? {
                            Ok(t) => list.push(Value::Object(t)),
                            Err(seq) => return Ok(Err(seq)),
                        }
                    }
                    Ok(Value::Array(list))
                }
                (None, v) => Ok(v.clone()),
            };
            match t {
                Ok(t) => {
                    out.insert(k.clone(), t);
                }
                Err(seq) => return Ok(Err(seq)),
            }
        }
        Ok(Ok(out))
    }

    /// A plan entry's GUID on the server; a local GUID not pushed yet waits for its plan.
    fn server_guid(&self, plan: u64, guid: &str) -> Result<Translated<String>> {
        if let Some(s) = self.read(|tx| tx.server_guid(guid))? {
            return Ok(Ok(s));
        }
        // A GUID made here, or one the server gave: the plan's create decides which.
        match self.server_id(Kind::Plan, plan)? {
            Err(seq) => Ok(Err(seq)),
            Ok(_) => Ok(Ok(guid.to_string())),
        }
    }

    /// A route with its path ids (and entry GUID) on the server.
    pub(super) fn route_of(
        &self,
        method: Method,
        path: &[(Kind, u64)],
        entry: Option<&str>,
    ) -> Result<Translated<String>> {
        let mut route = method.name().to_string();
        for (k, id) in path {
            match self.server_id(*k, *id)? {
                Ok(s) => route.push_str(&format!("/{s}")),
                Err(seq) => return Ok(Err(seq)),
            }
        }
        if let Some(e) = entry {
            let plan = path.first().map_or(0, |p| p.1);
            match self.server_guid(plan, e)? {
                Ok(s) => route.push_str(&format!("/{s}")),
                Err(seq) => return Ok(Err(seq)),
            }
        }
        Ok(Ok(route))
    }

    /// A write replayed as its route. A delete of what is gone, and a close of what the server
    /// closed already, are done. An update of a run may give it tests (new cases), mapped after.
    pub(super) fn replay(
        &mut self,
        op: &Op,
        method: Method,
        path: &[(Kind, u64)],
        entry: Option<&str>,
        body: &Map<String, Value>,
        delete: bool,
    ) -> Result<Step> {
        let route = match self.route_of(method, path, entry)? {
            Ok(r) => r,
            // Made here and deleted before it reached the server: nothing to send.
            Err(_) if delete => return Ok(Step::Nothing),
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        let owner = path.first().map_or(Kind::Project, |p| p.0);
        let body = match self.translate_deep(owner, body)? {
            Ok(b) => b,
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        let close = matches!(method, Method::CloseRun | Method::ClosePlan);
        let step = match self.simple(op, &route, Value::Object(body), delete || close)? {
            Step::Rejected(m) if close && is_closed(&m) => Step::Done(None),
            other => other,
        };
        if let (Step::Done(_), Method::UpdateRun | Method::UpdateRunInPlanEntry) = (&step, method) {
            if let Some((Kind::Run, run)) = path.first() {
                let renames = self.test_renames(*run, None)?;
                if !renames.is_empty() {
                    return Ok(Step::Mapped(Value::Null, renames));
                }
            }
        }
        if let (Step::Done(_), Method::UpdatePlanEntry) = (&step, method) {
            if let Some((Kind::Plan, plan)) = path.first() {
                let mut renames = Vec::new();
                for run in self.read(|tx| {
                    Ok(tx
                        .get::<crate::model::Plan>(*plan)?
                        .and_then(|p| entry.and_then(|e| p.entry(e)).map(|e| e.runs.clone()))
                        .unwrap_or_default())
                })? {
                    renames.extend(self.test_renames(run, None)?);
                }
                if !renames.is_empty() {
                    return Ok(Step::Mapped(Value::Null, renames));
                }
            }
        }
        Ok(step)
    }

    /// The local tests of a run that have no server id yet, each with the id of the server's
    /// test of the same case. `server_run` when the run is not renamed yet.
    pub(super) fn test_renames(&self, run: u64, server_run: Option<u64>) -> Result<Vec<Rename>> {
        let local: Vec<(u64, u64)> = self
            .read(|tx| tx.run_cases(run))?
            .into_iter()
            .filter(|(_, t)| is_local_id(*t))
            .collect();
        if local.is_empty() || self.opts.dry_run {
            return Ok(Vec::new());
        }
        let server_run = match server_run {
            Some(s) => s,
            None => match self.server_id(Kind::Run, run)? {
                Ok(s) => s,
                Err(_) => return Ok(Vec::new()),
            },
        };
        let tests = self
            .client
            .get_all(&format!("get_tests/{server_run}"), "tests", |_| {})?;
        let by_case: HashMap<u64, u64> = tests
            .iter()
            .filter_map(|t| Some((t.get("case_id")?.as_u64()?, t.get("id")?.as_u64()?)))
            .collect();
        let mut out = Vec::new();
        for (case, test) in local {
            let case = match self.server_id(Kind::Case, case)? {
                Ok(c) => c,
                Err(_) => continue,
            };
            if let Some(s) = by_case.get(&case) {
                out.push(Rename::Id(Kind::Test, test, *s));
            }
        }
        Ok(out)
    }

    /// A plan (with its entries and runs), an entry (with its runs) or a run of an entry: sent
    /// once, and the answer's entries and runs matched with those made here.
    pub(super) fn create_plan(&mut self, op: &Op) -> Result<Step> {
        let Call::CreatePlan {
            local,
            method,
            path,
            entry,
            body,
            runs,
        } = &op.call
        else {
            return Ok(Step::Nothing);
        };
        if *method == Method::AddPlan && self.read(|tx| tx.server_id(Kind::Plan, *local))?.is_some()
        {
            return Ok(Step::Done(None));
        }
        let route = match self.route_of(*method, path, entry.as_deref())? {
            Ok(r) => r,
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        let body = match self.translate_deep(Kind::Plan, body)? {
            Ok(b) => Value::Object(b),
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        if self.opts.dry_run {
            self.report.dry_run.push(format!("POST {route} {body}"));
            return Ok(Step::Done(None));
        }
        let plan_server = match method {
            Method::AddPlan => None,
            _ => match self.server_id(Kind::Plan, *local)? {
                Ok(s) => Some(s),
                Err(seq) => return Ok(Step::Blocked(seq)),
            },
        };
        let answer = if op.in_flight {
            self.probe_plan(*method, path, plan_server, &body, runs)?
        } else {
            None
        };
        let answer = match answer {
            Some(v) => {
                self.report.adopted += 1;
                v
            }
            None => {
                self.set_state(&op.seqs, PushState::InFlight { since: now() })?;
                let (m, p, b, r) = (*method, path.clone(), body.clone(), runs.clone());
                let mut probe = move |s: &Self| -> Result<super::probe::Probe> {
                    Ok(match s.probe_plan(m, &p, plan_server, &b, &r)? {
                        Some(v) => super::probe::Probe::Found(v),
                        None => super::probe::Probe::None,
                    })
                };
                match self.send(&route, &body, Some(&mut probe))? {
                    Sent::Ok(Some(v)) => {
                        self.report.sent += 1;
                        self.report.created += 1;
                        v
                    }
                    Sent::Ok(None) => {
                        return Err(Error::Remote {
                            status: Some(200),
                            message: format!("{route} answered an empty body"),
                        })
                    }
                    Sent::Refused { message, .. } => return Ok(Step::Rejected(message)),
                    Sent::Ambiguous(why) => {
                        return Err(Error::Remote {
                            status: None,
                            message: why,
                        })
                    }
                }
            }
        };
        let mut renames = Vec::new();
        let plan_id = match method {
            Method::AddPlan => {
                let id = answer
                    .get("id")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| Error::Remote {
                        status: Some(200),
                        message: format!("{route} answered without an id"),
                    })?;
                renames.push(Rename::Id(Kind::Plan, *local, id));
                id
            }
            _ => plan_server.unwrap_or(0),
        };
        let entries: Vec<Value> = match method {
            Method::AddPlan | Method::AddRunToPlanEntry => answer
                .get("entries")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            _ => vec![answer.clone()],
        };
        self.match_plan_runs(
            plan_id,
            *local,
            &entries,
            runs,
            entry.as_deref(),
            &mut renames,
        )?;
        Ok(Step::Mapped(answer, renames))
    }

    /// Matches the runs made here with the server's entries: entry by entry (in order, or the
    /// entry `only`), run by run by configurations; each matched run's tests follow.
    fn match_plan_runs(
        &self,
        plan_server: u64,
        plan_local: u64,
        entries: &[Value],
        runs: &[PlanRun],
        only: Option<&str>,
        renames: &mut Vec<Rename>,
    ) -> Result<()> {
        // The local entries, in the order the plan create sent them.
        let mut local_entries: Vec<String> = Vec::new();
        for r in runs {
            if let Some(e) = &r.entry {
                if !local_entries.contains(e) {
                    local_entries.push(e.clone());
                }
            }
        }
        let configs = |v: &Value| -> Vec<u64> {
            let mut c: Vec<u64> = v
                .get("config_ids")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            c.sort_unstable();
            c
        };
        let server_entry = |i: usize, guid: &str| -> Option<&Value> {
            match only {
                Some(o) => {
                    let server = self.read(|tx| tx.server_guid(o)).ok().flatten();
                    let want = server.as_deref().unwrap_or(o);
                    entries
                        .iter()
                        .find(|e| e.get("id").and_then(Value::as_str) == Some(want))
                }
                None if entries.len() == 1 && local_entries.len() == 1 => entries.first(),
                None => entries.get(i).filter(|_| !guid.is_empty()),
            }
        };
        for (i, guid) in local_entries.iter().enumerate() {
            let Some(se) = server_entry(i, guid) else {
                continue;
            };
            if let Some(sg) = se.get("id").and_then(Value::as_str) {
                if sg != guid && only.is_none() {
                    renames.push(Rename::Guid(
                        plan_local,
                        plan_server,
                        guid.clone(),
                        sg.into(),
                    ));
                }
            }
            let server_runs = se
                .get("runs")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for r in runs.iter().filter(|r| r.entry.as_deref() == Some(guid)) {
                let mut want = Vec::new();
                for c in &r.config_ids {
                    if let Ok(s) = self.server_id(Kind::Config, *c)? {
                        want.push(s);
                    }
                }
                want.sort_unstable();
                let taken: HashSet<u64> = renames
                    .iter()
                    .filter_map(|x| match x {
                        Rename::Id(Kind::Run, _, s) => Some(*s),
                        _ => None,
                    })
                    .collect();
                let found = server_runs.iter().find(|sr| {
                    let id = sr.get("id").and_then(Value::as_u64).unwrap_or(0);
                    configs(sr) == want
                        && !taken.contains(&id)
                        && self
                            .read(|tx| tx.local_alias(Kind::Run, id))
                            .ok()
                            .flatten()
                            .is_none()
                });
                if let Some(id) = found.and_then(|sr| sr.get("id")).and_then(Value::as_u64) {
                    renames.push(Rename::Id(Kind::Run, r.local, id));
                    renames.extend(self.test_renames(r.local, Some(id))?);
                }
            }
        }
        Ok(())
    }

    /// Looks for the plan, entry or run an ambiguous plan create may have made: one this user
    /// made since, with the same name (a plan), or an entry of the same suite and name whose
    /// runs no store maps yet.
    fn probe_plan(
        &self,
        method: Method,
        path: &[(Kind, u64)],
        plan_server: Option<u64>,
        body: &Value,
        runs: &[PlanRun],
    ) -> Result<Option<Value>> {
        let unmapped = |kind: Kind, id: u64| -> bool {
            self.read(|tx| tx.local_alias(kind, id))
                .ok()
                .flatten()
                .is_none()
        };
        match method {
            Method::AddPlan => {
                let project = match path.first() {
                    Some((k, p)) => match self.server_id(*k, *p)? {
                        Ok(s) => s,
                        Err(_) => return Ok(None),
                    },
                    None => return Ok(None),
                };
                let mut route = format!("get_plans/{project}");
                if let Some(me) = self.me {
                    route.push_str(&format!("&created_by={me}"));
                }
                let known = self.read(|tx| {
                    Ok(tx
                        .all::<crate::model::Plan>()?
                        .iter()
                        .filter(|p| !is_local_id(p.id))
                        .map(|p| p.id)
                        .max()
                        .unwrap_or(0))
                })?;
                let found: Vec<Value> = self
                    .client
                    .get_all(&route, "plans", |_| {})?
                    .into_iter()
                    .filter(|p| {
                        let id = p.get("id").and_then(Value::as_u64).unwrap_or(0);
                        id > known && unmapped(Kind::Plan, id) && p.get("name") == body.get("name")
                    })
                    .collect();
                match found.as_slice() {
                    [one] => {
                        let id = one.get("id").and_then(Value::as_u64).unwrap_or(0);
                        Ok(Some(self.client.get(&format!("get_plan/{id}"))?))
                    }
                    _ => Ok(None),
                }
            }
            _ => {
                let Some(plan) = plan_server else {
                    return Ok(None);
                };
                let p = self.client.get(&format!("get_plan/{plan}"))?;
                let entries = p
                    .get("entries")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                // An entry (or run) whose runs no store maps: the one the lost answer made.
                let fresh = |e: &Value| -> bool {
                    e.get("runs").and_then(Value::as_array).is_some_and(|rs| {
                        !rs.is_empty()
                            && rs.iter().all(|r| {
                                unmapped(
                                    Kind::Run,
                                    r.get("id").and_then(Value::as_u64).unwrap_or(0),
                                )
                            })
                    })
                };
                match method {
                    Method::AddPlanEntry => {
                        let found: Vec<&Value> = entries
                            .iter()
                            .filter(|e| {
                                e.get("suite_id") == body.get("suite_id")
                                    && (body.get("name").is_none()
                                        || e.get("name") == body.get("name"))
                                    && fresh(e)
                            })
                            .collect();
                        Ok(match found.as_slice() {
                            [one] => Some((*one).clone()),
                            _ => None,
                        })
                    }
                    _ => {
                        // A run added to an entry: there when a run of its configurations is.
                        let want: HashSet<u64> = runs
                            .iter()
                            .flat_map(|r| r.config_ids.iter())
                            .filter_map(|c| self.server_id(Kind::Config, *c).ok()?.ok())
                            .collect();
                        let there = entries.iter().any(|e| {
                            e.get("runs").and_then(Value::as_array).is_some_and(|rs| {
                                rs.iter().any(|r| {
                                    let id = r.get("id").and_then(Value::as_u64).unwrap_or(0);
                                    let c: HashSet<u64> = r
                                        .get("config_ids")
                                        .and_then(Value::as_array)
                                        .map(|a| a.iter().filter_map(Value::as_u64).collect())
                                        .unwrap_or_default();
                                    c == want && unmapped(Kind::Run, id)
                                })
                            })
                        });
                        Ok(there.then_some(p))
                    }
                }
            }
        }
    }

    /// Results of one run, sent as `add_results_for_cases` exactly once (see the module docs).
    pub(super) fn push_results(&mut self, op: &Op, run: u64, items: &[ResultItem]) -> Result<Step> {
        let server_run = match self.server_id(Kind::Run, run)? {
            Ok(s) => s,
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        let server_run = self
            .read(|tx| tx.meta_u64(&redirect_key(server_run)))?
            .unwrap_or(server_run);
        // Results already pushed (a crash after the send and before the record).
        let mut todo = Vec::new();
        let mut done = Vec::new();
        for item in items {
            match self.read(|tx| tx.server_id(Kind::Result, item.local))? {
                Some(s) => done.push((item.local, s)),
                None => todo.push(item.clone()),
            }
        }
        let mut bodies = Vec::with_capacity(todo.len());
        for item in &todo {
            match self.translate_deep(Kind::Result, &item.body)? {
                Ok(mut b) => {
                    if let Some(field) = &self.result_marker {
                        b.insert(field.clone(), json!(format!("{}/{}", op.op_id, item.local)));
                    }
                    bodies.push(b)
                }
                Err(seq) => return Ok(Step::Blocked(seq)),
            }
        }
        if self.opts.dry_run {
            if !todo.is_empty() {
                self.report.dry_run.push(format!(
                    "POST add_results_for_cases/{server_run} ({} results)",
                    todo.len()
                ));
            }
            return Ok(Step::Done(None));
        }
        let mut outcome = Outcome {
            done,
            ..Outcome::default()
        };
        let since = now();
        // An earlier push may have sent these: what the server has is not sent again.
        let mut left: Vec<(ResultItem, Map<String, Value>)> =
            todo.into_iter().zip(bodies).collect();
        if op.in_flight {
            let found = self.probe_results(server_run, &left, None)?;
            left.retain(|(item, _)| !found.iter().any(|(l, _)| *l == item.local));
            self.report.adopted += found.len() as u64;
            outcome.done.extend(found);
        }
        if !left.is_empty() {
            self.set_state(&op.seqs, PushState::InFlight { since })?;
            self.send_results(server_run, run, left, since, &mut outcome)?;
        }
        Ok(Step::Results(outcome))
    }

    /// Sends results until each is on the server, rejected or held.
    fn send_results(
        &mut self,
        server_run: u64,
        local_run: u64,
        items: Vec<(ResultItem, Map<String, Value>)>,
        since: i64,
        outcome: &mut Outcome,
    ) -> Result<()> {
        let route = format!("add_results_for_cases/{server_run}");
        let body = json!({"results": items.iter().map(|(_, b)| Value::Object(b.clone())).collect::<Vec<_>>()});
        let mut items = items;
        let attempt = *self.attempts.entry(server_run).or_insert(0);
        let backoff = self.client.policy().backoff * 2u32.saturating_pow(attempt.min(6));
        {
            match self.client.send_once(&route, Some(&body)) {
                Sent::Ok(Some(Value::Array(answer))) if answer.len() == items.len() => {
                    self.report.sent += 1;
                    self.report.results += items.len() as u64;
                    for ((item, _), r) in items.iter().zip(&answer) {
                        if let Some(id) = r.get("id").and_then(Value::as_u64) {
                            outcome.done.push((item.local, id));
                        }
                    }
                    self.attempts.remove(&server_run);
                    Ok(())
                }
                Sent::Ok(_) => Err(Error::Remote {
                    status: Some(200),
                    message: format!("{route} did not answer one result per result sent"),
                }),
                Sent::Refused {
                    status: 403,
                    message,
                } if is_closed(&message) => {
                    self.closed_run(server_run, local_run, items, outcome, &message)
                }
                Sent::Refused {
                    status: s @ (401 | 403),
                    message,
                } => Err(Error::Remote {
                    status: Some(s),
                    message,
                }),
                Sent::Refused { message, .. } => {
                    if items.len() == 1 {
                        outcome.rejected.push((items[0].0.local, message));
                        return Ok(());
                    }
                    // One bad result refuses the whole batch: halves find it.
                    let second = items.split_off(items.len() / 2);
                    self.send_results(server_run, local_run, items, since, outcome)?;
                    self.send_results(server_run, local_run, second, since, outcome)
                }
                Sent::Ambiguous(why) => {
                    let tries = {
                        let a = self.attempts.entry(server_run).or_insert(0);
                        *a += 1;
                        *a
                    };
                    if tries >= self.client.policy().max_attempts {
                        return Err(Error::Remote {
                            status: None,
                            message: format!("{route}: {why} (gave up after {tries} attempts; the results stay in flight and the next push settles them)"),
                        });
                    }
                    std::thread::sleep(backoff.min(self.client.policy().max_backoff));
                    let found = self.probe_results(server_run, &items, Some(since))?;
                    if !found.is_empty() {
                        self.report.adopted += found.len() as u64;
                        items.retain(|(item, _)| !found.iter().any(|(l, _)| *l == item.local));
                        outcome.done.extend(found);
                    }
                    if items.is_empty() {
                        return Ok(());
                    }
                    // Only the results not found go again.
                    self.send_results(server_run, local_run, items, since, outcome)
                }
            }
        }
    }

    /// Results of a run the server closed: held, or (with `ClosedRun::New`) sent to a new run
    /// made like the old one, which later batches follow.
    fn closed_run(
        &mut self,
        server_run: u64,
        local_run: u64,
        items: Vec<(ResultItem, Map<String, Value>)>,
        outcome: &mut Outcome,
        message: &str,
    ) -> Result<()> {
        if self.opts.closed_run == super::ClosedRun::Hold {
            let why = format!(
                "{message} The server closed run {server_run}: these results are held; push with a new run for closed runs (trailstore push --closed-run new) to send them to a new run made like it."
            );
            for (item, _) in items {
                outcome.held.push((item.local, why.clone()));
            }
            return Ok(());
        }
        let old = self.client.get(&format!("get_run/{server_run}"))?;
        let mut cases: Vec<u64> = Vec::new();
        let local = self.read(|tx| tx.get::<Run>(local_run))?;
        for (c, _) in self.read(|tx| tx.run_cases(local_run))? {
            if let Ok(s) = self.server_id(Kind::Case, c)? {
                cases.push(s);
            }
        }
        let name = old
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or(local.map(|r| r.name))
            .unwrap_or_else(|| format!("Run {server_run}"));
        let project = old.get("project_id").and_then(Value::as_u64).unwrap_or(0);
        let body = json!({
            "suite_id": old.get("suite_id"),
            "name": name,
            "description": old.get("description"),
            "milestone_id": old.get("milestone_id"),
            "include_all": false,
            "case_ids": cases,
        });
        let made = match self
            .client
            .send_once(&format!("add_run/{project}"), Some(&body))
        {
            Sent::Ok(Some(v)) => v,
            Sent::Refused { message, .. } => {
                for (item, _) in items {
                    outcome.held.push((item.local, message.clone()));
                }
                return Ok(());
            }
            other => {
                return Err(Error::Remote {
                    status: None,
                    message: format!("making a new run for closed run {server_run}: {other:?}"),
                })
            }
        };
        let new_run = made
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| Error::internal("add_run answered without an id"))?;
        self.report.created += 1;
        self.write(|w| w.set_meta_u64(&redirect_key(server_run), new_run))?;
        self.send_results(new_run, local_run, items, now(), outcome)
    }

    /// The results of a batch the server has: among the run's results this user made (since
    /// `since`, when known) that no store maps yet, one per sent result, matched by the marker
    /// when the server has it, else by test and every sent field.
    fn probe_results(
        &self,
        server_run: u64,
        items: &[(ResultItem, Map<String, Value>)],
        since: Option<i64>,
    ) -> Result<Vec<(u64, u64)>> {
        let mut route = format!("get_results_for_run/{server_run}");
        if let Some(s) = since {
            route.push_str(&format!("&created_after={}", s - 2));
        }
        if let Some(me) = self.me {
            route.push_str(&format!("&created_by={me}"));
        }
        let candidates: Vec<Value> = self
            .client
            .get_all(&route, "results", |_| {})?
            .into_iter()
            .filter(|r| {
                let id = r.get("id").and_then(Value::as_u64).unwrap_or(0);
                self.read(|tx| tx.local_alias(Kind::Result, id))
                    .ok()
                    .flatten()
                    .is_none()
            })
            .collect();
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let tests = self
            .client
            .get_all(&format!("get_tests/{server_run}"), "tests", |_| {})?;
        let test_of_case: HashMap<u64, u64> = tests
            .iter()
            .filter_map(|t| Some((t.get("case_id")?.as_u64()?, t.get("id")?.as_u64()?)))
            .collect();
        let mut taken = HashSet::new();
        let mut found = Vec::new();
        // Oldest first, as they were sent.
        let mut candidates = candidates;
        candidates.sort_by_key(|r| r.get("id").and_then(Value::as_u64).unwrap_or(0));
        for (item, body) in items {
            let test = body
                .get("case_id")
                .and_then(Value::as_u64)
                .and_then(|c| test_of_case.get(&c));
            let hit = candidates.iter().find(|r| {
                let id = r.get("id").and_then(Value::as_u64).unwrap_or(0);
                !taken.contains(&id)
                    && r.get("test_id").and_then(Value::as_u64) == test.copied()
                    && match &self.result_marker {
                        Some(f) => r.get(f) == body.get(f),
                        None => same_result(r, body),
                    }
            });
            if let Some(r) = hit {
                let id = r.get("id").and_then(Value::as_u64).unwrap_or(0);
                taken.insert(id);
                found.push((item.local, id));
            }
        }
        Ok(found)
    }

    /// An attachment's bytes, uploaded to its owner once.
    pub(super) fn upload(
        &mut self,
        op: &Op,
        local: u64,
        method: Method,
        path: &[(Kind, u64)],
        entry: Option<&str>,
    ) -> Result<Step> {
        if self
            .read(|tx| tx.server_id(Kind::Attachment, local))?
            .is_some()
        {
            return Ok(Step::Done(None));
        }
        let route = match self.route_of(method, path, entry)? {
            Ok(r) => r,
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        let file = match self.store.attachment(&local.to_string()) {
            Ok(f) => f,
            // Deleted here since (with its owner, or by itself): nothing to send.
            Err(Error::NotFound { .. }) => return Ok(Step::Nothing),
            Err(e) => return Err(e),
        };
        if self.opts.dry_run {
            self.report.dry_run.push(format!(
                "POST {route} (multipart: {}, {} bytes)",
                file.name(),
                file.size()
            ));
            return Ok(Step::Done(None));
        }
        let owner = path.first().copied();
        let listing = match (method, owner) {
            (Method::AddAttachmentToResult, Some((_, r))) => self
                .read(|tx| tx.get::<crate::model::TestResult>(r))?
                .map(|r| (Kind::Test, r.test_id)),
            (_, o) => o,
        };
        let probe_route = |s: &Self| -> Result<Option<String>> {
            let Some((kind, id)) = listing else {
                return Ok(None);
            };
            let Ok(server) = s.server_id(kind, id)? else {
                return Ok(None);
            };
            Ok(Some(match (kind, entry) {
                (Kind::Test, _) => format!("get_attachments_for_test/{server}"),
                (Kind::Case, _) => format!("get_attachments_for_case/{server}"),
                (Kind::Run, _) => format!("get_attachments_for_run/{server}"),
                (Kind::Plan, Some(e)) => match s.server_guid(id, e)? {
                    Ok(g) => format!("get_attachments_for_plan_entry/{server}/{g}"),
                    Err(_) => return Ok(None),
                },
                _ => format!("get_attachments_for_plan/{server}"),
            }))
        };
        let (name, size) = (file.name().to_string(), file.size());
        let find = |s: &Self| -> Result<Option<u64>> {
            let Some(route) = probe_route(s)? else {
                return Ok(None);
            };
            let list = s.client.get_all(&route, "attachments", |_| {})?;
            let hits: Vec<u64> = list
                .iter()
                .filter(|a| {
                    a.get("name").and_then(Value::as_str) == Some(name.as_str())
                        && a.get("size").and_then(Value::as_u64) == Some(size)
                })
                .filter_map(|a| {
                    a.get("id")
                        .and_then(Value::as_u64)
                        .or_else(|| a.get("legacy_id").and_then(Value::as_u64))
                })
                .filter(|id| {
                    s.read(|tx| tx.local_alias(Kind::Attachment, *id))
                        .ok()
                        .flatten()
                        .is_none()
                })
                .collect();
            Ok(match hits.as_slice() {
                [one] => Some(*one),
                _ => None,
            })
        };
        if op.in_flight {
            if let Some(id) = find(self)? {
                self.report.adopted += 1;
                return Ok(Step::Mapped(
                    Value::Null,
                    vec![Rename::Id(Kind::Attachment, local, id)],
                ));
            }
        }
        self.set_state(&op.seqs, PushState::InFlight { since: now() })?;
        let mut attempt = 0u32;
        let mut backoff = self.client.policy().backoff;
        loop {
            let f = file.clone();
            let sent = self.client.upload_once(&route, &name, size, &move || {
                Ok(Box::new(crate::upload::OwnedReader::new(f.clone()))
                    as Box<dyn std::io::Read + Send>)
            });
            match sent {
                Sent::Ok(v) => {
                    let id = v
                        .as_ref()
                        .and_then(|v| v.get("attachment_id"))
                        .and_then(|i| {
                            i.as_u64()
                                .or_else(|| i.as_str().and_then(|s| s.parse().ok()))
                        });
                    self.report.sent += 1;
                    self.report.created += 1;
                    return Ok(match id {
                        Some(id) => Step::Mapped(
                            v.unwrap_or(Value::Null),
                            vec![Rename::Id(Kind::Attachment, local, id)],
                        ),
                        None => Step::Done(v),
                    });
                }
                Sent::Refused {
                    status: s @ (401 | 403),
                    message,
                } => {
                    return Err(Error::Remote {
                        status: Some(s),
                        message,
                    })
                }
                Sent::Refused { message, .. } => return Ok(Step::Rejected(message)),
                Sent::Ambiguous(why) => {
                    attempt += 1;
                    if attempt >= self.client.policy().max_attempts {
                        return Err(Error::Remote {
                            status: None,
                            message: format!("{route}: {why} (gave up after {attempt} attempts; the upload stays in flight and the next push settles it)"),
                        });
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(self.client.policy().max_backoff);
                    if let Some(id) = find(self)? {
                        self.report.adopted += 1;
                        return Ok(Step::Mapped(
                            Value::Null,
                            vec![Rename::Id(Kind::Attachment, local, id)],
                        ));
                    }
                }
            }
        }
    }
}

/// How a results operation ended, result by result.
#[derive(Debug, Default)]
pub(super) struct Outcome {
    /// (local id, server id) of the results on the server.
    pub(super) done: Vec<(u64, u64)>,
    /// Refused for good, with the server's message.
    pub(super) rejected: Vec<(u64, String)>,
    /// Kept back, with why (a closed run).
    pub(super) held: Vec<(u64, String)>,
}

/// Whether a server result is the one sent: every sent field that a result shows back is the
/// same (an elapsed time compared as a duration, since servers format it their own way).
fn same_result(server: &Value, sent: &Map<String, Value>) -> bool {
    sent.iter().all(|(k, v)| match k.as_str() {
        "case_id" | "attachments" => true,
        "elapsed" => {
            let secs = |x: Option<&Value>| {
                x.and_then(Value::as_str)
                    .and_then(crate::validate::elapsed_seconds)
            };
            secs(server.get(k)) == secs(Some(v))
        }
        _ => match server.get(k) {
            Some(theirs) => crate::conflicts::same(
                Some(&crate::model::Json::from(theirs)),
                Some(&crate::model::Json::from(v)),
            ),
            None => !k.starts_with("custom_"),
        },
    })
}

//! Sending a create exactly once: its route and body are translated to server ids, an entry an
//! earlier push left in flight is probed before anything is sent, and the answer names the server
//! ids the local records are renamed to.

use serde_json::{Map, Value};

use super::plan::{Call, Op};
use super::send::{Pusher, Rename, Step};
use crate::api::Method;
use crate::clock::now;
use crate::error::{Error, Result};
use crate::journal::PushState;
use crate::model::{Json, Kind};
use crate::remote::Sent;

impl Pusher<'_> {
    pub(super) fn create(&mut self, op: &Op) -> Result<Step> {
        let Call::Create {
            kind,
            local,
            method,
            path,
            body,
            master_suite,
        } = &op.call
        else {
            return Ok(Step::Nothing);
        };
        // Already created by an earlier push that lost track (crash after the map commit).
        if self.read(|tx| tx.server_id(*kind, *local))?.is_some() {
            return Ok(Step::Done(None));
        }
        let (route, parent) = match self.create_route(*method, path)? {
            Ok(r) => r,
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        let body = match self.create_body(op, *kind, body)? {
            Ok(b) => Value::Object(b),
            Err(seq) => return Ok(Step::Blocked(seq)),
        };
        if self.opts.dry_run {
            self.report.dry_run.push(format!("POST {route} {body}"));
            return Ok(Step::Done(None));
        }
        let answer = self.send_create(op, *kind, parent, &route, &body)?;
        self.created(answer, &route, *kind, *local, *master_suite)
    }

    /// The route with its path ids on the server, and the first of them (the parent the
    /// entity goes in); Err(seq) names the create it waits for.
    fn create_route(
        &self,
        method: Method,
        path: &[(Kind, u64)],
    ) -> Result<std::result::Result<(String, Option<u64>), u64>> {
        let mut route = method.name().to_string();
        let mut parent = None;
        for (k, id) in path {
            match self.server_id(*k, *id)? {
                Ok(s) => {
                    route.push_str(&format!("/{s}"));
                    parent = parent.or(Some(s));
                }
                Err(seq) => return Ok(Err(seq)),
            }
        }
        Ok(Ok((route, parent)))
    }

    /// The body with server ids, and a case's marker when the instance has the field.
    fn create_body(
        &self,
        op: &Op,
        kind: Kind,
        body: &Map<String, Value>,
    ) -> Result<std::result::Result<Map<String, Value>, u64>> {
        let run_side = matches!(
            kind,
            Kind::Milestone | Kind::ConfigGroup | Kind::Config | Kind::Run
        );
        let translated = if run_side {
            self.translate_deep(kind, body)?
        } else {
            self.translate_body(body)?
        };
        let mut body = match translated {
            Ok(b) => b,
            Err(seq) => return Ok(Err(seq)),
        };
        if kind == Kind::Case && self.marker {
            body.insert(
                self.opts.marker_field.clone(),
                Value::String(op.op_id.clone()),
            );
        }
        Ok(Ok(body))
    }

    /// Sends a create until its answer is definite, probing before any resend.
    fn send_create(
        &mut self,
        op: &Op,
        kind: Kind,
        parent: Option<u64>,
        route: &str,
        body: &Value,
    ) -> Result<Sent> {
        // It may have reached the server before the process that sent it died: look first.
        if op.in_flight {
            let found = self.probe(kind, parent, body, &op.op_id)?;
            if let Some(answer) = self.settle(found) {
                return Ok(answer);
            }
        }
        self.set_state(&op.seqs, PushState::InFlight { since: now() })?;
        let (body_c, op_id) = (body.clone(), op.op_id.clone());
        let mut probe = move |p: &Self| p.probe(kind, parent, &body_c, &op_id);
        self.send(route, body, Some(&mut probe))
    }

    /// The step a create's answer makes: the local ids to rename to the server's, a conflict
    /// when several server entities matched, or the server's refusal.
    fn created(
        &mut self,
        answer: Sent,
        route: &str,
        kind: Kind,
        local: u64,
        master_suite: Option<u64>,
    ) -> Result<Step> {
        match answer {
            Sent::Ok(Some(v)) => {
                let server = v
                    .get("id")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| Error::Remote {
                        status: Some(200),
                        message: format!("{route} answered without an id"),
                    })?;
                let master = match (master_suite, kind) {
                    (Some(ms), Kind::Project) => self.master_suite_of(server)?.map(|sid| (ms, sid)),
                    _ => None,
                };
                let mut renames = vec![(kind, local, server)];
                if let Some((l, s)) = master {
                    renames.push((Kind::Suite, l, s));
                }
                self.report.sent += 1;
                self.report.created += 1;
                if kind == Kind::Run {
                    // The server numbered the run's tests: each local test takes the id of the
                    // server's test of its case.
                    let mut all = vec![Rename::Id(Kind::Run, local, server)];
                    all.extend(self.test_renames(local, Some(server))?);
                    return Ok(Step::Mapped(v, all));
                }
                Ok(Step::Created(v, renames))
            }
            Sent::Ok(None) => Err(Error::Remote {
                status: Some(200),
                message: format!("{route} answered an empty body"),
            }),
            Sent::Refused { status: 0, message } => {
                self.conflict(kind, local, "create", None, Some(Json::Str(message)), None)?;
                Ok(Step::Conflicted)
            }
            Sent::Refused { message, .. } => Ok(Step::Rejected(message)),
            Sent::Ambiguous(why) => Err(Error::Remote {
                status: None,
                message: why,
            }),
        }
    }

    /// The master suite the server made with a single-suite project.
    fn master_suite_of(&self, project: u64) -> Result<Option<u64>> {
        let suites = self
            .client
            .get_all(&format!("get_suites/{project}"), "suites", |_| {})?;
        Ok(suites
            .first()
            .and_then(|s| s.get("id"))
            .and_then(Value::as_u64))
    }
}

//! Sending updates: the server's copy is re-read and compared with each change's base, so only
//! fields changed here alone are sent (a resend of an applied update sends nothing), and a field
//! changed on both sides to different values is recorded as a conflict.

use serde_json::{json, Map, Value};

use super::plan::{json_id, Changes, Op};
use super::send::{Pusher, Step};
use crate::clock::now;
use crate::conflicts::{same, Conflict, DELETED};
use crate::error::Result;
use crate::model::{Json, Kind};

impl Pusher<'_> {
    pub(super) fn update(
        &mut self,
        op: &Op,
        kind: Kind,
        id: u64,
        changes: &Changes,
    ) -> Result<Step> {
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
            self.deleted_there(kind, server_id)?;
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

    /// One `update_cases` when every case sends the same fields, else one `update_case` each.
    pub(super) fn update_cases(
        &mut self,
        op: &Op,
        suite: u64,
        cases: &[(u64, Changes)],
    ) -> Result<Step> {
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
                self.deleted_there(Kind::Case, sid)?;
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

    /// Records that the server deleted what was edited here.
    fn deleted_there(&mut self, kind: Kind, server_id: u64) -> Result<()> {
        self.conflict(
            kind,
            server_id,
            DELETED,
            None,
            Some(Json::Str("edited here".into())),
            None,
        )?;
        self.report.conflicts += 1;
        Ok(())
    }

    pub(super) fn conflict(
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
        if conflicts > 0 {
            if let Some(t) = server.get("updated_on").and_then(Value::as_i64) {
                self.write(|w| crate::conflicts::remember_server_time(w, kind, id, t))?;
            }
        }
        Ok((send, conflicts))
    }
}

//! Probing the server for a create whose answer was lost, before it is resent: the entity it may
//! have made is looked for among those this user created with ids newer than any the store
//! knows, by the marker field when the instance has one, else by every sent field.

use serde_json::Value;

use super::send::Pusher;
use crate::conflicts::same;
use crate::error::Result;
use crate::model::{
    is_local_id, Case, CaseField, Config, ConfigGroup, Json, Kind, Milestone, Project, Run,
    Section, Suite,
};
use crate::remote::client::Sent;
use crate::tx::Tx;

/// What a probe found on the server.
pub(super) enum Probe {
    Found(Value),
    None,
    Several,
}

/// The refusal a create gets when several server entities match it.
const SEVERAL: &str = "several server entities match this create; pick one by hand";

/// The highest server-range id of a kind the store holds.
fn with_max_server_id(tx: &Tx<'_>, kind: Kind) -> Result<u64> {
    let mut max = 0;
    let ids: Vec<u64> = match kind {
        Kind::Case => tx.all::<Case>()?.iter().map(|c| c.id).collect(),
        Kind::Section => tx.all::<Section>()?.iter().map(|c| c.id).collect(),
        Kind::Suite => tx.all::<Suite>()?.iter().map(|c| c.id).collect(),
        Kind::Project => tx.all::<Project>()?.iter().map(|c| c.id).collect(),
        Kind::CaseField => tx.all::<CaseField>()?.iter().map(|c| c.id).collect(),
        Kind::Milestone => tx.all::<Milestone>()?.iter().map(|c| c.id).collect(),
        Kind::ConfigGroup => tx.all::<ConfigGroup>()?.iter().map(|c| c.id).collect(),
        Kind::Config => tx.all::<Config>()?.iter().map(|c| c.id).collect(),
        Kind::Run => tx.all::<Run>()?.iter().map(|c| c.id).collect(),
        _ => Vec::new(),
    };
    for id in ids {
        if !is_local_id(id) {
            max = max.max(id);
        }
    }
    Ok(max)
}

impl Pusher<'_> {
    /// Looks for the entity an ambiguous create may have made.
    pub(super) fn probe(
        &self,
        kind: Kind,
        parent: Option<u64>,
        body: &Value,
        op_id: &str,
    ) -> Result<Probe> {
        let newest_known = self.read(|tx| with_max_server_id(tx, kind))?;
        let mapped = |id: u64| {
            self.read(|tx| tx.local_alias(kind, id))
                .map(|a| a.is_some())
        };
        let Some(candidates) = self.candidates(kind, parent, body)? else {
            return Ok(Probe::None);
        };
        let mut found = Vec::new();
        for c in candidates {
            let Some(id) = c.get("id").and_then(Value::as_u64) else {
                continue;
            };
            if id <= newest_known || mapped(id)? {
                continue;
            }
            if self.is_match(kind, &c, body, op_id) {
                found.push(c);
            }
        }
        Ok(match found.len() {
            0 => Probe::None,
            1 => Probe::Found(found.remove(0)),
            _ => Probe::Several,
        })
    }

    /// The server entities a create under `parent` may have made; None when there is nowhere to
    /// look (no parent, or a section the store does not hold).
    fn candidates(
        &self,
        kind: Kind,
        parent: Option<u64>,
        body: &Value,
    ) -> Result<Option<Vec<Value>>> {
        Ok(Some(match kind {
            Kind::Case => {
                let Some(section) = parent else {
                    return Ok(None);
                };
                let Some(sec) = self.read(|tx| tx.get::<Section>(section))? else {
                    return Ok(None);
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
                    return Ok(None);
                };
                let mut route = format!("get_sections/{project}");
                if let Some(s) = body.get("suite_id").and_then(Value::as_u64) {
                    route.push_str(&format!("&suite_id={s}"));
                }
                self.client.get_all(&route, "sections", |_| {})?
            }
            Kind::Suite => {
                let Some(project) = parent else {
                    return Ok(None);
                };
                self.client
                    .get_all(&format!("get_suites/{project}"), "suites", |_| {})?
            }
            Kind::Project => self.client.get_all("get_projects", "projects", |_| {})?,
            Kind::CaseField => self
                .client
                .get_all("get_case_fields", "case_fields", |_| {})?,
            Kind::Milestone => {
                let Some(project) = parent else {
                    return Ok(None);
                };
                self.client
                    .get_all(&format!("get_milestones/{project}"), "milestones", |_| {})?
            }
            Kind::Run => {
                let Some(project) = parent else {
                    return Ok(None);
                };
                let mut route = format!("get_runs/{project}");
                if let Some(me) = self.me {
                    route.push_str(&format!("&created_by={me}"));
                }
                self.client.get_all(&route, "runs", |_| {})?
            }
            Kind::ConfigGroup => {
                let Some(project) = parent else {
                    return Ok(None);
                };
                self.client
                    .get_all(&format!("get_configs/{project}"), "configs", |_| {})?
            }
            Kind::Config => {
                // The group's project, as the store knows it (the group has its server id).
                let Some(group) = parent else {
                    return Ok(None);
                };
                let Some(g) = self.read(|tx| tx.get::<ConfigGroup>(group))? else {
                    return Ok(None);
                };
                let project = match self.server_id(Kind::Project, g.project_id)? {
                    Ok(p) => p,
                    Err(_) => return Ok(None),
                };
                self.client
                    .get_all(&format!("get_configs/{project}"), "configs", |_| {})?
                    .into_iter()
                    .filter(|x| x.get("id").and_then(Value::as_u64) == Some(group))
                    .flat_map(|x| {
                        x.get("configs")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default()
                    })
                    .collect()
            }
            _ => Vec::new(),
        }))
    }

    /// Whether a server entity is the one the create made: by the marker for a case when the
    /// instance has it, by name for a case field, else by every sent field.
    fn is_match(&self, kind: Kind, candidate: &Value, body: &Value, op_id: &str) -> bool {
        if kind == Kind::Case && self.marker {
            candidate
                .get(&self.opts.marker_field)
                .and_then(Value::as_str)
                == Some(op_id)
        } else if kind == Kind::CaseField {
            candidate.get("name") == body.get("name")
        } else if matches!(
            kind,
            Kind::ConfigGroup | Kind::Config | Kind::Milestone | Kind::Run
        ) {
            // What the answer shows back of what was sent (a run's case selection is not).
            let keys: &[&str] = match kind {
                Kind::Milestone => &["name", "parent_id", "description"],
                Kind::Run => &["name", "suite_id", "description", "milestone_id"],
                _ => &["name"],
            };
            keys.iter().all(|k| match body.get(*k) {
                None => true,
                Some(v) => {
                    let theirs = candidate.get(*k).map(Json::from);
                    same(theirs.as_ref(), Some(&Json::from(v)))
                }
            })
        } else {
            body.as_object().is_some_and(|b| {
                b.iter().all(|(k, v)| {
                    let theirs = candidate.get(k).map(Json::from);
                    same(theirs.as_ref(), Some(&Json::from(v)))
                })
            })
        }
    }

    /// What a probe means for the create: the answer to take instead of sending (the entity
    /// found, adopted; or a refusal when several match), or None to send.
    pub(super) fn settle(&mut self, probe: Probe) -> Option<Sent> {
        match probe {
            Probe::Found(v) => {
                self.report.adopted += 1;
                Some(Sent::Ok(Some(v)))
            }
            Probe::Several => Some(Sent::Refused {
                status: 0,
                message: SEVERAL.into(),
            }),
            Probe::None => None,
        }
    }
}

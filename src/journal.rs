//! The change journal: one entry per successful local change, written in the same redb
//! transaction as the change itself.
//!
//! An entry records the route that was called and, for every entity it touched, each changed
//! field's value before and after. The before values are the base that push compares the server
//! against, and they serve `get_history_for_case`. A rejected request writes no entry.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::model::{Json, Kind};

/// What a change did to one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    Create,
    Update,
    Move,
    Delete,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Move => "move",
            Action::Delete => "delete",
        }
    }
}

/// One field's value before and after a change. `None` means absent (or null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub old: Option<Json>,
    pub new: Option<Json>,
}

/// The change to one entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    pub kind: Kind,
    pub id: u64,
    pub action: Action,
    pub changes: Vec<Change>,
}

/// Where an entry stands in being pushed to a server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PushState {
    /// Not sent yet.
    Pending,
    /// A request was (or may have been) sent at this time; the outcome is not known yet.
    InFlight { since: i64 },
    /// The server applied it.
    Done {
        server_id: Option<u64>,
        server_updated_on: Option<i64>,
    },
    /// The server refused it for good (a 4xx), with its message.
    Rejected { message: String },
    /// The server's copy changed the same fields differently.
    Conflict { detail: String },
    /// An entry it depends on failed.
    Blocked { on_seq: u64 },
}

impl PushState {
    pub fn name(&self) -> &'static str {
        match self {
            PushState::Pending => "pending",
            PushState::InFlight { .. } => "in_flight",
            PushState::Done { .. } => "done",
            PushState::Rejected { .. } => "rejected",
            PushState::Conflict { .. } => "conflict",
            PushState::Blocked { .. } => "blocked",
        }
    }
}

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Position in the journal, from 1, without gaps.
    pub seq: u64,
    /// A random 128-bit id, stable across bundles and pushes.
    pub op_id: String,
    /// The route as called, e.g. `add_case/12`.
    pub route: String,
    /// The request body as given (without keys TestRail ignores).
    pub body: Json,
    /// UNIX seconds.
    pub time: i64,
    pub user_id: u64,
    pub effects: Vec<Effect>,
    pub state: PushState,
}

/// A new random operation id: 32 hex digits.
pub(crate) fn new_op_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No entropy source: fall back to time and a process-wide counter, still unique here.
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes[..8].copy_from_slice(&(t as u64).to_le_bytes());
        bytes[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn opt_json(v: &Option<Json>) -> Value {
    v.as_ref().map_or(Value::Null, Json::to_value)
}

impl JournalEntry {
    /// The entry as JSON, for `x_get_journal` and the CLI.
    pub fn to_json(&self) -> Value {
        let effects: Vec<Value> = self
            .effects
            .iter()
            .map(|e| {
                let changes: Vec<Value> = e
                    .changes
                    .iter()
                    .map(|c| json!({"field": c.field, "old": opt_json(&c.old), "new": opt_json(&c.new)}))
                    .collect();
                json!({"entity": e.kind.name(), "id": e.id, "action": e.action.name(), "changes": changes})
            })
            .collect();
        let mut state = Map::new();
        state.insert("state".into(), self.state.name().into());
        match &self.state {
            PushState::InFlight { since } => {
                state.insert("since".into(), (*since).into());
            }
            PushState::Done {
                server_id,
                server_updated_on,
            } => {
                state.insert(
                    "server_id".into(),
                    server_id.map_or(Value::Null, Value::from),
                );
                state.insert(
                    "server_updated_on".into(),
                    server_updated_on.map_or(Value::Null, Value::from),
                );
            }
            PushState::Rejected { message } => {
                state.insert("message".into(), message.clone().into());
            }
            PushState::Conflict { detail } => {
                state.insert("detail".into(), detail.clone().into());
            }
            PushState::Blocked { on_seq } => {
                state.insert("on_seq".into(), (*on_seq).into());
            }
            PushState::Pending => {}
        }
        json!({
            "seq": self.seq,
            "op_id": self.op_id,
            "route": self.route,
            "body": self.body.to_value(),
            "time": self.time,
            "user_id": self.user_id,
            "push": Value::Object(state),
            "effects": effects,
        })
    }
}

/// Builds the per-field changes between two JSON objects of the same entity: every key whose
/// value differs, in the order of `new` then keys only in `old`. `None` means a created or
/// deleted entity.
pub(crate) fn diff(old: Option<&Value>, new: Option<&Value>, skip: &[&str]) -> Vec<Change> {
    let empty = Map::new();
    let o = old.and_then(Value::as_object).unwrap_or(&empty);
    let n = new.and_then(Value::as_object).unwrap_or(&empty);
    let to = |v: Option<&Value>| v.filter(|v| !v.is_null()).map(Json::from);
    let mut out = Vec::new();
    for (k, nv) in n {
        if skip.contains(&k.as_str()) {
            continue;
        }
        let ov = o.get(k);
        if ov != Some(nv) && !(ov.is_none() && nv.is_null()) {
            out.push(Change {
                field: k.clone(),
                old: to(ov),
                new: to(Some(nv)),
            });
        }
    }
    for (k, ov) in o {
        if skip.contains(&k.as_str()) || n.contains_key(k) || ov.is_null() {
            continue;
        }
        out.push(Change {
            field: k.clone(),
            old: to(Some(ov)),
            new: None,
        });
    }
    out
}

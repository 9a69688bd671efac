//! The change journal: one entry per successful local change, written in the same redb
//! transaction as the change itself.
//!
//! An entry records the route that was called and, for every entity it touched, each changed
//! field's value before and after. The before values are the base that push compares the server
//! against, and they serve `get_history_for_case`. A rejected request writes no entry.

use std::fmt;

use serde::de::{Deserializer, EnumAccess, VariantAccess, Visitor};
use serde::ser::{SerializeStructVariant, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::model::stored::{stored_enum, struct_variant, Numbered, Variant};
use crate::model::{Json, Kind, StoredJson};

stored_enum! {
    /// What a change did to one entity. The numbers are how journal entries store it: never
    /// renumber or reuse one; a retired action stays here as a comment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Action: u32 {
        Create = 0,
        Update = 1,
        Move = 2,
        Delete = 3,
    }
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

/// Where an entry stands in being pushed to a server. Stored by the numbers of [`PushTag`].
#[derive(Debug, Clone, PartialEq)]
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
    /// Kept back on purpose, with why (results for a run the server closed meanwhile); a later
    /// push tries again, or sends them elsewhere when told to.
    Held { message: String },
}

stored_enum! {
    /// The stored number of each [`PushState`] variant: never renumber or reuse one; a retired
    /// state stays here as a comment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum PushTag: u32 {
        Pending = 0,
        InFlight = 1,
        Done = 2,
        Rejected = 3,
        Conflict = 4,
        Blocked = 5,
        Held = 6,
    }
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
            PushState::Held { .. } => "held",
        }
    }

    /// The number this state is stored as.
    pub fn code(&self) -> u32 {
        self.tag().code()
    }

    fn tag(&self) -> PushTag {
        match self {
            PushState::Pending => PushTag::Pending,
            PushState::InFlight { .. } => PushTag::InFlight,
            PushState::Done { .. } => PushTag::Done,
            PushState::Rejected { .. } => PushTag::Rejected,
            PushState::Conflict { .. } => PushTag::Conflict,
            PushState::Blocked { .. } => PushTag::Blocked,
            PushState::Held { .. } => PushTag::Held,
        }
    }
}

// By hand rather than derived, so that the stored number is PushTag's and not the position.
impl Serialize for PushState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let tag = self.tag();
        let (name, number, variant) = ("PushState", tag.number(), tag.variant_name());
        match self {
            PushState::Pending => s.serialize_unit_variant(name, number, variant),
            PushState::InFlight { since } => {
                let mut v = s.serialize_struct_variant(name, number, variant, 1)?;
                v.serialize_field("since", since)?;
                v.end()
            }
            PushState::Done {
                server_id,
                server_updated_on,
            } => {
                let mut v = s.serialize_struct_variant(name, number, variant, 2)?;
                v.serialize_field("server_id", server_id)?;
                v.serialize_field("server_updated_on", server_updated_on)?;
                v.end()
            }
            PushState::Rejected { message } => {
                let mut v = s.serialize_struct_variant(name, number, variant, 1)?;
                v.serialize_field("message", message)?;
                v.end()
            }
            PushState::Conflict { detail } => {
                let mut v = s.serialize_struct_variant(name, number, variant, 1)?;
                v.serialize_field("detail", detail)?;
                v.end()
            }
            PushState::Blocked { on_seq } => {
                let mut v = s.serialize_struct_variant(name, number, variant, 1)?;
                v.serialize_field("on_seq", on_seq)?;
                v.end()
            }
            PushState::Held { message } => {
                let mut v = s.serialize_struct_variant(name, number, variant, 1)?;
                v.serialize_field("message", message)?;
                v.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for PushState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PushState, D::Error> {
        // The fields of each struct variant, read through serde's derive.
        #[derive(Deserialize)]
        struct InFlight {
            since: i64,
        }
        #[derive(Deserialize)]
        struct Done {
            server_id: Option<u64>,
            server_updated_on: Option<i64>,
        }
        #[derive(Deserialize)]
        struct Rejected {
            message: String,
        }
        #[derive(Deserialize)]
        struct Conflict {
            detail: String,
        }
        #[derive(Deserialize)]
        struct Blocked {
            on_seq: u64,
        }

        struct StateVisitor;

        impl<'de> Visitor<'de> for StateVisitor {
            type Value = PushState;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a push state")
            }

            fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<PushState, A::Error> {
                let (Variant(tag), v) = data.variant::<Variant<PushTag>>()?;
                Ok(match tag {
                    PushTag::Pending => {
                        v.unit_variant()?;
                        PushState::Pending
                    }
                    PushTag::InFlight => {
                        let f: InFlight = struct_variant(v, &["since"])?;
                        PushState::InFlight { since: f.since }
                    }
                    PushTag::Done => {
                        let f: Done = struct_variant(v, &["server_id", "server_updated_on"])?;
                        PushState::Done {
                            server_id: f.server_id,
                            server_updated_on: f.server_updated_on,
                        }
                    }
                    PushTag::Rejected => {
                        let f: Rejected = struct_variant(v, &["message"])?;
                        PushState::Rejected { message: f.message }
                    }
                    PushTag::Conflict => {
                        let f: Conflict = struct_variant(v, &["detail"])?;
                        PushState::Conflict { detail: f.detail }
                    }
                    PushTag::Blocked => {
                        let f: Blocked = struct_variant(v, &["on_seq"])?;
                        PushState::Blocked { on_seq: f.on_seq }
                    }
                    PushTag::Held => {
                        let f: Rejected = struct_variant(v, &["message"])?;
                        PushState::Held { message: f.message }
                    }
                })
            }
        }

        d.deserialize_enum("PushState", <PushTag as Numbered>::VARIANTS, StateVisitor)
    }
}

/// A new entry as it is written: [`JournalEntry`]'s fields in its order, borrowed, with the
/// request body encoded straight from its JSON ([`StoredJson`]). It encodes to the same bytes
/// as the [`JournalEntry`] it stands for, without copying the body into a [`Json`] first.
#[derive(Serialize)]
pub(crate) struct NewEntry<'a> {
    pub seq: u64,
    pub op_id: &'a str,
    pub route: &'a str,
    pub body: StoredJson<'a>,
    pub time: i64,
    pub user_id: u64,
    pub effects: &'a [Effect],
    pub state: &'a PushState,
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
            PushState::Rejected { message } | PushState::Held { message } => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_entry_encodes_to_the_bytes_of_the_entry_it_stands_for() {
        let body = json!({
            "results": [
                {"case_id": 1, "status_id": 5, "comment": "ünïcode", "elapsed": "1m"},
                {"case_id": "2", "ok": true, "none": null, "neg": -3, "big": u64::MAX, "f": 1.5,
                 "nested": {"a": [1, [2, {"b": null}]], "s": ""}}
            ],
            "empty_list": [],
            "empty_map": {}
        });
        let effects = vec![Effect {
            kind: Kind::Result,
            id: 9,
            action: Action::Create,
            changes: vec![Change {
                field: "status_id".into(),
                old: None,
                new: Some(Json::Int(5)),
            }],
        }];
        let entry = JournalEntry {
            seq: 3,
            op_id: "0123456789abcdef0123456789abcdef".into(),
            route: "add_results_for_cases/4".into(),
            body: Json::from(&body),
            time: 1_700_000_000,
            user_id: 2,
            effects: effects.clone(),
            state: PushState::Pending,
        };
        let new = NewEntry {
            seq: 3,
            op_id: &entry.op_id,
            route: &entry.route,
            body: StoredJson::Object(body.as_object().unwrap()),
            time: entry.time,
            user_id: entry.user_id,
            effects: &effects,
            state: &PushState::Pending,
        };
        let written = crate::codec::encode(&new).unwrap();
        assert_eq!(written, crate::codec::encode(&entry).unwrap());
        let read: JournalEntry = crate::codec::decode(&written, "journal entry").unwrap();
        assert_eq!(read, entry);
        // A value that is not an object encodes as Json::from would convert it.
        for v in [json!(null), json!([1, "x"]), json!("s"), json!(2.25)] {
            assert_eq!(
                crate::codec::encode(&StoredJson::Value(&v)).unwrap(),
                crate::codec::encode(&Json::from(&v)).unwrap()
            );
        }
    }
}

//! A conflict record: the same field changed locally and on the server to different values
//! (the rules that make and resolve conflicts are in `crate::conflicts`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Json, Kind};

/// One conflicting field of one entity. `field` is `deleted` when one side deleted the entity
/// the other side changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    pub kind: Kind,
    pub id: u64,
    pub field: String,
    pub base: Option<Json>,
    pub local: Option<Json>,
    pub server: Option<Json>,
    /// UNIX seconds.
    pub detected_on: i64,
    /// `pull` or `push`.
    pub source: String,
}

/// The field name of a conflict about a deletion.
pub const DELETED: &str = "deleted";

fn opt(v: &Option<Json>) -> Value {
    v.as_ref().map_or(Value::Null, Json::to_value)
}

impl Conflict {
    /// The key in the conflicts table: `case/123/title`.
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.kind.name(), self.id, self.field)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "key": self.key(),
            "entity": self.kind.name(),
            "id": self.id,
            "field": self.field,
            "base": opt(&self.base),
            "local": opt(&self.local),
            "server": opt(&self.server),
            "detected_on": self.detected_on,
            "source": self.source,
        })
    }
}

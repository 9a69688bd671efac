//! Conflicts: the same field changed locally and on the server to different values.
//!
//! A conflict keeps all three values (the base both sides started from, the local one and the
//! server's) and never resolves itself: the local value stays in the store until a person picks
//! one (`keep local`, `keep server`, or a new value). Pull records conflicts while merging; push
//! records them before it would overwrite the server.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::{Json, Kind};

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

/// Whether two values are the same once what TestRail rewrites on save is set aside: line
/// endings, surrounding whitespace, and a `<p>…</p>` wrapping of text.
pub fn same(a: Option<&Json>, b: Option<&Json>) -> bool {
    fn norm(v: Option<&Json>) -> Option<Json> {
        match v {
            None | Some(Json::Null) => None,
            Some(Json::Str(s)) => {
                let t = s.replace("\r\n", "\n");
                let t = t.trim();
                let t = t
                    .strip_prefix("<p>")
                    .and_then(|x| x.strip_suffix("</p>"))
                    .unwrap_or(t)
                    .trim();
                if t.is_empty() {
                    None
                } else {
                    Some(Json::Str(t.to_string()))
                }
            }
            Some(Json::List(items)) if items.is_empty() => None,
            Some(Json::List(items)) => Some(Json::List(
                items
                    .iter()
                    .map(|i| norm(Some(i)).unwrap_or(Json::Null))
                    .collect(),
            )),
            Some(Json::Map(entries)) => Some(Json::Map(
                entries
                    .iter()
                    .filter_map(|(k, v)| norm(Some(v)).map(|v| (k.clone(), v)))
                    .collect(),
            )),
            Some(other) => Some(other.clone()),
        }
    }
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_comparison() {
        let s = |t: &str| Some(Json::Str(t.into()));
        assert!(same(
            s("<p>Open the order</p>").as_ref(),
            s("Open the order\n").as_ref()
        ));
        assert!(same(s("a\r\nb").as_ref(), s("a\nb").as_ref()));
        assert!(same(s("").as_ref(), None));
        assert!(same(Some(&Json::List(vec![])), Some(&Json::Null)));
        assert!(!same(s("a").as_ref(), s("b").as_ref()));
        assert!(!same(Some(&Json::Int(1)), Some(&Json::Int(2))));
        let step = |c: &str, extra: bool| {
            let mut e = vec![("content".to_string(), Json::Str(c.into()))];
            if extra {
                e.push(("refs".into(), Json::Str(String::new())));
            }
            Some(Json::List(vec![Json::Map(e)]))
        };
        assert!(same(
            step("<p>x</p>", true).as_ref(),
            step("x", false).as_ref()
        ));
    }
}

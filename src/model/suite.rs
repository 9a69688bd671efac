//! Suite (`get_suite`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{opt_str_value, put_extra, Json, Obj};
use crate::error::Result;

/// A test suite: the container of a section tree and its cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    pub project_id: u64,
    pub is_master: bool,
    pub is_baseline: bool,
    pub is_completed: bool,
    pub completed_on: Option<i64>,
    pub url: String,
    pub extra: Vec<(String, Json)>,
}

const KNOWN: &[&str] = &[
    "id",
    "name",
    "description",
    "project_id",
    "is_master",
    "is_baseline",
    "is_completed",
    "completed_on",
    "url",
];

impl Suite {
    pub fn from_json(v: &Value) -> Result<Suite> {
        let o = Obj::new(v, "suite")?;
        Ok(Suite {
            id: o.id("id")?,
            name: o.string("name")?,
            description: o.opt_string("description")?,
            project_id: o.id("project_id")?,
            is_master: o.flag("is_master")?,
            is_baseline: o.flag("is_baseline")?,
            is_completed: o.flag("is_completed")?,
            completed_on: o.opt_int("completed_on")?,
            url: o.opt_string("url")?.unwrap_or_default(),
            extra: o.extra(KNOWN),
        })
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("description".into(), opt_str_value(&self.description));
        m.insert("project_id".into(), self.project_id.into());
        m.insert("is_master".into(), self.is_master.into());
        m.insert("is_baseline".into(), self.is_baseline.into());
        m.insert("is_completed".into(), self.is_completed.into());
        m.insert(
            "completed_on".into(),
            self.completed_on.map_or(Value::Null, Value::from),
        );
        m.insert("url".into(), self.url.clone().into());
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

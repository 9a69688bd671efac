//! Section (`get_section`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{opt_id_value, opt_str_value, put_extra, Json, Obj};
use crate::error::Result;

/// A section of a suite. `parent_id`, `depth` and `display_order` encode the tree: display_order
/// is the 1-based position in a depth-first pre-order walk of the whole suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub id: u64,
    pub suite_id: u64,
    /// Not part of TestRail's shape; kept because a suite never changes project.
    pub project_id: u64,
    pub name: String,
    pub description: Option<String>,
    pub parent_id: Option<u64>,
    pub display_order: i64,
    pub depth: i64,
    pub extra: Vec<(String, Json)>,
}

const KNOWN: &[&str] = &[
    "id",
    "suite_id",
    "name",
    "description",
    "parent_id",
    "display_order",
    "depth",
];

impl Section {
    /// Reads a section from a server body; `project_id` is filled in from its suite by the caller.
    pub fn from_json(v: &Value) -> Result<Section> {
        let o = Obj::new(v, "section")?;
        Ok(Section {
            id: o.id("id")?,
            suite_id: o.id("suite_id")?,
            project_id: 0,
            name: o.string("name")?,
            description: o.opt_string("description")?,
            parent_id: o.opt_id("parent_id")?,
            display_order: o.int("display_order", 0)?,
            depth: o.int("depth", 0)?,
            extra: o.extra(KNOWN),
        })
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("suite_id".into(), self.suite_id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("description".into(), opt_str_value(&self.description));
        m.insert("parent_id".into(), opt_id_value(self.parent_id));
        m.insert("display_order".into(), self.display_order.into());
        m.insert("depth".into(), self.depth.into());
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

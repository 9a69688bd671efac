//! Configurations (`get_configs`): groups of a project (Browsers, Operating Systems), each with
//! its configurations (Chrome, Firefox). A plan runs an entry once per chosen configuration.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{put_extra, Json, Obj};
use crate::error::Result;

/// A configuration group of a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigGroup {
    pub id: u64,
    pub project_id: u64,
    pub name: String,
    pub extra: Vec<(String, Json)>,
}

/// A configuration of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub id: u64,
    pub group_id: u64,
    pub name: String,
    pub extra: Vec<(String, Json)>,
}

impl ConfigGroup {
    /// Reads a group from a `get_configs` element (its `configs` are read by the caller).
    pub fn from_json(v: &Value) -> Result<ConfigGroup> {
        let o = Obj::new(v, "configuration group")?;
        Ok(ConfigGroup {
            id: o.id("id")?,
            project_id: o.opt_id("project_id")?.unwrap_or(0),
            name: o.string("name")?,
            extra: o.extra(&["id", "project_id", "name", "configs"]),
        })
    }

    /// The group as `get_configs` lists it, with its configurations.
    pub fn to_json(&self, configs: &[Config]) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("project_id".into(), self.project_id.into());
        m.insert(
            "configs".into(),
            Value::Array(configs.iter().map(Config::to_json).collect()),
        );
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

impl Config {
    pub fn from_json(v: &Value, group_id: u64) -> Result<Config> {
        let o = Obj::new(v, "configuration")?;
        Ok(Config {
            id: o.id("id")?,
            group_id: o.opt_id("group_id")?.unwrap_or(group_id),
            name: o.string("name")?,
            extra: o.extra(&["id", "group_id", "name"]),
        })
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("group_id".into(), self.group_id.into());
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

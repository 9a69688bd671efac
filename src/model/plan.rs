//! Test plan (`get_plan`) and its entries: each entry is a suite run in one or more
//! configurations, one run per configuration.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::run::{CountKeys, StatusCounts};
use super::{opt_id_value, opt_str_value, put_extra, Json, Obj};
use crate::error::Result;

/// A test plan. Its counts are the sum of its runs' counts, kept up to date with them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub id: u64,
    pub project_id: u64,
    pub name: String,
    pub description: Option<String>,
    pub milestone_id: Option<u64>,
    pub assignedto_id: Option<u64>,
    pub is_completed: bool,
    pub completed_on: Option<i64>,
    pub created_on: i64,
    pub created_by: u64,
    pub updated_on: Option<i64>,
    pub refs: Option<String>,
    pub start_on: Option<i64>,
    pub due_on: Option<i64>,
    pub entries: Vec<PlanEntry>,
    pub counts: StatusCounts,
    pub url: String,
    pub extra: Vec<(String, Json)>,
}

/// An entry of a plan: its id is a GUID string, as TestRail gives them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanEntry {
    pub id: String,
    pub suite_id: u64,
    pub name: String,
    pub description: Option<String>,
    pub refs: Option<String>,
    pub include_all: bool,
    /// The runs of the entry, in order.
    pub runs: Vec<u64>,
    pub extra: Vec<(String, Json)>,
}

const PLAN_KNOWN: &[&str] = &[
    "id",
    "project_id",
    "name",
    "description",
    "milestone_id",
    "assignedto_id",
    "is_completed",
    "completed_on",
    "created_on",
    "created_by",
    "updated_on",
    "refs",
    "start_on",
    "due_on",
    "entries",
    "url",
];

const ENTRY_KNOWN: &[&str] = &[
    "id",
    "suite_id",
    "name",
    "description",
    "refs",
    "include_all",
    "runs",
];

impl Plan {
    /// Reads a plan from a server body; its entries' runs are read by the caller.
    pub fn from_json(v: &Value) -> Result<Plan> {
        let o = Obj::new(v, "plan")?;
        let mut entries = Vec::new();
        if let Some(Value::Array(list)) = o.get("entries") {
            for e in list {
                entries.push(PlanEntry::from_json(e)?);
            }
        }
        Ok(Plan {
            id: o.id("id")?,
            project_id: o.opt_id("project_id")?.unwrap_or(0),
            name: o.opt_string("name")?.unwrap_or_default(),
            description: o.opt_string("description")?,
            milestone_id: o.opt_id("milestone_id")?,
            assignedto_id: o.opt_id("assignedto_id")?,
            is_completed: o.flag("is_completed")?,
            completed_on: o.opt_int("completed_on")?,
            created_on: o.int("created_on", 0)?,
            created_by: o.opt_id("created_by")?.unwrap_or(0),
            updated_on: o.opt_int("updated_on")?,
            refs: o.opt_string("refs")?,
            start_on: o.opt_int("start_on")?,
            due_on: o.opt_int("due_on")?,
            entries,
            counts: StatusCounts::default(),
            url: o.opt_string("url")?.unwrap_or_default(),
            extra: o
                .extra(PLAN_KNOWN)
                .into_iter()
                .filter(|(k, _)| !k.ends_with("_count"))
                .collect(),
        })
    }

    pub fn entry(&self, entry_id: &str) -> Option<&PlanEntry> {
        self.entries.iter().find(|e| e.id == entry_id)
    }

    pub fn entry_mut(&mut self, entry_id: &str) -> Option<&mut PlanEntry> {
        self.entries.iter_mut().find(|e| e.id == entry_id)
    }

    /// TestRail's JSON for this plan; `entries` (already rendered, with their runs) only for
    /// `get_plan`: `get_plans` lists plans without them.
    pub fn to_json(&self, keys: &CountKeys, entries: Option<Vec<Value>>) -> Value {
        let opt = |v: Option<i64>| v.map_or(Value::Null, Value::from);
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("description".into(), opt_str_value(&self.description));
        m.insert("milestone_id".into(), opt_id_value(self.milestone_id));
        m.insert("assignedto_id".into(), opt_id_value(self.assignedto_id));
        m.insert("is_completed".into(), self.is_completed.into());
        m.insert("completed_on".into(), opt(self.completed_on));
        keys.write(&self.counts, &mut m);
        m.insert("project_id".into(), self.project_id.into());
        m.insert("created_on".into(), self.created_on.into());
        m.insert("created_by".into(), self.created_by.into());
        m.insert("updated_on".into(), opt(self.updated_on));
        m.insert("refs".into(), opt_str_value(&self.refs));
        m.insert("start_on".into(), opt(self.start_on));
        m.insert("due_on".into(), opt(self.due_on));
        m.insert("url".into(), self.url.clone().into());
        if let Some(entries) = entries {
            m.insert("entries".into(), Value::Array(entries));
        }
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

impl PlanEntry {
    pub fn from_json(v: &Value) -> Result<PlanEntry> {
        let o = Obj::new(v, "plan entry")?;
        let runs = match o.get("runs") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|r| r.get("id").and_then(Value::as_u64))
                .collect(),
            _ => Vec::new(),
        };
        Ok(PlanEntry {
            id: o.string("id")?,
            suite_id: o.opt_id("suite_id")?.unwrap_or(0),
            name: o.opt_string("name")?.unwrap_or_default(),
            description: o.opt_string("description")?,
            refs: o.opt_string("refs")?,
            include_all: o.flag("include_all")?,
            runs,
            extra: o.extra(ENTRY_KNOWN),
        })
    }

    /// TestRail's JSON for this entry, with its runs already rendered.
    pub fn to_json(&self, runs: Vec<Value>) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.clone().into());
        m.insert("suite_id".into(), self.suite_id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("refs".into(), opt_str_value(&self.refs));
        m.insert("description".into(), opt_str_value(&self.description));
        m.insert("include_all".into(), self.include_all.into());
        m.insert("runs".into(), Value::Array(runs));
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

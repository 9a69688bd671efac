//! Test run (`get_run`), and the per-status counts runs and plans carry.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{opt_id_value, opt_str_value, put_extra, Json, Obj, Status};
use crate::error::Result;

/// How many tests of a run (or of a plan's runs) have each status: `(status_id, count)`, sorted
/// by status id, without zeros. Kept up to date by every write that changes a test's status, so
/// that a read never counts tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts(pub Vec<(u64, u64)>);

impl StatusCounts {
    pub fn get(&self, status_id: u64) -> u64 {
        self.0
            .binary_search_by_key(&status_id, |(s, _)| *s)
            .map_or(0, |i| self.0[i].1)
    }

    /// Adds `n` (which may be negative) tests of `status_id`.
    pub fn add(&mut self, status_id: u64, n: i64) {
        match self.0.binary_search_by_key(&status_id, |(s, _)| *s) {
            Ok(i) => {
                let v = (self.0[i].1 as i64 + n).max(0) as u64;
                if v == 0 {
                    self.0.remove(i);
                } else {
                    self.0[i].1 = v;
                }
            }
            Err(i) if n > 0 => self.0.insert(i, (status_id, n as u64)),
            Err(_) => {}
        }
    }

    /// Adds every count of `other` (negated with `sign` -1).
    pub fn merge(&mut self, other: &StatusCounts, sign: i64) {
        for (s, n) in &other.0 {
            self.add(*s, sign * *n as i64);
        }
    }

    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, n)| n).sum()
    }
}

/// The `*_count` keys of a run or plan: the five system statuses by their fixed names, and each
/// custom status by its system name (`custom_status1` … `custom_status7`), which is how TestRail
/// names the count, not by the status id.
#[derive(Debug, Clone)]
pub struct CountKeys(Vec<(u64, String)>);

/// The system statuses' count keys, in TestRail's order of the fields.
const SYSTEM_COUNTS: [(u64, &str); 5] = [
    (1, "passed_count"),
    (2, "blocked_count"),
    (3, "untested_count"),
    (4, "retest_count"),
    (5, "failed_count"),
];

impl CountKeys {
    pub fn new(statuses: &[Status]) -> CountKeys {
        let mut keys: Vec<(u64, String)> = SYSTEM_COUNTS
            .iter()
            .map(|(id, k)| (*id, k.to_string()))
            .collect();
        for n in 1..=7u64 {
            let name = format!("custom_status{n}");
            // A custom status is found by its system name; a server that names them otherwise
            // numbers them from 6, as TestRail does.
            let id = statuses
                .iter()
                .find(|s| s.name == name)
                .map_or(5 + n, |s| s.id);
            keys.push((id, format!("{name}_count")));
        }
        CountKeys(keys)
    }

    /// Writes every count key, 0 when no test has the status.
    pub fn write(&self, counts: &StatusCounts, m: &mut Map<String, Value>) {
        for (id, key) in &self.0 {
            m.insert(key.clone(), counts.get(*id).into());
        }
    }
}

/// A test run: one test per case it selects, each with the status of its latest result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: u64,
    pub suite_id: u64,
    pub project_id: u64,
    pub name: String,
    pub description: Option<String>,
    pub milestone_id: Option<u64>,
    pub assignedto_id: Option<u64>,
    pub include_all: bool,
    pub is_completed: bool,
    pub completed_on: Option<i64>,
    pub created_on: i64,
    pub created_by: u64,
    pub updated_on: Option<i64>,
    pub refs: Option<String>,
    pub start_on: Option<i64>,
    pub due_on: Option<i64>,
    /// The plan, entry (a GUID) and the entry's position in the plan, for a run of a plan.
    pub plan_id: Option<u64>,
    pub entry_id: Option<String>,
    pub entry_index: Option<i64>,
    pub config_ids: Vec<u64>,
    /// The configuration names joined by ", " as the server sent them; recomputed from
    /// `config_ids` when the store knows the configurations.
    pub config: Option<String>,
    pub counts: StatusCounts,
    pub url: String,
    pub extra: Vec<(String, Json)>,
}

/// Keys of a run that are not kept in `extra` (the counts are derived from the tests).
const KNOWN: &[&str] = &[
    "id",
    "suite_id",
    "project_id",
    "name",
    "description",
    "milestone_id",
    "assignedto_id",
    "include_all",
    "is_completed",
    "completed_on",
    "created_on",
    "created_by",
    "updated_on",
    "refs",
    "start_on",
    "due_on",
    "plan_id",
    "entry_id",
    "entry_index",
    "config_ids",
    "config",
    "url",
];

fn is_count_key(k: &str) -> bool {
    k.ends_with("_count")
}

impl Run {
    /// Reads a run from a server body. Its counts start empty: they follow the tests that are
    /// stored with it.
    pub fn from_json(v: &Value) -> Result<Run> {
        let o = Obj::new(v, "run")?;
        let config_ids = match o.get("config_ids") {
            Some(Value::Array(ids)) => ids.iter().filter_map(Value::as_u64).collect(),
            _ => Vec::new(),
        };
        Ok(Run {
            id: o.id("id")?,
            suite_id: o.opt_id("suite_id")?.unwrap_or(0),
            project_id: o.opt_id("project_id")?.unwrap_or(0),
            name: o.opt_string("name")?.unwrap_or_default(),
            description: o.opt_string("description")?,
            milestone_id: o.opt_id("milestone_id")?,
            assignedto_id: o.opt_id("assignedto_id")?,
            include_all: o.flag("include_all")?,
            is_completed: o.flag("is_completed")?,
            completed_on: o.opt_int("completed_on")?,
            created_on: o.int("created_on", 0)?,
            created_by: o.opt_id("created_by")?.unwrap_or(0),
            updated_on: o.opt_int("updated_on")?,
            refs: o.opt_string("refs")?,
            start_on: o.opt_int("start_on")?,
            due_on: o.opt_int("due_on")?,
            plan_id: o.opt_id("plan_id")?,
            entry_id: o.opt_string("entry_id")?,
            entry_index: o.opt_int("entry_index")?,
            config_ids,
            config: o.opt_string("config")?,
            counts: StatusCounts::default(),
            url: o.opt_string("url")?.unwrap_or_default(),
            extra: o
                .extra(KNOWN)
                .into_iter()
                .filter(|(k, _)| !is_count_key(k))
                .collect(),
        })
    }

    /// TestRail's JSON for this run. `config` is the configuration names as they stand.
    pub fn to_json(&self, keys: &CountKeys, config: Option<String>) -> Value {
        let opt = |v: Option<i64>| v.map_or(Value::Null, Value::from);
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("suite_id".into(), self.suite_id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("description".into(), opt_str_value(&self.description));
        m.insert("milestone_id".into(), opt_id_value(self.milestone_id));
        m.insert("assignedto_id".into(), opt_id_value(self.assignedto_id));
        m.insert("include_all".into(), self.include_all.into());
        m.insert("is_completed".into(), self.is_completed.into());
        m.insert("completed_on".into(), opt(self.completed_on));
        m.insert(
            "config".into(),
            config
                .or_else(|| self.config.clone())
                .map_or(Value::Null, Value::from),
        );
        m.insert(
            "config_ids".into(),
            Value::Array(self.config_ids.iter().map(|c| Value::from(*c)).collect()),
        );
        keys.write(&self.counts, &mut m);
        m.insert("project_id".into(), self.project_id.into());
        m.insert("plan_id".into(), opt_id_value(self.plan_id));
        if self.plan_id.is_some() {
            m.insert("entry_id".into(), opt_str_value(&self.entry_id));
            m.insert("entry_index".into(), opt(self.entry_index));
        }
        m.insert("created_on".into(), self.created_on.into());
        m.insert("updated_on".into(), opt(self.updated_on));
        m.insert("refs".into(), opt_str_value(&self.refs));
        m.insert("start_on".into(), opt(self.start_on));
        m.insert("due_on".into(), opt(self.due_on));
        m.insert("created_by".into(), self.created_by.into());
        m.insert("url".into(), self.url.clone().into());
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

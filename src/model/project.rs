//! Project (`get_project`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::stored::stored_enum;
use super::{opt_str_value, put_extra, Json, Obj};
use crate::error::{Error, Result};

stored_enum! {
    /// How a project organises its suites. The numbers are how project records store it (not
    /// TestRail's `suite_mode`, see [`SuiteMode::as_i64`]): never renumber or reuse one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum SuiteMode: u32 {
        /// 1: a single suite, the master.
        Single = 0,
        /// 2: a single suite with baselines.
        SingleWithBaselines = 1,
        /// 3: multiple suites.
        Multiple = 2,
    }
}

impl SuiteMode {
    pub fn from_i64(v: i64) -> Option<SuiteMode> {
        match v {
            1 => Some(SuiteMode::Single),
            2 => Some(SuiteMode::SingleWithBaselines),
            3 => Some(SuiteMode::Multiple),
            _ => None,
        }
    }

    pub fn as_i64(self) -> i64 {
        match self {
            SuiteMode::Single => 1,
            SuiteMode::SingleWithBaselines => 2,
            SuiteMode::Multiple => 3,
        }
    }

    /// Whether `suite_id` may be left out of `get_cases`, `get_sections` and `add_section`.
    pub fn suite_id_optional(self) -> bool {
        self == SuiteMode::Single
    }
}

/// A TestRail project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: u64,
    pub name: String,
    pub announcement: Option<String>,
    pub show_announcement: bool,
    pub is_completed: bool,
    pub completed_on: Option<i64>,
    pub suite_mode: SuiteMode,
    pub url: String,
    pub extra: Vec<(String, Json)>,
}

const KNOWN: &[&str] = &[
    "id",
    "name",
    "announcement",
    "show_announcement",
    "is_completed",
    "completed_on",
    "suite_mode",
    "url",
];

impl Project {
    pub fn from_json(v: &Value) -> Result<Project> {
        let o = Obj::new(v, "project")?;
        let mode = o.int("suite_mode", 1)?;
        Ok(Project {
            id: o.id("id")?,
            name: o.string("name")?,
            announcement: o.opt_string("announcement")?,
            show_announcement: o.flag("show_announcement")?,
            is_completed: o.flag("is_completed")?,
            completed_on: o.opt_int("completed_on")?,
            suite_mode: SuiteMode::from_i64(mode).ok_or_else(|| {
                Error::validation("suite_mode", "Field :suite_mode is not a valid suite mode.")
            })?,
            url: o.opt_string("url")?.unwrap_or_default(),
            extra: o.extra(KNOWN),
        })
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("announcement".into(), opt_str_value(&self.announcement));
        m.insert("show_announcement".into(), self.show_announcement.into());
        m.insert("is_completed".into(), self.is_completed.into());
        m.insert(
            "completed_on".into(),
            self.completed_on.map_or(Value::Null, Value::from),
        );
        m.insert("suite_mode".into(), self.suite_mode.as_i64().into());
        m.insert("url".into(), self.url.clone().into());
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

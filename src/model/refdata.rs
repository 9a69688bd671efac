//! Reference data: case types, priorities, templates, users, milestones, statuses and result
//! fields. trailstore keeps them
//! to validate the ids cases point at; their content is whatever the server says.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{opt_id_value, opt_str_value, put_extra, CaseField, Json, Obj};
use crate::error::Result;

/// A case type (`get_case_types`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseType {
    pub id: u64,
    pub name: String,
    pub is_default: bool,
    pub extra: Vec<(String, Json)>,
}

impl CaseType {
    pub fn from_json(v: &Value) -> Result<CaseType> {
        let o = Obj::new(v, "case type")?;
        Ok(CaseType {
            id: o.id("id")?,
            name: o.string("name")?,
            is_default: o.flag("is_default")?,
            extra: o.extra(&["id", "name", "is_default"]),
        })
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("is_default".into(), self.is_default.into());
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

/// A priority (`get_priorities`); `priority` is the sort order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Priority {
    pub id: u64,
    pub name: String,
    pub short_name: String,
    pub is_default: bool,
    pub priority: i64,
    pub extra: Vec<(String, Json)>,
}

impl Priority {
    pub fn from_json(v: &Value) -> Result<Priority> {
        let o = Obj::new(v, "priority")?;
        let name = o.string("name")?;
        Ok(Priority {
            id: o.id("id")?,
            short_name: o.opt_string("short_name")?.unwrap_or_else(|| name.clone()),
            name,
            is_default: o.flag("is_default")?,
            priority: o.int("priority", 0)?,
            extra: o.extra(&["id", "name", "short_name", "is_default", "priority"]),
        })
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("short_name".into(), self.short_name.clone().into());
        m.insert("is_default".into(), self.is_default.into());
        m.insert("priority".into(), self.priority.into());
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

/// A template (`get_templates/{project_id}`). `project_ids` lists the projects it is enabled for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub id: u64,
    pub name: String,
    pub is_default: bool,
    pub project_ids: Vec<u64>,
    pub extra: Vec<(String, Json)>,
}

impl Template {
    pub fn from_json(v: &Value) -> Result<Template> {
        let o = Obj::new(v, "template")?;
        Ok(Template {
            id: o.id("id")?,
            name: o.string("name")?,
            is_default: o.flag("is_default")?,
            project_ids: Vec::new(),
            extra: o.extra(&["id", "name", "is_default"]),
        })
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("is_default".into(), self.is_default.into());
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }

    pub fn enabled_for(&self, project_id: u64) -> bool {
        self.project_ids.contains(&project_id)
    }
}

/// A user (minimal: enough to validate User fields and `created_by`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub is_active: bool,
    pub role_id: Option<i64>,
    pub role: Option<String>,
    pub extra: Vec<(String, Json)>,
}

impl User {
    pub fn from_json(v: &Value) -> Result<User> {
        let o = Obj::new(v, "user")?;
        Ok(User {
            id: o.id("id")?,
            name: o.string("name")?,
            email: o.opt_string("email")?.unwrap_or_default(),
            is_active: o.get("is_active").is_none() || o.flag("is_active")?,
            role_id: o.opt_int("role_id")?,
            role: o.opt_string("role")?,
            extra: o.extra(&["id", "name", "email", "is_active", "role_id", "role"]),
        })
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("email".into(), self.email.clone().into());
        m.insert("is_active".into(), self.is_active.into());
        m.insert(
            "role_id".into(),
            self.role_id.map_or(Value::Null, Value::from),
        );
        m.insert("role".into(), opt_str_value(&self.role));
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

/// A milestone (minimal: enough to validate `milestone_id` and Milestone fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    pub project_id: u64,
    pub start_on: Option<i64>,
    pub started_on: Option<i64>,
    pub is_started: bool,
    pub due_on: Option<i64>,
    pub is_completed: bool,
    pub completed_on: Option<i64>,
    pub parent_id: Option<u64>,
    pub refs: Option<String>,
    pub url: String,
    pub extra: Vec<(String, Json)>,
}

const MILESTONE_KNOWN: &[&str] = &[
    "id",
    "name",
    "description",
    "project_id",
    "start_on",
    "started_on",
    "is_started",
    "due_on",
    "is_completed",
    "completed_on",
    "parent_id",
    "refs",
    "url",
    "milestones",
];

impl Milestone {
    pub fn from_json(v: &Value) -> Result<Milestone> {
        let o = Obj::new(v, "milestone")?;
        Ok(Milestone {
            id: o.id("id")?,
            name: o.string("name")?,
            description: o.opt_string("description")?,
            project_id: o.id("project_id")?,
            start_on: o.opt_int("start_on")?,
            started_on: o.opt_int("started_on")?,
            is_started: o.flag("is_started")?,
            due_on: o.opt_int("due_on")?,
            is_completed: o.flag("is_completed")?,
            completed_on: o.opt_int("completed_on")?,
            parent_id: o.opt_id("parent_id")?,
            refs: o.opt_string("refs")?,
            url: o.opt_string("url")?.unwrap_or_default(),
            extra: o.extra(MILESTONE_KNOWN),
        })
    }

    pub fn to_json(&self) -> Value {
        let opt = |v: Option<i64>| v.map_or(Value::Null, Value::from);
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("description".into(), opt_str_value(&self.description));
        m.insert("project_id".into(), self.project_id.into());
        m.insert("start_on".into(), opt(self.start_on));
        m.insert("started_on".into(), opt(self.started_on));
        m.insert("is_started".into(), self.is_started.into());
        m.insert("due_on".into(), opt(self.due_on));
        m.insert("is_completed".into(), self.is_completed.into());
        m.insert("completed_on".into(), opt(self.completed_on));
        m.insert("parent_id".into(), opt_id_value(self.parent_id));
        m.insert("refs".into(), opt_str_value(&self.refs));
        m.insert("url".into(), self.url.clone().into());
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

/// A test status (`get_statuses`): the five system ones (1 passed, 2 blocked, 3 untested,
/// 4 retest, 5 failed) and custom ones (`custom_status1`…7). Colours are RGB integers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub id: u64,
    pub name: String,
    pub label: String,
    pub color_dark: i64,
    pub color_medium: i64,
    pub color_bright: i64,
    pub is_system: bool,
    pub is_untested: bool,
    pub is_final: bool,
    pub extra: Vec<(String, Json)>,
}

const STATUS_KEYS: &[&str] = &[
    "id",
    "name",
    "label",
    "color_dark",
    "color_medium",
    "color_bright",
    "is_system",
    "is_untested",
    "is_final",
];

impl Status {
    pub fn from_json(v: &Value) -> Result<Status> {
        let o = Obj::new(v, "status")?;
        let name = o.string("name")?;
        Ok(Status {
            id: o.id("id")?,
            label: o.opt_string("label")?.unwrap_or_else(|| name.clone()),
            name,
            color_dark: o.int("color_dark", 0)?,
            color_medium: o.int("color_medium", 0)?,
            color_bright: o.int("color_bright", 0)?,
            is_system: o.flag("is_system")?,
            is_untested: o.flag("is_untested")?,
            is_final: o.flag("is_final")?,
            extra: o.extra(STATUS_KEYS),
        })
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("label".into(), self.label.clone().into());
        m.insert("color_dark".into(), self.color_dark.into());
        m.insert("color_medium".into(), self.color_medium.into());
        m.insert("color_bright".into(), self.color_bright.into());
        m.insert("is_system".into(), self.is_system.into());
        m.insert("is_untested".into(), self.is_untested.into());
        m.insert("is_final".into(), self.is_final.into());
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

/// A result field (`get_result_fields`): the shape of a case field, with the result types
/// (11 Step Results, 13 Scenarios, 14 Scenario Results and the rest), kept in its own table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultField(pub CaseField);

impl ResultField {
    pub fn from_json(v: &Value) -> Result<ResultField> {
        CaseField::from_json(v).map(ResultField)
    }

    pub fn to_json(&self) -> Value {
        self.0.to_json()
    }
}

//! Test case (`get_case`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{opt_id_value, opt_str_value, put_extra, CaseField, Json, Obj};
use crate::error::{Error, Result};

/// A TestRail test case: the system fields, typed, and the `custom_*` values keyed by system name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: u64,
    pub title: String,
    pub section_id: u64,
    pub suite_id: u64,
    /// Not part of TestRail's shape; a suite never changes project, so this is kept for rules.
    pub project_id: u64,
    pub template_id: u64,
    pub type_id: u64,
    pub priority_id: u64,
    pub milestone_id: Option<u64>,
    pub refs: Option<String>,
    pub created_by: u64,
    pub created_on: i64,
    pub updated_by: u64,
    pub updated_on: i64,
    pub estimate: Option<String>,
    pub estimate_forecast: Option<String>,
    pub display_order: i64,
    pub is_deleted: i64,
    pub labels: Json,
    /// `custom_*` values, sorted by key, without nulls.
    pub custom: Vec<(String, Json)>,
    pub extra: Vec<(String, Json)>,
}

/// The system fields of a case in TestRail's order.
pub const SYSTEM_FIELDS: &[&str] = &[
    "id",
    "title",
    "section_id",
    "template_id",
    "type_id",
    "priority_id",
    "milestone_id",
    "refs",
    "created_by",
    "created_on",
    "updated_by",
    "updated_on",
    "estimate",
    "estimate_forecast",
    "suite_id",
    "display_order",
    "is_deleted",
    "labels",
];

impl Case {
    /// Reads a case from a server body. `project_id` is filled in by the caller from the suite.
    pub fn from_json(v: &Value) -> Result<Case> {
        let o = Obj::new(v, "case")?;
        let mut custom: Vec<(String, Json)> = o
            .map()
            .iter()
            .filter(|(k, v)| k.starts_with("custom_") && !v.is_null())
            .map(|(k, v)| (k.clone(), Json::from(v)))
            .collect();
        custom.sort_by(|a, b| a.0.cmp(&b.0));
        let known = |k: &str| SYSTEM_FIELDS.contains(&k) || k.starts_with("custom_");
        let extra = o
            .map()
            .iter()
            .filter(|(k, _)| !known(k))
            .map(|(k, v)| (k.clone(), Json::from(v)))
            .collect();
        let uid = |key: &str| -> Result<u64> {
            match o.get(key) {
                None => Ok(0),
                Some(v) => v.as_u64().ok_or_else(|| {
                    Error::validation(key, format!("Field :{key} of a case is not a valid ID."))
                }),
            }
        };
        Ok(Case {
            id: o.id("id")?,
            title: o.string("title")?,
            section_id: o.id("section_id")?,
            suite_id: o.id("suite_id")?,
            project_id: 0,
            template_id: uid("template_id")?,
            type_id: uid("type_id")?,
            priority_id: uid("priority_id")?,
            milestone_id: o.opt_id("milestone_id")?,
            refs: o.opt_string("refs")?,
            created_by: uid("created_by")?,
            created_on: o.int("created_on", 0)?,
            updated_by: uid("updated_by")?,
            updated_on: o.int("updated_on", 0)?,
            estimate: o.opt_string("estimate")?,
            estimate_forecast: o.opt_string("estimate_forecast")?,
            display_order: o.int("display_order", 0)?,
            is_deleted: o.int("is_deleted", 0)?,
            labels: o.get("labels").map_or(Json::List(Vec::new()), Json::from),
            custom,
            extra,
        })
    }

    /// TestRail's JSON for this case. `fields` are the active custom fields that apply to the
    /// case's project: each appears, `null` when unset, as TestRail shows them.
    pub fn to_json(&self, fields: &[&CaseField]) -> Value {
        let mut m = Map::with_capacity(SYSTEM_FIELDS.len() + fields.len() + 2);
        m.insert("id".into(), self.id.into());
        m.insert("title".into(), self.title.clone().into());
        m.insert("section_id".into(), self.section_id.into());
        m.insert("template_id".into(), self.template_id.into());
        m.insert("type_id".into(), self.type_id.into());
        m.insert("priority_id".into(), self.priority_id.into());
        m.insert("milestone_id".into(), opt_id_value(self.milestone_id));
        m.insert("refs".into(), opt_str_value(&self.refs));
        m.insert("created_by".into(), self.created_by.into());
        m.insert("created_on".into(), self.created_on.into());
        m.insert("updated_by".into(), self.updated_by.into());
        m.insert("updated_on".into(), self.updated_on.into());
        m.insert("estimate".into(), opt_str_value(&self.estimate));
        m.insert(
            "estimate_forecast".into(),
            opt_str_value(&self.estimate_forecast),
        );
        m.insert("suite_id".into(), self.suite_id.into());
        m.insert("display_order".into(), self.display_order.into());
        m.insert("is_deleted".into(), self.is_deleted.into());
        m.insert("labels".into(), self.labels.to_value());
        for f in fields {
            let v = self
                .custom(&f.system_name)
                .map_or(Value::Null, Json::to_value);
            m.insert(f.system_name.clone(), v);
        }
        for (k, v) in &self.custom {
            if !m.contains_key(k) {
                m.insert(k.clone(), v.to_value());
            }
        }
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }

    pub fn custom(&self, key: &str) -> Option<&Json> {
        self.custom
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| &self.custom[i].1)
    }

    /// Sets (or with `Json::Null`, clears) a custom value, keeping the list sorted.
    pub fn set_custom(&mut self, key: &str, value: Json) {
        match self.custom.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
            Ok(i) if value.is_null() => {
                self.custom.remove(i);
            }
            Ok(i) => self.custom[i].1 = value,
            Err(_) if value.is_null() => {}
            Err(i) => self.custom.insert(i, (key.to_string(), value)),
        }
    }

    /// The steps of every Steps-typed value, for full-text indexing and display.
    pub fn steps(&self, key: &str) -> Vec<Step> {
        match self.custom(key) {
            Some(Json::List(items)) => items.iter().map(Step::from_json).collect(),
            _ => Vec::new(),
        }
    }
}

/// One step of a Steps field (`custom_steps_separated`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Step {
    pub content: String,
    pub expected: String,
    pub additional_info: String,
    pub refs: String,
    pub shared_step_id: Option<i64>,
}

impl Step {
    pub fn from_json(v: &Json) -> Step {
        let s = |k: &str| v.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        Step {
            content: s("content"),
            expected: s("expected"),
            additional_info: s("additional_info"),
            refs: s("refs"),
            shared_step_id: v.get("shared_step_id").and_then(Json::as_i64),
        }
    }
}

//! Test result (`get_results`): one status, comment or assignment added to a test.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{opt_id_value, opt_str_value, put_extra, Json, Obj};
use crate::error::Result;

/// A result of a test. Results are only added (and, by `edit_result`, amended), never replaced
/// by another; the newest result that carries a status is the test's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    pub id: u64,
    pub test_id: u64,
    /// Not part of TestRail's shape: kept so that results list by run and case without reading
    /// their tests.
    pub run_id: u64,
    pub case_id: u64,
    pub status_id: Option<u64>,
    pub created_on: i64,
    pub created_by: u64,
    pub assignedto_id: Option<u64>,
    pub comment: Option<String>,
    pub version: Option<String>,
    pub elapsed: Option<String>,
    pub defects: Option<String>,
    /// `custom_*` result field values (Step Results among them), sorted by key, without nulls.
    pub custom: Vec<(String, Json)>,
    pub attachment_ids: Vec<u64>,
    pub extra: Vec<(String, Json)>,
}

const KNOWN: &[&str] = &[
    "id",
    "test_id",
    "status_id",
    "created_on",
    "created_by",
    "assignedto_id",
    "comment",
    "version",
    "elapsed",
    "defects",
    "attachment_ids",
];

impl TestResult {
    /// Reads a result from a server body; `run_id` and `case_id` are the caller's (the test's).
    pub fn from_json(v: &Value, run_id: u64, case_id: u64) -> Result<TestResult> {
        let o = Obj::new(v, "result")?;
        let mut custom: Vec<(String, Json)> = o
            .map()
            .iter()
            .filter(|(k, v)| k.starts_with("custom_") && !v.is_null())
            .map(|(k, v)| (k.clone(), Json::from(v)))
            .collect();
        custom.sort_by(|a, b| a.0.cmp(&b.0));
        let attachment_ids = match o.get("attachment_ids") {
            Some(Value::Array(ids)) => ids.iter().filter_map(Value::as_u64).collect(),
            _ => Vec::new(),
        };
        Ok(TestResult {
            id: o.id("id")?,
            test_id: o.id("test_id")?,
            run_id,
            case_id,
            status_id: o.opt_id("status_id")?,
            created_on: o.int("created_on", 0)?,
            created_by: o.opt_id("created_by")?.unwrap_or(0),
            assignedto_id: o.opt_id("assignedto_id")?,
            comment: o.opt_string("comment")?,
            version: o.opt_string("version")?,
            elapsed: o.opt_string("elapsed")?,
            defects: o.opt_string("defects")?,
            custom,
            attachment_ids,
            extra: o
                .extra(KNOWN)
                .into_iter()
                .filter(|(k, _)| !k.starts_with("custom_"))
                .collect(),
        })
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

    /// TestRail's JSON for this result. `shown` are the custom result fields that apply to its
    /// project: each appears, `null` when unset.
    pub fn to_json(&self, shown: &[&str]) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("test_id".into(), self.test_id.into());
        m.insert("status_id".into(), opt_id_value(self.status_id));
        m.insert("created_on".into(), self.created_on.into());
        m.insert("created_by".into(), self.created_by.into());
        m.insert("assignedto_id".into(), opt_id_value(self.assignedto_id));
        m.insert("comment".into(), opt_str_value(&self.comment));
        m.insert("version".into(), opt_str_value(&self.version));
        m.insert("elapsed".into(), opt_str_value(&self.elapsed));
        m.insert("defects".into(), opt_str_value(&self.defects));
        for k in shown {
            m.insert(
                (*k).to_string(),
                self.custom(k).map_or(Value::Null, Json::to_value),
            );
        }
        for (k, v) in &self.custom {
            if !m.contains_key(k) {
                m.insert(k.clone(), v.to_value());
            }
        }
        m.insert(
            "attachment_ids".into(),
            Value::Array(
                self.attachment_ids
                    .iter()
                    .map(|a| Value::from(*a))
                    .collect(),
            ),
        );
        put_extra(&mut m, &self.extra);
        Value::Object(m)
    }
}

//! Test result (`get_results`): one status, comment or assignment added to a test.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::json::AsJson;
use super::{Json, Obj};
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
    pub fn to_json<S: AsRef<str>>(&self, shown: &[S]) -> Value {
        serde_json::to_value(self.shaped(shown)).unwrap_or(Value::Null)
    }

    /// This result in TestRail's shape as a `serde::Serialize` view (see [`TestResult::to_json`]),
    /// for the fronts that build their own form without a `serde_json::Value` in between.
    pub fn shaped<'a, S: AsRef<str>>(&'a self, shown: &'a [S]) -> ResultJson<'a, S> {
        ResultJson {
            result: self,
            shown,
        }
    }

    /// The keys and values of TestRail's shape, in its order: the system fields, every custom
    /// field in `shown` (`null` when unset), custom values kept from elsewhere, `attachment_ids`,
    /// then keys we do not know. The one place that shape is written down.
    pub fn entries<'a, S: AsRef<str>>(
        &'a self,
        shown: &'a [S],
    ) -> impl Iterator<Item = (&'a str, ResultValue<'a>)> + 'a {
        use ResultValue::*;
        let text = |v: &'a Option<String>| Text(v.as_deref());
        let system = [
            ("id", Id(Some(self.id))),
            ("test_id", Id(Some(self.test_id))),
            ("status_id", Id(self.status_id)),
            ("created_on", Int(self.created_on)),
            ("created_by", Id(Some(self.created_by))),
            ("assignedto_id", Id(self.assignedto_id)),
            ("comment", text(&self.comment)),
            ("version", text(&self.version)),
            ("elapsed", text(&self.elapsed)),
            ("defects", text(&self.defects)),
        ];
        let is_shown = move |k: &str| shown.iter().any(|s| s.as_ref() == k);
        let shown_values = shown
            .iter()
            .enumerate()
            // A field named twice appears once, where it is first named.
            .filter(move |(i, k)| !shown[..*i].iter().any(|s| s.as_ref() == k.as_ref()))
            .map(|(_, k)| (k.as_ref(), Custom(self.custom(k.as_ref()))));
        let rest = self
            .custom
            .iter()
            .filter(move |(k, _)| !is_shown(k))
            .map(|(k, v)| (k.as_str(), Custom(Some(v))));
        let extra = self
            .extra
            .iter()
            .filter(move |(k, _)| {
                !KNOWN.contains(&k.as_str()) && !is_shown(k) && self.custom(k).is_none()
            })
            .map(|(k, v)| (k.as_str(), Custom(Some(v))));
        system
            .into_iter()
            .chain(shown_values)
            .chain(rest)
            .chain(std::iter::once((
                "attachment_ids",
                Ids(&self.attachment_ids),
            )))
            .chain(extra)
    }
}

/// One value of a result's JSON (see [`TestResult::entries`]).
#[derive(Debug, Clone, Copy)]
pub enum ResultValue<'a> {
    Id(Option<u64>),
    Int(i64),
    Text(Option<&'a str>),
    Custom(Option<&'a Json>),
    Ids(&'a [u64]),
}

impl ResultValue<'_> {
    /// The value as the journal keeps it: `None` for `null`.
    pub fn to_stored(self) -> Option<Json> {
        match self {
            ResultValue::Id(v) => v.map(|v| Json::Int(v as i64)),
            ResultValue::Int(v) => Some(Json::Int(v)),
            ResultValue::Text(v) => v.map(|v| Json::Str(v.to_string())),
            ResultValue::Custom(v) => v.filter(|v| !v.is_null()).cloned(),
            ResultValue::Ids(v) => Some(Json::List(
                v.iter().map(|id| Json::Int(*id as i64)).collect(),
            )),
        }
    }
}

impl Serialize for ResultValue<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            ResultValue::Id(v) => v.serialize(s),
            ResultValue::Int(v) => v.serialize(s),
            ResultValue::Text(v) => v.serialize(s),
            ResultValue::Custom(v) => v.map(AsJson).serialize(s),
            ResultValue::Ids(v) => v.serialize(s),
        }
    }
}

/// A result in TestRail's shape (see [`TestResult::shaped`]).
pub struct ResultJson<'a, S> {
    result: &'a TestResult,
    shown: &'a [S],
}

impl<S: AsRef<str>> Serialize for ResultJson<'_, S> {
    fn serialize<Se: serde::Serializer>(&self, s: Se) -> std::result::Result<Se::Ok, Se::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.result.entries(self.shown) {
            m.serialize_entry(k, &v)?;
        }
        m.end()
    }
}

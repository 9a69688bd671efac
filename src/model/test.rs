//! Test (`get_test`): one case in one run, with its current status.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::json::AsJson;
use super::{Case, CaseField, Json, Obj};
use crate::error::Result;

/// The untested status every test starts with (a system status, id 3 on every TestRail).
pub const UNTESTED: u64 = 3;

/// A test of a run. While its run is open it shows its case as the case is now (TestRail
/// reflects case edits in active runs); `snapshot` holds the case as it was when the run closed,
/// or as a server sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Test {
    pub id: u64,
    pub run_id: u64,
    pub case_id: u64,
    /// The status of the latest result that carried one; [`UNTESTED`] before any.
    pub status_id: u64,
    pub assignedto_id: Option<u64>,
    pub snapshot: Option<Box<TestCase>>,
    pub extra: Vec<(String, Json)>,
}

/// The case fields a test shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    pub title: String,
    pub template_id: u64,
    pub type_id: u64,
    pub priority_id: u64,
    pub estimate: Option<String>,
    pub estimate_forecast: Option<String>,
    pub refs: Option<String>,
    pub milestone_id: Option<u64>,
    pub labels: Json,
    /// Every custom key the test shows, `Json::Null` where unset, in the order shown.
    pub custom: Vec<(String, Json)>,
}

/// The keys of a test that are its own or its case's, in the order TestRail's fields go.
const TEST_KEYS: &[&str] = &[
    "id",
    "case_id",
    "status_id",
    "assignedto_id",
    "run_id",
    "title",
    "template_id",
    "type_id",
    "priority_id",
    "estimate",
    "estimate_forecast",
    "refs",
    "milestone_id",
    "labels",
];

impl TestCase {
    /// The case as a test shows it: its fields, and every custom field of `fields` (the active
    /// fields of its project), `null` where unset.
    pub fn of(case: &Case, fields: &[&CaseField]) -> TestCase {
        let mut custom: Vec<(String, Json)> = fields
            .iter()
            .map(|f| {
                (
                    f.system_name.clone(),
                    case.custom(&f.system_name).cloned().unwrap_or(Json::Null),
                )
            })
            .collect();
        for (k, v) in &case.custom {
            if !custom.iter().any(|(c, _)| c == k) {
                custom.push((k.clone(), v.clone()));
            }
        }
        TestCase {
            title: case.title.clone(),
            template_id: case.template_id,
            type_id: case.type_id,
            priority_id: case.priority_id,
            estimate: case.estimate.clone(),
            estimate_forecast: case.estimate_forecast.clone(),
            refs: case.refs.clone(),
            milestone_id: case.milestone_id,
            labels: case.labels.clone(),
            custom,
        }
    }
}

impl Test {
    /// Reads a test from a server body: the case's fields it carries become its snapshot.
    pub fn from_json(v: &Value) -> Result<Test> {
        let o = Obj::new(v, "test")?;
        let uid = |k: &str| o.get(k).and_then(Value::as_u64).unwrap_or(0);
        let custom = o
            .map()
            .iter()
            .filter(|(k, _)| k.starts_with("custom_"))
            .map(|(k, v)| (k.clone(), Json::from(v)))
            .collect();
        let snapshot = TestCase {
            title: o.opt_string("title")?.unwrap_or_default(),
            template_id: uid("template_id"),
            type_id: uid("type_id"),
            priority_id: uid("priority_id"),
            estimate: o.opt_string("estimate")?,
            estimate_forecast: o.opt_string("estimate_forecast")?,
            refs: o.opt_string("refs")?,
            milestone_id: o.opt_id("milestone_id")?,
            labels: o.get("labels").map_or(Json::List(Vec::new()), Json::from),
            custom,
        };
        Ok(Test {
            id: o.id("id")?,
            run_id: o.id("run_id")?,
            case_id: o.id("case_id")?,
            status_id: o.opt_id("status_id")?.unwrap_or(UNTESTED),
            assignedto_id: o.opt_id("assignedto_id")?,
            snapshot: Some(Box::new(snapshot)),
            extra: o
                .extra(TEST_KEYS)
                .into_iter()
                .filter(|(k, _)| !k.starts_with("custom_"))
                .collect(),
        })
    }

    /// This test in TestRail's shape, showing `case` (its snapshot when `None`).
    pub fn shaped<'a>(&'a self, case: Option<&'a TestCase>) -> TestJson<'a> {
        TestJson {
            test: self,
            case: case.or(self.snapshot.as_deref()),
        }
    }

    pub fn to_json(&self, case: Option<&TestCase>) -> Value {
        serde_json::to_value(self.shaped(case)).unwrap_or(Value::Null)
    }
}

/// A test in TestRail's shape (see [`Test::shaped`]): the one place that shape is written.
pub struct TestJson<'a> {
    test: &'a Test,
    case: Option<&'a TestCase>,
}

impl Serialize for TestJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let t = self.test;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &t.id)?;
        m.serialize_entry("case_id", &t.case_id)?;
        m.serialize_entry("status_id", &t.status_id)?;
        m.serialize_entry("assignedto_id", &t.assignedto_id)?;
        m.serialize_entry("run_id", &t.run_id)?;
        match self.case {
            Some(c) => {
                m.serialize_entry("title", &c.title)?;
                m.serialize_entry("template_id", &c.template_id)?;
                m.serialize_entry("type_id", &c.type_id)?;
                m.serialize_entry("priority_id", &c.priority_id)?;
                m.serialize_entry("estimate", &c.estimate)?;
                m.serialize_entry("estimate_forecast", &c.estimate_forecast)?;
                m.serialize_entry("refs", &c.refs)?;
                m.serialize_entry("milestone_id", &c.milestone_id)?;
                for (k, v) in &c.custom {
                    m.serialize_entry(k, &AsJson(v))?;
                }
                m.serialize_entry("labels", &AsJson(&c.labels))?;
            }
            None => {
                m.serialize_entry("title", "")?;
            }
        }
        for (k, v) in &t.extra {
            m.serialize_entry(k, &AsJson(v))?;
        }
        m.end()
    }
}

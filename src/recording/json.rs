//! A [`Recording`] given as one JSON object: how the Python and C fronts hand a report to
//! [`Store::record`](crate::Store::record), so that its shape and its checks are written once.
//!
//! Every key is checked: an unknown one is refused with the known ones named, and a value of the
//! wrong type with TestRail's `Field :…` wording and the path to it (`tests[3].outcome`).

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::{
    parse_field, CaseMatcher, Detail, Outcome, ProjectRef, RecordedTest, Recording, RunInfo,
    StatusMap, StepResult, SuiteRef, Target,
};
use crate::error::{Error, Result};

const RECORDING_KEYS: &[&str] = &[
    "project",
    "suite",
    "run_id",
    "plan_id",
    "name",
    "description",
    "milestone_id",
    "refs",
    "close_run",
    "case_matcher",
    "section",
    "case_fields",
    "result_fields",
    "statuses",
    "allow_ms",
    "properties",
    "tests",
];

const TEST_KEYS: &[&str] = &[
    "name",
    "classname",
    "automation_id",
    "test_id",
    "case_ids",
    "section",
    "case_fields",
    "result_fields",
    "outcome",
    "type",
    "message",
    "text",
    "elapsed",
    "comments",
    "steps",
    "attachments",
];

impl Recording {
    /// A recording from its JSON form:
    ///
    /// ```text
    /// {"project": "Lab" | "1" | 1, "suite": "Master" | 3, "run_id": 7 | "plan_id": 9,
    ///  "name": "run name", "description": "…", "milestone_id": 2, "refs": "…",
    ///  "close_run": false, "case_matcher": "auto" | "name" | "property",
    ///  "section": "section of new cases whose test names none",
    ///  "case_fields": {"priority_id": 3}, "result_fields": {"version": "1.2"},
    ///  "statuses": {"passed": 1, "skipped": 4, "failure": 5, "error": 5},
    ///  "allow_ms": false, "properties": {"build": "812"},
    ///  "tests": [{"name": "test_refund", "classname": "tests.checkout",
    ///             "automation_id": "…", "test_id": "C1, C2", "case_ids": [12, "C13"],
    ///             "section": "Checkout", "case_fields": {…}, "result_fields": {…},
    ///             "outcome": "passed" | "skipped" | "failure" | "error",
    ///             "type": "…", "message": "…", "text": "…", "elapsed": 1.25,
    ///             "comments": ["…"], "steps": ["passed: text" | {"content", "status_id"}],
    ///             "attachments": ["path"]}]}
    /// ```
    ///
    /// A project given as text is the project of that name, else of that id (as the CLI's
    /// `--project`). Only `project` and each test's `name` are required; the rest defaults as
    /// [`Recording::new`] and [`RecordedTest::new`] do.
    pub fn from_json(v: &Value) -> Result<Recording> {
        let o = object(v, "recording")?;
        known(o, "recording", RECORDING_KEYS)?;
        let project = match o.get("project") {
            Some(Value::String(s)) if !s.is_empty() => ProjectRef::IdOrName(s.clone()),
            Some(Value::Number(_)) => ProjectRef::Id(id(o, "project", "project")?.unwrap_or(0)),
            _ => {
                return Err(Error::validation(
                    "project",
                    "Field :project is a required field (a project's name or id).",
                ))
            }
        };
        let target =
            match (id(o, "run_id", "run_id")?, id(o, "plan_id", "plan_id")?) {
                (None, None) => Target::NewRun,
                (Some(r), None) => Target::Run(r),
                (None, Some(p)) => Target::Plan(p),
                (Some(_), Some(_)) => return Err(Error::validation(
                    "plan_id",
                    "Give run_id (an existing run) or plan_id (a new entry of a plan), not both.",
                )),
            };
        let mut r = Recording::new(project, target);
        r.suite = match o.get("suite") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() => Some(SuiteRef::Name(s.clone())),
            Some(Value::Number(_)) => id(o, "suite", "suite")?.map(SuiteRef::Id),
            Some(_) => {
                return Err(Error::validation(
                    "suite",
                    "Field :suite must be a suite's name or id.",
                ))
            }
        };
        r.run = RunInfo {
            name: text(o, "name", "name")?,
            description: text(o, "description", "description")?,
            milestone_id: id(o, "milestone_id", "milestone_id")?,
            refs: text(o, "refs", "refs")?,
        };
        r.close_run = flag(o, "close_run")?;
        r.matcher = match text(o, "case_matcher", "case_matcher")?.as_deref() {
            None | Some("auto") => CaseMatcher::Auto,
            Some("name") => CaseMatcher::Name,
            Some("property") => CaseMatcher::Property,
            Some(_) => {
                return Err(Error::validation(
                    "case_matcher",
                    "Field :case_matcher must be auto, name or property.",
                ))
            }
        };
        r.default_section = text(o, "section", "section")?;
        r.case_fields = fields(o, "case_fields", "case_fields")?;
        r.result_fields = fields(o, "result_fields", "result_fields")?;
        r.statuses = statuses(o)?;
        r.allow_ms = flag(o, "allow_ms")?;
        r.properties = properties(o)?;
        r.tests = match o.get("tests") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(tests)) => tests
                .iter()
                .enumerate()
                .map(|(i, t)| test(t, &format!("tests[{i}]")))
                .collect::<Result<_>>()?,
            Some(_) => {
                return Err(Error::validation(
                    "tests",
                    "Field :tests must be a list of tests.",
                ))
            }
        };
        Ok(r)
    }
}

fn test(v: &Value, at: &str) -> Result<RecordedTest> {
    let o = object(v, at)?;
    known(o, at, TEST_KEYS)?;
    let name = text(o, "name", &format!("{at}.name"))?.ok_or_else(|| {
        Error::validation(
            "name",
            format!("Field :{at}.name is a required field (the test's name)."),
        )
    })?;
    let mut t = RecordedTest::new(name);
    t.classname = text(o, "classname", &format!("{at}.classname"))?;
    t.automation_id = text(o, "automation_id", &format!("{at}.automation_id"))?;
    t.test_id = text(o, "test_id", &format!("{at}.test_id"))?;
    t.case_ids = case_ids(o, at)?;
    t.section = text(o, "section", &format!("{at}.section"))?;
    t.case_fields = fields(o, "case_fields", &format!("{at}.case_fields"))?;
    t.result_fields = fields(o, "result_fields", &format!("{at}.result_fields"))?;
    t.outcome = match text(o, "outcome", &format!("{at}.outcome"))?.as_deref() {
        None | Some("passed") => Outcome::Passed,
        Some("skipped") => Outcome::Skipped,
        Some("failure") => Outcome::Failure,
        Some("error") => Outcome::Error,
        Some(_) => {
            return Err(Error::validation(
                "outcome",
                format!("Field :{at}.outcome must be passed, skipped, failure or error."),
            ))
        }
    };
    let detail = Detail::new(
        text(o, "type", &format!("{at}.type"))?,
        text(o, "message", &format!("{at}.message"))?,
        text(o, "text", &format!("{at}.text"))?,
    );
    if detail != Detail::default() {
        t.detail = Some(detail);
    }
    t.elapsed = match o.get("elapsed") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_f64().is_some_and(|s| s >= 0.0) => n.as_f64(),
        Some(_) => {
            return Err(Error::validation(
                "elapsed",
                format!("Field :{at}.elapsed must be a number of seconds, 0 or more."),
            ))
        }
    };
    t.comments = texts(o, "comments", &format!("{at}.comments"))?;
    t.steps = match o.get("steps") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(steps)) => steps
            .iter()
            .enumerate()
            .map(|(i, s)| step(s, &format!("{at}.steps[{i}]")))
            .collect::<Result<_>>()?,
        Some(_) => {
            return Err(Error::validation(
                "steps",
                format!("Field :{at}.steps must be a list of steps."),
            ))
        }
    };
    t.attachments = texts(o, "attachments", &format!("{at}.attachments"))?
        .into_iter()
        .map(PathBuf::from)
        .collect();
    Ok(t)
}

fn step(v: &Value, at: &str) -> Result<StepResult> {
    match v {
        Value::String(s) => StepResult::parse(s),
        Value::Object(o) => {
            known(o, at, &["content", "status_id"])?;
            let content = text(o, "content", &format!("{at}.content"))?.unwrap_or_default();
            let status_id = id(o, "status_id", &format!("{at}.status_id"))?.ok_or_else(|| {
                Error::validation(
                    "status_id",
                    format!("Field :{at}.status_id is a required field."),
                )
            })?;
            Ok(StepResult { content, status_id })
        }
        _ => Err(Error::validation(
            "steps",
            format!("Field :{at} must be \"status: text\" or {{\"content\", \"status_id\"}}."),
        )),
    }
}

/// Case ids as numbers or TestRail's `C123`.
fn case_ids(o: &Map<String, Value>, at: &str) -> Result<Vec<u64>> {
    let bad = || {
        Error::validation(
            "case_ids",
            format!("Field :{at}.case_ids must be a list of case ids (12 or \"C12\")."),
        )
    };
    match o.get("case_ids") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::Number(n) => n.as_u64().filter(|i| *i >= 1).ok_or_else(bad),
                Value::String(s) => {
                    let s = s.trim();
                    let digits = s.strip_prefix(['C', 'c']).unwrap_or(s);
                    digits
                        .parse::<u64>()
                        .ok()
                        .filter(|i| *i >= 1)
                        .ok_or_else(bad)
                }
                _ => Err(bad()),
            })
            .collect(),
        Some(_) => Err(bad()),
    }
}

fn statuses(o: &Map<String, Value>) -> Result<StatusMap> {
    let mut map = StatusMap::default();
    let Some(v) = o.get("statuses").filter(|v| !v.is_null()) else {
        return Ok(map);
    };
    let s = object(v, "statuses")?;
    known(s, "statuses", &["passed", "skipped", "failure", "error"])?;
    for (key, slot) in [
        ("passed", &mut map.passed),
        ("skipped", &mut map.skipped),
        ("failure", &mut map.failure),
        ("error", &mut map.error),
    ] {
        if let Some(id) = id(s, key, &format!("statuses.{key}"))? {
            *slot = id;
        }
    }
    Ok(map)
}

/// The testsuite properties: an object, or a list of `[name, value]` pairs (names may repeat).
fn properties(o: &Map<String, Value>) -> Result<Vec<(String, String)>> {
    let bad = || {
        Error::validation(
            "properties",
            "Field :properties must be an object of texts or a list of [name, value] pairs.",
        )
    };
    match o.get("properties") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| Ok((k.clone(), v.as_str().ok_or_else(bad)?.to_string())))
            .collect(),
        Some(Value::Array(pairs)) => pairs
            .iter()
            .map(|p| match p.as_array().map(Vec::as_slice) {
                Some([Value::String(k), Value::String(v)]) => Ok((k.clone(), v.clone())),
                _ => Err(bad()),
            })
            .collect(),
        Some(_) => Err(bad()),
    }
}

/// Fields as an object, or as trcli's `name:value` texts.
fn fields(o: &Map<String, Value>, key: &str, at: &str) -> Result<Map<String, Value>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(Value::Array(items)) => {
            let mut m = Map::new();
            for item in items {
                let text = item.as_str().ok_or_else(|| {
                    Error::validation(
                        key,
                        format!("Field :{at} must be an object or a list of \"name:value\" texts."),
                    )
                })?;
                let (k, v) = parse_field(text)?;
                m.insert(k, v);
            }
            Ok(m)
        }
        Some(_) => Err(Error::validation(
            key,
            format!("Field :{at} must be an object or a list of \"name:value\" texts."),
        )),
    }
}

fn object<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| {
        Error::validation(
            at.rsplit('.').next().unwrap_or(at),
            format!("Field :{at} must be an object."),
        )
    })
}

fn known(o: &Map<String, Value>, at: &str, keys: &[&str]) -> Result<()> {
    match o.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(unknown) => Err(Error::validation(
            unknown.as_str(),
            format!(
                "Field :{unknown} is not a key of {at} (it takes {}).",
                keys.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

fn text(o: &Map<String, Value>, key: &str, at: &str) -> Result<Option<String>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::validation(
            key,
            format!("Field :{at} must be a string."),
        )),
    }
}

fn texts(o: &Map<String, Value>, key: &str, at: &str) -> Result<Vec<String>> {
    let bad = || Error::validation(key, format!("Field :{at} must be a list of strings."));
    match o.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
            .collect(),
        Some(_) => Err(bad()),
    }
}

fn id(o: &Map<String, Value>, key: &str, at: &str) -> Result<Option<u64>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|i| *i >= 1)
            .map(Some)
            .ok_or_else(|| Error::validation(key, format!("Field :{at} is not a valid ID."))),
    }
}

fn flag(o: &Map<String, Value>, key: &str) -> Result<bool> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Error::validation(
            key,
            format!("Field :{key} must be true or false."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_full_recording_reads_every_key() {
        let r = Recording::from_json(&json!({
            "project": "Lab", "suite": 3, "plan_id": 9, "name": "Nightly",
            "description": "d", "milestone_id": 2, "refs": "R-1", "close_run": true,
            "case_matcher": "property", "section": "Imported",
            "case_fields": ["priority_id:4"], "result_fields": {"version": "1.2"},
            "statuses": {"skipped": 2}, "allow_ms": true,
            "properties": [["build", "812"], ["build", "813"]],
            "tests": [{"name": "t", "classname": "m", "case_ids": [12, "C13"],
                       "outcome": "failure", "message": "boom", "elapsed": 1.5,
                       "comments": ["c"], "steps": ["passed: one", {"content": "two", "status_id": 5}],
                       "attachments": ["a.log"]}]
        }))
        .unwrap();
        assert_eq!(r.project, ProjectRef::IdOrName("Lab".into()));
        assert_eq!(r.suite, Some(SuiteRef::Id(3)));
        assert_eq!(r.target, Target::Plan(9));
        assert_eq!(r.run.name.as_deref(), Some("Nightly"));
        assert_eq!(r.run.milestone_id, Some(2));
        assert!(r.close_run && r.allow_ms);
        assert_eq!(r.matcher, CaseMatcher::Property);
        assert_eq!(r.case_fields["priority_id"], json!("4"));
        assert_eq!(r.statuses.skipped, 2);
        assert_eq!(r.statuses.failure, 5);
        assert_eq!(r.properties.len(), 2);
        let t = &r.tests[0];
        assert_eq!(t.case_ids, vec![12, 13]);
        assert_eq!(t.outcome, Outcome::Failure);
        assert_eq!(t.detail.as_ref().unwrap().message.as_deref(), Some("boom"));
        assert_eq!(t.elapsed, Some(1.5));
        assert_eq!(t.steps[0].status_id, 1);
        assert_eq!(t.steps[1].status_id, 5);
        assert_eq!(t.attachments, vec![PathBuf::from("a.log")]);
    }

    #[test]
    fn bad_input_names_the_key_and_where_it_is() {
        let cases = [
            (json!({}), "Field :project is a required field"),
            (
                json!({"project": 1, "runid": 3}),
                "Field :runid is not a key of recording",
            ),
            (json!({"project": 1, "run_id": 2, "plan_id": 3}), "not both"),
            (
                json!({"project": 1, "run_id": 0}),
                "Field :run_id is not a valid ID.",
            ),
            (
                json!({"project": 1, "tests": [{"name": "a"}, {"name": "b", "outcome": "flaky"}]}),
                "Field :tests[1].outcome must be passed, skipped, failure or error.",
            ),
            (
                json!({"project": 1, "tests": [{"outcome": "passed"}]}),
                "Field :tests[0].name is a required field",
            ),
            (
                json!({"project": 1, "tests": [{"name": "a", "case_ids": ["X1"]}]}),
                "Field :tests[0].case_ids must be a list of case ids",
            ),
            (
                json!({"project": 1, "tests": [{"name": "a", "elapsed": -1}]}),
                "Field :tests[0].elapsed must be a number of seconds",
            ),
            (
                json!({"project": 1, "statuses": {"blocked": 2}}),
                "Field :blocked is not a key of statuses",
            ),
            (
                json!({"project": 1, "case_matcher": "fuzzy"}),
                "auto, name or property",
            ),
        ];
        for (input, expected) in cases {
            let err = Recording::from_json(&input).unwrap_err().to_string();
            assert!(err.contains(expected), "{input}: {err}");
        }
    }
}

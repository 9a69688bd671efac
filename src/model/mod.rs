//! TestRail's entities as trailstore stores them, one file per entity.
//!
//! Each entity keeps every field TestRail returns, typed where trailstore applies a rule to it,
//! plus `extra`: keys a server sent that this build does not know, kept so that a pulled record
//! is served back unchanged.

mod attachment;
mod case;
mod config;
mod conflict;
mod field;
mod json;
#[cfg(test)]
mod pins;
mod plan;
mod project;
mod refdata;
mod result;
mod run;
mod section;
pub(crate) mod stored;
mod suite;
mod test;

pub use attachment::{AttachedTo, Attachment};
pub use case::{Case, CaseJson, CaseOf, CaseView, Step, SYSTEM_FIELDS};
pub use config::{Config, ConfigGroup};
pub use conflict::{Conflict, DELETED};
pub use field::{CaseField, FieldConfig, FieldType};
pub(crate) use json::StoredJson;
pub use json::{AsJson, Json, JsonOf, JsonView};
pub use plan::{Plan, PlanEntry};
pub use project::{Project, SuiteMode};
pub use refdata::{CaseType, Milestone, Priority, ResultField, Status, Template, User};
pub use result::TestResult;
pub use run::{CountKeys, Run, StatusCounts};
pub use section::Section;
pub use suite::Suite;
pub use test::{Test, TestCase, UNTESTED};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use stored::stored_enum;

/// The lowest id trailstore gives to an entity created offline.
///
/// Why this range: clients of `trailstore serve` treat ids as positive integers (trcli accepts only
/// ids >= 1) and typed clients often keep them in 32-bit ints, so local ids must be positive and
/// at most 2^31-1. A TestRail server numbers each entity from 1 upwards and would need over two
/// billion of one kind to reach this range. So ids from 2^31 - 2^24 (2,130,706,432) to 2^31 - 1
/// are local: 16.7 million per entity kind, told apart from server ids by value alone, and
/// mapped to server ids by push. A server id in this range is refused on import.
pub const LOCAL_ID_MIN: u64 = (1 << 31) - (1 << 24);

/// The largest id any entity may have (`i32::MAX`).
pub const ID_MAX: u64 = (1 << 31) - 1;

/// Whether an id was given by this store rather than by a server.
pub fn is_local_id(id: u64) -> bool {
    (LOCAL_ID_MIN..=ID_MAX).contains(&id)
}

stored_enum! {
    /// The kinds of entity the store keeps.
    ///
    /// `code()` keys the id map and is how journal and conflict records store the kind, so the
    /// numbers are fixed: never renumber or reuse one; a retired kind stays here as a comment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Kind: u64 {
        Project = 0,
        Suite = 1,
        Section = 2,
        Case = 3,
        CaseField = 4,
        CaseType = 5,
        Priority = 6,
        Template = 7,
        User = 8,
        Milestone = 9,
        Status = 10,
        ResultField = 11,
        Run = 12,
        Test = 13,
        Result = 14,
        Plan = 15,
        ConfigGroup = 16,
        Config = 17,
        Attachment = 18,
        // Last added: Attachment.
    }
}

impl Kind {
    /// TestRail's name of the entity in messages ("test case", "section").
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Project => "project",
            Kind::Suite => "test suite",
            Kind::Section => "section",
            Kind::Case => "test case",
            Kind::CaseField => "case field",
            Kind::CaseType => "case type",
            Kind::Priority => "priority",
            Kind::Template => "template",
            Kind::User => "user",
            Kind::Milestone => "milestone",
            Kind::Status => "status",
            Kind::ResultField => "result field",
            Kind::Run => "test run",
            Kind::Test => "test",
            Kind::Result => "test result",
            Kind::Plan => "test plan",
            Kind::ConfigGroup => "configuration group",
            Kind::Config => "configuration",
            Kind::Attachment => "attachment",
        }
    }

    /// A short stable name, used in the journal and in meta keys.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Project => "project",
            Kind::Suite => "suite",
            Kind::Section => "section",
            Kind::Case => "case",
            Kind::CaseField => "case_field",
            Kind::CaseType => "case_type",
            Kind::Priority => "priority",
            Kind::Template => "template",
            Kind::User => "user",
            Kind::Milestone => "milestone",
            Kind::Status => "status",
            Kind::ResultField => "result_field",
            Kind::Run => "run",
            Kind::Test => "test",
            Kind::Result => "result",
            Kind::Plan => "plan",
            Kind::ConfigGroup => "config_group",
            Kind::Config => "config",
            Kind::Attachment => "attachment",
        }
    }

    /// The kind of entity an id field names (`case_id` → case), if any.
    pub fn of_field(field: &str) -> Option<Kind> {
        Some(match field {
            "case_id" | "case_ids" => Kind::Case,
            "section_id" | "parent_id" | "after_id" => Kind::Section,
            "suite_id" => Kind::Suite,
            "project_id" => Kind::Project,
            "milestone_id" => Kind::Milestone,
            "run_id" => Kind::Run,
            "test_id" => Kind::Test,
            "result_id" => Kind::Result,
            "plan_id" => Kind::Plan,
            "config_group_id" | "group_id" => Kind::ConfigGroup,
            "config_id" | "config_ids" => Kind::Config,
            "attachment_id" => Kind::Attachment,
            _ => return None,
        })
    }
}

/// Reads typed values out of a JSON object coming from a server or a snapshot, with errors that
/// name the record and field.
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    what: &'static str,
}

impl<'a> Obj<'a> {
    pub fn new(value: &'a Value, what: &'static str) -> Result<Obj<'a>> {
        match value {
            Value::Object(map) => Ok(Obj { map, what }),
            _ => Err(Error::bad_request(format!(
                "A {what} must be a JSON object."
            ))),
        }
    }

    pub fn map(&self) -> &'a Map<String, Value> {
        self.map
    }

    fn bad(&self, key: &str, expected: &str) -> Error {
        Error::validation(
            key,
            format!("Field :{key} of a {} is not {expected}.", self.what),
        )
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A server id: an integer from 1 to below the local id range.
    pub fn id(&self, key: &str) -> Result<u64> {
        self.opt_id(key)?
            .ok_or_else(|| Error::validation(key, format!("Field :{key} is a required field.")))
    }

    pub fn opt_id(&self, key: &str) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_u64() {
                Some(id) if (1..LOCAL_ID_MIN).contains(&id) => Ok(Some(id)),
                Some(id) if id >= LOCAL_ID_MIN => Err(Error::validation(
                    key,
                    format!(
                        "Field :{key} of a {} is {id}, inside trailstore's local id range ({LOCAL_ID_MIN} and up); server ids must be smaller.",
                        self.what
                    ),
                )),
                _ => Err(self.bad(key, "a valid ID")),
            },
        }
    }

    pub fn string(&self, key: &str) -> Result<String> {
        self.str(key).map(str::to_string)
    }

    pub fn opt_string(&self, key: &str) -> Result<Option<String>> {
        Ok(self.opt_str(key)?.map(str::to_string))
    }

    /// A required string, borrowed from the body.
    pub fn str(&self, key: &str) -> Result<&'a str> {
        self.opt_str(key)?
            .ok_or_else(|| Error::validation(key, format!("Field :{key} is a required field.")))
    }

    /// An optional string, borrowed from the body.
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.bad(key, "a string")),
        }
    }

    /// A boolean, also accepting TestRail's 0/1 integers.
    pub fn flag(&self, key: &str) -> Result<bool> {
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(false),
            Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(true),
            Some(_) => Err(self.bad(key, "a boolean")),
        }
    }

    pub fn opt_int(&self, key: &str) -> Result<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.bad(key, "an integer")),
        }
    }

    pub fn int(&self, key: &str, default: i64) -> Result<i64> {
        Ok(self.opt_int(key)?.unwrap_or(default))
    }

    /// Every key not in `known`, kept so the record is served back as it came.
    pub fn extra(&self, known: &[&str]) -> Vec<(String, Json)> {
        self.map
            .iter()
            .filter(|(k, _)| !known.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), Json::from(v)))
            .collect()
    }
}

/// Appends the `extra` keys to an output object, never overwriting a key trailstore wrote.
pub(crate) fn put_extra(out: &mut Map<String, Value>, extra: &[(String, Json)]) {
    for (k, v) in extra {
        if !out.contains_key(k) {
            out.insert(k.clone(), v.to_value());
        }
    }
}

pub(crate) fn opt_str_value(s: &Option<String>) -> Value {
    s.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

pub(crate) fn opt_id_value(id: Option<u64>) -> Value {
    id.map_or(Value::Null, Value::from)
}

//! Test case (`get_case`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::json::{AsJson, JsonOf};
use super::{CaseField, Json, Obj};
use crate::error::{Error, Result};

/// A TestRail test case: the system fields, typed, and the `custom_*` values keyed by system name.
/// Its text is `S`: a [`Case`] owns it; a [`CaseView`] borrows it from the record it was read
/// from, for an answer that is only serialized. One struct, so both read the same stored bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseOf<S> {
    pub id: u64,
    pub title: S,
    pub section_id: u64,
    pub suite_id: u64,
    /// Not part of TestRail's shape; a suite never changes project, so this is kept for rules.
    pub project_id: u64,
    pub template_id: u64,
    pub type_id: u64,
    pub priority_id: u64,
    pub milestone_id: Option<u64>,
    pub refs: Option<S>,
    pub created_by: u64,
    pub created_on: i64,
    pub updated_by: u64,
    pub updated_on: i64,
    pub estimate: Option<S>,
    pub estimate_forecast: Option<S>,
    pub display_order: i64,
    pub is_deleted: i64,
    pub labels: JsonOf<S>,
    /// `custom_*` values, sorted by key, without nulls.
    pub custom: Vec<(S, JsonOf<S>)>,
    pub extra: Vec<(S, JsonOf<S>)>,
}

/// A case that owns its text: what rules change and writes store.
pub type Case = CaseOf<String>;

/// A case whose text is borrowed from its record's payload: decoding one makes no `String`.
pub type CaseView<'a> = CaseOf<&'a str>;

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

impl<'a, S: From<&'a str> + AsRef<str>> CaseOf<S> {
    /// Reads a case from a server body with its text as `S`: a [`Case`] copies the text, a
    /// [`CaseView`] borrows it from `v` (a bulk import, which only writes the case and its
    /// document). `project_id` is filled in by the caller from the suite.
    pub fn parse(v: &'a Value) -> Result<CaseOf<S>> {
        let o = Obj::new(v, "case")?;
        let mut custom: Vec<(S, JsonOf<S>)> = o
            .map()
            .iter()
            .filter(|(k, v)| k.starts_with("custom_") && !v.is_null())
            .map(|(k, v)| (S::from(k), JsonOf::of(v)))
            .collect();
        custom.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let known = |k: &str| SYSTEM_FIELDS.contains(&k) || k.starts_with("custom_");
        let extra = o
            .map()
            .iter()
            .filter(|(k, _)| !known(k))
            .map(|(k, v)| (S::from(k), JsonOf::of(v)))
            .collect();
        let uid = |key: &str| -> Result<u64> {
            match o.get(key) {
                None => Ok(0),
                Some(v) => v.as_u64().ok_or_else(|| {
                    Error::validation(key, format!("Field :{key} of a case is not a valid ID."))
                }),
            }
        };
        Ok(CaseOf {
            id: o.id("id")?,
            title: S::from(o.str("title")?),
            section_id: o.id("section_id")?,
            suite_id: o.id("suite_id")?,
            project_id: 0,
            template_id: uid("template_id")?,
            type_id: uid("type_id")?,
            priority_id: uid("priority_id")?,
            milestone_id: o.opt_id("milestone_id")?,
            refs: o.opt_str("refs")?.map(S::from),
            created_by: uid("created_by")?,
            created_on: o.int("created_on", 0)?,
            updated_by: uid("updated_by")?,
            updated_on: o.int("updated_on", 0)?,
            estimate: o.opt_str("estimate")?.map(S::from),
            estimate_forecast: o.opt_str("estimate_forecast")?.map(S::from),
            display_order: o.int("display_order", 0)?,
            is_deleted: o.int("is_deleted", 0)?,
            labels: o.get("labels").map_or(JsonOf::List(Vec::new()), JsonOf::of),
            custom,
            extra,
        })
    }
}

impl Case {
    /// Reads a case from a server body (see [`CaseOf::parse`]).
    pub fn from_json(v: &Value) -> Result<Case> {
        CaseOf::parse(v)
    }

    /// TestRail's JSON for this case. `fields` are the active custom fields that apply to the
    /// case's project: each appears, `null` when unset, as TestRail shows them.
    pub fn to_json(&self, fields: &[&CaseField]) -> Value {
        serde_json::to_value(self.shaped(fields)).unwrap_or(Value::Null)
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

impl<S: AsRef<str>> CaseOf<S> {
    /// This case in TestRail's shape as a `serde::Serialize` view, for the fronts that build
    /// their own form (JSON text, Python objects) without a `serde_json::Value` in between.
    /// `fields` as in [`Case::to_json`].
    pub fn shaped<'a>(&'a self, fields: &'a [&'a CaseField]) -> CaseJson<'a, S> {
        CaseJson { case: self, fields }
    }

    /// The custom value under `key`, if set.
    pub fn custom(&self, key: &str) -> Option<&JsonOf<S>> {
        self.custom_index(key).map(|i| &self.custom[i].1)
    }

    /// Where the custom value under `key` is in `custom`, if set.
    fn custom_index(&self, key: &str) -> Option<usize> {
        self.custom
            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
            .ok()
    }
}

/// A case in TestRail's shape (see [`CaseOf::shaped`]). The one place that shape is written down:
/// the system fields in TestRail's order, then every custom field that applies to the project
/// (`null` when unset), then custom values kept from elsewhere, then keys we do not know.
pub struct CaseJson<'a, S> {
    case: &'a CaseOf<S>,
    fields: &'a [&'a CaseField],
}

impl<T: AsRef<str>> Serialize for CaseJson<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let c = self.case;
        // Each field's value is looked up once and marked shown, so finding the values no field
        // shows costs one pass: comparing every value's key with every field's name grew with
        // the square of a project's custom fields (a server can have a hundred).
        let mut shown = vec![false; c.custom.len()];
        let values: Vec<Option<&JsonOf<T>>> = self
            .fields
            .iter()
            .map(|f| {
                let i = c.custom_index(&f.system_name)?;
                shown[i] = true;
                Some(&c.custom[i].1)
            })
            .collect();
        let rest = c
            .custom
            .iter()
            .zip(&shown)
            .filter(|(_, shown)| !**shown)
            .map(|(kv, _)| kv);
        let extra = c.extra.iter().filter(|(k, _)| {
            let k = k.as_ref();
            !SYSTEM_FIELDS.contains(&k) && !k.starts_with("custom_")
        });
        let unshown = shown.iter().filter(|s| !**s).count();
        let len = SYSTEM_FIELDS.len() + self.fields.len() + unshown + extra.clone().count();
        let mut m = s.serialize_map(Some(len))?;
        m.serialize_entry("id", &c.id)?;
        m.serialize_entry("title", c.title.as_ref())?;
        m.serialize_entry("section_id", &c.section_id)?;
        m.serialize_entry("template_id", &c.template_id)?;
        m.serialize_entry("type_id", &c.type_id)?;
        m.serialize_entry("priority_id", &c.priority_id)?;
        m.serialize_entry("milestone_id", &c.milestone_id)?;
        m.serialize_entry("refs", &c.refs.as_ref().map(AsRef::as_ref))?;
        m.serialize_entry("created_by", &c.created_by)?;
        m.serialize_entry("created_on", &c.created_on)?;
        m.serialize_entry("updated_by", &c.updated_by)?;
        m.serialize_entry("updated_on", &c.updated_on)?;
        m.serialize_entry("estimate", &c.estimate.as_ref().map(AsRef::as_ref))?;
        let forecast = c.estimate_forecast.as_ref().map(AsRef::as_ref);
        m.serialize_entry("estimate_forecast", &forecast)?;
        m.serialize_entry("suite_id", &c.suite_id)?;
        m.serialize_entry("display_order", &c.display_order)?;
        m.serialize_entry("is_deleted", &c.is_deleted)?;
        m.serialize_entry("labels", &AsJson(&c.labels))?;
        for (f, value) in self.fields.iter().zip(values) {
            m.serialize_entry(&f.system_name, &value.map(AsJson))?;
        }
        for (k, v) in rest.chain(extra) {
            m.serialize_entry(k.as_ref(), &AsJson(v))?;
        }
        m.end()
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
        let [content, expected, additional_info] = Step::texts(v).map(str::to_string);
        Step {
            content,
            expected,
            additional_info,
            refs: v
                .get("refs")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string(),
            shared_step_id: v.get("shared_step_id").and_then(Json::as_i64),
        }
    }

    /// A step value's texts, read in place: its content, expected result and additional info
    /// (`""` where missing), what search indexes and highlights of a step.
    pub fn texts<S: AsRef<str>>(v: &JsonOf<S>) -> [&str; 3] {
        let s = |k: &str| v.get(k).and_then(JsonOf::as_str).unwrap_or("");
        [s("content"), s("expected"), s("additional_info")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bulk import writes the borrowed parse of each case: its record must be the bytes the
    /// owned parse writes, for every case of the sample snapshot.
    #[test]
    fn a_borrowed_parse_packs_to_the_same_record_as_an_owned_one() {
        let text = include_str!("../../tests/data/sample_snapshot.json");
        let snapshot: Value = serde_json::from_str(text).unwrap();
        let cases = snapshot["cases"].as_array().unwrap();
        let with_custom = cases
            .iter()
            .filter(|v| !Case::from_json(v).unwrap().custom.is_empty())
            .count();
        assert!(with_custom > 100, "the sample has cases with custom values");
        for v in cases {
            let owned = Case::from_json(v).unwrap();
            let view = CaseView::parse(v).unwrap();
            assert_eq!(
                crate::codec::payload(&owned).unwrap(),
                crate::codec::payload(&view).unwrap(),
                "case {}",
                owned.id
            );
        }
        let bad = serde_json::json!({"id": 1, "title": 5, "section_id": 1, "suite_id": 1});
        assert_eq!(
            CaseView::parse(&bad).unwrap_err().to_string(),
            Case::from_json(&bad).unwrap_err().to_string()
        );
    }
}

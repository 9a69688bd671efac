//! TestRail's field rules in one place: system fields of cases, the eleven custom field types,
//! required fields, which fields apply to a case (per-project context, template), length limits
//! and time spans.
//!
//! Choices where TestRail's behaviour is not confirmed (testrail-api.md §6, §11):
//! - `custom_*` keys that do not apply to the case's project or template are ignored, like other
//!   unknown keys.
//! - Required fields are enforced on create; an update that sends a required field as null,
//!   `""` or `[]` is refused; an update that leaves it out is not.
//! - Fields left out of `add_case` stay null: no `default_value` is filled in.
//! - Date values are strings in the user's format, `MM/DD/YYYY`; `YYYY-MM-DD` is accepted too.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::messages as msg;
use crate::model::{
    Case, CaseField, CaseType, FieldConfig, FieldType, Json, Kind, Milestone, Priority, Project,
    Template, User, ID_MAX,
};
use crate::tx::Tx;

/// Longest title TestRail accepts.
pub const TITLE_MAX: usize = 250;
/// Longest `refs` of a case (TestRail 7.x and later; trcli's `MAX_CASE_REFERENCES_LENGTH`).
pub const CASE_REFS_MAX: usize = 2000;
/// Longest String custom field value.
pub const STRING_MAX: usize = 250;
/// Longest name of a project, suite, section or milestone.
pub const NAME_MAX: usize = 250;

/// Reads an id from a JSON value: an integer, or a string of digits, from 1 to 2^31-1.
pub fn id_value(field: &str, v: &Value) -> Result<u64> {
    let id = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match id {
        Some(id) if (1..=ID_MAX).contains(&id) => Ok(id),
        // Well-formed but out of range: names nothing.
        Some(_) => Err(msg::invalid_id(field)),
        None => Err(msg::invalid_id(field)),
    }
}

/// Reads a path or query id (`get_case/12`).
pub fn id_text(field: &str, s: &str) -> Result<u64> {
    match s.parse::<u64>() {
        Ok(id) if (1..=ID_MAX).contains(&id) => Ok(id),
        _ => Err(msg::invalid_id(field)),
    }
}

/// A plan entry id in a path: TestRail's entry ids are GUIDs (hex digits and dashes).
pub fn guid(field: &str, s: &str) -> Result<String> {
    if !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(match field {
            "attachment_id" => msg::unknown(field, crate::model::Kind::Attachment),
            _ => msg::unknown_entry_field(field),
        })
    }
}

/// A required name (project, suite, section): a non-blank string of at most 250 characters.
pub fn name(field: &str, v: Option<&Value>) -> Result<String> {
    match v {
        None | Some(Value::Null) => Err(msg::required(field)),
        Some(Value::String(s)) if s.trim().is_empty() => Err(msg::required(field)),
        Some(Value::String(s)) if s.chars().count() > NAME_MAX => {
            Err(msg::too_long(field, NAME_MAX))
        }
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(msg::not_valid(field, "string")),
    }
}

/// An optional free text (description, announcement).
pub fn opt_text(field: &str, v: Option<&Value>) -> Result<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(msg::not_valid(field, "string")),
    }
}

/// A boolean, also as TestRail's 0/1.
pub fn flag(field: &str, v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_i64() == Some(0) => Ok(false),
        Value::Number(n) if n.as_i64() == Some(1) => Ok(true),
        Value::String(s) if s == "0" || s.eq_ignore_ascii_case("false") => Ok(false),
        Value::String(s) if s == "1" || s.eq_ignore_ascii_case("true") => Ok(true),
        _ => Err(msg::not_valid(field, "boolean")),
    }
}

/// Parses a TestRail time span ("30s", "1m 45s", "2h 5m", "1d", "1w 2d") into seconds. A working
/// day is 8 hours and a week 5 days, as TestRail counts them. A bare number means seconds.
pub fn timespan_seconds(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    let mut seen_unit = false;
    let mut pending_digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            pending_digits = true;
        } else if c.is_whitespace() {
            if pending_digits {
                // A number must be followed directly by its unit.
                return None;
            }
        } else {
            let mult: u64 = match c.to_ascii_lowercase() {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 8 * 3600,
                'w' => 5 * 8 * 3600,
                _ => return None,
            };
            let n: u64 = num.parse().ok()?;
            total = total.checked_add(n.checked_mul(mult)?)?;
            num.clear();
            pending_digits = false;
            seen_unit = true;
        }
    }
    (seen_unit && !pending_digits).then_some(total)
}

fn is_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    scheme_ok && !host.is_empty() && !s.chars().any(char::is_whitespace)
}

fn is_date(s: &str) -> bool {
    let valid = |y: u32, m: u32, d: u32| (1..=12).contains(&m) && (1..=31).contains(&d) && y >= 1;
    let nums = |parts: Vec<&str>| -> Option<Vec<u32>> {
        parts.iter().map(|p| p.parse::<u32>().ok()).collect()
    };
    if let Some(n) = nums(s.split('/').collect()) {
        if n.len() == 3 && s.len() == 10 {
            return valid(n[2], n[0], n[1]);
        }
    }
    if let Some(n) = nums(s.split('-').collect()) {
        if n.len() == 3 && s.len() == 10 {
            return valid(n[0], n[1], n[2]);
        }
    }
    false
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether a value counts as "not given" for a required field.
pub fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Validates one custom field value for a project and turns it into its stored form.
/// `Ok(Json::Null)` means the field is cleared.
pub fn custom_value(
    tx: &Tx<'_>,
    field: &CaseField,
    config: Option<&FieldConfig>,
    project_id: u64,
    v: &Value,
) -> Result<Json> {
    let key = field.system_name.as_str();
    if v.is_null() {
        return Ok(Json::Null);
    }
    let items = || config.map(FieldConfig::items).unwrap_or_default();
    match field.field_type() {
        FieldType::String => match v {
            Value::String(s) if s.chars().count() > STRING_MAX => {
                Err(msg::too_long(key, STRING_MAX))
            }
            Value::String(s) => Ok(Json::Str(s.clone())),
            _ => Err(msg::not_valid(key, "string")),
        },
        FieldType::Text => match v {
            Value::String(s) => Ok(Json::Str(s.clone())),
            _ => Err(msg::not_valid(key, "string")),
        },
        FieldType::Integer => int_of(v)
            .map(Json::Int)
            .ok_or_else(|| msg::not_valid(key, "integer")),
        FieldType::Url => match v {
            Value::String(s) if s.is_empty() || is_url(s) => Ok(Json::Str(s.clone())),
            _ => Err(msg::not_valid(key, "URL")),
        },
        FieldType::Checkbox => flag(key, v).map(Json::Bool),
        FieldType::Dropdown => {
            let id = int_of(v).ok_or_else(|| msg::not_valid(key, "integer"))?;
            if items().iter().any(|(i, _)| *i == id) {
                Ok(Json::Int(id))
            } else {
                Err(msg::not_an_item(key))
            }
        }
        FieldType::MultiSelect => {
            let Value::Array(values) = v else {
                return Err(msg::not_valid(key, "array"));
            };
            let items = items();
            let mut out = Vec::with_capacity(values.len());
            for item in values {
                let id = int_of(item).ok_or_else(|| msg::not_valid(key, "array"))?;
                if !items.iter().any(|(i, _)| *i == id) {
                    return Err(msg::not_an_item(key));
                }
                out.push(Json::Int(id));
            }
            Ok(if out.is_empty() {
                Json::Null
            } else {
                Json::List(out)
            })
        }
        FieldType::User => {
            let id = id_value(key, v)?;
            if !tx.exists::<User>(id)? {
                return Err(msg::unknown(key, Kind::User));
            }
            Ok(Json::Int(id as i64))
        }
        FieldType::Milestone => {
            let id = id_value(key, v)?;
            match tx.get::<Milestone>(id)? {
                Some(m) if m.project_id == project_id => Ok(Json::Int(id as i64)),
                _ => Err(msg::unknown(key, Kind::Milestone)),
            }
        }
        FieldType::Date => match v {
            Value::String(s) if is_date(s) => Ok(Json::Str(s.clone())),
            _ => Err(msg::not_valid(key, "date")),
        },
        FieldType::Steps => steps(key, v),
        FieldType::StepResults => step_results(tx, key, v),
        FieldType::Other(_) => Ok(Json::from(v)),
    }
}

fn steps(key: &str, v: &Value) -> Result<Json> {
    let Value::Array(items) = v else {
        return Err(msg::not_valid(key, "array"));
    };
    let bad_step = || {
        Error::validation(
            key,
            format!("Field :{key} contains an invalid step (steps are objects with content, expected, additional_info, refs and shared_step_id)."),
        )
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(step) = item else {
            return Err(bad_step());
        };
        let mut entries = Vec::with_capacity(step.len());
        for (k, v) in step {
            match (k.as_str(), v) {
                (
                    "content" | "expected" | "additional_info" | "refs",
                    Value::String(_) | Value::Null,
                ) => {}
                ("shared_step_id", Value::Null) => {}
                ("shared_step_id", v) if int_of(v).is_some_and(|n| n > 0) => {}
                ("content" | "expected" | "additional_info" | "refs" | "shared_step_id", _) => {
                    return Err(bad_step())
                }
                // Unknown step keys are kept as they came (newer servers add some).
                _ => {}
            }
            entries.push((k.clone(), Json::from(v)));
        }
        out.push(Json::Map(entries));
    }
    Ok(if out.is_empty() {
        Json::Null
    } else {
        Json::List(out)
    })
}

/// A Step Results value (`custom_step_results`): steps with `content`, `expected`, `actual`
/// and the `status_id` of each step, which must be a status of the instance (Untested
/// included: a step may be left untested).
fn step_results(tx: &Tx<'_>, key: &str, v: &Value) -> Result<Json> {
    let Value::Array(items) = v else {
        return Err(msg::not_valid(key, "array"));
    };
    let bad_step = || {
        Error::validation(
            key,
            format!("Field :{key} contains an invalid step result (step results are objects with content, expected, actual and status_id)."),
        )
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(step) = item else {
            return Err(bad_step());
        };
        let mut entries = Vec::with_capacity(step.len());
        for (k, v) in step {
            match (k.as_str(), v) {
                ("content" | "expected" | "actual", Value::String(_) | Value::Null) => {}
                ("status_id", Value::Null) => {}
                ("status_id", v) => {
                    let id = int_of(v).filter(|n| *n > 0).ok_or_else(bad_step)? as u64;
                    if !tx.exists::<crate::model::Status>(id)? {
                        return Err(msg::unknown(&format!("{key}.status_id"), Kind::Status));
                    }
                    entries.push((k.clone(), Json::Int(id as i64)));
                    continue;
                }
                ("content" | "expected" | "actual", _) => return Err(bad_step()),
                // Unknown keys are kept as they came.
                _ => {}
            }
            entries.push((k.clone(), Json::from(v)));
        }
        out.push(Json::Map(entries));
    }
    Ok(if out.is_empty() {
        Json::Null
    } else {
        Json::List(out)
    })
}

/// The fields that apply to a case of `project_id` with `template_id`, with the config in force.
pub fn applicable_fields(
    fields: &[CaseField],
    project_id: u64,
    template_id: u64,
) -> Vec<(&CaseField, Option<&FieldConfig>)> {
    fields
        .iter()
        .filter(|f| f.is_active && f.on_template(template_id))
        .filter_map(|f| f.config_for(project_id).map(|c| (f, c)))
        .collect()
}

/// The active fields of a project, whatever the template: the custom keys a case of the project
/// shows (null when unset).
pub fn project_fields(fields: &[CaseField], project_id: u64) -> Vec<&CaseField> {
    fields
        .iter()
        .filter(|f| f.is_active && f.config_for(project_id).is_some())
        .collect()
}

/// The default of a kind of reference data (`is_default`), else its lowest id.
fn default_id<T>(items: &[T], is_default: impl Fn(&T) -> bool, id: impl Fn(&T) -> u64) -> u64 {
    items
        .iter()
        .find(|t| is_default(t))
        .or_else(|| items.first())
        .map_or(0, id)
}

/// Applies an `add_case` / `update_case` body to a case: validates every system and custom field
/// TestRail checks and returns the case as it would be stored. `case` is the stored case on
/// update, or a fresh case (with id, section and suite set) on create. Nothing is written.
pub fn apply_case_body(
    tx: &Tx<'_>,
    fields: &[CaseField],
    project: &Project,
    mut case: Case,
    body: &Map<String, Value>,
    creating: bool,
) -> Result<Case> {
    let get = |k: &str| body.get(k);

    match get("title") {
        Some(Value::String(s)) if s.trim().is_empty() => return Err(msg::required("title")),
        Some(Value::String(s)) if s.chars().count() > TITLE_MAX => {
            return Err(msg::too_long("title", TITLE_MAX))
        }
        Some(Value::String(s)) => case.title = s.clone(),
        Some(Value::Null) | None if creating => return Err(msg::required("title")),
        Some(Value::Null) => return Err(msg::required("title")),
        Some(_) => return Err(msg::not_valid("title", "string")),
        None => {}
    }

    match get("template_id") {
        Some(v) if !v.is_null() => {
            let id = id_value("template_id", v)?;
            match tx.get::<Template>(id)? {
                Some(t) if t.enabled_for(project.id) => case.template_id = id,
                _ => return Err(msg::unknown("template_id", Kind::Template)),
            }
        }
        _ if creating => {
            let templates: Vec<Template> = tx
                .all::<Template>()?
                .into_iter()
                .filter(|t| t.enabled_for(project.id))
                .collect();
            case.template_id = default_id(&templates, |t| t.is_default, |t| t.id);
        }
        _ => {}
    }

    match get("type_id") {
        Some(v) if !v.is_null() => {
            let id = id_value("type_id", v)?;
            if !tx.exists::<CaseType>(id)? {
                return Err(msg::unknown("type_id", Kind::CaseType));
            }
            case.type_id = id;
        }
        _ if creating => {
            let types = tx.all::<CaseType>()?;
            case.type_id = default_id(&types, |t| t.is_default, |t| t.id);
        }
        _ => {}
    }

    match get("priority_id") {
        Some(v) if !v.is_null() => {
            let id = id_value("priority_id", v)?;
            if !tx.exists::<Priority>(id)? {
                return Err(msg::unknown("priority_id", Kind::Priority));
            }
            case.priority_id = id;
        }
        _ if creating => {
            let prios = tx.all::<Priority>()?;
            case.priority_id = default_id(&prios, |p| p.is_default, |p| p.id);
        }
        _ => {}
    }

    match get("milestone_id") {
        Some(Value::Null) => case.milestone_id = None,
        Some(v) => {
            let id = id_value("milestone_id", v)?;
            match tx.get::<Milestone>(id)? {
                Some(m) if m.project_id == project.id => case.milestone_id = Some(id),
                _ => return Err(msg::unknown("milestone_id", Kind::Milestone)),
            }
        }
        None => {}
    }

    match get("refs") {
        Some(Value::Null) => case.refs = None,
        Some(Value::String(s)) if s.chars().count() > CASE_REFS_MAX => {
            return Err(msg::too_long("refs", CASE_REFS_MAX))
        }
        Some(Value::String(s)) => case.refs = Some(s.clone()),
        Some(_) => return Err(msg::not_valid("refs", "string")),
        None => {}
    }

    match get("estimate") {
        Some(Value::Null) => case.estimate = None,
        Some(Value::String(s)) if s.trim().is_empty() => case.estimate = None,
        Some(Value::String(s)) if timespan_seconds(s).is_some() => {
            case.estimate = Some(s.trim().to_string())
        }
        Some(_) => return Err(msg::bad_timespan("estimate")),
        None => {}
    }

    let applicable = applicable_fields(fields, project.id, case.template_id);
    for (field, config) in &applicable {
        let key = field.system_name.as_str();
        let required = config.is_some_and(FieldConfig::is_required);
        match get(key) {
            Some(v) => {
                if required && is_blank(v) {
                    return Err(msg::required(key));
                }
                let value = custom_value(tx, field, *config, project.id, v)?;
                case.set_custom(key, value);
            }
            None if creating && required => return Err(msg::required(key)),
            None => {}
        }
    }
    Ok(case)
}

/// Longest `refs` of a run or plan (trcli merges references up to this length).
pub const RUN_REFS_MAX: usize = 250;

/// Parses a result's `elapsed` time span into seconds: units w, d, h, m and s after each number,
/// numbers that may have decimals (`"0.005s"`, as trcli's `--allow-ms` sends), or a bare number
/// of seconds. `None` when it is not a time span.
pub fn elapsed_seconds(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<f64>() {
        return (n.is_finite() && n >= 0.0).then_some(n);
    }
    let mut total = 0.0f64;
    let mut num = String::new();
    let mut seen_unit = false;
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
        } else if c.is_whitespace() {
            if !num.is_empty() {
                // A number must be followed directly by its unit.
                return None;
            }
        } else {
            let mult = match c.to_ascii_lowercase() {
                's' => 1.0,
                'm' => 60.0,
                'h' => 3600.0,
                'd' => 8.0 * 3600.0,
                'w' => 5.0 * 8.0 * 3600.0,
                _ => return None,
            };
            let n: f64 = num.parse().ok()?;
            total += n * mult;
            num.clear();
            seen_unit = true;
        }
    }
    (seen_unit && num.is_empty() && total.is_finite()).then_some(total)
}

/// A time span in TestRail's short form, largest unit first, units at zero left out: `65` →
/// `1m 5s`, `5400` → `1h 30m`, `0.005` → `0.005s` (a day is 8 hours and a week 5 days, as
/// [`timespan_seconds`] reads them). Seconds keep up to three decimals.
pub fn format_timespan(seconds: f64) -> String {
    let millis = (seconds * 1000.0).round() as u64;
    let (mut whole, frac) = (millis / 1000, millis % 1000);
    let mut parts = Vec::new();
    for (unit, size) in [("w", 5 * 8 * 3600), ("d", 8 * 3600), ("h", 3600), ("m", 60)] {
        if whole >= size {
            parts.push(format!("{}{unit}", whole / size));
            whole %= size;
        }
    }
    if frac > 0 {
        let text = format!("{whole}.{frac:03}");
        parts.push(format!("{}s", text.trim_end_matches('0')));
    } else if whole > 0 || parts.is_empty() {
        parts.push(format!("{whole}s"));
    }
    parts.join(" ")
}

/// A result's `elapsed`: a time span of at least a millisecond (TestRail refuses `"0s"`),
/// stored and shown in TestRail's short form (`"65s"` reads back as `"1m 5s"`, as a server
/// that keeps seconds formats it). `None` (and `""`) clears it.
pub fn elapsed(field: &str, v: &Value) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => match elapsed_seconds(s) {
            Some(secs) if secs >= 0.001 => Ok(Some(format_timespan(secs))),
            Some(secs) if secs > 0.0 => Err(msg::under_a_millisecond(field)),
            _ => Err(msg::bad_timespan(field)),
        },
        _ => Err(msg::bad_timespan(field)),
    }
}

/// An optional UNIX time (`start_on`, `due_on`): an integer, a string of digits, or null
/// (`Field :due_on is not a valid integer.` otherwise, as TestRail words it).
pub fn opt_timestamp(field: &str, v: Option<&Value>) -> Result<Option<i64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|t| *t >= 0)
            .map(Some)
            .ok_or_else(|| msg::not_valid(field, "integer")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|t| *t >= 0)
            .map(Some)
            .ok_or_else(|| msg::not_valid(field, "integer")),
        Some(_) => Err(msg::not_valid(field, "integer")),
    }
}

/// An optional text of at most `max` characters.
pub fn opt_text_max(field: &str, v: Option<&Value>, max: usize) -> Result<Option<String>> {
    match opt_text(field, v)? {
        Some(s) if s.chars().count() > max => Err(msg::too_long(field, max)),
        other => Ok(other),
    }
}

/// An optional user (`assignedto_id`): null, or the id of a user of the store.
pub fn opt_user(tx: &Tx<'_>, field: &str, v: Option<&Value>) -> Result<Option<u64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let id = id_value(field, v)?;
            if !tx.exists::<User>(id)? {
                return Err(msg::unknown(field, Kind::User));
            }
            Ok(Some(id))
        }
    }
}

/// An optional milestone of `project_id`.
pub fn opt_milestone(
    tx: &Tx<'_>,
    field: &str,
    v: Option<&Value>,
    project_id: u64,
) -> Result<Option<u64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let id = id_value(field, v)?;
            match tx.get::<Milestone>(id)? {
                Some(m) if m.project_id == project_id => Ok(Some(id)),
                _ => Err(msg::unknown(field, Kind::Milestone)),
            }
        }
    }
}

/// A status a result may set: one the instance has, and not Untested (TestRail does not allow
/// adding a result that sets a test back to Untested). `known` holds the statuses already looked
/// up (`true`: one a result may set).
fn result_status(
    tx: &Tx<'_>,
    known: &mut HashMap<u64, Option<bool>>,
    field: &str,
    v: &Value,
) -> Result<Option<u64>> {
    if v.is_null() {
        return Ok(None);
    }
    let id = id_value(field, v).map_err(|_| msg::unknown(field, Kind::Status))?;
    let settable = match known.get(&id) {
        Some(k) => *k,
        None => {
            let k = tx
                .get::<crate::model::Status>(id)?
                .map(|s| !(s.is_untested || id == crate::model::UNTESTED));
            known.insert(id, k);
            k
        }
    };
    match settable {
        Some(false) => Err(msg::untested_not_allowed(field)),
        Some(true) => Ok(Some(id)),
        None => Err(msg::unknown(field, Kind::Status)),
    }
}

/// What checking the results of one request reads once for all of them: the result fields, the
/// ones that apply per template, and the statuses looked up.
pub struct ResultRules<'f> {
    fields: &'f [crate::model::ResultField],
    project_id: u64,
    applicable: HashMap<u64, Vec<(&'f CaseField, Option<&'f FieldConfig>)>>,
    statuses: HashMap<u64, Option<bool>>,
}

impl<'f> ResultRules<'f> {
    pub fn new(fields: &'f [crate::model::ResultField], project_id: u64) -> ResultRules<'f> {
        ResultRules {
            fields,
            project_id,
            applicable: HashMap::new(),
            statuses: HashMap::new(),
        }
    }
}

/// A field's name as messages give it: `prefix` and `key`, built only when it is not one of the
/// names a bulk add's entries use most.
fn field_name(prefix: &str, key: &'static str) -> Cow<'static, str> {
    if prefix.is_empty() {
        return Cow::Borrowed(key);
    }
    if prefix == "results." {
        let known = match key {
            "status_id" => Some("results.status_id"),
            "version" => Some("results.version"),
            "elapsed" => Some("results.elapsed"),
            "assignedto_id" => Some("results.assignedto_id"),
            _ => None,
        };
        if let Some(n) = known {
            return Cow::Borrowed(n);
        }
    }
    Cow::Owned(format!("{prefix}{key}"))
}

/// The result fields that apply to a test of `project_id` whose case has `template_id`, with the
/// config in force.
pub fn applicable_result_fields(
    fields: &[crate::model::ResultField],
    project_id: u64,
    template_id: u64,
) -> Vec<(&CaseField, Option<&FieldConfig>)> {
    fields
        .iter()
        .map(|f| &f.0)
        .filter(|f| f.is_active && (template_id == 0 || f.on_template(template_id)))
        .filter_map(|f| f.config_for(project_id).map(|c| (f, c)))
        .collect()
}

/// A key of a small JSON object, found by comparing keys: a result entry has a handful, and
/// hashing each looked-up name (serde_json's maps hash with SipHash) cost more than the compares
/// in a bulk add.
fn small_get<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if body.len() <= 16 {
        body.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        body.get(key)
    }
}

/// Whether the result fields that apply to a test of `project_id` depend on its case's template:
/// when none is limited to some templates, a bulk add need not look the templates up.
pub fn result_fields_vary_by_template(
    fields: &[crate::model::ResultField],
    project_id: u64,
) -> bool {
    applicable_result_fields(fields, project_id, 0)
        .iter()
        .any(|(f, _)| !f.include_all)
}

/// The fields of a result as a request gives them: `Some` for each key that was sent (an inner
/// `None` clears it), so that `edit_result` changes only what it names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultBody {
    pub status_id: Option<Option<u64>>,
    pub comment: Option<Option<String>>,
    pub version: Option<Option<String>>,
    pub elapsed: Option<Option<String>>,
    pub defects: Option<Option<String>>,
    pub assignedto_id: Option<Option<u64>>,
    /// Custom result field values sent (`Json::Null` clears one).
    pub custom: Vec<(String, Json)>,
}

impl ResultBody {
    /// Whether the result sets a status, says something or assigns the test: TestRail takes a
    /// result only with one of these.
    pub fn says_something(&self) -> bool {
        matches!(self.status_id, Some(Some(_)))
            || matches!(&self.comment, Some(Some(c)) if !c.trim().is_empty())
            || matches!(self.assignedto_id, Some(Some(_)))
    }
}

/// Validates the fields of one result (of `add_result`, one entry of `add_results*`, or
/// `edit_result`) for a test of `project_id` whose case has `template_id`. `prefix` is put before
/// field names in messages (`results.` for an entry of a bulk add, as TestRail words it). Keys
/// TestRail ignores (`attachments`, custom keys of no field that applies) are ignored.
pub fn result_body(
    tx: &Tx<'_>,
    rules: &mut ResultRules<'_>,
    template_id: u64,
    body: &Map<String, Value>,
    prefix: &str,
    creating: bool,
) -> Result<ResultBody> {
    let name = |k: &str| format!("{prefix}{k}");
    let project_id = rules.project_id;
    let mut out = ResultBody::default();
    if let Some(v) = small_get(body, "status_id") {
        out.status_id = Some(result_status(
            tx,
            &mut rules.statuses,
            &field_name(prefix, "status_id"),
            v,
        )?);
    }
    if let Some(v) = small_get(body, "comment") {
        out.comment = Some(match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            _ => return Err(msg::not_valid(&name("comment"), "string")),
        });
    }
    if let Some(v) = small_get(body, "version") {
        out.version = Some(opt_text_max(
            &field_name(prefix, "version"),
            Some(v),
            STRING_MAX,
        )?);
    }
    if let Some(v) = small_get(body, "elapsed") {
        out.elapsed = Some(elapsed(&field_name(prefix, "elapsed"), v)?);
    }
    if let Some(v) = small_get(body, "defects") {
        out.defects = Some(match v {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.clone()),
            _ => return Err(msg::not_valid(&name("defects"), "string")),
        });
    }
    if let Some(v) = small_get(body, "assignedto_id") {
        out.assignedto_id = Some(opt_user(tx, &field_name(prefix, "assignedto_id"), Some(v))?);
    }
    let fields = rules.fields;
    let applicable = rules
        .applicable
        .entry(template_id)
        .or_insert_with(|| applicable_result_fields(fields, project_id, template_id));
    for &(field, config) in applicable.iter() {
        let key = field.system_name.as_str();
        let required = config.is_some_and(FieldConfig::is_required);
        match small_get(body, key) {
            Some(v) => {
                if required && is_blank(v) {
                    return Err(msg::required(&name(key)));
                }
                let value = custom_value(tx, field, config, project_id, v).map_err(|e| {
                    // The message names the field as the entry's (results.custom_x).
                    match e {
                        Error::Validation { message, .. } if !prefix.is_empty() => {
                            Error::validation(
                                name(key),
                                message.replacen(&format!(":{key}"), &format!(":{}", name(key)), 1),
                            )
                        }
                        other => other,
                    }
                })?;
                out.custom.push((key.to_string(), value));
            }
            None if creating && required => return Err(msg::required(&name(key))),
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_reads_back_in_the_short_form() {
        for (given, shown) in [
            ("65s", "1m 5s"),
            ("1m 45s", "1m 45s"),
            ("90m", "1h 30m"),
            ("3s", "3s"),
            ("0.005s", "0.005s"),
            ("10.001s", "10.001s"),
            ("1.5h", "1h 30m"),
            ("9h", "1d 1h"),
            ("1w 2d", "1w 2d"),
            ("3600", "1h"),
        ] {
            let v = elapsed("elapsed", &Value::String(given.into())).unwrap();
            assert_eq!(v.as_deref(), Some(shown), "{given}");
        }
        for bad in ["0s", "abc", "5 s", "1x"] {
            assert!(
                elapsed("elapsed", &Value::String(bad.into())).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            elapsed("elapsed", &Value::String("0.0001s".into()))
                .unwrap_err()
                .to_string(),
            "Field :elapsed is less than a millisecond."
        );
    }
}

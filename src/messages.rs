//! TestRail's error wording, written once.
//!
//! Strings marked "seen" were quoted from real TestRail responses (see testrail-api.md §5 and the
//! research notes in docs/testrail-errors.md); the rest follow the same pattern and are marked
//! "pattern". Changing a message here changes it for every front.

use crate::error::Error;
use crate::model::Kind;

/// `Field :title is a required field.` (seen)
pub fn required(field: &str) -> Error {
    Error::validation(field, format!("Field :{field} is a required field."))
}

/// `Field :case_id is not a valid ID.` (seen): the value has the wrong form.
pub fn invalid_id(field: &str) -> Error {
    Error::validation(field, format!("Field :{field} is not a valid ID."))
}

/// `Field :case_id is not a valid test case.` (seen for case, section, suite, milestone,
/// template, type, priority; `parent_id` of a section and user fields follow the pattern).
pub fn unknown(field: &str, kind: Kind) -> Error {
    let what = match kind {
        Kind::Project => "valid or accessible project",
        Kind::Suite => "valid test suite",
        Kind::Section => "valid section",
        Kind::Case => "valid test case",
        Kind::CaseField => "valid case field",
        Kind::CaseType => "valid case type",
        Kind::Priority => "valid priority",
        Kind::Template => "valid template",
        Kind::User => "valid user",
        Kind::Milestone => "valid milestone",
        Kind::Status => "valid status",
        Kind::ResultField => "valid result field",
    };
    Error::not_found(field, format!("Field :{field} is not a {what}."))
}

/// `Field :name is too long (250 characters at most).` (seen)
pub fn too_long(field: &str, max: usize) -> Error {
    Error::validation(
        field,
        format!("Field :{field} is too long ({max} characters at most)."),
    )
}

/// `Field :x is not a valid <what>.` for a value of the wrong type (pattern; "integer" and
/// "array" seen).
pub fn not_valid(field: &str, what: &str) -> Error {
    Error::validation(field, format!("Field :{field} is not a valid {what}."))
}

/// `Field :estimate is not in a valid time span format.` (seen)
pub fn bad_timespan(field: &str) -> Error {
    Error::validation(
        field,
        format!("Field :{field} is not in a valid time span format."),
    )
}

/// `Field :limit is not a valid natural number.` (seen)
pub fn not_natural(field: &str) -> Error {
    Error::validation(
        field,
        format!("Field :{field} is not a valid natural number."),
    )
}

/// `Field :limit is too large (maximum 250).` (seen)
pub fn limit_too_large(max: u64) -> Error {
    Error::validation(
        "limit",
        format!("Field :limit is too large (maximum {max})."),
    )
}

/// `Field :limit is too small (minimum 1).` (seen)
pub fn limit_too_small() -> Error {
    Error::validation("limit", "Field :limit is too small (minimum 1).")
}

/// A field names an item that is not among a Dropdown's or Multi-select's items (pattern).
pub fn not_an_item(field: &str) -> Error {
    Error::validation(
        field,
        format!("Field :{field} contains an item that is not a valid option of this field."),
    )
}

/// An id in a list that names nothing, e.g. `case_ids` (pattern of
/// `Field :case_ids contains one or more invalid case IDs.`).
pub fn invalid_in_list(field: &str, noun: &str) -> Error {
    Error::validation(
        field,
        format!("Field :{field} contains one or more invalid {noun} IDs."),
    )
}

/// The body is not a JSON object (TestRail: 400; wording not seen).
pub fn bad_json() -> Error {
    Error::bad_request("Invalid JSON in the request body (expected a JSON object).")
}

/// A query parameter given as an object or a nested list (pattern).
pub fn not_a_parameter(key: &str) -> Error {
    Error::validation(
        key,
        format!("Field :{key} must be a number, a string, a boolean, or a list of them."),
    )
}

/// A route that answers one entity, asked for all of its pages (pattern).
pub fn not_a_list(method: &str) -> Error {
    Error::bad_request(format!("The method {method} does not answer a list."))
}

/// A write route called with GET or a read route with POST (wording not seen).
pub fn wrong_http_method(method: &str, expected: &str) -> Error {
    Error::bad_request(format!("The method {method} requires HTTP {expected}."))
}

/// `Field 'name' is a required field.`: add_case_field quotes its field names (seen).
pub fn add_field_required(field: &str) -> Error {
    Error::validation(field, format!("Field '{field}' is a required field."))
}

/// `Invalid or missing custom field type. Please check the Type field.` (seen)
pub fn add_field_bad_type() -> Error {
    Error::validation(
        "type",
        "Invalid or missing custom field type. Please check the Type field.",
    )
}

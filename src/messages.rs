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
        Kind::Run => "valid test run",
        Kind::Test => "valid test",
        // TestRail's template for results ("test changes": results and comments).
        Kind::Result => "valid test result or comment",
        Kind::Plan => "valid test plan",
        Kind::ConfigGroup => "valid configuration group",
        Kind::Config => "valid configuration",
        Kind::Attachment => "valid attachment",
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

/// Status 3 sent with a new result (seen: `Field :status_id uses an invalid status
/// (Untested).`, and `:results.status_id` for the bulk routes).
pub fn untested_not_allowed(field: &str) -> Error {
    Error::validation(
        field,
        format!("Field :{field} uses an invalid status (Untested)."),
    )
}

/// An elapsed time under a millisecond (the template of newer servers, which take `0.005s`).
pub fn under_a_millisecond(field: &str) -> Error {
    Error::validation(field, format!("Field :{field} is less than a millisecond."))
}

/// A write to a closed run (seen, 403).
pub fn run_completed() -> Error {
    Error::Forbidden {
        message: "This operation is not allowed. The test run is already completed.".into(),
    }
}

/// A write to a closed plan (seen, 403).
pub fn plan_completed() -> Error {
    Error::Forbidden {
        message: "This operation is not allowed. The test plan is already completed.".into(),
    }
}

/// `update_run` or `delete_run` on a run of a plan (TestRail's template, "test run" sic).
pub fn run_in_plan() -> Error {
    Error::validation(
        "run_id",
        "Field :run_id is part of a test run. Please use API endpoints for test plan entries.",
    )
}

/// `close_run` on a run of a plan (TestRail's template, 403).
pub fn close_plan_run() -> Error {
    Error::Forbidden {
        message: "This operation is not allowed. The test run belongs to a test plan and cannot be closed independently.".into(),
    }
}

/// `update_run_in_plan_entry` on a run outside any plan (TestRail's template).
pub fn run_not_in_plan_entry() -> Error {
    Error::validation(
        "run_id",
        "Field :run_id does not belong to a test plan entry.",
    )
}

/// `update_run_in_plan_entry` on the run of an entry without configurations (template).
pub fn use_update_plan_entry() -> Error {
    Error::validation(
        "run_id",
        "Field :run_id is a test plan entry. Please use update_plan_entry instead.",
    )
}

/// `delete_run_from_plan_entry` on a run outside any plan (TestRail's template, colon sic).
pub fn use_delete_run() -> Error {
    Error::validation(
        "run_id",
        "Field: run_id is not part of a test run. Please use delete_run instead.",
    )
}

/// `delete_run_from_plan_entry` on the run of an entry without configurations (template).
pub fn use_delete_plan_entry() -> Error {
    Error::validation(
        "run_id",
        "Field :run_id is not part of a test run. Please use delete_plan_entry instead.",
    )
}

/// `add_result_for_case` (and `get_results_for_case`) for a case the run has no test of (seen).
pub fn no_test_for_case() -> Error {
    Error::not_found(
        "case_id",
        "No (active) test found for the run/case combination.",
    )
}

/// An entry of `add_results*` that names no test of the run (seen for cases: `case C347702`;
/// `test T…` follows the template).
pub fn invalid_results(what: &str) -> Error {
    Error::validation(
        "results",
        format!("Field :results contains one or more invalid results ({what} unknown or not part of the test run)"),
    )
}

/// `results` sent as an empty list (seen).
pub fn results_empty() -> Error {
    Error::validation(
        "results",
        "Field :results cannot be empty (one result is required)",
    )
}

/// An entry of `add_results*` with no status, comment or assignee (measured on a server).
pub fn result_says_nothing_bulk() -> Error {
    Error::validation(
        "results",
        "Field :results contains one or more invalid results (one of Status ID, Assigned To or Comment is required)",
    )
}

/// `add_result` with no status, comment or assignee (TestRail's template).
pub fn result_says_nothing() -> Error {
    Error::validation(
        "status_id",
        "One of Status ID, Assigned To or Comment is required",
    )
}

/// A plan entry id that names no entry of the plan (seen).
pub fn unknown_entry() -> Error {
    unknown_entry_field("entry_id")
}

/// A plan entry id that is not one (seen for `entry_id`).
pub fn unknown_entry_field(field: &str) -> Error {
    Error::not_found(
        field,
        format!("Field :{field} is not a valid test plan entry."),
    )
}

/// An `add_attachment_to_*` route called without a file (through the JSON dispatcher).
pub fn attachment_needs_a_file(method: &str) -> Error {
    Error::bad_request(format!(
        "The method {method} takes a file: send it as multipart/form-data in the field attachment (or use the store's upload)."
    ))
}

/// A file name the store cannot keep (pattern).
pub fn bad_file_name() -> Error {
    Error::validation(
        "attachment",
        "Field :attachment needs a file name: up to 250 characters of text, without control characters.",
    )
}

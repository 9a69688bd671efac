//! The fast path for recording results: typed entries instead of JSON text, handed to the core's
//! `Store::add_results_for_cases`, which runs the route `add_results_for_cases/{run_id}` with all
//! its rules, its journal entry and its all-or-nothing write.

use std::ffi::c_char;

use serde_json::{Map, Value};
use trailstore_core::{CaseResult, Error};

use crate::error::{guard, trailstore_status, Failure};
use crate::ffi::arg_ref;
use crate::store::trailstore_store;

/// One result for a case of a run: an entry of `trailstore_results_add_for_cases()`, with the
/// members of an `add_results_for_cases` entry. A member that is 0 or NULL is not given (as if
/// the key were left out of TestRail's JSON). The strings are only read during the call.
#[repr(C)]
pub struct trailstore_case_result {
    /// The case whose test in the run gets the result.
    pub case_id: u64,
    /// The status id, as `get_statuses` lists them (1 passed, 2 blocked, 4 retest, 5 failed,
    /// 6 and up custom); 0 for none. 3 (untested) is refused, as TestRail refuses it.
    pub status_id: u64,
    /// A comment, or NULL.
    pub comment: *const c_char,
    /// The time spent as a time span (`"30s"`, `"1m 5s"`), or NULL.
    pub elapsed: *const c_char,
    /// The version tested, or NULL.
    pub version: *const c_char,
    /// Defect ids, comma-separated (`"BUG-1,BUG-2"`), or NULL.
    pub defects: *const c_char,
    /// The user the test is assigned to, or 0 for none.
    pub assignedto_id: u64,
    /// More members as a JSON object, usually the custom result fields
    /// (`{"custom_env": "staging", "custom_step_results": [...]}`), or NULL. The members above
    /// take precedence over the same keys here.
    pub fields_json: *const c_char,
}

/// A failure about member `member` of entry `index` of `results`, named as C names it.
fn member_failure(status: trailstore_status, index: usize, member: &str, what: &str) -> Failure {
    let field = format!("results[{index}].{member}");
    Failure::Described {
        status,
        message: format!("Argument {field} {what}"),
        field: Some(field),
    }
}

/// An optional UTF-8 string member of entry `index`: NULL is `None`.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn member_str(
    p: *const c_char,
    index: usize,
    member: &str,
) -> Result<Option<String>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: p is non-NULL and NUL-terminated by the caller's contract.
    let c = unsafe { std::ffi::CStr::from_ptr(p) };
    match c.to_str() {
        Ok(s) => Ok(Some(s.to_string())),
        Err(_) => Err(member_failure(
            trailstore_status::InvalidUtf8,
            index,
            member,
            "is not valid UTF-8.",
        )),
    }
}

/// The `fields_json` member of entry `index`: NULL or blank text is no fields; text that is not
/// a JSON object is `BAD_REQUEST`.
///
/// # Safety
/// As [`member_str`].
unsafe fn member_fields(p: *const c_char, index: usize) -> Result<Map<String, Value>, Failure> {
    // SAFETY: forwarded from the caller.
    let Some(text) = (unsafe { member_str(p, index, "fields_json") })? else {
        return Ok(Map::new());
    };
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    let bad =
        |what: String| member_failure(trailstore_status::BadRequest, index, "fields_json", &what);
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("must be a JSON object.".into())),
        Err(e) => Err(bad(format!("is not valid JSON: {e}."))),
    }
}

/// One C entry as the core's value.
///
/// # Safety
/// Every string member of `r` is NULL or a NUL-terminated string.
unsafe fn case_result(r: &trailstore_case_result, index: usize) -> Result<CaseResult, Failure> {
    let nonzero = |v: u64| (v != 0).then_some(v);
    // SAFETY (each block): forwarded from the caller.
    Ok(CaseResult {
        case_id: r.case_id,
        status_id: nonzero(r.status_id),
        comment: unsafe { member_str(r.comment, index, "comment") }?,
        elapsed: unsafe { member_str(r.elapsed, index, "elapsed") }?,
        version: unsafe { member_str(r.version, index, "version") }?,
        defects: unsafe { member_str(r.defects, index, "defects") }?,
        assignedto_id: nonzero(r.assignedto_id),
        fields: unsafe { member_fields(r.fields_json, index) }?,
    })
}

/// A C array of `count` items as a slice: `NULL_ARGUMENT` for NULL (unless `count` is 0), and
/// `BAD_REQUEST` for a misaligned pointer or a count no array can have, which Rust may not even
/// look at.
///
/// # Safety
/// `p` is NULL or points to `count` valid items that outlive `'a`.
unsafe fn arg_array<'a, T>(
    p: *const T,
    count: usize,
    name: &'static str,
) -> Result<&'a [T], Failure> {
    if count == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Failure::Null(name));
    }
    if !p.is_aligned() || count > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(Error::BadRequest {
            message: format!("Argument {name} is not an array of {count} items."),
        }
        .into());
    }
    // SAFETY: non-NULL, aligned, within isize::MAX bytes, and `count` items by the caller's
    // contract.
    Ok(unsafe { std::slice::from_raw_parts(p, count) })
}

/// Adds `count` results to cases of run `run_id` in one durable transaction, as
/// `add_results_for_cases/{run_id}` does, and writes the new results' ids, in the order of
/// `results`, to `out_ids` (an array of `count` ids, written only on success).
///
/// It is that route without the JSON text: the same rules, TestRail's messages, one journal
/// entry, and all or nothing. A bad entry refuses the whole call and nothing is written:
/// `TRAILSTORE_STATUS_VALIDATION` with field `results` for a case that is not in the run
/// (`Field :results contains one or more invalid results (case C7 unknown or not part of the
/// test run)`) or an entry with no status, comment or assignee, field `results.status_id` for
/// status 3 (`Field :results.status_id uses an invalid status (Untested).`), `results.elapsed`
/// for a time span TestRail does not take; `TRAILSTORE_STATUS_NOT_FOUND` for an unknown run
/// (`Field :run_id is not a valid test run.`) or a status the store does not have (field
/// `results.status_id`); `TRAILSTORE_STATUS_FORBIDDEN` for a closed run (`This operation is not
/// allowed. The test run is already completed.`); `TRAILSTORE_STATUS_BUSY` while this thread
/// holds a batch (inside a batch, call the route with `trailstore_batch_call()`). `count` 0 is
/// `VALIDATION` (`Field :results cannot be empty (one result is required)`); `results` and
/// `out_ids` may then be NULL.
///
/// An entry's string that is not UTF-8 is `TRAILSTORE_STATUS_INVALID_UTF8` and a `fields_json`
/// that is not a JSON object `TRAILSTORE_STATUS_BAD_REQUEST`, each with the member as the field
/// (`results[3].comment`).
///
/// # Safety
/// `store` is NULL or a live handle; `results` is NULL or points to `count` entries whose string
/// members are NULL or NUL-terminated strings; `out_ids` is NULL or points to `count` writable
/// `uint64_t`.
#[no_mangle]
pub unsafe extern "C" fn trailstore_results_add_for_cases(
    store: *const trailstore_store,
    run_id: u64,
    results: *const trailstore_case_result,
    count: usize,
    out_ids: *mut u64,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let entries = unsafe { arg_array(results, count, "results") }?;
        if count > 0 {
            // Checked before any work, as every out-param is.
            unsafe { arg_array(out_ids.cast_const(), count, "out_ids") }?;
        }
        let values = entries
            .iter()
            .enumerate()
            // SAFETY: the entries' strings are NULL or NUL-terminated by the caller's contract.
            .map(|(i, r)| unsafe { case_result(r, i) })
            .collect::<Result<Vec<_>, _>>()?;
        let ids = store.store.add_results_for_cases(run_id, &values)?;
        if ids.len() != count {
            return Err(Error::Internal {
                detail: format!("{} results were added for {count} entries", ids.len()),
            }
            .into());
        }
        if count > 0 {
            // SAFETY: checked above: non-NULL, aligned, `count` writable ids by the contract.
            unsafe { std::ptr::copy_nonoverlapping(ids.as_ptr(), out_ids, count) };
        }
        Ok(())
    })
}

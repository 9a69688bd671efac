//! Full-text search: `x_search_cases/{project_id}` with its parameters given as a JSON object.

use std::ffi::c_char;

use trailstore_core::Request;

use crate::error::{guard, trailstore_status, Failure};
use crate::ffi::{arg_opt_object, arg_ref, arg_str, Out};
use crate::store::trailstore_store;

/// Searches the cases of project `project_id` (the route `x_search_cases/{project_id}`; see
/// `trailstore_cases_search_all()` for every project) and writes the page of results to
/// `*out_json` (free it with `trailstore_string_free()`): `{"offset", "limit", "size",
/// "total"?, "_links", "results": [{"project_id", "score", "highlights", "case"}]}`, ranked by
/// relevance, each case in `get_case`'s shape.
///
/// `query` is the query language of the README's *Search*: words (all must match), `OR`, `NOT`
/// or `-word`, `"a phrase"`, `prefix*`, `title:` / `refs:` / `text:` / `steps:` / `options:`,
/// parentheses; `""` matches every case.
///
/// `options_json` is NULL (or `""`) or a JSON object of the route's other parameters:
/// `{"section_id": 5, "priority_id": [3, 4], "limit": 20, "count": true}`. Each member becomes
/// a query parameter, encoded by the core as TestRail clients send them: a list as `3,4`,
/// `true`/`false` as `1`/`0`, `null` left out. The parameters are `suite_id`, `section_id` (with
/// its subsections), `priority_id`, `type_id`, `template_id`, `milestone_id`, `created_by`,
/// `updated_by`, `created_after`, `created_before`, `updated_after`, `updated_before` (UNIX
/// seconds, strict), `custom_<dropdown, multi-select or checkbox field>`, `limit` (50 by
/// default, at most 250), `offset`, `count` (adds `total`) and `highlight` (`false` leaves out
/// the snippets). Others are ignored, as the route ignores them.
///
/// A search sees every write that returned before it. Inside a batch it sees what was committed
/// before the batch.
///
/// Fails with `TRAILSTORE_STATUS_VALIDATION` and field `q` for a query that does not parse (or a
/// `q` member in `options_json`: the query goes in `query`), `_VALIDATION` naming the parameter
/// for a value it refuses (`limit`, `priority_id`, a nested object), `_NOT_FOUND` for an unknown
/// project, suite or section, `_BAD_REQUEST` when `options_json` is not a JSON object.
///
/// # Safety
/// `store` is NULL or a live handle; `query` and `options_json` are NULL or NUL-terminated
/// strings; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_cases_search(
    store: *const trailstore_store,
    project_id: u64,
    query: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        search(
            store,
            &format!("x_search_cases/{project_id}"),
            "trailstore_cases_search",
            query,
            options_json,
            out_json,
        )
    }
}

/// Like `trailstore_cases_search()`, over every project (the route `x_search_cases`); each
/// result names its `project_id`.
///
/// # Safety
/// As `trailstore_cases_search()`.
#[no_mangle]
pub unsafe extern "C" fn trailstore_cases_search_all(
    store: *const trailstore_store,
    query: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        search(
            store,
            "x_search_cases",
            "trailstore_cases_search_all",
            query,
            options_json,
            out_json,
        )
    }
}

/// The shared body of the two searches.
///
/// # Safety
/// As the exported functions.
unsafe fn search(
    store: *const trailstore_store,
    endpoint: &str,
    function: &str,
    query: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let query = unsafe { arg_str(query, "query") }?;
        let options = unsafe { arg_opt_object(options_json, "options_json") }?;
        let out = Out::new(out_json, "out_json")?;
        let mut params = options.unwrap_or_default();
        // The route would take the last of two queries silently: a `q` option is a mistake.
        if params.contains_key("q") {
            return Err(Failure::validation(
                "q",
                format!("Field :q is not an option of {function} (the query is its own argument)."),
            ));
        }
        if !query.is_empty() {
            params.insert("q".into(), query.into());
        }
        let request = Request::with_params(endpoint, &params, None)?;
        let response = store.store.answer_request(&request)?;
        out.set_string(response.to_text());
        Ok(())
    })
}

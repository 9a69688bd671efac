//! Typed helpers for the everyday calls. Each builds a TestRail route and calls the core; the
//! lists are the core's `Store::list_all` (every page, read on one snapshot).

use std::ffi::c_char;

use serde_json::Value;
use trailstore_core::{Error, Request, Store};

use crate::error::{guard, trailstore_status, Failure};
use crate::ffi::{arg_ref, arg_str, Out};
use crate::store::trailstore_store;

/// Every item of the list route `route`, as JSON array text.
pub(crate) fn list_all(store: &Store, route: &str) -> Result<String, Error> {
    let items = store.list_all(&Request::parse(route, None)?)?;
    Ok(Value::Array(items).to_string())
}

/// The shared body of the helpers that answer JSON text.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` is NULL or writable.
unsafe fn answer(
    store: *const trailstore_store,
    out_json: *mut *mut c_char,
    run: impl FnOnce(&Store) -> Result<String, Failure>,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let out = Out::new(out_json, "out_json")?;
        let text = run(&store.store)?;
        out.set_string(text);
        Ok(())
    })
}

/// Gets a case (`get_case/{case_id}`) as JSON text in `*out_json`.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_case_get(
    store: *const trailstore_store,
    case_id: u64,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        answer(store, out_json, |s| {
            Ok(s.answer(&format!("get_case/{case_id}"), None)?.to_text())
        })
    }
}

/// Adds a case to a section (`add_case/{section_id}`). `case_json` is TestRail's body, at least
/// `{"title": "..."}`; `*out_json` receives the new case, with its local id.
///
/// A refused case gives `TRAILSTORE_STATUS_VALIDATION` with the field in
/// `trailstore_last_error_field()` (e.g. `title`) and TestRail's message
/// (`Field :title is a required field.`); nothing is written.
///
/// # Safety
/// `store` is NULL or a live handle; `case_json` is NULL or a NUL-terminated string; `out_json`
/// is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_case_add(
    store: *const trailstore_store,
    section_id: u64,
    case_json: *const c_char,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        answer(store, out_json, |s| {
            let body = arg_str(case_json, "case_json")?;
            Ok(s.answer_text(&format!("add_case/{section_id}"), body)?
                .to_text())
        })
    }
}

/// Updates a case (`update_case/{case_id}`) with the fields in `changes_json`; `*out_json`
/// receives the case as it is now.
///
/// # Safety
/// `store` is NULL or a live handle; `changes_json` is NULL or a NUL-terminated string;
/// `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_case_update(
    store: *const trailstore_store,
    case_id: u64,
    changes_json: *const c_char,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        answer(store, out_json, |s| {
            let body = arg_str(changes_json, "changes_json")?;
            Ok(s.answer_text(&format!("update_case/{case_id}"), body)?
                .to_text())
        })
    }
}

/// Deletes a case (`delete_case/{case_id}`).
///
/// # Safety
/// `store` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn trailstore_case_delete(
    store: *const trailstore_store,
    case_id: u64,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        store.store.call(&format!("delete_case/{case_id}"), None)?;
        Ok(())
    })
}

/// The changes of a case, newest first (`get_history_for_case/{case_id}`, every page), as a JSON
/// array in `*out_json`.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_case_get_history(
    store: *const trailstore_store,
    case_id: u64,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        answer(store, out_json, |s| {
            Ok(list_all(s, &format!("get_history_for_case/{case_id}"))?)
        })
    }
}

/// Every case of a section (not of its subsections), in TestRail's order, as a JSON array in
/// `*out_json`: what `get_cases/{project_id}&suite_id=..&section_id={section_id}` lists, every
/// page. The section, its suite and its cases are read on one snapshot, so a write made
/// meanwhile shows in the whole list or not at all.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_section_get_cases(
    store: *const trailstore_store,
    section_id: u64,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        answer(store, out_json, |s| {
            Ok(Value::Array(s.section_cases(section_id)?).to_string())
        })
    }
}

/// The journal entries not pushed yet whose sequence number is above `since` (0 for all), oldest
/// first, as a JSON array in `*out_json` (`x_get_journal&since={since}&state=pending`, every
/// page). Each entry has its `seq`, `route`, `body` and the changes it made.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_journal_get_pending(
    store: *const trailstore_store,
    since: u64,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        answer(store, out_json, |s| {
            Ok(list_all(
                s,
                &format!("x_get_journal&since={since}&state=pending"),
            )?)
        })
    }
}

//! The store handle: open, free, the dispatcher, snapshot import.

use std::ffi::c_char;

use serde_json::Value;
use trailstore_core::{Error, Store};

use crate::error::{guard, guard_value, trailstore_status};
use crate::ffi::{arg_opt_str, arg_path, arg_ref, arg_str, Out};

/// An open store (opaque). Open with `trailstore_store_open()`, free with
/// `trailstore_store_free()`.
///
/// Thread safety: one handle may be used by any number of threads at the same time, without
/// locking of your own. Reads run on their own snapshot and never wait; writes are serialised
/// (each waits for the one before it, or for an open batch, to finish). Free the handle once,
/// after every thread is done with it.
///
/// fork(): a handle is not usable in a child process forked after it was opened (calls return
/// `TRAILSTORE_STATUS_FORKED`); the child opens the store again if it needs it.
pub struct trailstore_store {
    pub(crate) store: Store,
    /// The process that opened the handle: a child after fork() must not close the parent's file.
    pub(crate) pid: u32,
}

impl trailstore_store {
    pub(crate) fn forked(&self) -> bool {
        self.pid != std::process::id()
    }
}

/// Opens the store in folder `path` (created with an empty store if missing) and writes the new
/// handle to `*out_store`.
///
/// Fails with `TRAILSTORE_STATUS_IN_USE` when another process (or another open handle) has the
/// store open, `_DAMAGED` or `_UNSUPPORTED` for a file it cannot read, `_IO` when the folder
/// cannot be created, `_BAD_REQUEST` when `path` is a file.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `out_store` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_store_open(
    path: *const c_char,
    out_store: *mut *mut trailstore_store,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let path = unsafe { arg_path(path, "path") }?;
        let out = Out::new(out_store, "out_store")?;
        let store = Store::open(path)?;
        let handle = Box::new(trailstore_store {
            store,
            pid: std::process::id(),
        });
        out.set(Box::into_raw(handle));
        Ok(())
    })
}

/// Closes the handle. NULL is a no-op. An open batch keeps the store open until it is freed too.
///
/// In a child process forked after the handle was opened, this frees nothing and leaves the
/// parent's file alone (closing it would release the parent's lock).
///
/// # Safety
/// `store` is NULL or a handle from `trailstore_store_open()` that no thread uses any more and
/// that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn trailstore_store_free(store: *mut trailstore_store) {
    guard_value((), || {
        if store.is_null() {
            return;
        }
        // SAFETY: store came from Box::into_raw in trailstore_store_open.
        let handle = unsafe { Box::from_raw(store) };
        if handle.forked() {
            std::mem::forget(handle);
        }
    })
}

/// Calls a TestRail API v2 route, exactly as TestRail's HTTP API takes it, and writes TestRail's
/// JSON answer to `*out_json` (free it with `trailstore_string_free()`).
///
/// `route` is what follows `index.php?/api/v2/`: `"get_cases/1&suite_id=2&limit=50"`,
/// `"add_case/7"`. `body_json` is the request body as JSON text (an object), or NULL (or `""`)
/// for none. A delete answers `""`, as TestRail answers an empty body. Writes commit, with their
/// journal entry, before this returns.
///
/// Fails with `TRAILSTORE_STATUS_UNKNOWN_METHOD` for a route that names no method,
/// `_BAD_REQUEST` for a body that is not a JSON object, `_VALIDATION` or `_NOT_FOUND` (with
/// `trailstore_last_error_field()`) for what TestRail refuses.
///
/// # Safety
/// `store` is NULL or a live handle; `route` and `body_json` are NULL or NUL-terminated strings;
/// `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_store_call(
    store: *const trailstore_store,
    route: *const c_char,
    body_json: *const c_char,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let route = unsafe { arg_str(route, "route") }?;
        let body = unsafe { arg_opt_str(body_json, "body_json") }?;
        let out = Out::new(out_json, "out_json")?;
        let response = store.store.answer_text(route, body.unwrap_or(""))?;
        out.set_string(response.to_text());
        Ok(())
    })
}

fn parse_snapshot(text: &str) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|e| Error::BadRequest {
        message: format!("The snapshot is not valid JSON: {e}"),
    })
}

/// Imports a TestRail snapshot (the JSON format `trailstore import` reads) from the file at
/// `path`, in one transaction, and writes the import report to `*out_report_json` (free it with
/// `trailstore_string_free()`): JSON, as `trailstore --json import` prints it (counts by kind).
///
/// Fails with `TRAILSTORE_STATUS_IO` when the file cannot be read, `_BAD_REQUEST` when it is not
/// JSON or not a snapshot, `_UNSUPPORTED` for a snapshot of a newer version, `_VALIDATION` for an
/// entity TestRail would not accept. Nothing is imported on a failure.
///
/// # Safety
/// `store` is NULL or a live handle; `path` is NULL or a NUL-terminated string;
/// `out_report_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_store_import_file(
    store: *const trailstore_store,
    path: *const c_char,
    out_report_json: *mut *mut c_char,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let path = unsafe { arg_path(path, "path") }?;
        let out = Out::new(out_report_json, "out_report_json")?;
        let report = store.store.import_snapshot_file(&path)?;
        out.set_string(report.to_json().to_string());
        Ok(())
    })
}

/// Imports a TestRail snapshot given as JSON text; otherwise as `trailstore_store_import_file()`.
///
/// # Safety
/// `store` is NULL or a live handle; `snapshot_json` is NULL or a NUL-terminated string;
/// `out_report_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_store_import_json(
    store: *const trailstore_store,
    snapshot_json: *const c_char,
    out_report_json: *mut *mut c_char,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let text = unsafe { arg_str(snapshot_json, "snapshot_json") }?;
        let out = Out::new(out_report_json, "out_report_json")?;
        let snapshot = parse_snapshot(text)?;
        let report = store.store.import_snapshot(&snapshot)?;
        out.set_string(report.to_json().to_string());
        Ok(())
    })
}

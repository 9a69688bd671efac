//! Bundles: files that carry a store's server state, or its pending changes, across an air gap.

use std::ffi::c_char;

use crate::error::{guard, trailstore_status};
use crate::ffi::{arg_path, arg_ref, Out};
use crate::store::trailstore_store;

/// Writes a bundle to the file `path` (replaced if it exists; written aside and renamed, so a
/// crash never leaves half a bundle under the name) and the number of records it holds to
/// `*out_count`.
///
/// With `snapshot` false, a **changes** bundle: the pending journal (with the records its creates
/// made and the list of server entities its changes need); `*out_count` is the number of journal
/// entries. With `snapshot` true, a **snapshot** bundle: the store's server data (everything but
/// local changes), to set up a store that cannot reach the server; `*out_count` is the number of
/// cases. Either is a logical export with a SHA-256 of each part and of the whole file, never a
/// copy of the store file.
///
/// Fails with `TRAILSTORE_STATUS_IO` when the file cannot be written.
///
/// # Safety
/// `store` is NULL or a live handle; `path` is NULL or a NUL-terminated string; `out_count` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_bundle_export(
    store: *const trailstore_store,
    path: *const c_char,
    snapshot: bool,
    out_count: *mut u64,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let path = unsafe { arg_path(path, "path") }?;
        let out = Out::new(out_count, "out_count")?;
        let count = if snapshot {
            store.store.export_snapshot_bundle(&path)?
        } else {
            store.store.export_changes_bundle(&path)?
        };
        out.set(count);
        Ok(())
    })
}

/// Imports the bundle in the file `path` and writes the report to `*out_report_json` (free it
/// with `trailstore_string_free()`): `{"kind": "changes" | "snapshot", "bundle_id", "imported",
/// "entries"}`.
///
/// A snapshot bundle is imported as server base state; a changes bundle's entries become pending
/// journal entries (with the records they create), ready for `trailstore_store_push()`. The
/// whole file is checked before anything is written. Importing the same bundle again writes
/// nothing and answers `"imported": false`.
///
/// Fails with `TRAILSTORE_STATUS_BAD_REQUEST` for a bundle that is truncated, altered or not a
/// bundle (`The bundle is damaged or was altered (...); nothing was imported.`), for a changes
/// bundle whose base is missing from this store (the message names what it needs), and for a
/// bundle of another server; `_IO` when the file cannot be read. Nothing is written on a failure.
///
/// # Safety
/// `store` is NULL or a live handle; `path` is NULL or a NUL-terminated string;
/// `out_report_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_bundle_import(
    store: *const trailstore_store,
    path: *const c_char,
    out_report_json: *mut *mut c_char,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let path = unsafe { arg_path(path, "path") }?;
        let out = Out::new(out_report_json, "out_report_json")?;
        let report = store.store.import_bundle(&path)?;
        out.set_string(report.to_json().to_string());
        Ok(())
    })
}

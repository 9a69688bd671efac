//! Batches: several calls in one transaction that commits once.

use std::ffi::c_char;
use std::sync::{Mutex, MutexGuard};

use trailstore_core::{Batch, Error, Request};

use crate::attachments::{add_bytes_in, add_file_in};
use crate::error::{guard, guard_value, trailstore_status};
use crate::ffi::{arg_array, arg_opt_str, arg_path, arg_ref, arg_str, Out};
use crate::store::trailstore_store;

/// An open batch (opaque): calls that commit together with `trailstore_batch_commit()`, or not at
/// all. Begin with `trailstore_batch_begin()`, free with `trailstore_batch_free()`.
///
/// A batch holds the store's write lock: other threads' writes wait until it commits or rolls
/// back, and a write on the thread that began it that does not go through the batch fails with
/// `TRAILSTORE_STATUS_BUSY` instead of waiting for itself. Use a batch from the thread that began
/// it; the library serialises calls on one batch, but a batch is one unit of work, not a shared
/// resource.
pub struct trailstore_batch {
    batch: Mutex<Option<Batch>>,
    /// The process that began the batch: a child after fork() must not touch the parent's file.
    pid: u32,
}

impl trailstore_batch {
    fn lock(&self) -> MutexGuard<'_, Option<Batch>> {
        // A panic while the lock was held is reported where it happened; the batch itself is
        // still consistent (the core validates before it writes), so go on with it.
        self.batch.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Begins a batch on the store and writes it to `*out_batch`. Waits while another thread holds a
/// batch; fails with `TRAILSTORE_STATUS_BUSY` when this thread already holds one.
///
/// # Safety
/// `store` is NULL or a live handle; `out_batch` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_batch_begin(
    store: *const trailstore_store,
    out_batch: *mut *mut trailstore_batch,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let out = Out::new(out_batch, "out_batch")?;
        let batch = store.store.batch()?;
        out.set(Box::into_raw(Box::new(trailstore_batch {
            batch: Mutex::new(Some(batch)),
            pid: std::process::id(),
        })));
        Ok(())
    })
}

/// Calls a route inside the batch, as `trailstore_store_call()` does; reads see the batch's
/// earlier writes. A refused call (validation, unknown id) leaves the batch as it was, so the
/// batch can go on. Fails with `TRAILSTORE_STATUS_CLOSED` once the batch is committed or rolled
/// back.
///
/// # Safety
/// `batch` is NULL or a live batch; `route` and `body_json` are NULL or NUL-terminated strings;
/// `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_batch_call(
    batch: *const trailstore_batch,
    route: *const c_char,
    body_json: *const c_char,
    out_json: *mut *mut c_char,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let batch = unsafe { arg_ref(batch, "batch") }?;
        let route = unsafe { arg_str(route, "route") }?;
        let body = unsafe { arg_opt_str(body_json, "body_json") }?;
        let out = Out::new(out_json, "out_json")?;
        let body = trailstore_core::parse_body(body.unwrap_or(""))?;
        let mut slot = batch.lock();
        let open = slot.as_mut().ok_or(Error::Closed)?;
        let response = open.answer_request(&Request::parse_owned(route, body)?)?;
        out.set_string(response.to_text());
        Ok(())
    })
}

/// Uploads the file at `path` to `route` inside the batch, as
/// `trailstore_attachment_add_file()` does outside one, and writes the new attachment's id to
/// `*out_id`. The owner may be something the batch itself added (a result, then its
/// screenshot). The bytes are durable when this returns; the attachment is recorded when the
/// batch commits, and a rollback leaves nothing of it. A refused upload leaves the batch as it
/// was. Fails with `TRAILSTORE_STATUS_CLOSED` once the batch is committed or rolled back.
///
/// # Safety
/// `batch` is NULL or a live batch; `route` and `path` are NULL or NUL-terminated strings;
/// `out_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_batch_attachment_add_file(
    batch: *const trailstore_batch,
    route: *const c_char,
    path: *const c_char,
    out_id: *mut u64,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let batch = unsafe { arg_ref(batch, "batch") }?;
        let route = unsafe { arg_str(route, "route") }?;
        let path = unsafe { arg_path(path, "path") }?;
        let out = Out::new(out_id, "out_id")?;
        let mut slot = batch.lock();
        let open = slot.as_mut().ok_or(Error::Closed)?;
        out.set(add_file_in(open, route, &path)?);
        Ok(())
    })
}

/// Uploads `len` bytes at `data` named `name` to `route` inside the batch, as
/// `trailstore_attachment_add_bytes()` does outside one; otherwise as
/// `trailstore_batch_attachment_add_file()`.
///
/// # Safety
/// `batch` is NULL or a live batch; `route` and `name` are NULL or NUL-terminated strings;
/// `data` is NULL or points to `len` readable bytes; `out_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_batch_attachment_add_bytes(
    batch: *const trailstore_batch,
    route: *const c_char,
    name: *const c_char,
    data: *const u8,
    len: usize,
    out_id: *mut u64,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let batch = unsafe { arg_ref(batch, "batch") }?;
        let route = unsafe { arg_str(route, "route") }?;
        let name = unsafe { arg_str(name, "name") }?;
        let data = unsafe { arg_array(data, len, "data") }?;
        let out = Out::new(out_id, "out_id")?;
        let mut slot = batch.lock();
        let open = slot.as_mut().ok_or(Error::Closed)?;
        out.set(add_bytes_in(open, route, name, data)?);
        Ok(())
    })
}

/// Commits every call of the batch durably, with their journal entries. The batch is closed
/// afterwards, whatever the outcome; free it with `trailstore_batch_free()`.
///
/// # Safety
/// `batch` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn trailstore_batch_commit(
    batch: *const trailstore_batch,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let batch = unsafe { arg_ref(batch, "batch") }?;
        let open = batch.lock().take().ok_or(Error::Closed)?;
        open.commit()?;
        Ok(())
    })
}

/// Discards every call of the batch. The batch is closed afterwards; free it with
/// `trailstore_batch_free()`.
///
/// # Safety
/// `batch` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn trailstore_batch_rollback(
    batch: *const trailstore_batch,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let batch = unsafe { arg_ref(batch, "batch") }?;
        let open = batch.lock().take().ok_or(Error::Closed)?;
        open.rollback()?;
        Ok(())
    })
}

/// Frees a batch, rolling it back first if it is still open. NULL is a no-op.
///
/// # Safety
/// `batch` is NULL or a batch from `trailstore_batch_begin()` that no thread uses any more and
/// that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn trailstore_batch_free(batch: *mut trailstore_batch) {
    guard_value((), || {
        if batch.is_null() {
            return;
        }
        // SAFETY: batch came from Box::into_raw in trailstore_batch_begin.
        let batch = unsafe { Box::from_raw(batch) };
        if batch.pid != std::process::id() {
            // In a child after fork(): the transaction is the parent's; leave it alone.
            std::mem::forget(batch);
        }
    })
}

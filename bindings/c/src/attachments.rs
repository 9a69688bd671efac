//! Attachments: files uploaded to a case, result, run, plan or plan entry, and their bytes read
//! back. An upload is the core's `Store::upload` (or `Batch::upload`) on the route
//! `add_attachment_to_*`, with that route's rules and journal entry; only the bytes come from a
//! path or from the caller's memory instead of a multipart body. Lists, metadata and deletes are
//! plain routes for `trailstore_store_call()`.

use std::ffi::c_char;
use std::io::Read;
use std::path::Path;

use serde_json::Value;
use trailstore_core::{AttachmentFile, Batch, Error, Store};

use crate::error::{guard, trailstore_status, Failure};
use crate::ffi::{arg_array, arg_path, arg_ref, arg_str, Out};
use crate::store::trailstore_store;

/// The file at `path`, checked before the core is called so that the C caller hears which
/// argument is wrong: a file name that is not UTF-8 (an attachment's name is text) is
/// `INVALID_UTF8`, a file that cannot be looked at `IO` naming the path, a folder `BAD_REQUEST`.
pub(crate) fn check_source(path: &Path) -> Result<(), Failure> {
    if path.file_name().is_some_and(|n| n.to_str().is_none()) {
        return Err(Failure::Described {
            status: trailstore_status::InvalidUtf8,
            message: format!(
                "Argument path names a file whose name is not valid UTF-8 ({}); an attachment's \
                 name is text: rename the file, or give its bytes a name with \
                 trailstore_attachment_add_bytes().",
                path.display()
            ),
            field: Some("path".into()),
        });
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(Failure::Described {
            status: trailstore_status::BadRequest,
            message: format!("Argument path is a folder, not a file: {}", path.display()),
            field: Some("path".into()),
        }),
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::Described {
            status: trailstore_status::Io,
            message: format!("Cannot read {}: {e}", path.display()),
            field: Some("path".into()),
        }),
    }
}

/// The id in an upload's answer, `{"attachment_id": N}`.
pub(crate) fn attachment_id(answer: &Value) -> Result<u64, Failure> {
    answer["attachment_id"].as_u64().ok_or_else(|| {
        Failure::from(Error::Internal {
            detail: format!("an upload answered {answer} without an attachment_id"),
        })
    })
}

/// Uploads `data` under `name` to `route`, outside any batch. The size is told first, so more
/// than 256 MB is refused before a byte is copied.
fn add_bytes(store: &Store, route: &str, name: &str, data: &[u8]) -> Result<u64, Failure> {
    let mut up = store.upload(route, name)?;
    up.expect(data.len() as u64)?;
    up.write(data)?;
    attachment_id(&up.finish()?)
}

/// Uploads `data` under `name` to `route`, inside `batch`.
pub(crate) fn add_bytes_in(
    batch: &mut Batch,
    route: &str,
    name: &str,
    data: &[u8],
) -> Result<u64, Failure> {
    let mut up = batch.upload(route, name)?;
    up.expect(data.len() as u64)?;
    up.write(data)?;
    attachment_id(&up.finish_in(batch)?)
}

/// Uploads the file at `path`, under its own name, inside `batch`.
pub(crate) fn add_file_in(batch: &mut Batch, route: &str, path: &Path) -> Result<u64, Failure> {
    check_source(path)?;
    attachment_id(&batch.add_attachment_file(route, path)?)
}

/// The caller's buffer of `cap` bytes, writable: NULL is `NULL_ARGUMENT` unless `cap` is 0.
///
/// # Safety
/// `p` is NULL or points to `cap` writable bytes that outlive `'a`.
unsafe fn arg_buf<'a>(p: *mut u8, cap: usize, name: &'static str) -> Result<&'a mut [u8], Failure> {
    // SAFETY: forwarded from the caller; this checks NULL and the length.
    unsafe { arg_array(p.cast_const(), cap, name) }?;
    if cap == 0 {
        return Ok(&mut []);
    }
    // SAFETY: non-NULL and `cap` writable bytes by the caller's contract, checked above.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, cap) })
}

/// The attachment `id` names (its integer id as text, or a TestRail 7.1+ UUID).
fn open(store: &trailstore_store, id: &str) -> Result<AttachmentFile, Failure> {
    Ok(store.store.attachment(id)?)
}

/// Uploads the file at `path` to `route` as a new attachment, under the file's own name (its
/// last path component), and writes the new attachment's id to `*out_id`. The bytes are
/// streamed (never whole in memory), made durable, then recorded with their journal entry in
/// one transaction, as `add_attachment_to_*` records an upload over HTTP.
///
/// `route` is one of TestRail's upload routes: `"add_attachment_to_case/12"`,
/// `"add_attachment_to_result/881"`, `"add_attachment_to_run/7"`, `"add_attachment_to_plan/3"`,
/// `"add_attachment_to_plan_entry/3/<entry GUID>"`. The route and its owner are checked before
/// a byte is read.
///
/// Fails with `TRAILSTORE_STATUS_TOO_LARGE` for a file over 256 MB (refused before a byte is
/// read), `_NOT_FOUND` for an owner that does not exist (`Field :case_id is not a valid test
/// case.`), `_BAD_REQUEST` for a route that takes no file or a `path` that is a folder, `_IO`
/// (field `path`) for a file that cannot be read, `_INVALID_UTF8` (field `path`) when the
/// file's name is not UTF-8 (the folders of `path` may be any bytes), `_VALIDATION` (field
/// `attachment`) for a name TestRail cannot keep (longer than 250 characters, control
/// characters), `_BUSY` while this thread holds a batch (use
/// `trailstore_batch_attachment_add_file()`). Nothing is written on a failure.
///
/// # Safety
/// `store` is NULL or a live handle; `route` and `path` are NULL or NUL-terminated strings;
/// `out_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_attachment_add_file(
    store: *const trailstore_store,
    route: *const c_char,
    path: *const c_char,
    out_id: *mut u64,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let route = unsafe { arg_str(route, "route") }?;
        let path = unsafe { arg_path(path, "path") }?;
        let out = Out::new(out_id, "out_id")?;
        check_source(&path)?;
        out.set(attachment_id(
            &store.store.add_attachment_file(route, &path)?,
        )?);
        Ok(())
    })
}

/// Uploads `len` bytes at `data` to `route` as a new attachment named `name`, and writes the new
/// attachment's id to `*out_id`; otherwise as `trailstore_attachment_add_file()`.
///
/// `name` is kept as given, except that only its last path component is kept
/// (`"logs/run.txt"` is `"run.txt"`); an empty name, `"."`, `".."`, one longer than 250
/// characters or with control characters is `TRAILSTORE_STATUS_VALIDATION` (field
/// `attachment`). `data` may be NULL when `len` is 0 (an empty file). More than 256 MB is
/// `_TOO_LARGE`, refused before a byte is copied. The bytes are only read during the call.
///
/// # Safety
/// `store` is NULL or a live handle; `route` and `name` are NULL or NUL-terminated strings;
/// `data` is NULL or points to `len` readable bytes; `out_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_attachment_add_bytes(
    store: *const trailstore_store,
    route: *const c_char,
    name: *const c_char,
    data: *const u8,
    len: usize,
    out_id: *mut u64,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let route = unsafe { arg_str(route, "route") }?;
        let name = unsafe { arg_str(name, "name") }?;
        let data = unsafe { arg_array(data, len, "data") }?;
        let out = Out::new(out_id, "out_id")?;
        out.set(add_bytes(&store.store, route, name, data)?);
        Ok(())
    })
}

/// Writes the size in bytes of attachment `attachment_id` to `*out_size`: the capacity
/// `trailstore_attachment_read()` needs. An attachment's bytes never change, so the size stays
/// right for as long as the attachment exists.
///
/// `attachment_id` is the integer id as text (`"12"`) or a TestRail 7.1+ UUID. Fails with
/// `TRAILSTORE_STATUS_NOT_FOUND` (field `attachment_id`) for an id that names no attachment,
/// or for one pulled without its bytes.
///
/// # Safety
/// `store` is NULL or a live handle; `attachment_id` is NULL or a NUL-terminated string;
/// `out_size` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_attachment_size(
    store: *const trailstore_store,
    attachment_id: *const c_char,
    out_size: *mut u64,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let id = unsafe { arg_str(attachment_id, "attachment_id") }?;
        let out = Out::new(out_size, "out_size")?;
        out.set(open(store, id)?.size());
        Ok(())
    })
}

/// Copies the bytes of attachment `attachment_id` into the caller's buffer `buf` of `cap` bytes
/// and writes their number to `*out_len`.
///
/// When the attachment is larger than `cap`, fails with `TRAILSTORE_STATUS_BUFFER_TOO_SMALL`
/// (field `cap`) and writes nothing, neither to `buf` nor to `*out_len`; the message says how
/// many bytes are needed, and `trailstore_attachment_size()` gives the number. `buf` may be NULL
/// when `cap` is 0 (enough for an empty attachment). For a large file,
/// `trailstore_attachment_save()` streams the bytes to a file instead.
///
/// `attachment_id` and its failures are those of `trailstore_attachment_size()`; `_IO` when the
/// store's copy of the bytes cannot be read.
///
/// # Safety
/// `store` is NULL or a live handle; `attachment_id` is NULL or a NUL-terminated string; `buf` is
/// NULL or points to `cap` writable bytes; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_attachment_read(
    store: *const trailstore_store,
    attachment_id: *const c_char,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let id = unsafe { arg_str(attachment_id, "attachment_id") }?;
        let buf = unsafe { arg_buf(buf, cap, "buf") }?;
        let out = Out::new(out_len, "out_len")?;
        let file = open(store, id)?;
        let size = file.size();
        let len = match usize::try_from(size) {
            Ok(n) if n <= cap => n,
            _ => {
                return Err(Failure::Described {
                    status: trailstore_status::BufferTooSmall,
                    message: format!(
                        "Argument cap is {cap} bytes; attachment {} has {size} bytes \
                         (trailstore_attachment_size() gives the size).",
                        file.id()
                    ),
                    field: Some("cap".into()),
                })
            }
        };
        // Read whole into a copy first, so that a short read leaves the caller's buffer alone.
        let mut bytes = Vec::with_capacity(len);
        file.reader().read_to_end(&mut bytes).map_err(Error::from)?;
        if bytes.len() != len {
            return Err(Error::Internal {
                detail: format!(
                    "attachment {} has {} bytes on disk, {size} recorded",
                    file.id(),
                    bytes.len()
                ),
            }
            .into());
        }
        buf[..len].copy_from_slice(&bytes);
        out.set(len);
        Ok(())
    })
}

/// Writes the bytes of attachment `attachment_id` to a new file at `path` (replacing a file
/// that is there; the caller decides whether that is wanted), flushes it to disk, and writes the
/// number of bytes to `*out_size`. The bytes are streamed, never whole in memory.
///
/// `attachment_id` and its failures are those of `trailstore_attachment_size()`, checked before
/// the file is created; `_IO` (field `path`) when the file cannot be written (the file may then
/// be incomplete). `path` is bytes on Unix, as for `trailstore_store_open()`.
///
/// # Safety
/// `store` is NULL or a live handle; `attachment_id` and `path` are NULL or NUL-terminated
/// strings; `out_size` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn trailstore_attachment_save(
    store: *const trailstore_store,
    attachment_id: *const c_char,
    path: *const c_char,
    out_size: *mut u64,
) -> trailstore_status {
    guard(|| {
        // SAFETY: forwarded from the caller.
        let store = unsafe { arg_ref(store, "store") }?;
        let id = unsafe { arg_str(attachment_id, "attachment_id") }?;
        let path = unsafe { arg_path(path, "path") }?;
        let out = Out::new(out_size, "out_size")?;
        let file = open(store, id)?;
        let n = file.save_to(&path).map_err(|e| match e {
            Error::Io(io) => Failure::Described {
                status: trailstore_status::Io,
                message: format!(
                    "Cannot save attachment {} to {}: {io}",
                    file.id(),
                    path.display()
                ),
                field: Some("path".into()),
            },
            other => other.into(),
        })?;
        out.set(n);
        Ok(())
    })
}

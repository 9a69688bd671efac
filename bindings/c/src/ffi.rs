//! Turning C arguments into Rust values (and results back), each with a status instead of UB for
//! NULL and invalid UTF-8.

use std::ffi::{c_char, CStr};
use std::path::PathBuf;
use std::ptr::NonNull;

use serde_json::{Map, Value};
use trailstore_core::Error;

use crate::error::{c_string, guard_value, Failure};

/// A borrowed handle; NULL is `Failure::Null(name)`.
///
/// # Safety
/// `p` is NULL or points to a live `T` for `'a`.
pub(crate) unsafe fn arg_ref<'a, T>(p: *const T, name: &'static str) -> Result<&'a T, Failure> {
    // SAFETY: the caller guarantees p is NULL or valid.
    unsafe { p.as_ref() }.ok_or(Failure::Null(name))
}

/// A required UTF-8 C string.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, name: &'static str) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from the caller.
    unsafe { arg_opt_str(p, name) }?.ok_or(Failure::Null(name))
}

/// An optional UTF-8 C string: NULL is `None`.
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn arg_opt_str<'a>(
    p: *const c_char,
    name: &'static str,
) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: p is non-NULL and NUL-terminated by the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map(Some).map_err(|_| Failure::Utf8(name))
}

/// A file-system path. On Unix a path is bytes, so any bytes are taken as they are; elsewhere it
/// must be UTF-8.
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn arg_path(p: *const c_char, name: &'static str) -> Result<PathBuf, Failure> {
    if p.is_null() {
        return Err(Failure::Null(name));
    }
    // SAFETY: p is non-NULL and NUL-terminated by the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(PathBuf::from(std::ffi::OsStr::from_bytes(c.to_bytes())))
    }
    #[cfg(not(unix))]
    {
        c.to_str()
            .map(PathBuf::from)
            .map_err(|_| Failure::Utf8(name))
    }
}

/// An out-param, checked for NULL before any work is done and written only on success.
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    pub(crate) fn new(p: *mut T, name: &'static str) -> Result<Out<T>, Failure> {
        NonNull::new(p).map(Out).ok_or(Failure::Null(name))
    }

    /// Writes the value. The old contents (often uninitialised) are neither read nor dropped.
    pub(crate) fn set(self, value: T) {
        // SAFETY: non-NULL, and the caller of the exported function promised a writable slot.
        unsafe { self.0.as_ptr().write(value) }
    }
}

impl Out<*mut c_char> {
    /// Writes a string the caller frees with `trailstore_string_free`.
    pub(crate) fn set_string(self, text: String) {
        self.set(c_string(text).into_raw());
    }
}

/// Frees a string returned by any trailstore function (through an out-param such as `out_json`).
/// NULL is a no-op. Every string the library allocates is freed with this function and no
/// other: not with free(), and not twice.
///
/// The strings of `trailstore_last_error_message()`, `trailstore_last_error_field()`,
/// `trailstore_status_name()` and `trailstore_version()` belong to the library and are never
/// freed.
///
/// # Safety
/// `s` is NULL or a string returned through an out-param of a trailstore function, not freed yet.
#[no_mangle]
pub unsafe extern "C" fn trailstore_string_free(s: *mut c_char) {
    guard_value((), || {
        if !s.is_null() {
            // SAFETY: s came from CString::into_raw in Out::set_string.
            drop(unsafe { std::ffi::CString::from_raw(s) });
        }
    })
}

/// An optional JSON object given as text (an options argument): NULL or blank text is `None`.
/// Text that is not JSON, or JSON that is not an object, is `BAD_REQUEST`.
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn arg_opt_object(
    p: *const c_char,
    name: &'static str,
) -> Result<Option<Map<String, Value>>, Failure> {
    // SAFETY: forwarded from the caller.
    let Some(text) = (unsafe { arg_opt_str(p, name) })? else {
        return Ok(None);
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        Ok(_) => Err(Error::BadRequest {
            message: format!("Argument {name} must be a JSON object."),
        }
        .into()),
        Err(e) => Err(Error::BadRequest {
            message: format!("Argument {name} is not valid JSON: {e}."),
        }
        .into()),
    }
}

/// A C array of `count` items as a slice: `NULL_ARGUMENT` for NULL (unless `count` is 0), and
/// `BAD_REQUEST` for a misaligned pointer or a count no array can have, which Rust may not even
/// look at.
///
/// # Safety
/// `p` is NULL or points to `count` valid items that outlive `'a`.
pub(crate) unsafe fn arg_array<'a, T>(
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

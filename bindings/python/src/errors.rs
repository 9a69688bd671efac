//! The exception hierarchy and the panic boundary.
//!
//! Every trailstore failure reaches Python as one subclass of `trailstore.Error`, chosen from the
//! core's stable [`ErrorCode`] by [`exception_type`]; the message is the core's (TestRail's
//! wording for invalid input). Rust's orphan rule rules out `From<trailstore::Error> for PyErr`,
//! so the mapping is a pair of explicit functions.
//!
//! No panic may cross into Python as pyo3's `PanicException`: [`shield`] (for work done with the
//! GIL released) and [`boundary`] (for the whole body of an exported method) catch them and raise
//! `InternalError` instead.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::{create_exception, PyTypeInfo};
use trailstore::{Error as CoreError, ErrorCode};

create_exception!(
    trailstore,
    Error,
    PyException,
    "Base class of every trailstore error.\n\n`code` is the stable error number shared with the C API, `name` its short name, `field` the offending field (validation and not-found errors, else None) and `http_status` the status TestRail answers with for the same mistake. `str(error)` is the message, in TestRail's wording for invalid input."
);
create_exception!(
    trailstore,
    ValidationError,
    Error,
    "A field of the request failed TestRail's validation (code 1, HTTP 400); `field` names it."
);
create_exception!(
    trailstore,
    NotFoundError,
    Error,
    "An id in the route or the body names nothing (code 2; TestRail answers 400); `field` names the id."
);
create_exception!(
    trailstore,
    ForbiddenError,
    Error,
    "The request is not allowed on this store (code 3, HTTP 403)."
);
create_exception!(
    trailstore,
    UnknownMethodError,
    Error,
    "The route names no API method trailstore serves (code 4, HTTP 404)."
);
create_exception!(
    trailstore,
    BadRequestError,
    Error,
    "The request itself is malformed: bad body, wrong method for the route, bad query string (code 5, HTTP 400)."
);
create_exception!(
    trailstore,
    StoreInUseError,
    Error,
    "Another process has the store open (code 10)."
);
create_exception!(
    trailstore,
    DamagedStoreError,
    Error,
    "The store's files are damaged (code 11)."
);
create_exception!(
    trailstore,
    UnsupportedFormatError,
    Error,
    "The store was written by a newer trailstore (code 12)."
);
create_exception!(
    trailstore,
    ForkedError,
    Error,
    "The store handle was inherited across fork(); open the store in the child once the parent has closed it (code 13)."
);
create_exception!(
    trailstore,
    StoreIOError,
    Error,
    "An operating-system I/O error (code 14)."
);
create_exception!(
    trailstore,
    ClosedError,
    Error,
    "The store (or the batch) is closed (code 15)."
);
create_exception!(
    trailstore,
    InternalError,
    Error,
    "A bug in trailstore: a caught panic or a broken internal invariant (code 16)."
);
create_exception!(
    trailstore,
    BusyError,
    Error,
    "A write is already in progress on this thread: a batch inside a batch (code 17, HTTP 409)."
);
create_exception!(
    trailstore,
    RemoteError,
    Error,
    "A TestRail server refused a request (a wrong key, a 4xx it would not take) or could not be reached, during pull or push (code 18, HTTP 502). The message never contains the API key."
);

/// Every error code the core has today, with its exception class. A code the core adds later
/// (the enum is non-exhaustive) falls back to the base class.
const CODES: &[ErrorCode] = &[
    ErrorCode::Validation,
    ErrorCode::NotFound,
    ErrorCode::Forbidden,
    ErrorCode::UnknownMethod,
    ErrorCode::BadRequest,
    ErrorCode::InUse,
    ErrorCode::Damaged,
    ErrorCode::Unsupported,
    ErrorCode::Forked,
    ErrorCode::Io,
    ErrorCode::Closed,
    ErrorCode::Internal,
    ErrorCode::Busy,
    ErrorCode::Remote,
];

/// The exception class of an error code.
pub(crate) fn exception_type(py: Python<'_>, code: ErrorCode) -> Bound<'_, PyType> {
    match code {
        ErrorCode::Validation => ValidationError::type_object(py),
        ErrorCode::NotFound => NotFoundError::type_object(py),
        ErrorCode::Forbidden => ForbiddenError::type_object(py),
        ErrorCode::UnknownMethod => UnknownMethodError::type_object(py),
        ErrorCode::BadRequest => BadRequestError::type_object(py),
        ErrorCode::InUse => StoreInUseError::type_object(py),
        ErrorCode::Damaged => DamagedStoreError::type_object(py),
        ErrorCode::Unsupported => UnsupportedFormatError::type_object(py),
        ErrorCode::Forked => ForkedError::type_object(py),
        ErrorCode::Io => StoreIOError::type_object(py),
        ErrorCode::Closed => ClosedError::type_object(py),
        ErrorCode::Internal => InternalError::type_object(py),
        ErrorCode::Busy => BusyError::type_object(py),
        ErrorCode::Remote => RemoteError::type_object(py),
        _ => Error::type_object(py),
    }
}

/// The Python exception for a core error: its class by code, the core's message, and the
/// `code`, `name`, `field` and `http_status` attributes set on the instance.
pub(crate) fn to_pyerr(py: Python<'_>, e: &CoreError) -> PyErr {
    let code = e.code();
    let err = PyErr::from_type(exception_type(py, code), e.to_string());
    let value = err.value(py);
    let attrs = (|| -> PyResult<()> {
        value.setattr("code", code.as_u32())?;
        value.setattr("name", code.name())?;
        value.setattr("field", e.field())?;
        value.setattr("http_status", e.http_status())?;
        Ok(())
    })();
    match attrs {
        Ok(()) => err,
        Err(other) => other,
    }
}

/// Registers the exception classes in the module, with class-level `code`, `name`,
/// `http_status` and `field` so that the attributes also read on the classes themselves.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let base = Error::type_object(py);
    base.setattr("code", 0u32)?;
    base.setattr("name", "error")?;
    base.setattr("http_status", 500u16)?;
    base.setattr("field", py.None())?;
    m.add("Error", &base)?;
    for &code in CODES {
        let ty = exception_type(py, code);
        ty.setattr("code", code.as_u32())?;
        ty.setattr("name", code.name())?;
        ty.setattr("http_status", code.http_status())?;
        m.add(ty.name()?, ty)?;
    }
    Ok(())
}

fn panic_detail(payload: &(dyn Any + Send)) -> String {
    let what = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown payload".to_string()
    };
    format!("a panic was caught: {what}")
}

/// Runs core work (with or without the GIL), turning a panic into the core's internal error.
pub(crate) fn shield<T>(f: impl FnOnce() -> trailstore::Result<T>) -> trailstore::Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(CoreError::Internal {
            detail: panic_detail(payload.as_ref()),
        }),
    }
}

/// The panic boundary around the body of every exported function and method.
pub(crate) fn boundary<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(to_pyerr(
            py,
            &CoreError::Internal {
                detail: panic_detail(payload.as_ref()),
            },
        )),
    }
}

/// Converts a core result, raising the matching exception on error.
pub(crate) fn raise<T>(py: Python<'_>, r: trailstore::Result<T>) -> PyResult<T> {
    r.map_err(|e| to_pyerr(py, &e))
}

//! The exception hierarchy and the panic boundary.
//!
//! Every trailstore failure reaches Python as one subclass of `trailstore.Error`, chosen from the
//! core's stable [`ErrorCode`] by [`exception_type`]; the message is the core's (TestRail's
//! wording for invalid input). The subclasses are made from the core's table of codes, so their
//! names, numbers and docstrings are written only there. Rust's orphan rule rules out
//! `From<trailstore::Error> for PyErr`, so the mapping is a pair of explicit functions.
//!
//! No panic may cross into Python as pyo3's `PanicException`: [`shield`] (for work done with the
//! GIL released) and [`boundary`] (for the whole body of an exported method) catch them and raise
//! `InternalError` instead.

use std::any::Any;
use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use pyo3::{create_exception, PyTypeInfo};
use trailstore::{Error as CoreError, ErrorCode};

create_exception!(
    trailstore,
    Error,
    PyException,
    "Base class of every trailstore error.\n\n`code` is the stable error number shared with the C API, `name` its short name, `field` the offending field (validation and not-found errors, else None) and `http_status` the status TestRail answers with for the same mistake. `str(error)` is the message, in TestRail's wording for invalid input."
);

/// The class of each core error code, a subclass of `Error` made from the core's table
/// (`ErrorCode::python_class`, `ErrorCode::doc`) the first time it is needed.
static CLASSES: PyOnceLock<Vec<(ErrorCode, Py<PyType>)>> = PyOnceLock::new();

fn classes(py: Python<'_>) -> PyResult<&'static [(ErrorCode, Py<PyType>)]> {
    let classes = CLASSES.get_or_try_init(py, || {
        let base = Error::type_object(py);
        ErrorCode::ALL
            .iter()
            .map(|&code| {
                let name = c_text(format!("trailstore.{}", code.python_class()))?;
                let doc = c_text(format!(
                    "{} Code {}, HTTP {}.",
                    code.doc(),
                    code.as_u32(),
                    code.http_status()
                ))?;
                let class = PyErr::new_type(py, &name, Some(&doc), Some(&base), None)?;
                Ok((code, class))
            })
            .collect::<PyResult<Vec<_>>>()
    })?;
    Ok(classes)
}

fn c_text(text: String) -> PyResult<CString> {
    CString::new(text).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The exception class of an error code. A code the core adds later (the enum is
/// non-exhaustive) gets its class from the table too; the base class is only a fallback should
/// the classes fail to build, which `register` would already have reported at import.
pub(crate) fn exception_type(py: Python<'_>, code: ErrorCode) -> Bound<'_, PyType> {
    classes(py)
        .ok()
        .and_then(|classes| classes.iter().find(|(c, _)| *c == code))
        .map_or_else(
            || Error::type_object(py),
            |(_, class)| class.bind(py).clone(),
        )
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
    for (code, class) in classes(py)? {
        let class = class.bind(py);
        class.setattr("code", code.as_u32())?;
        class.setattr("name", code.name())?;
        class.setattr("http_status", code.http_status())?;
        m.add(code.python_class(), class)?;
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

//! Attachment files across the boundary: paths as Python names them (`str`, `bytes` or any
//! `os.PathLike`), uploads streamed from a file or handed over as bytes, and an attachment's bytes
//! written to a file.
//!
//! The user's own files fail as Python's `open()` fails (`FileNotFoundError`,
//! `PermissionError`, ... with the file name), as they do in `testrail-api`; everything else is
//! the core's error.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use pyo3::exceptions::{PyOSError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyInt, PyString};
use serde_json::Value;
use trailstore::{AttachmentFile, Batch, Error as CoreError, Store, Upload};

use crate::errors::{shield, to_pyerr};

static FSPATH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A file path as the user gave it: the path itself, and the `os.fspath` of the argument, which
/// an `OSError` names as its `filename` (as `open()` does).
pub(crate) struct UserPath {
    pub path: PathBuf,
    shown: Py<PyAny>,
}

impl<'a, 'py> FromPyObject<'a, 'py> for UserPath {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let py = ob.py();
        let fspath = FSPATH.import(py, "os", "fspath")?;
        let shown = fspath.call1((ob,))?;
        let path = if let Ok(b) = shown.cast::<PyBytes>() {
            // Bytes are the name as the file system has it (os.fsencode), text or not.
            PathBuf::from(OsString::from_vec(b.as_bytes().to_vec()))
        } else if shown.is_instance_of::<PyString>() {
            // A str with surrogate escapes goes back to the bytes it was decoded from.
            shown.extract::<PathBuf>()?
        } else {
            return Err(PyTypeError::new_err(
                "os.fspath() returned neither str nor bytes",
            ));
        };
        Ok(UserPath {
            path,
            shown: shown.unbind(),
        })
    }
}

/// A failure of an upload or a save: on the user's file, or in the store.
pub(crate) enum Failure {
    File(std::io::Error),
    Core(CoreError),
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        Failure::Core(e)
    }
}

/// [`shield`] for work whose failure may be on the user's file: a panic is the core's internal
/// error.
pub(crate) fn shield_failure<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    shield(|| Ok(f())).unwrap_or_else(|e| Err(Failure::Core(e)))
}

/// Converts the result of an upload or save, raising `OSError` (its errno subclass) for the
/// user's file and the core's exception otherwise.
pub(crate) fn raise_failure<T>(
    py: Python<'_>,
    r: Result<T, Failure>,
    path: &UserPath,
) -> PyResult<T> {
    match r {
        Ok(v) => Ok(v),
        Err(Failure::Core(e)) => Err(to_pyerr(py, &e)),
        Err(Failure::File(e)) => Err(os_error(py, &e, path)),
    }
}

fn os_error(py: Python<'_>, e: &std::io::Error, path: &UserPath) -> PyErr {
    match e.raw_os_error() {
        // OSError(errno, strerror, filename) makes the errno's subclass, as open() raises it.
        Some(errno) => {
            let text = py
                .import("os")
                .and_then(|os| os.call_method1("strerror", (errno,)))
                .and_then(|s| s.extract::<String>())
                .unwrap_or_else(|_| e.to_string());
            PyOSError::new_err((errno, text, path.shown.clone_ref(py)))
        }
        None => PyOSError::new_err(e.to_string()),
    }
}

/// Where an upload is recorded: in its own transaction, or in a batch (committed with it).
pub(crate) enum Target<'a> {
    Store,
    Batch(&'a Mutex<Option<Batch>>),
}

impl Target<'_> {
    /// Records a written upload; answers `{"attachment_id": N}`.
    fn finish(&self, up: Upload) -> trailstore::Result<Value> {
        match self {
            Target::Store => up.finish(),
            Target::Batch(batch) => {
                let mut g = batch.lock().unwrap_or_else(PoisonError::into_inner);
                up.finish_in(g.as_mut().ok_or(CoreError::Closed)?)
            }
        }
    }

    /// Starts an upload: the core checks the route, the owner (as the batch sees it, which
    /// may have added it) and the name before any byte is read.
    fn begin(&self, store: &Store, endpoint: &str, name: &str) -> trailstore::Result<Upload> {
        match self {
            Target::Store => store.upload(endpoint, name),
            Target::Batch(batch) => batch
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_mut()
                .filter(|b| b.is_open())
                .ok_or(CoreError::Closed)?
                .upload(endpoint, name),
        }
    }
}

/// Uploads the file at `path` to `endpoint` under the file's own name. The core checks the
/// route, the owner and the name before the file is opened or read.
pub(crate) fn upload_file(
    store: &Store,
    into: Target<'_>,
    endpoint: &str,
    path: &Path,
) -> Result<Value, Failure> {
    // A name that is not text is handed over as no name at all, which the core refuses with its
    // own message (`Field :attachment needs a file name ...`), as it refuses such a path.
    let name = path.file_name().and_then(OsStr::to_str).unwrap_or("");
    let mut up = into.begin(store, endpoint, name)?;
    let file = File::open(path).map_err(Failure::File)?;
    let meta = file.metadata().map_err(Failure::File)?;
    if meta.is_dir() {
        return Err(Failure::File(std::io::Error::from_raw_os_error(
            libc::EISDIR,
        )));
    }
    up.expect(meta.len())?;
    up.copy_from(file)?;
    Ok(into.finish(up)?)
}

/// Uploads `data` to `endpoint` as a file named `name`.
pub(crate) fn upload_bytes(
    store: &Store,
    into: Target<'_>,
    endpoint: &str,
    name: &str,
    data: &[u8],
) -> trailstore::Result<Value> {
    let mut up = into.begin(store, endpoint, name)?;
    up.expect(data.len() as u64)?;
    up.write(data)?;
    into.finish(up)
}

/// Writes an attachment's bytes to a new file at `path` (replacing one there); answers how many
/// bytes were written. Failing to write `path` is an error on the user's file.
pub(crate) fn save(file: &AttachmentFile, path: &Path) -> Result<u64, Failure> {
    file.save_to(path).map_err(|e| match e {
        CoreError::Io(io) => Failure::File(io),
        other => Failure::Core(other),
    })
}

/// The route part of an attachment id: its integer id or a UUID (an int out of range is given
/// to the core as its digits, to be refused there as any bad id is).
pub(crate) fn attachment_key(id: &Bound<'_, PyAny>) -> PyResult<String> {
    let is_int = id.is_instance_of::<PyInt>() && !id.is_instance_of::<PyBool>();
    if is_int || id.is_instance_of::<PyString>() {
        return Ok(id.str()?.to_cow()?.into_owned());
    }
    Err(PyTypeError::new_err(format!(
        "attachment_id must be an int or a str, not {}",
        id.get_type().name()?
    )))
}

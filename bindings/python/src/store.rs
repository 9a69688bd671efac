//! `NativeStore` and `NativeBatch`: the core's `Store` and `Batch` as Python classes.
//!
//! Each method converts its arguments while holding the GIL, releases the GIL for the store work
//! (`py.detach`), and converts the answer back. A handle inherited across `fork()` is detected
//! before any lock is taken (see [`crate::fork`]), so a child never waits on a lock that a thread
//! of its parent held at the time of the fork; the child also never closes the inherited handle,
//! which would write to the parent's file.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError, RwLock};

use pyo3::prelude::*;
use serde_json::{Map, Value};
use trailstore::{
    Answer, Batch, Error as CoreError, PullOptions, PushOptions, Recording, Remote, Request, Store,
};

use crate::convert::{from_py, params_from_py, serialize, to_py};
use crate::errors::{boundary, raise, shield};
use crate::files::{self, raise_failure, shield_failure, Target, UserPath};
use crate::fork;

/// The body of a call: `None` is no body; anything else is converted to JSON.
fn body_of(body: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Value>> {
    match body {
        None => Ok(None),
        Some(b) if b.is_none() => Ok(None),
        Some(b) => from_py(b).map(Some),
    }
}

fn answer_to_py<'py>(py: Python<'py>, a: Answer) -> PyResult<Bound<'py, PyAny>> {
    serialize(py, &a)
}

/// An open store (`trailstore.Store` wraps it). Safe to share between threads.
#[pyclass(module = "trailstore._native", name = "NativeStore", frozen)]
pub struct NativeStore {
    store: RwLock<Option<Store>>,
    /// The fork generation the store was opened in.
    generation: u64,
    path: String,
}

impl NativeStore {
    fn is_closed(&self) -> bool {
        match self.store.try_read() {
            Ok(g) => g.is_none(),
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().is_none(),
            // Only a close() in progress holds the write lock.
            Err(std::sync::TryLockError::WouldBlock) => true,
        }
    }

    /// A handle for one call: the store, unless it is closed or was inherited across fork().
    fn handle(&self) -> trailstore::Result<Store> {
        if fork::generation() != self.generation {
            return Err(CoreError::Forked);
        }
        self.store
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(CoreError::Closed)
    }
}

impl Drop for NativeStore {
    fn drop(&mut self) {
        if fork::generation() != self.generation {
            // Closing the parent's database from the child would write to its file.
            if let Some(store) = self
                .store
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
            {
                std::mem::forget(store);
            }
        }
    }
}

#[pymethods]
impl NativeStore {
    /// Opens the store in folder `path`, creating the folder and an empty store if needed.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        boundary(py, || {
            let shown = path.display().to_string();
            let generation = fork::generation();
            let store = raise(py, py.detach(move || shield(|| Store::open(&path))))?;
            Ok(NativeStore {
                store: RwLock::new(Some(store)),
                generation,
                path: shown,
            })
        })
    }

    /// The folder of the store.
    #[getter]
    fn path(&self, py: Python<'_>) -> PyResult<String> {
        boundary(py, || Ok(self.path.clone()))
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        boundary(py, || Ok(self.is_closed()))
    }

    /// Calls a TestRail API v2 route (`get_cases/1&suite_id=2`) with an optional JSON-able body;
    /// returns TestRail's JSON as dicts and lists, or None for an empty answer (deletes).
    #[pyo3(signature = (route, body=None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        route: String,
        body: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let body = body_of(body)?;
            let store = raise(py, self.handle())?;
            let out = py.detach(move || {
                shield(|| store.answer_request(&Request::parse_owned(&route, body)?))
            });
            answer_to_py(py, raise(py, out)?)
        })
    }

    /// Calls `endpoint` (`get_cases/1`) with query parameters given as a dict of values, which
    /// the core encodes as TestRail clients send them (`True` as `1`, `[3, 4]` as `3,4`, `None`
    /// left out), and an optional body.
    #[pyo3(signature = (endpoint, params=None, body=None))]
    fn call_with<'py>(
        &self,
        py: Python<'py>,
        endpoint: String,
        params: Option<&Bound<'py, PyAny>>,
        body: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let params = params_from_py(params)?;
            let body = body_of(body)?;
            let store = raise(py, self.handle())?;
            let out = py.detach(move || {
                shield(|| {
                    store.answer_request(&Request::with_params(&endpoint, &params, body.as_ref())?)
                })
            });
            answer_to_py(py, raise(py, out)?)
        })
    }

    /// Every item of a list route (`get_cases/1` with the parameters of `call_with`), every page
    /// read by the core on one snapshot; any `limit` and `offset` are the core's.
    #[pyo3(signature = (endpoint, params=None))]
    fn list_all<'py>(
        &self,
        py: Python<'py>,
        endpoint: String,
        params: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let params = params_from_py(params)?;
            let store = raise(py, self.handle())?;
            let out = py.detach(move || {
                shield(|| store.list_all(&Request::with_params(&endpoint, &params, None)?))
            });
            serialize(py, &raise(py, out)?)
        })
    }

    /// Uploads the file at `path` (str, bytes or os.PathLike) to `endpoint`
    /// (`add_attachment_to_result/12`, ...) under the file's own name, streamed with the GIL
    /// released; answers `{"attachment_id": N}`. The route, its owner and the name are checked
    /// before the file is opened; a file the user cannot open raises `OSError` as `open()` does.
    fn upload_file<'py>(
        &self,
        py: Python<'py>,
        endpoint: String,
        path: UserPath,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let store = raise(py, self.handle())?;
            let file = &path.path;
            let out = py.detach(|| {
                shield_failure(|| files::upload_file(&store, Target::Store, &endpoint, file))
            });
            to_py(py, &raise_failure(py, out, &path)?)
        })
    }

    /// Uploads `data` to `endpoint` as a file named `name`, with the GIL released; answers
    /// `{"attachment_id": N}`.
    fn upload_bytes<'py>(
        &self,
        py: Python<'py>,
        endpoint: String,
        name: String,
        data: &[u8],
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let store = raise(py, self.handle())?;
            let out = py.detach(|| {
                shield(|| files::upload_bytes(&store, Target::Store, &endpoint, &name, data))
            });
            to_py(py, &raise(py, out)?)
        })
    }

    /// Writes the bytes of attachment `attachment_id` (its id, or a UUID) to a new file at
    /// `path`, replacing one there, with the GIL released; answers the number of bytes.
    fn save_attachment(
        &self,
        py: Python<'_>,
        attachment_id: &Bound<'_, PyAny>,
        path: UserPath,
    ) -> PyResult<u64> {
        boundary(py, || {
            let id = files::attachment_key(attachment_id)?;
            let store = raise(py, self.handle())?;
            let file = &path.path;
            let out = py.detach(|| {
                shield_failure(|| {
                    let a = store.attachment(&id)?;
                    files::save(&a, file)
                })
            });
            raise_failure(py, out, &path)
        })
    }

    /// Starts a batch: it holds the store's write transaction until it commits or rolls back.
    fn batch(&self, py: Python<'_>) -> PyResult<NativeBatch> {
        boundary(py, || {
            let store = raise(py, self.handle())?;
            let handle = store.clone();
            let batch = raise(py, py.detach(move || shield(|| handle.batch())))?;
            Ok(NativeBatch {
                batch: Mutex::new(Some(batch)),
                store: Mutex::new(Some(store)),
                generation: self.generation,
            })
        })
    }

    /// Imports a snapshot (a dict of TestRail list bodies) as server base state, in one
    /// transaction; returns the import report (records of each kind, as the CLI prints it).
    fn import_snapshot<'py>(
        &self,
        py: Python<'py>,
        snapshot: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let snapshot = from_py(snapshot)?;
            let store = raise(py, self.handle())?;
            let report = py.detach(move || shield(|| store.import_snapshot(&snapshot)));
            to_py(py, &raise(py, report)?.to_json())
        })
    }

    /// Like `import_snapshot`, reading the snapshot from a JSON file (read and parsed without
    /// the GIL).
    fn import_snapshot_file<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let store = raise(py, self.handle())?;
            let report = py.detach(move || shield(|| store.import_snapshot_file(&path)));
            to_py(py, &raise(py, report)?.to_json())
        })
    }

    /// Counts of what the store holds (projects, cases, journal entries, versions).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let store = raise(py, self.handle())?;
            let stats = py.detach(move || shield(|| store.stats()));
            to_py(py, &raise(py, stats)?)
        })
    }

    /// The user id local changes are recorded as (`created_by`, `updated_by`).
    fn user_id(&self, py: Python<'_>) -> PyResult<u64> {
        boundary(py, || {
            let store = raise(py, self.handle())?;
            raise(py, py.detach(move || shield(|| store.user_id())))
        })
    }

    /// Sets the user id local changes are recorded as.
    fn set_user_id(&self, py: Python<'_>, user_id: u64) -> PyResult<()> {
        boundary(py, || {
            let store = raise(py, self.handle())?;
            raise(py, py.detach(move || shield(|| store.set_user_id(user_id))))
        })
    }

    /// Records a test report (a dict in the core's `Recording::from_json` shape) as
    /// `trailstore junit` does: cases matched or created, the run, its results and their files,
    /// in one transaction, with the GIL released; returns the record report.
    fn record<'py>(
        &self,
        py: Python<'py>,
        recording: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let recording = from_py(recording)?;
            let store = raise(py, self.handle())?;
            let report =
                py.detach(move || shield(|| store.record(&Recording::from_json(&recording)?)));
            to_py(py, &raise(py, report)?.to_json())
        })
    }

    /// Pulls a TestRail server's state into the store as base state (`trailstore pull`), with
    /// the GIL released; returns the pull report. Credentials come from the arguments, then
    /// TESTRAIL_URL / TESTRAIL_USER / TESTRAIL_KEY, then the owner-only config file (`config`,
    /// else the default path); the key is used for the requests only and never reported. The
    /// core checks the options, refuses a pull while this thread has a batch open, and scrubs
    /// every error of the key. With `results` the open runs' results come too, with
    /// `attachments` the pulled cases' files.
    #[pyo3(signature = (
        url=None, user=None, key=None, *, projects=None, scan=true, results=false,
        attachments=false, config=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn pull<'py>(
        &self,
        py: Python<'py>,
        url: Option<String>,
        user: Option<String>,
        key: Option<String>,
        projects: Option<&Bound<'py, PyAny>>,
        scan: bool,
        results: bool,
        attachments: bool,
        config: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let mut options = Map::new();
            options.insert("projects".into(), projects.map(from_py).transpose()?.into());
            options.insert("scan".into(), scan.into());
            options.insert("results".into(), results.into());
            options.insert("attachments".into(), attachments.into());
            let store = raise(py, self.handle())?;
            let report = py.detach(move || {
                shield(|| {
                    let opts = PullOptions::from_json(&options, "pull")?;
                    let remote = Remote::resolve(url, user, key, config.as_deref())?;
                    trailstore::pull(&store, &remote, &opts, &mut |_| {})
                })
            });
            to_py(py, &raise(py, report)?.to_json())
        })
    }

    /// Sends the journal's pending changes to a TestRail server, exactly once (`trailstore
    /// push`), with the GIL released; returns the push report. With `dry_run` nothing is sent
    /// and the report's `dry_run` lists the requests a push would make. Credentials, refusal
    /// and scrubbing as for `pull`; `closed_run` ("hold", the default, or "new") is checked by
    /// the core.
    #[pyo3(signature = (
        url=None, user=None, key=None, *, dry_run=false, closed_run=None, config=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn push<'py>(
        &self,
        py: Python<'py>,
        url: Option<String>,
        user: Option<String>,
        key: Option<String>,
        dry_run: bool,
        closed_run: Option<String>,
        config: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let mut options = Map::new();
            options.insert("dry_run".into(), dry_run.into());
            if let Some(closed_run) = closed_run {
                options.insert("closed_run".into(), closed_run.into());
            }
            let store = raise(py, self.handle())?;
            let report = py.detach(move || {
                shield(|| {
                    let opts = PushOptions::from_json(&options, "push")?;
                    let remote = Remote::resolve(url, user, key, config.as_deref())?;
                    trailstore::push(&store, &remote, &opts, &mut |_| {})
                })
            });
            to_py(py, &raise(py, report)?.to_json())
        })
    }

    /// Closes the store; later calls raise ClosedError. The file is released once every batch
    /// started on it has ended. Closing twice is harmless; in a process forked from the one that
    /// opened the store, close() only forgets the handle.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        boundary(py, || {
            if fork::generation() != self.generation {
                if let Ok(mut g) = self.store.try_write() {
                    if let Some(store) = g.take() {
                        std::mem::forget(store);
                    }
                }
                return Ok(());
            }
            let store = self
                .store
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            // The last handle's drop flushes and unlocks the file: no GIL needed for that.
            py.detach(move || drop(store));
            Ok(())
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        boundary(py, || {
            let state = if self.is_closed() { " (closed)" } else { "" };
            Ok(format!(
                "<trailstore._native.NativeStore {:?}{state}>",
                self.path
            ))
        })
    }
}

/// A batch of calls in one write transaction (`trailstore.Batch` wraps it).
#[pyclass(module = "trailstore._native", name = "NativeBatch", frozen)]
pub struct NativeBatch {
    batch: Mutex<Option<Batch>>,
    /// The batch's store, while the batch is open: an upload streams its bytes through it before
    /// the batch records them. Let go with the batch, so that an ended batch keeps no file open.
    store: Mutex<Option<Store>>,
    generation: u64,
}

impl NativeBatch {
    fn check_fork(&self) -> trailstore::Result<()> {
        if fork::generation() != self.generation {
            return Err(CoreError::Forked);
        }
        Ok(())
    }

    /// Runs `f` on the open batch, without the GIL.
    fn with_batch<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Batch) -> trailstore::Result<T> + Send,
    ) -> trailstore::Result<T> {
        self.check_fork()?;
        py.detach(|| {
            shield(|| {
                let mut g = self.batch.lock().unwrap_or_else(PoisonError::into_inner);
                f(g.as_mut().ok_or(CoreError::Closed)?)
            })
        })
    }

    /// Takes the batch out to end it, without the GIL.
    fn finish(
        &self,
        py: Python<'_>,
        f: impl FnOnce(Batch) -> trailstore::Result<()> + Send,
    ) -> trailstore::Result<()> {
        self.check_fork()?;
        py.detach(|| {
            shield(|| {
                let batch = self
                    .batch
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                self.store
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                f(batch.ok_or(CoreError::Closed)?)
            })
        })
    }

    /// The batch's store, for an upload; the batch must still be open.
    fn upload_store(&self) -> trailstore::Result<Store> {
        self.check_fork()?;
        self.store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(CoreError::Closed)
    }
}

impl Drop for NativeBatch {
    fn drop(&mut self) {
        let batch = self
            .batch
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let store = self
            .store
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if fork::generation() != self.generation {
            // Rolling back in the child would touch the parent's transaction state, and closing
            // the store would write to the parent's file.
            std::mem::forget(batch);
            std::mem::forget(store);
        }
        // Otherwise dropping the batch rolls it back.
    }
}

#[pymethods]
impl NativeBatch {
    /// Calls a route inside the batch; reads see the batch's earlier writes.
    #[pyo3(signature = (route, body=None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        route: String,
        body: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let body = body_of(body)?;
            let out = self.with_batch(py, move |b| {
                b.answer_request(&Request::parse_owned(&route, body)?)
            });
            answer_to_py(py, raise(py, out)?)
        })
    }

    /// Calls `endpoint` with query parameters inside the batch (see `NativeStore.call_with`).
    #[pyo3(signature = (endpoint, params=None, body=None))]
    fn call_with<'py>(
        &self,
        py: Python<'py>,
        endpoint: String,
        params: Option<&Bound<'py, PyAny>>,
        body: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let params = params_from_py(params)?;
            let body = body_of(body)?;
            let out = self.with_batch(py, move |b| {
                b.answer_request(&Request::with_params(&endpoint, &params, body.as_ref())?)
            });
            answer_to_py(py, raise(py, out)?)
        })
    }

    /// Every item of a list route as the batch sees it (see `NativeStore.list_all`).
    #[pyo3(signature = (endpoint, params=None))]
    fn list_all<'py>(
        &self,
        py: Python<'py>,
        endpoint: String,
        params: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let params = params_from_py(params)?;
            let out = self.with_batch(py, move |b| {
                b.list_all(&Request::with_params(&endpoint, &params, None)?)
            });
            serialize(py, &raise(py, out)?)
        })
    }

    /// Records a test report inside the batch (see `NativeStore.record`).
    fn record<'py>(
        &self,
        py: Python<'py>,
        recording: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let recording = from_py(recording)?;
            let report = self.with_batch(py, move |b| b.record(&Recording::from_json(&recording)?));
            to_py(py, &raise(py, report)?.to_json())
        })
    }

    /// Imports a snapshot (a dict) inside the batch.
    fn import_snapshot<'py>(
        &self,
        py: Python<'py>,
        snapshot: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let snapshot = from_py(snapshot)?;
            let report = self.with_batch(py, move |b| b.import_snapshot(&snapshot));
            to_py(py, &raise(py, report)?.to_json())
        })
    }

    /// Imports a snapshot JSON file inside the batch.
    fn import_snapshot_file<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let report = self.with_batch(py, move |b| b.import_snapshot_file(&path));
            to_py(py, &raise(py, report)?.to_json())
        })
    }

    /// Uploads the file at `path` to `endpoint` inside the batch (see
    /// `NativeStore.upload_file`): the attachment is committed or rolled back with the batch.
    fn upload_file<'py>(
        &self,
        py: Python<'py>,
        endpoint: String,
        path: UserPath,
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let store = raise(py, self.upload_store())?;
            let file = &path.path;
            let out = py.detach(|| {
                shield_failure(|| {
                    let into = Target::Batch(&self.batch);
                    files::upload_file(&store, into, &endpoint, file)
                })
            });
            to_py(py, &raise_failure(py, out, &path)?)
        })
    }

    /// Uploads `data` as a file named `name` inside the batch (see `NativeStore.upload_bytes`).
    fn upload_bytes<'py>(
        &self,
        py: Python<'py>,
        endpoint: String,
        name: String,
        data: &[u8],
    ) -> PyResult<Bound<'py, PyAny>> {
        boundary(py, || {
            let store = raise(py, self.upload_store())?;
            let out = py.detach(|| {
                shield(|| {
                    let into = Target::Batch(&self.batch);
                    files::upload_bytes(&store, into, &endpoint, &name, data)
                })
            });
            to_py(py, &raise(py, out)?)
        })
    }

    /// Writes the bytes of an attachment, as the batch sees it, to a new file at `path` (see
    /// `NativeStore.save_attachment`).
    fn save_attachment(
        &self,
        py: Python<'_>,
        attachment_id: &Bound<'_, PyAny>,
        path: UserPath,
    ) -> PyResult<u64> {
        boundary(py, || {
            let id = files::attachment_key(attachment_id)?;
            let route = format!("get_attachment/{id}");
            let found = self.with_batch(py, move |b| {
                b.answer(&route, None)?
                    .into_file()
                    .ok_or_else(|| CoreError::Internal {
                        detail: "get_attachment answered no file".into(),
                    })
            });
            let found = raise(py, found)?;
            let file = &path.path;
            let out = py.detach(|| shield_failure(|| files::save(&found, file)));
            raise_failure(py, out, &path)
        })
    }

    /// Commits every call of the batch at once. The batch is closed afterwards.
    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        boundary(py, || raise(py, self.finish(py, |b| b.commit())))
    }

    /// Discards every call of the batch. The batch is closed afterwards.
    fn rollback(&self, py: Python<'_>) -> PyResult<()> {
        boundary(py, || raise(py, self.finish(py, |b| b.rollback())))
    }

    /// Whether the batch still takes calls (not committed, rolled back or broken by a storage
    /// failure).
    #[getter]
    fn is_open(&self, py: Python<'_>) -> PyResult<bool> {
        boundary(py, || {
            if fork::generation() != self.generation {
                return Ok(false);
            }
            Ok(match self.batch.try_lock() {
                Ok(g) => g.as_ref().is_some_and(Batch::is_open),
                Err(std::sync::TryLockError::Poisoned(p)) => {
                    p.into_inner().as_ref().is_some_and(Batch::is_open)
                }
                // A call is running in it.
                Err(std::sync::TryLockError::WouldBlock) => true,
            })
        })
    }
}

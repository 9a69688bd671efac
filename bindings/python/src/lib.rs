//! `trailstore._native`: the private extension module behind the `trailstore` Python package.
//!
//! Thin by design: it converts Python arguments to JSON values, calls the core
//! (`trailstore::Store`) with the GIL released, serializes its answers straight into Python
//! objects, and maps the core's errors to exceptions. Every
//! TestRail rule (validation, paging, ids) lives in the core; the Python package adds only the
//! `testrail-api`-shaped methods that build routes.

mod convert;
mod errors;
mod files;
mod store;

/// mimalloc for the module's own (Rust) allocations: a case record decodes into some sixty small
/// allocations, and with the system allocator they were a fifth of a `get_case`
/// (docs/benchmarks.md). Python's objects keep Python's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use pyo3::prelude::*;

/// Fork detection without a system call per call: a counter bumped in every child process.
pub(crate) mod fork {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Once;

    static GENERATION: AtomicU64 = AtomicU64::new(0);
    static HOOK: Once = Once::new();

    extern "C" fn after_fork_in_child() {
        // Async-signal-safe: one atomic add.
        GENERATION.fetch_add(1, Ordering::Relaxed);
    }

    /// Registers the fork hook once per process.
    pub(crate) fn install() {
        HOOK.call_once(|| {
            // SAFETY: the handler only does an atomic add, which is allowed after fork().
            let rc = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
            // Without the hook the core's own pid check still refuses a forked handle.
            let _ = rc;
        });
    }

    /// The current fork generation; a handle opened in another generation was inherited.
    #[inline]
    pub(crate) fn generation() -> u64 {
        GENERATION.load(Ordering::Relaxed)
    }
}

/// Panics inside the panic boundary, to test that it raises InternalError. Only in the test build
/// (`--features testing`), so that no release wheel can be made to panic on purpose.
#[cfg(feature = "testing")]
#[pyfunction]
fn _test_panic(py: Python<'_>, message: String) -> PyResult<()> {
    errors::boundary(py, || -> PyResult<()> { panic!("{message}") })?;
    Ok(())
}

/// Panics inside core work run without the GIL, to test that it raises InternalError (test build
/// only, as `_test_panic`).
#[cfg(feature = "testing")]
#[pyfunction]
fn _test_panic_detached(py: Python<'_>, message: String) -> PyResult<()> {
    errors::boundary(py, || {
        let r =
            py.detach(move || errors::shield(|| -> trailstore::Result<()> { panic!("{message}") }));
        errors::raise(py, r)
    })
}

#[pymodule(gil_used = true)]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    fork::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("PAGE_MAX", trailstore::PAGE_MAX)?;
    m.add_class::<store::NativeStore>()?;
    m.add_class::<store::NativeBatch>()?;
    errors::register(m)?;
    // setattr, not add_function: test hooks stay out of `__all__`, which is then the same in every
    // build and matches the stub's.
    #[cfg(feature = "testing")]
    {
        m.setattr("_test_panic", wrap_pyfunction!(_test_panic, m)?)?;
        m.setattr(
            "_test_panic_detached",
            wrap_pyfunction!(_test_panic_detached, m)?,
        )?;
    }
    Ok(())
}

//! The C ABI of trailstore: `libtrailstore.so` / `libtrailstore.a` and `include/trailstore.h`.
//!
//! This crate is thin. It turns C arguments into Rust values, calls the core crate (the same
//! dispatcher every front uses) and turns the answer back into C values. It holds no TestRail rule
//! of its own: validation, paging, query encoding, ids, the pull and push options and the
//! scrubbing of secrets all stay in the core.
//!
//! Conventions (those of rustls-ffi):
//! - Names are `trailstore_<thing>_<verb>`; the handle comes first, then inputs, then out-params.
//! - Every fallible function returns a `trailstore_status`; outputs go through out-params, which
//!   are written only on success. The last failure of the calling thread is described by
//!   `trailstore_last_error_message`, `_code` and `_field`.
//! - Entity payloads cross the ABI as JSON text, in TestRail's shapes; the one typed struct is
//!   the results fast path's entry (`trailstore_case_result`), where speed asks for it.
//! - Every string the library returns is freed with `trailstore_string_free`; every handle has a
//!   `_free` that accepts NULL.
//! - Every exported body runs inside a panic boundary; NULL and invalid UTF-8 give a status.
#![allow(non_camel_case_types)]

// A panic must be caught at the boundary, not abort the C program.
#[cfg(panic = "abort")]
compile_error!(
    "trailstore-c must be built with panic = \"unwind\": its panic boundary relies on it"
);

// The header lists functions in the order these modules are declared: keep it the reading order
// (errors and strings, the store, the typed helpers, the results fast path, search, sync and
// conflicts, bundles, batches). rustfmt sorts adjacent `mod` lines, hence one per group.
mod error;

mod ffi;

mod store;

mod cases;

mod results;

mod search;

mod sync;

mod bundle;

mod batch;

/// The version of trailstore (the core crate's `trailstore::VERSION`, e.g. `"0.1.0"`): a static
/// string, never freed.
#[no_mangle]
pub extern "C" fn trailstore_version() -> *const std::ffi::c_char {
    static VERSION: std::sync::OnceLock<std::ffi::CString> = std::sync::OnceLock::new();
    error::guard_value(c"".as_ptr(), || {
        VERSION
            .get_or_init(|| error::c_string(trailstore_core::VERSION.to_string()))
            .as_ptr()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_is_the_core_version() {
        let v = unsafe { std::ffi::CStr::from_ptr(super::trailstore_version()) };
        assert_eq!(v.to_str().unwrap(), trailstore_core::VERSION);
        assert_eq!(super::trailstore_version(), super::trailstore_version());
    }
}

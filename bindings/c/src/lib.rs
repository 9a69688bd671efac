//! The C ABI of trailstore: `libtrailstore.so` / `libtrailstore.a` and `include/trailstore.h`.
//!
//! This crate is thin. It turns C arguments into Rust values, calls the core crate (the same
//! `Store::call` dispatcher every front uses) and turns the answer back into C values. It holds no
//! TestRail rule of its own: validation, paging and ids all stay in the core.
//!
//! Conventions (those of rustls-ffi):
//! - Names are `trailstore_<thing>_<verb>`; the handle comes first, then inputs, then out-params.
//! - Every fallible function returns a `trailstore_status`; outputs go through out-params, which
//!   are written only on success. The last failure of the calling thread is described by
//!   `trailstore_last_error_message`, `_code` and `_field`.
//! - Entity payloads cross the ABI as JSON text, in TestRail's shapes.
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
// (errors and strings, the store, the typed helpers, batches). rustfmt sorts adjacent `mod` lines,
// hence one per group.
mod error;

mod ffi;

mod store;

mod cases;

mod batch;

/// The version of the library, e.g. `"0.1.0"`: a static string, never freed.
#[no_mangle]
pub extern "C" fn trailstore_version() -> *const std::ffi::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0")
        .as_ptr()
        .cast::<std::ffi::c_char>()
}

//! Statuses, the thread-local last error, and the panic boundary around every exported body.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use trailstore_core::{Error, ErrorCode};

/// What a trailstore function did: every fallible function returns one, and
/// `TRAILSTORE_STATUS_OK` (0) is the only success.
///
/// Numbers are stable and never reused. 1 to 99 are the core's error codes, with the same numbers
/// and names the CLI and the Python binding report; 100 and up are mistakes in calling the C
/// functions. On a failure, `trailstore_last_error_message()` says what went wrong, in TestRail's
/// wording where TestRail has one.
// cbindgen reads this enum as written, so the core's codes are listed here again; the unit test
// `every_core_code_has_its_status` checks each one's number and name against the core's table
// and the header. A retired status stays as a comment, so that its number is never given again.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum trailstore_status {
    /// Success; out-params were written.
    Ok = 0,
    /// A field failed TestRail's validation; `trailstore_last_error_field()` names it (HTTP 400).
    Validation = 1,
    /// An id names nothing; `trailstore_last_error_field()` names the field (HTTP 400).
    NotFound = 2,
    /// The request is not allowed on this store (HTTP 403).
    Forbidden = 3,
    /// The route names no API method (HTTP 404).
    UnknownMethod = 4,
    /// The request is malformed: a body or snapshot that is not a JSON object, a path that is a
    /// file where a store folder belongs.
    BadRequest = 5,
    /// An attachment is larger than TestRail accepts (256 MB; HTTP 413).
    TooLarge = 6,
    /// Another process (or another handle in this one) has the store open.
    InUse = 10,
    /// The store's files are damaged.
    Damaged = 11,
    /// The store or snapshot was written by a newer trailstore.
    Unsupported = 12,
    /// The handle was opened before fork(); open the store again in the child.
    Forked = 13,
    /// An operating-system I/O error.
    Io = 14,
    /// The batch (or store) is closed: committed, rolled back, or failed.
    Closed = 15,
    /// A bug in trailstore, such as a panic caught at the C boundary.
    Internal = 16,
    /// A write was made outside the batch this thread holds open.
    Busy = 17,
    /// A TestRail server refused a request or could not be reached (pull, push).
    Remote = 18,
    // The C binding's own statuses, from 100.
    /// A required pointer argument was NULL; `trailstore_last_error_field()` names it.
    NullArgument = 100,
    /// A string argument is not UTF-8; `trailstore_last_error_field()` names it.
    InvalidUtf8 = 101, // Last added.
}

/// Lists every status once, for lookups by number; the `match` stops the build when a status
/// is missing from the list (and a duplicate is an unreachable pattern).
macro_rules! every_status {
    ($($status:ident),* $(,)?) => {
        impl trailstore_status {
            const ALL: &'static [trailstore_status] = &[$(trailstore_status::$status),*];
        }

        const _: fn(trailstore_status) = |s| match s {
            $(trailstore_status::$status => {})*
        };
    };
}

every_status![
    Ok,
    Validation,
    NotFound,
    Forbidden,
    UnknownMethod,
    BadRequest,
    TooLarge,
    InUse,
    Damaged,
    Unsupported,
    Forked,
    Io,
    Closed,
    Internal,
    Busy,
    Remote,
    NullArgument,
    InvalidUtf8,
];

impl trailstore_status {
    /// The status with this number, if there is one.
    fn from_u32(n: u32) -> Option<trailstore_status> {
        trailstore_status::ALL
            .iter()
            .copied()
            .find(|s| *s as u32 == n)
    }

    /// The status for a core error code: the status with the same number. The core's enum may
    /// grow; a code this build has no status for yet is reported as `Internal` (its message still
    /// says what happened), and the unit test `every_core_code_has_its_status` fails until one is
    /// added.
    pub(crate) fn from_code(code: ErrorCode) -> trailstore_status {
        trailstore_status::from_u32(code.as_u32())
            .filter(|s| core_range(*s))
            .unwrap_or(trailstore_status::Internal)
    }

    /// The short name: the core's `ErrorCode::name()` for core codes; the binding's own
    /// statuses are named here.
    pub(crate) fn name(self) -> &'static str {
        use trailstore_status as S;
        match self {
            S::Ok => "ok",
            S::NullArgument => "null_argument",
            S::InvalidUtf8 => "invalid_utf8",
            core => ErrorCode::from_u32(core as u32).map_or("unknown", ErrorCode::name),
        }
    }

    /// [`name`](Self::name) as a static C string.
    fn c_name(self) -> &'static CStr {
        static NAMES: OnceLock<Vec<(trailstore_status, CString)>> = OnceLock::new();
        NAMES
            .get_or_init(|| {
                trailstore_status::ALL
                    .iter()
                    .map(|s| (*s, c_string(s.name().to_string())))
                    .collect()
            })
            .iter()
            .find(|(s, _)| *s == self)
            .map_or(c"unknown", |(_, name)| name.as_c_str())
    }
}

/// Whether a status is one of the core's error codes (1 to 99).
fn core_range(s: trailstore_status) -> bool {
    (1..100).contains(&(s as u32))
}

/// Why an exported function failed: an error of the core, or of the call across the ABI.
#[derive(Debug)]
pub(crate) enum Failure {
    Core(Error),
    /// A required pointer argument (named) was NULL.
    Null(&'static str),
    /// A string argument (named) was not UTF-8.
    Utf8(&'static str),
    /// A panic caught at the boundary, with its message.
    Panic(String),
    /// A failure described by the binding itself: an option of an options object, or a core
    /// error whose text was rewritten (credentials scrubbed).
    Described {
        status: trailstore_status,
        message: String,
        field: Option<String>,
    },
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

impl Failure {
    pub(crate) fn status(&self) -> trailstore_status {
        match self {
            Failure::Core(e) => trailstore_status::from_code(e.code()),
            Failure::Null(_) => trailstore_status::NullArgument,
            Failure::Utf8(_) => trailstore_status::InvalidUtf8,
            Failure::Panic(_) => trailstore_status::Internal,
            Failure::Described { status, .. } => *status,
        }
    }

    /// A validation failure of the binding's own: `field` is what the caller named wrongly.
    pub(crate) fn validation(field: impl Into<String>, message: impl Into<String>) -> Failure {
        Failure::Described {
            status: trailstore_status::Validation,
            message: message.into(),
            field: Some(field.into()),
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::Core(e) => e.to_string(),
            Failure::Null(arg) => format!("Argument {arg} must not be NULL."),
            Failure::Utf8(arg) => format!("Argument {arg} is not valid UTF-8."),
            Failure::Panic(what) => format!("Internal error in trailstore: panic: {what}"),
            Failure::Described { message, .. } => message.clone(),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Failure::Core(e) => e.field(),
            Failure::Null(arg) | Failure::Utf8(arg) => Some(arg),
            Failure::Panic(_) => None,
            Failure::Described { field, .. } => field.as_deref(),
        }
    }
}

/// A C string from Rust text. C strings end at the first NUL, so an inner NUL (possible in
/// a message that quotes a JSON string) becomes U+FFFD instead of cutting the text short.
pub(crate) fn c_string(text: String) -> CString {
    match CString::new(text) {
        Ok(c) => c,
        Err(e) => {
            let text = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\u{FFFD}");
            CString::new(text).unwrap_or_default()
        }
    }
}

struct LastError {
    status: trailstore_status,
    message: CString,
    field: Option<CString>,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

fn set_last_error(value: Option<LastError>) {
    // try_with: during thread teardown the slot may be gone; there is nobody left to tell then.
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = value;
        }
    });
}

/// The calling thread's last failure: status, message and field (NULL when none). The pointers
/// stay valid until the slot is next written.
fn last_error() -> (trailstore_status, *const c_char, *const c_char) {
    let none = (trailstore_status::Ok, c"".as_ptr(), std::ptr::null());
    LAST_ERROR
        .try_with(|slot| match slot.try_borrow() {
            Ok(slot) => slot.as_ref().map_or(none, |e| {
                let field = e.field.as_ref().map_or(std::ptr::null(), |f| f.as_ptr());
                (e.status, e.message.as_ptr(), field)
            }),
            Err(_) => none,
        })
        .unwrap_or(none)
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// The panic boundary of every fallible exported function: clears the thread's last error, runs
/// `body`, catches a panic, and records a failure as the thread's last error.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Failure>) -> trailstore_status {
    set_last_error(None);
    let result = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => {
            let failure = Failure::Panic(panic_message(payload.as_ref()));
            // A panic payload's own Drop may panic too; never let that cross the boundary.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            Err(failure)
        }
    };
    match result {
        Ok(()) => trailstore_status::Ok,
        Err(failure) => {
            let status = failure.status();
            let recorded = catch_unwind(AssertUnwindSafe(|| LastError {
                status,
                message: c_string(failure.message()),
                field: failure.field().map(|f| c_string(f.to_string())),
            }));
            set_last_error(recorded.ok());
            status
        }
    }
}

/// The panic boundary of an exported function that returns a value instead of a status
/// (`fallback` when the body panics).
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The status of the calling thread's last failure, or `TRAILSTORE_STATUS_OK` when the last
/// fallible call on this thread succeeded (or there was none).
#[no_mangle]
pub extern "C" fn trailstore_last_error_code() -> trailstore_status {
    guard_value(trailstore_status::Internal, || last_error().0)
}

/// What went wrong in the calling thread's last failure, e.g. `Field :title is a required
/// field.` (TestRail's wording). Never NULL: `""` when the last fallible call on this thread
/// succeeded.
///
/// The text belongs to the library: do not free it. It stays valid until the next fallible
/// trailstore call on the same thread (or the thread's end); copy it to keep it longer.
#[no_mangle]
pub extern "C" fn trailstore_last_error_message() -> *const c_char {
    guard_value(c"".as_ptr(), || last_error().1)
}

/// The field or argument the calling thread's last failure is about, or NULL when it names none.
/// For `TRAILSTORE_STATUS_VALIDATION` and `TRAILSTORE_STATUS_NOT_FOUND` it is TestRail's field
/// name (`title`, `section_id`, `custom_steps`); for `TRAILSTORE_STATUS_NULL_ARGUMENT` and
/// `TRAILSTORE_STATUS_INVALID_UTF8` it is the C parameter's name (`route`, `body_json`).
///
/// Owned and valid like the text of `trailstore_last_error_message()`.
#[no_mangle]
pub extern "C" fn trailstore_last_error_field() -> *const c_char {
    guard_value(std::ptr::null(), || last_error().2)
}

/// The short name of a status, e.g. `"validation"` for `TRAILSTORE_STATUS_VALIDATION` (the same
/// names the CLI and the Python binding use), or `"unknown"` for a number that is no status.
/// A static string, never freed.
#[no_mangle]
pub extern "C" fn trailstore_status_name(status: u32) -> *const c_char {
    guard_value(c"unknown".as_ptr(), || {
        trailstore_status::from_u32(status)
            .map_or(c"unknown", trailstore_status::c_name)
            .as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(p: *const c_char) -> String {
        unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string()
    }

    #[test]
    fn every_core_code_has_its_status() {
        let header = include_str!("../../../include/trailstore.h");
        // ErrorCode::ALL is the core's own list: a code added there without a status here fails,
        // and so does a status whose number or name differs from the core's.
        for &code in ErrorCode::ALL {
            let status = trailstore_status::from_code(code);
            assert_eq!(status as u32, code.as_u32(), "no C status for {code:?}");
            assert_eq!(
                format!("{status:?}"),
                format!("{code:?}"),
                "the variant's name"
            );
            assert_eq!(status.name(), code.name());
            assert_eq!(text(trailstore_status_name(status as u32)), code.name());
            let line = format!(
                "TRAILSTORE_STATUS_{} = {},",
                code.name().to_ascii_uppercase(),
                code.as_u32()
            );
            assert!(header.contains(&line), "include/trailstore.h lacks {line}");
        }
        // Every status in the core's range is a core code; the others are OK and the binding's
        // own, from 100.
        for &status in trailstore_status::ALL {
            let n = status as u32;
            assert_eq!(trailstore_status::from_u32(n), Some(status));
            match ErrorCode::from_u32(n) {
                Some(code) => assert!(core_range(status) && status.name() == code.name()),
                None => assert!(n == 0 || n >= 100, "status {n} is no core code"),
            }
            assert_ne!(status.name(), "unknown");
            let line = format!(
                "TRAILSTORE_STATUS_{} = {n},",
                status.name().to_ascii_uppercase()
            );
            assert!(header.contains(&line), "include/trailstore.h lacks {line}");
        }
        assert_eq!(trailstore_status::Ok.name(), "ok");
        assert_eq!(trailstore_status::NullArgument.name(), "null_argument");
        assert_eq!(trailstore_status::InvalidUtf8.name(), "invalid_utf8");
        // Every status except OK and the ABI's own two is a core code.
        assert_eq!(ErrorCode::ALL.len() + 3, trailstore_status::ALL.len());
        assert_eq!(text(trailstore_status_name(9999)), "unknown");
        // A number below 100 names a status exactly when it is OK or a core code.
        for n in 0..100 {
            let known = text(trailstore_status_name(n)) != "unknown";
            assert_eq!(known, n == 0 || ErrorCode::from_u32(n).is_some(), "{n}");
        }
    }

    #[test]
    fn a_panic_becomes_internal_with_a_message() {
        let status = guard(|| panic!("boom"));
        assert_eq!(status, trailstore_status::Internal);
        assert_eq!(trailstore_last_error_code(), trailstore_status::Internal);
        assert_eq!(
            text(trailstore_last_error_message()),
            "Internal error in trailstore: panic: boom"
        );
        assert!(trailstore_last_error_field().is_null());
        // The next call that succeeds clears it.
        assert_eq!(guard(|| Ok(())), trailstore_status::Ok);
        assert_eq!(trailstore_last_error_code(), trailstore_status::Ok);
        assert_eq!(text(trailstore_last_error_message()), "");
    }

    #[test]
    fn forbidden_maps_through() {
        // Forbidden (local ids used up) cannot be reached from C in a test's time.
        let status = guard(|| {
            Err(Error::Forbidden {
                message: "no".into(),
            }
            .into())
        });
        assert_eq!(status, trailstore_status::Forbidden);
        assert_eq!(text(trailstore_last_error_message()), "no");
    }

    #[test]
    fn inner_nul_does_not_cut_a_message() {
        assert_eq!(c_string("a\0b".into()).to_str().unwrap(), "a\u{FFFD}b");
    }
}

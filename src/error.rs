//! The one error type of trailstore.
//!
//! Every front (Rust, CLI, C, Python, HTTP) reports failures through [`Error`]. Each variant has a
//! stable numeric [`ErrorCode`] that the C and Python bindings expose unchanged, and an HTTP status
//! that matches what TestRail answers for the same mistake. Messages for invalid input use
//! TestRail's own wording (`Field :title is a required field.`); the wording lives in
//! [`crate::messages`] so that it is written once.

use std::fmt;

/// Declares [`ErrorCode`] from one table: each code's number, short name, HTTP status, Python
/// exception class and one-line doc are written once, and every list and lookup is generated.
macro_rules! codes {
    ($(
        $(#[doc = $doc:literal])+
        $variant:ident = $number:literal {
            name: $name:literal,
            http: $http:literal,
            python: $python:literal $(,)?
        },
    )*) => {
        /// Stable error codes shared by every front. Numbers are never reused or renumbered.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u32)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[doc = $doc])+ $variant = $number, )*
        }

        impl ErrorCode {
            /// Every code, in number order, so fronts can check they map each one.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The code with this number, if there is one.
            pub fn from_u32(n: u32) -> Option<ErrorCode> {
                match n {
                    $( $number => Some(ErrorCode::$variant), )*
                    _ => None,
                }
            }

            /// The number shared by the C and Python fronts.
            pub fn as_u32(self) -> u32 {
                self as u32
            }

            /// The HTTP status TestRail uses for this kind of failure.
            pub fn http_status(self) -> u16 {
                match self {
                    $( ErrorCode::$variant => $http, )*
                }
            }

            /// A short lowercase name, used by the CLI's JSON output and the bindings.
            pub fn name(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $name, )*
                }
            }

            /// The class the Python binding raises for this code (`trailstore.<class>`).
            pub fn python_class(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $python, )*
                }
            }

            /// What the code means, in one line (the docs of the fronts build on it).
            pub fn doc(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => concat!($($doc),+).trim_ascii(), )*
                }
            }
        }
    };
}

// The one table of error codes. 1 to 9 are mistakes in the request, 10 to 99 failures of the
// store, the process or a server (100 and up are the C binding's own statuses). A new code takes
// the next free number of its range; a retired code stays here as a comment, so that its number
// is never given to another.
codes! {
    /// A field of the request failed TestRail's validation; the error names the field.
    Validation = 1 { name: "validation", http: 400, python: "ValidationError" },
    /// An id in the route or the body names nothing (TestRail answers 400, not 404); the error
    /// names the field.
    NotFound = 2 { name: "not_found", http: 400, python: "NotFoundError" },
    /// The request is not allowed on this store.
    Forbidden = 3 { name: "forbidden", http: 403, python: "ForbiddenError" },
    /// The route names no API method.
    UnknownMethod = 4 { name: "unknown_method", http: 404, python: "UnknownMethodError" },
    /// The request itself is malformed: bad JSON, wrong HTTP method, bad query string.
    BadRequest = 5 { name: "bad_request", http: 400, python: "BadRequestError" },
    /// An attachment is larger than TestRail accepts (256 MB).
    TooLarge = 6 { name: "too_large", http: 413, python: "TooLargeError" }, // Last added of 1-9.
    /// Another process has the store open.
    InUse = 10 { name: "in_use", http: 500, python: "StoreInUseError" },
    /// The store's files are damaged.
    Damaged = 11 { name: "damaged", http: 500, python: "DamagedStoreError" },
    /// The store was written by a newer trailstore.
    Unsupported = 12 { name: "unsupported", http: 500, python: "UnsupportedFormatError" },
    /// The handle was inherited across `fork()`; the child must open the store again.
    Forked = 13 { name: "forked", http: 500, python: "ForkedError" },
    /// An operating-system I/O error.
    Io = 14 { name: "io", http: 500, python: "StoreIOError" },
    /// The handle (or batch) is closed.
    Closed = 15 { name: "closed", http: 500, python: "ClosedError" },
    /// A bug in trailstore: a panic caught at a boundary, or a broken internal invariant.
    Internal = 16 { name: "internal", http: 500, python: "InternalError" },
    /// A write is already in progress on this handle from the same thread (nested batch).
    Busy = 17 { name: "busy", http: 409, python: "BusyError" },
    /// A TestRail server refused a request or could not be reached (pull, push).
    Remote = 18 { name: "remote", http: 502, python: "RemoteError" }, // Last added of 10-99.
}

/// Everything that can go wrong in trailstore.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A field failed validation. `field` is TestRail's name for it (`title`, `custom_steps`).
    Validation { field: String, message: String },
    /// An id names no entity of the kind the field expects.
    NotFound { field: String, message: String },
    /// The request is not allowed on this store.
    Forbidden { message: String },
    /// The route names no API method.
    UnknownMethod { method: String },
    /// The request is malformed.
    BadRequest { message: String },
    /// A file is larger than TestRail accepts.
    TooLarge { message: String },
    /// Another process holds the store open.
    InUse { path: String },
    /// The store's files are damaged.
    Damaged { detail: String },
    /// The store (or a record in it) has a format this build cannot read.
    Unsupported { found: u32, supported: u32 },
    /// The handle was used in a process forked after it was opened.
    Forked,
    /// An I/O error from the operating system.
    Io(std::io::Error),
    /// The handle or batch was closed.
    Closed,
    /// A nested write batch on one handle.
    Busy { message: String },
    /// A bug: a caught panic or a broken invariant.
    Internal { detail: String },
    /// A TestRail server answered with an error (`status`) or could not be reached (`None`).
    /// The message never contains credentials.
    Remote {
        status: Option<u16>,
        message: String,
    },
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Validation { .. } => ErrorCode::Validation,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::Forbidden { .. } => ErrorCode::Forbidden,
            Error::UnknownMethod { .. } => ErrorCode::UnknownMethod,
            Error::BadRequest { .. } => ErrorCode::BadRequest,
            Error::TooLarge { .. } => ErrorCode::TooLarge,
            Error::InUse { .. } => ErrorCode::InUse,
            Error::Damaged { .. } => ErrorCode::Damaged,
            Error::Unsupported { .. } => ErrorCode::Unsupported,
            Error::Forked => ErrorCode::Forked,
            Error::Io(_) => ErrorCode::Io,
            Error::Closed => ErrorCode::Closed,
            Error::Busy { .. } => ErrorCode::Busy,
            Error::Internal { .. } => ErrorCode::Internal,
            Error::Remote { .. } => ErrorCode::Remote,
        }
    }

    /// The HTTP status TestRail would answer with.
    pub fn http_status(&self) -> u16 {
        self.code().http_status()
    }

    /// The offending field, for validation and not-found errors.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Validation { field, .. } | Error::NotFound { field, .. } => Some(field),
            _ => None,
        }
    }

    /// `{"error": "..."}`, the body TestRail sends with every failure.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.to_string() })
    }

    pub(crate) fn validation(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn not_found(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::NotFound {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Error {
        Error::BadRequest {
            message: message.into(),
        }
    }

    pub(crate) fn internal(detail: impl Into<String>) -> Error {
        Error::Internal {
            detail: detail.into(),
        }
    }

    pub(crate) fn damaged(detail: impl Into<String>) -> Error {
        Error::Damaged {
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Validation { message, .. }
            | Error::NotFound { message, .. }
            | Error::Forbidden { message }
            | Error::BadRequest { message }
            | Error::TooLarge { message }
            | Error::Busy { message } => f.write_str(message),
            Error::UnknownMethod { method } => write!(f, "Unknown method '{method}'"),
            Error::InUse { path } => write!(
                f,
                "The store at {path} is in use by another process. Close it there, or wait for that process to finish."
            ),
            Error::Damaged { detail } => write!(
                f,
                "The store is damaged ({detail}). Restore it from a backup, or pull a fresh copy."
            ),
            Error::Unsupported { found, supported } => write!(
                f,
                "The store has format version {found}, but this trailstore reads format version {supported} and older. Upgrade trailstore to open it."
            ),
            Error::Forked => f.write_str(
                "This store handle was opened before fork() and cannot be used in the child; open the store in the child once the parent has closed it.",
            ),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Closed => f.write_str("The store is closed."),
            Error::Internal { detail } => write!(f, "Internal error in trailstore: {detail}"),
            Error::Remote {
                status: Some(s),
                message,
            } => write!(f, "The TestRail server answered {s}: {message}"),
            Error::Remote {
                status: None,
                message,
            } => write!(f, "The TestRail server could not be reached: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<redb::StorageError> for Error {
    fn from(e: redb::StorageError) -> Self {
        match e {
            redb::StorageError::Corrupted(detail) => Error::Damaged { detail },
            redb::StorageError::Io(io) => Error::Io(io),
            redb::StorageError::DatabaseClosed => Error::Closed,
            other => Error::internal(format!("storage: {other}")),
        }
    }
}

impl From<redb::TableError> for Error {
    fn from(e: redb::TableError) -> Self {
        match e {
            redb::TableError::Storage(s) => s.into(),
            other => Error::damaged(format!("table: {other}")),
        }
    }
}

impl From<redb::TransactionError> for Error {
    fn from(e: redb::TransactionError) -> Self {
        match e {
            redb::TransactionError::Storage(s) => s.into(),
            other => Error::internal(format!("transaction: {other}")),
        }
    }
}

impl From<redb::CommitError> for Error {
    fn from(e: redb::CommitError) -> Self {
        match e {
            redb::CommitError::Storage(s) => s.into(),
            other => Error::internal(format!("commit: {other}")),
        }
    }
}

/// The result type of trailstore.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_pinned() {
        // Every front reports these numbers and names: a change here breaks their users.
        let table: Vec<String> = ErrorCode::ALL
            .iter()
            .map(|c| {
                let (n, name, http, class) =
                    (c.as_u32(), c.name(), c.http_status(), c.python_class());
                format!("{n} {name} {http} {class}")
            })
            .collect();
        assert_eq!(
            table,
            [
                "1 validation 400 ValidationError",
                "2 not_found 400 NotFoundError",
                "3 forbidden 403 ForbiddenError",
                "4 unknown_method 404 UnknownMethodError",
                "5 bad_request 400 BadRequestError",
                "6 too_large 413 TooLargeError",
                "10 in_use 500 StoreInUseError",
                "11 damaged 500 DamagedStoreError",
                "12 unsupported 500 UnsupportedFormatError",
                "13 forked 500 ForkedError",
                "14 io 500 StoreIOError",
                "15 closed 500 ClosedError",
                "16 internal 500 InternalError",
                "17 busy 409 BusyError",
                "18 remote 502 RemoteError",
            ]
        );
        for n in 0..200 {
            let code = ErrorCode::from_u32(n);
            assert_eq!(code.map(ErrorCode::as_u32), code.is_some().then_some(n));
            assert_eq!(
                code.is_some(),
                ErrorCode::ALL.iter().any(|c| c.as_u32() == n)
            );
        }
        assert!(ErrorCode::ALL
            .windows(2)
            .all(|w| w[0].as_u32() < w[1].as_u32()));
        assert_eq!(
            ErrorCode::NotFound.doc(),
            "An id in the route or the body names nothing (TestRail answers 400, not 404); the \
             error names the field."
        );
        for code in ErrorCode::ALL {
            assert!(
                code.doc().ends_with('.') && !code.doc().contains("  "),
                "{code:?}"
            );
        }
    }
}

//! The one error type of trailstore.
//!
//! Every front (Rust, CLI, C, Python, HTTP) reports failures through [`Error`]. Each variant has a
//! stable numeric [`ErrorCode`] that the C and Python bindings expose unchanged, and an HTTP status
//! that matches what TestRail answers for the same mistake. Messages for invalid input use
//! TestRail's own wording (`Field :title is a required field.`); the wording lives in
//! [`crate::messages`] so that it is written once.

use std::fmt;

/// Stable error codes shared by every front. Numbers are never reused or renumbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A field of the request failed TestRail's validation (HTTP 400).
    Validation = 1,
    /// An id in the route or the body names nothing (TestRail answers 400, not 404).
    NotFound = 2,
    /// The request is not allowed (HTTP 403).
    Forbidden = 3,
    /// The route names no API method (HTTP 404).
    UnknownMethod = 4,
    /// The request itself is malformed: bad JSON, wrong HTTP method, bad query string (HTTP 400).
    BadRequest = 5,
    /// Another process has the store open.
    InUse = 10,
    /// The store's files are damaged.
    Damaged = 11,
    /// The store was written by a newer trailstore.
    Unsupported = 12,
    /// The handle was inherited across `fork()`; the child must open the store again.
    Forked = 13,
    /// An operating-system I/O error.
    Io = 14,
    /// The handle (or batch) is closed.
    Closed = 15,
    /// A bug in trailstore: a panic caught at a boundary, or a broken internal invariant.
    Internal = 16,
    /// A write is already in progress on this handle from the same thread (nested batch).
    Busy = 17,
    /// A TestRail server refused a request or could not be reached (pull, push).
    Remote = 18,
}

impl ErrorCode {
    /// Every code, so fronts can check they map each one.
    pub const ALL: &'static [ErrorCode] = &[
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

    /// The code with this number, if there is one.
    pub fn from_u32(n: u32) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_u32() == n)
    }

    /// The number shared by the C and Python fronts.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// The HTTP status TestRail uses for this kind of failure.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Validation | ErrorCode::NotFound | ErrorCode::BadRequest => 400,
            ErrorCode::Forbidden => 403,
            ErrorCode::UnknownMethod => 404,
            ErrorCode::Busy => 409,
            ErrorCode::Remote => 502,
            _ => 500,
        }
    }

    /// A short lowercase name, used by the CLI's JSON output and the bindings.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::Validation => "validation",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::UnknownMethod => "unknown_method",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InUse => "in_use",
            ErrorCode::Damaged => "damaged",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::Forked => "forked",
            ErrorCode::Io => "io",
            ErrorCode::Closed => "closed",
            ErrorCode::Internal => "internal",
            ErrorCode::Busy => "busy",
            ErrorCode::Remote => "remote",
        }
    }
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

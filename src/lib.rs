//! trailstore: an embedded, offline store for TestRail test-case data.
//!
//! It keeps TestRail's projects, suites, sections, cases and case fields in a redb file, applies
//! TestRail's rules to every change, and records each change in a journal in the same
//! transaction. Every front talks to it through one dispatcher that takes TestRail API v2 routes
//! and answers with TestRail's JSON.
//!
//! ```
//! use serde_json::json;
//! # fn main() -> Result<(), trailstore::Error> {
//! # let dir = tempfile::tempdir().unwrap();
//! let store = trailstore::Store::open(dir.path().join("store"))?;
//! store.import_snapshot(&json!({
//!     "projects": [{"id": 1, "name": "Web Shop", "suite_mode": 1}],
//!     "suites": [{"id": 1, "name": "Master", "project_id": 1, "is_master": true}],
//!     "sections": [{"id": 1, "suite_id": 1, "name": "Checkout"}],
//!     "case_types": [{"id": 7, "name": "Other", "is_default": true}],
//!     "priorities": [{"id": 2, "name": "Medium", "is_default": true}],
//!     "templates": [{"id": 1, "name": "Test Case (Text)", "is_default": true}],
//! }))?;
//!
//! // The same route and body TestRail's HTTP API takes.
//! let case = store.call("add_case/1", Some(&json!({"title": "Pay with a saved card"})))?;
//! let id = case.as_value().unwrap()["id"].as_u64().unwrap();
//! assert!(trailstore::is_local_id(id));
//!
//! let page = store.call("get_cases/1&filter=saved", None)?.into_value();
//! assert_eq!(page["size"], 1);
//!
//! // TestRail's own wording for a bad request, and nothing is written.
//! let err = store.call("add_case/1", Some(&json!({}))).unwrap_err();
//! assert_eq!(err.to_string(), "Field :title is a required field.");
//!
//! // The change is in the journal, with its values.
//! let journal = store.call("x_get_journal", None)?.into_value();
//! assert_eq!(journal["journal"][0]["route"], "add_case/1");
//! # Ok(()) }
//! ```

mod api;
mod blobs;
mod bundle;
mod bundle_runs;
mod cascade;
mod clock;
mod codec;
mod conflicts;
mod defaults;
mod error;
mod failpoint;
// The fuzz targets' bodies, for fuzz/ and tests/fuzz_corpus.rs: not part of the API or of a product.
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod fuzzing;
mod journal;
mod messages;
mod model;
mod record;
mod recording;
mod remote;
mod runs;
mod search;
mod snapshot;
mod store;
mod tables;
mod tree;
mod tx;
mod upload;
mod validate;

// The README's Rust example runs as a doctest, so the README cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

/// The version of trailstore (the crate's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use api::{parse_body, Answer, Method, Request, Response, PAGE_MAX};
pub use blobs::{ATTACHMENTS_DIR, ATTACHMENT_MAX};
pub use bundle::{BundleReport, BUNDLE_VERSION};

pub use defaults::LocalUser;
pub use error::{Error, ErrorCode, Result};
pub use journal::{Action, Change, Effect, JournalEntry, PushState};
pub use model::{
    is_local_id, AsJson, AttachedTo, Attachment, Case, CaseField, CaseJson, CaseOf, CaseType,
    CaseView, Config, ConfigGroup, Conflict, FieldConfig, FieldType, Json, JsonOf, JsonView, Kind,
    Milestone, Plan, PlanEntry, Priority, Project, ResultField, Run, Section, Status, StatusCounts,
    Step, Suite, SuiteMode, Template, Test, TestCase, TestResult, User, ID_MAX, LOCAL_ID_MIN,
    SYSTEM_FIELDS,
};
pub use record::CaseResult;
pub use recording::{
    CaseMatcher, Detail, Outcome, ProjectRef, RecordProgress, RecordReport, RecordedTest,
    Recording, RunInfo, StatusMap, StepResult, SuiteRef, Target,
};
pub use remote::{
    config_option, pull, push, scrub, Client, ClosedRun, PullOptions, PullProgress, PullReport,
    PushOptions, PushProgress, PushReport, Remote, RetryPolicy, Sent, ENV_KEY, ENV_URL, ENV_USER,
};
pub use search::{IndexAction, SearchHit, SearchRequest, SearchResults, SCHEMA_VERSION};
pub use snapshot::{ImportReport, SNAPSHOT_FORMAT, SNAPSHOT_VERSION};
pub use store::{Batch, OpenOptions, ReferenceData, Store, DATA_FILE, FORMAT_VERSION, INDEX_DIR};
pub use upload::{AttachmentFile, FileReader, Upload};

impl Store {
    /// Imports a TestRail snapshot as server base state, in one transaction (see
    /// [`ImportReport`] and the `snapshot` format in the README).
    pub fn import_snapshot(&self, snapshot: &serde_json::Value) -> Result<ImportReport> {
        let mut batch = self.batch()?;
        let report = batch.import_snapshot(snapshot)?;
        batch.commit()?;
        Ok(report)
    }

    /// Imports a snapshot file (see [`Store::import_snapshot`]).
    pub fn import_snapshot_file(&self, path: impl AsRef<std::path::Path>) -> Result<ImportReport> {
        self.import_snapshot(&read_snapshot_file(path.as_ref())?)
    }
}

impl Batch {
    /// Imports a snapshot file inside this batch (see [`Batch::import_snapshot`]).
    pub fn import_snapshot_file(
        &mut self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<ImportReport> {
        self.import_snapshot(&read_snapshot_file(path.as_ref())?)
    }
}

/// Reads and parses a snapshot file: an I/O error, or a bad request naming the file.
fn read_snapshot_file(path: &std::path::Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)?;
    serde_json::from_str(&text).map_err(|e| Error::BadRequest {
        message: format!("{} is not valid JSON: {e}", path.display()),
    })
}

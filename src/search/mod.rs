//! Full-text search over cases, always consistent with the store.
//!
//! redb is the truth; the tantivy index in `<store>/index` is derived from it and can always be
//! rebuilt. How they stay consistent:
//!
//! - **Writes.** After a write transaction commits, the cases it changed are re-read and their
//!   documents replaced (delete by id, then add) in one long-lived `IndexWriter`, without a
//!   tantivy commit. The index lock is taken *before* the redb commit, so concurrent writers reach
//!   the index in commit order.
//! - **Read-your-writes.** A search first commits the index if it is behind (one commit covers
//!   every write since the last), then reloads the reader. Writes never pay for a commit; the
//!   index also commits every [`COMMIT_EVERY`](index::COMMIT_EVERY) documents and when the store
//!   closes.
//! - **Bulk imports.** A snapshot import of [`STAGE_MIN`] cases or more hands each case's
//!   document to the writer as it writes the case, from the parsed record, so tantivy's indexing
//!   threads work while redb writes; nothing is re-read. Those documents are *staged*: the index
//!   commits nothing while they are (a search in the meantime reads the last commit, which is
//!   what its redb snapshot shows too). When the data commits they become ordinary applied
//!   changes; when it does not (rollback, error, a failed commit) the writer rolls back to the
//!   last index commit, which staging made sure reflected everything applied before it began.
//!   When the staged documents are all a batch changed, the indexing threads write their
//!   segments while redb commits (tantivy's `prepare_commit`), and the index commits them once
//!   the data has; still never before it.
//! - **Crashes.** Each commit records in its payload the data version it reflects. Opening the
//!   store compares that with redb's data version and re-indexes the cases changed since (the
//!   `case_changes` table); an index that is missing, damaged, of another schema version, or
//!   ahead of the data is rebuilt from redb, and the store reports what it did.
//!
//! The files: `index` (all of the above: opening, the writer, applying, staging, commits,
//! rebuilds, catching up), `doc` (what of a case is indexed), `exec` (running a search),
//! `query` (the query language), `schema` (the index's fields) and `tokenizer` (how their text
//! becomes terms).

mod doc;
mod exec;
mod index;
mod query;
mod schema;
mod tokenizer;

use std::collections::BTreeMap;

pub use index::STAGE_MIN;
pub(crate) use index::{ApplyGuard, SearchIndex};
pub use schema::SCHEMA_VERSION;

use crate::model::CaseView;
use crate::tx::CaseRecord;

/// The largest page of search results.
pub const SEARCH_LIMIT_MAX: usize = 250;

/// What opening (or reindexing) did to the search index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexAction {
    /// The index reflected the data already.
    UpToDate,
    /// The index was behind (a crash between the data commit and the index commit) and the
    /// cases changed since were re-indexed.
    CaughtUp { cases: u64 },
    /// The index was rebuilt from the data, for the reason given.
    Rebuilt { reason: String, cases: u64 },
}

impl std::fmt::Display for IndexAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexAction::UpToDate => f.write_str("search index up to date"),
            IndexAction::CaughtUp { cases } => {
                write!(f, "search index caught up: {cases} cases re-indexed")
            }
            IndexAction::Rebuilt { reason, cases } => {
                write!(f, "search index rebuilt ({reason}): {cases} cases indexed")
            }
        }
    }
}

/// A search: a query string plus filters, all applied inside the index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchRequest {
    /// The project searched; `None` searches every project.
    pub project_id: Option<u64>,
    /// The query (see the query language in the README); empty matches every case.
    pub query: String,
    pub suite_id: Option<u64>,
    /// A section and all its subsections.
    pub section_id: Option<u64>,
    pub priority_id: Option<Vec<u64>>,
    pub type_id: Option<Vec<u64>>,
    pub template_id: Option<Vec<u64>>,
    pub milestone_id: Option<Vec<u64>>,
    pub created_by: Option<Vec<u64>>,
    pub updated_by: Option<Vec<u64>>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub updated_after: Option<i64>,
    pub updated_before: Option<i64>,
    /// Dropdown, Multi-select or Checkbox values: `("custom_component", [2, 3])` (checkbox 0/1).
    pub choices: Vec<(String, Vec<i64>)>,
    pub offset: usize,
    pub limit: usize,
    /// Also count every match.
    pub count: bool,
    /// Add highlighted snippets.
    pub highlight: bool,
}

/// One result.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// The case, read for showing: its text borrowed from its record (see [`SearchHit::case`]).
    record: CaseRecord,
    pub score: f32,
    /// Field name → HTML fragment with the matches in `<b>`.
    pub highlights: BTreeMap<String, String>,
}

impl SearchHit {
    /// The case that matched, as the snapshot searched holds it.
    pub fn case(&self) -> &CaseView<'_> {
        self.record.view()
    }
}

/// A page of results, best first.
#[derive(Debug, Clone)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Every match, when counting was asked for.
    pub total: Option<u64>,
    pub has_more: bool,
    pub offset: usize,
    pub limit: usize,
}

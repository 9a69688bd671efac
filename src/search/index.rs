//! The index lifecycle: opening (or recreating) it, the one writer, applying committed changes,
//! staging a bulk import's documents, commits with their data version, rebuilds and catching up
//! after a crash (see the module docs of `search`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::doc::DocBuilder;
use super::schema::{CaseSchema, SCHEMA_VERSION};
use super::IndexAction;
use crate::error::{Error, Result};
use crate::model::{Case, CaseField, CaseOf};
use crate::tx::Tx;

/// Documents applied without a commit before the index commits on its own.
pub const COMMIT_EVERY: usize = 20_000;

/// Cases a snapshot import must hold before it stages their documents during the import
/// instead of applying them after the commit.
pub const STAGE_MIN: usize = 1_000;

/// Indexing threads of the writer.
const INDEX_THREADS: usize = 2;

/// The writer's memory budget, shared by its threads. A segment is written out when its thread's
/// share fills, and segments are merged later: this budget is large enough for a big import to
/// write one segment per thread instead of several to merge (measures in docs/benchmarks.md).
/// The memory is taken as documents arrive, not up front.
const WRITER_BUDGET: usize = 256_000_000;

struct WriterState {
    /// Created on the first write or commit: most opens of a store never need it.
    writer: Option<IndexWriter>,
    /// The data version of the newest change handed to the writer.
    applied: u64,
    /// The data version of the last index commit.
    committed: u64,
    /// Documents added or deleted since the last commit.
    pending: usize,
    /// Set when applying a change failed: the index must be rebuilt before it is trusted.
    broken: Option<String>,
    /// Documents of a batch whose data has not committed are in the writer: nothing may commit.
    staged: bool,
    /// Commits made, and the commit the reader last loaded: a search reloads (under the lock)
    /// whenever they differ, so no search reads through a reader older than the last commit.
    commits: u64,
    loaded: u64,
}

impl WriterState {
    /// Records an index commit of everything applied.
    fn committed_all(&mut self) {
        self.committed = self.applied;
        self.pending = 0;
        self.commits += 1;
    }

    /// Drops the staged documents of a batch whose data did not commit, rolling the writer back
    /// to the last index commit. A failed rollback leaves the index to be rebuilt.
    fn drop_staged(&mut self) {
        self.staged = false;
        self.pending = 0;
        let rolled_back = match self.writer.as_mut() {
            Some(w) => w.rollback().map(|_| ()).map_err(tantivy_err),
            None => Ok(()),
        };
        if let Err(e) = rolled_back {
            self.broken = Some(format!("rolling back staged documents failed: {e}"));
        }
    }
}

pub(crate) struct SearchIndex {
    pub(super) schema: CaseSchema,
    pub(super) index: Index,
    /// Opened on the first search: opening it touches every segment file.
    reader: std::sync::OnceLock<IndexReader>,
    state: Mutex<WriterState>,
}

impl Drop for SearchIndex {
    /// Closing the store commits what was applied, so the next open has nothing to catch up,
    /// and waits for the writer's merges: a merge that ended after the close would write the
    /// index's meta and collect its files behind the back of whoever opened the store next.
    fn drop(&mut self) {
        let _ = self.commit();
        let writer = self.lock().writer.take();
        if let Some(writer) = writer {
            let _ = writer.wait_merging_threads();
        }
    }
}

/// The payload of an index commit.
fn payload(version: u64) -> String {
    json!({"schema": SCHEMA_VERSION, "data_version": version}).to_string()
}

/// The data version the index's last commit recorded in its payload (0 for none).
fn committed_data_version(index: &Index) -> u64 {
    index
        .load_metas()
        .ok()
        .and_then(|m| m.payload)
        .and_then(|p| serde_json::from_str::<Value>(&p).ok())
        .and_then(|p| p["data_version"].as_u64())
        .unwrap_or(0)
}

pub(super) fn tantivy_err(e: tantivy::TantivyError) -> Error {
    Error::internal(format!("search index: {e}"))
}

/// A guard that holds the index while a write transaction commits (see the module docs).
pub(crate) struct ApplyGuard<'a> {
    state: MutexGuard<'a, WriterState>,
}

impl ApplyGuard<'_> {
    /// Marks the index broken, to be rebuilt from the data before the next search: for a commit
    /// whose data is durable but whose documents could not be applied.
    pub fn mark_broken(&mut self, reason: String) {
        self.state.staged = false;
        self.state.broken = Some(reason);
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, or creates an empty one there. Returns the index and, when it
    /// could not be used as it was, why it must be rebuilt.
    pub fn open(dir: &Path) -> Result<(SearchIndex, Option<String>)> {
        let schema = CaseSchema::new();
        let (index, reason) = if dir.join("meta.json").exists() {
            Self::open_existing(dir, &schema)?
        } else {
            let (index, reason) = Self::create_empty(dir, &schema)?;
            (index, Some(reason))
        };
        super::tokenizer::register(&index);
        let committed = committed_data_version(&index);
        Ok((
            SearchIndex {
                schema,
                index,
                reader: std::sync::OnceLock::new(),
                state: Mutex::new(WriterState {
                    writer: None,
                    applied: committed,
                    committed,
                    pending: 0,
                    broken: None,
                    staged: false,
                    commits: 0,
                    loaded: 0,
                }),
            },
            reason,
        ))
    }

    /// Creates an empty index where there is none, and says why it must be filled.
    fn create_empty(dir: &Path, schema: &CaseSchema) -> Result<(Index, String)> {
        let reason = if dir.exists() {
            std::fs::remove_dir_all(dir)?;
            "the index folder holds no index"
        } else {
            "there was no index"
        };
        std::fs::create_dir_all(dir)?;
        let index = Index::create_in_dir(dir, schema.schema.clone()).map_err(tantivy_err)?;
        Ok((index, reason.to_string()))
    }

    /// Opens the index in `dir`, recreating it when it cannot be opened or has another schema;
    /// the reason is set whenever it must be rebuilt.
    fn open_existing(dir: &Path, schema: &CaseSchema) -> Result<(Index, Option<String>)> {
        let opened = std::panic::catch_unwind(|| Index::open_in_dir(dir));
        Ok(match opened {
            Ok(Ok(index)) if index.schema() == schema.schema => match index.load_metas() {
                Ok(m) => {
                    let current = m
                        .payload
                        .as_deref()
                        .and_then(|p| serde_json::from_str::<Value>(p).ok())
                        .and_then(|p| p["schema"].as_u64());
                    let reason = (current != Some(SCHEMA_VERSION) && m.payload.is_some())
                        .then(|| "the index has an older schema".to_string());
                    (index, reason)
                }
                Err(e) => (index, Some(format!("the index is damaged: {e}"))),
            },
            Ok(Ok(_)) => (
                Self::recreate(dir, schema)?,
                Some("the index has an older schema".into()),
            ),
            Ok(Err(e)) => (
                Self::recreate(dir, schema)?,
                Some(format!("the index is damaged: {e}")),
            ),
            Err(_) => (
                Self::recreate(dir, schema)?,
                Some("the index is damaged".into()),
            ),
        })
    }

    fn recreate(dir: &Path, schema: &CaseSchema) -> Result<Index> {
        std::fs::remove_dir_all(dir)?;
        std::fs::create_dir_all(dir)?;
        Index::create_in_dir(dir, schema.schema.clone()).map_err(tantivy_err)
    }

    /// The index writer, created on first use.
    fn writer<'s>(&self, state: &'s mut WriterState) -> Result<&'s mut IndexWriter> {
        if state.writer.is_none() {
            let writer = self
                .index
                .writer_with_num_threads(INDEX_THREADS, WRITER_BUDGET)
                .map_err(tantivy_err)?;
            // A crash during a commit leaves files no commit refers to; a later commit may
            // want their names. Remove them before writing anything.
            let _ = writer.garbage_collect_files().wait();
            state.writer = Some(writer);
        }
        state
            .writer
            .as_mut()
            .ok_or_else(|| Error::internal("search index writer"))
    }

    /// The index reader, opened on first use.
    pub(super) fn reader(&self) -> Result<&IndexReader> {
        if let Some(r) = self.reader.get() {
            return Ok(r);
        }
        let r: IndexReader = self
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(tantivy_err)?;
        Ok(self.reader.get_or_init(|| r))
    }

    fn lock(&self) -> MutexGuard<'_, WriterState> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The data version of the last index commit.
    pub fn committed_version(&self) -> u64 {
        self.lock().committed
    }

    /// Takes the index before a write transaction commits.
    pub fn begin_apply(&self) -> ApplyGuard<'_> {
        ApplyGuard { state: self.lock() }
    }

    /// Replaces the documents of the given cases with what `tx` holds (deleting those it does
    /// not), and records that the index now reflects `version`. Failure marks the index broken
    /// (rebuilt before the next search) instead of failing the write that already committed.
    pub fn apply(
        &self,
        guard: &mut ApplyGuard<'_>,
        tx: &Tx<'_>,
        fields: &[CaseField],
        case_ids: &[u64],
        version: u64,
    ) {
        let state = &mut *guard.state;
        // Staged documents are this commit's: they are ordinary applied changes from now on.
        state.staged = false;
        if let Err(e) = self.apply_inner(state, tx, fields, case_ids, version) {
            state.broken = Some(e.to_string());
        }
    }

    fn apply_inner(
        &self,
        state: &mut WriterState,
        tx: &Tx<'_>,
        fields: &[CaseField],
        case_ids: &[u64],
        version: u64,
    ) -> Result<()> {
        self.replace_docs(state, tx, fields, case_ids)?;
        state.applied = state.applied.max(version);
        if state.pending >= COMMIT_EVERY {
            self.commit_locked(state)?;
        }
        Ok(())
    }

    /// Replaces the documents of the given cases with what `tx` holds (deleting those it does
    /// not hold), without committing.
    fn replace_docs(
        &self,
        state: &mut WriterState,
        tx: &Tx<'_>,
        fields: &[CaseField],
        case_ids: &[u64],
    ) -> Result<()> {
        let mut docs = DocBuilder::new(&self.schema, fields);
        for id in case_ids {
            let doc = match tx.get::<Case>(*id)? {
                Some(case) => Some(docs.build(tx, &case)?),
                None => None,
            };
            self.put_doc(state, *id, doc, true)?;
        }
        Ok(())
    }

    /// Hands one case's change to the writer: deletes its document (unless `replace` says there
    /// can be none) and adds `doc`, if the case still exists.
    fn put_doc(
        &self,
        state: &mut WriterState,
        id: u64,
        doc: Option<TantivyDocument>,
        replace: bool,
    ) -> Result<()> {
        let writer = self.writer(state)?;
        if replace {
            writer.delete_term(Term::from_field_u64(self.schema.id, id));
        }
        if let Some(doc) = doc {
            writer.add_document(doc).map_err(tantivy_err)?;
        }
        state.pending += 1;
        Ok(())
    }

    /// Starts staging a bulk import's documents (see the module docs), inside the batch that
    /// writes them. `None` when the index cannot stage now (it must be rebuilt anyway); the
    /// import then leaves indexing to the commit, as any write does.
    pub fn begin_stage<'a>(&'a self, fields: &'a [CaseField]) -> Result<Option<Stager<'a>>> {
        let mut state = self.lock();
        if state.broken.is_some() || state.staged {
            return Ok(None);
        }
        if state.applied != state.committed || state.pending > 0 {
            // The rollback of a failed import must not take earlier writes with it.
            self.commit_locked(&mut state)?;
        }
        state.staged = true;
        Ok(Some(Stager {
            index: self,
            docs: DocBuilder::new(&self.schema, fields),
            staged: 0,
        }))
    }

    /// Drops the staged documents of a batch whose data did not commit, if any (see
    /// `WriterState::drop_staged`).
    pub fn unstage(&self) {
        let mut state = self.lock();
        if state.staged {
            state.drop_staged();
        }
    }

    fn commit_locked(&self, state: &mut WriterState) -> Result<()> {
        crate::failpoint::hit("before-index-commit");
        let applied = state.applied;
        let mut prepared = self.writer(state)?.prepare_commit().map_err(tantivy_err)?;
        prepared.set_payload(&payload(applied));
        prepared.commit().map_err(tantivy_err)?;
        state.committed_all();
        Ok(())
    }

    /// Commits a batch whose only changes are the documents its bulk import staged: the writer's
    /// threads write their segments while `commit_data` commits the data on this thread, and the
    /// index commits them, as of data version `version`, once the data has. Segments written
    /// for a commit that never happens are named by no index commit and are collected when the
    /// next writer starts. When the data does not commit, the staged documents are dropped and
    /// its error returned; when the index fails after the data committed, it is marked broken.
    pub fn commit_staged(
        &self,
        guard: &mut ApplyGuard<'_>,
        version: u64,
        commit_data: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        let state = &mut *guard.state;
        let writer = match state.writer.as_mut() {
            Some(w) if state.staged && state.broken.is_none() => w,
            // Nothing staged after all: the data commits alone, and applying follows as usual.
            _ => return commit_data(),
        };
        let (prepared, data) = std::thread::scope(|s| {
            let flush = s.spawn(|| writer.prepare_commit());
            let data = commit_data();
            (flush.join(), data)
        });
        let prepared = match prepared {
            Ok(p) => p.map_err(tantivy_err),
            Err(_) => Err(Error::internal("search index: writing segments panicked")),
        };
        if let Err(e) = data {
            // The data did not commit, so neither may its documents.
            drop(prepared);
            state.drop_staged();
            return Err(e);
        }
        state.staged = false;
        let committed = prepared.and_then(|mut p| {
            crate::failpoint::hit("before-index-commit");
            p.set_payload(&payload(version));
            p.commit().map_err(tantivy_err)
        });
        match committed {
            Ok(_) => {
                state.applied = state.applied.max(version);
                state.committed_all();
            }
            Err(e) => state.broken = Some(format!("committing a bulk import failed: {e}")),
        }
        Ok(())
    }

    /// Commits what was applied, if anything; returns whether it committed.
    pub fn commit(&self) -> Result<bool> {
        let mut state = self.lock();
        if state.staged || (state.applied == state.committed && state.pending == 0) {
            return Ok(false);
        }
        self.commit_locked(&mut state)?;
        Ok(true)
    }

    /// Rebuilds the whole index from `tx`, which reflects data version `version`.
    pub fn rebuild(&self, tx: &Tx<'_>, fields: &[CaseField], version: u64) -> Result<u64> {
        let mut state = self.lock();
        if state.staged {
            // A rebuild commits: it would publish documents whose data has not committed.
            return Err(Error::Busy {
                message: "A bulk import is being indexed in an open batch; rebuild the search index after it commits or rolls back.".into(),
            });
        }
        self.rebuild_locked(&mut state, tx, fields, version)
    }

    fn rebuild_locked(
        &self,
        state: &mut WriterState,
        tx: &Tx<'_>,
        fields: &[CaseField],
        version: u64,
    ) -> Result<u64> {
        self.writer(state)?
            .delete_all_documents()
            .map_err(tantivy_err)?;
        let mut docs = DocBuilder::new(&self.schema, fields);
        docs.preload_sections(tx)?;
        let mut n = 0u64;
        let all = tx.all::<Case>()?;
        let half = all.len() / 2;
        for case in all {
            if n as usize == half && half > 0 {
                crate::failpoint::hit("during-rebuild");
            }
            let doc = docs.build(tx, &case)?;
            self.writer(state)?.add_document(doc).map_err(tantivy_err)?;
            n += 1;
        }
        state.applied = version;
        state.pending = n as usize;
        state.broken = None;
        self.commit_locked(state)?;
        self.reader()?.reload().map_err(tantivy_err)?;
        Ok(n)
    }

    /// Brings the index to data version `version` after an open: re-indexes `changed` (the cases
    /// changed since the index's version), or rebuilds when `rebuild` gives a reason.
    pub fn catch_up(
        &self,
        tx: &Tx<'_>,
        fields: &[CaseField],
        version: u64,
        changed: Option<Vec<u64>>,
        rebuild: Option<String>,
    ) -> Result<IndexAction> {
        let mut state = self.lock();
        if let Some(reason) = rebuild {
            let cases = self.rebuild_locked(&mut state, tx, fields, version)?;
            return Ok(IndexAction::Rebuilt { reason, cases });
        }
        match changed {
            Some(ids) if state.committed < version => {
                let (first, rest) = ids.split_at(ids.len() / 2);
                self.replace_docs(&mut state, tx, fields, first)?;
                crate::failpoint::hit("during-catch-up");
                self.apply_inner(&mut state, tx, fields, rest, version)?;
                self.commit_locked(&mut state)?;
                self.reader()?.reload().map_err(tantivy_err)?;
                Ok(IndexAction::CaughtUp {
                    cases: ids.len() as u64,
                })
            }
            _ => Ok(IndexAction::UpToDate),
        }
    }

    /// Makes everything applied visible to searches, repairing a broken index first. The
    /// commit and the reader's reload both happen under the lock, so a search that follows a
    /// returned write on any thread sees it.
    pub(super) fn ready(&self, tx: &Tx<'_>, fields: &[CaseField], version: u64) -> Result<()> {
        let mut state = self.lock();
        if state.staged {
            // A bulk import is under way: everything applied before it is committed (staging
            // made sure), and what it staged is not data yet.
        } else if state.broken.is_some() {
            self.rebuild_locked(&mut state, tx, fields, version)?;
        } else if state.applied != state.committed || state.pending > 0 {
            self.commit_locked(&mut state)?;
        }
        if state.loaded != state.commits {
            self.reader()?.reload().map_err(tantivy_err)?;
            state.loaded = state.commits;
        }
        Ok(())
    }

    /// Number of segments of the committed index (kept low by merging).
    pub fn segment_count(&self) -> usize {
        self.reader()
            .map(|r| r.searcher().segment_readers().len())
            .unwrap_or(0)
    }
}

/// Hands a bulk import's documents to the writer while the import writes (see
/// [`SearchIndex::begin_stage`]). Its documents are built from the records as written, with the
/// custom fields of the importing transaction.
pub(crate) struct Stager<'a> {
    index: &'a SearchIndex,
    docs: DocBuilder<'a>,
    staged: usize,
}

impl Stager<'_> {
    /// Stages `case` as written in `tx`, replacing any document of the same id unless `fresh`
    /// says the store held no cases before the batch (each delete is a term lookup in every
    /// segment at the next commit).
    pub fn add<S: AsRef<str>>(&mut self, tx: &Tx<'_>, case: &CaseOf<S>, fresh: bool) -> Result<()> {
        let doc = self.docs.build(tx, case)?;
        let mut state = self.index.lock();
        self.index.put_doc(&mut state, case.id, Some(doc), !fresh)?;
        self.staged += 1;
        if self.staged == STAGE_MIN / 2 {
            crate::failpoint::hit("during-staged-import");
        }
        Ok(())
    }
}

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
//!   index also commits every [`COMMIT_EVERY`] documents and when the store closes.
//! - **Bulk imports.** A snapshot import of [`STAGE_MIN`] cases or more hands each case's
//!   document to the writer as it writes the case, from the parsed record, so tantivy's indexing
//!   threads work while redb writes; nothing is re-read. Those documents are *staged*: the index
//!   commits nothing while they are (a search in the meantime reads the last commit, which is
//!   what its redb snapshot shows too). When the data commits they become ordinary applied
//!   changes; when it does not (rollback, error, a failed commit) the writer rolls back to the
//!   last index commit, which staging made sure reflected everything applied before it began.
//! - **Crashes.** Each commit records in its payload the data version it reflects. Opening the
//!   store compares that with redb's data version and re-indexes the cases changed since (the
//!   `case_changes` table); an index that is missing, damaged, of another schema version, or
//!   ahead of the data is rebuilt from redb, and the store reports what it did.

mod query;
mod schema;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::snippet::SnippetGenerator;
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use schema::CaseSchema;
pub use schema::SCHEMA_VERSION;

use crate::error::{Error, Result};
use crate::model::{Case, CaseField, FieldType, Json, Section};
use crate::tx::Tx;

/// Documents applied without a commit before the index commits on its own.
pub const COMMIT_EVERY: usize = 20_000;

/// Cases a snapshot import must hold before it stages their documents during the import
/// instead of applying them after the commit.
pub const STAGE_MIN: usize = 1_000;

/// Indexing threads of the writer.
const INDEX_THREADS: usize = 2;

/// The writer's memory budget (shared by its threads). A segment is written out when its
/// thread's share fills, and the segments are merged later: at 96 MB a 100k-case import wrote
/// four segments and merged them, and took 25 % longer than at 256 MB, where it writes one per
/// thread. The memory is taken as documents arrive, not up front.
const WRITER_BUDGET: usize = 256_000_000;

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

pub(crate) struct SearchIndex {
    schema: CaseSchema,
    index: Index,
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

fn tantivy_err(e: tantivy::TantivyError) -> Error {
    Error::internal(format!("search index: {e}"))
}

/// A guard that holds the index while a write transaction commits (see the module docs).
pub(crate) struct ApplyGuard<'a> {
    state: MutexGuard<'a, WriterState>,
}

impl SearchIndex {
    /// Opens the index in `dir`, or creates an empty one there. Returns the index and, when it
    /// could not be used as it was, why it must be rebuilt.
    pub fn open(dir: &Path) -> Result<(SearchIndex, Option<String>)> {
        let schema = CaseSchema::new();
        let mut reason = None;
        let index = if !dir.join("meta.json").exists() {
            if dir.exists() {
                reason = Some("the index folder holds no index".to_string());
                std::fs::remove_dir_all(dir)?;
            } else {
                reason = Some("there was no index".to_string());
            }
            std::fs::create_dir_all(dir)?;
            Index::create_in_dir(dir, schema.schema.clone()).map_err(tantivy_err)?
        } else {
            let opened = std::panic::catch_unwind(|| Index::open_in_dir(dir));
            match opened {
                Ok(Ok(index)) if index.schema() == schema.schema => match index.load_metas() {
                    Ok(m) => {
                        let current = m
                            .payload
                            .as_deref()
                            .and_then(|p| serde_json::from_str::<Value>(p).ok())
                            .and_then(|p| p["schema"].as_u64());
                        if current != Some(SCHEMA_VERSION) && m.payload.is_some() {
                            reason = Some("the index has an older schema".into());
                        }
                        index
                    }
                    Err(e) => {
                        reason = Some(format!("the index is damaged: {e}"));
                        index
                    }
                },
                Ok(Ok(_)) => {
                    reason = Some("the index has an older schema".into());
                    Self::recreate(dir, &schema)?
                }
                Ok(Err(e)) => {
                    reason = Some(format!("the index is damaged: {e}"));
                    Self::recreate(dir, &schema)?
                }
                Err(_) => {
                    reason = Some("the index is damaged".into());
                    Self::recreate(dir, &schema)?
                }
            }
        };
        let committed = index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .and_then(|p| serde_json::from_str::<Value>(&p).ok())
            .and_then(|p| p["data_version"].as_u64())
            .unwrap_or(0);
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
    fn reader(&self) -> Result<&IndexReader> {
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

    /// Drops the staged documents of a batch whose data did not commit, rolling the writer back
    /// to the last index commit. A failed rollback leaves the index to be rebuilt.
    pub fn unstage(&self) {
        let mut state = self.lock();
        if !state.staged {
            return;
        }
        state.staged = false;
        state.pending = 0;
        let rolled_back = match state.writer.as_mut() {
            Some(w) => w.rollback().map(|_| ()).map_err(tantivy_err),
            None => Ok(()),
        };
        if let Err(e) = rolled_back {
            state.broken = Some(format!("rolling back staged documents failed: {e}"));
        }
    }

    fn commit_locked(&self, state: &mut WriterState) -> Result<()> {
        crate::failpoint::hit("before-index-commit");
        let applied = state.applied;
        let mut prepared = self.writer(state)?.prepare_commit().map_err(tantivy_err)?;
        prepared.set_payload(&payload(applied));
        prepared.commit().map_err(tantivy_err)?;
        state.committed = state.applied;
        state.pending = 0;
        state.commits += 1;
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
    fn ready(&self, tx: &Tx<'_>, fields: &[CaseField], version: u64) -> Result<()> {
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

    /// Runs a search. `tx` is the snapshot results are read from.
    pub fn search(
        &self,
        tx: &Tx<'_>,
        fields: &[CaseField],
        version: u64,
        req: &SearchRequest,
    ) -> Result<SearchResults> {
        self.ready(tx, fields, version)?;
        let parsed = query::parse(&req.query)?;
        let builder = query::Builder {
            schema: &self.schema,
            index: &self.index,
        };
        let text: Box<dyn Query> = match &parsed {
            Some(node) => builder.build(node)?,
            None => Box::new(AllQuery),
        };
        let filter = self.filters(req, fields)?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text.box_clone())];
        for f in filter {
            // Filters select; they must not change the ranking.
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(f, 0.0))));
        }
        let full = BooleanQuery::new(clauses);
        let searcher = self.reader()?.searcher();
        let limit = req.limit.clamp(1, SEARCH_LIMIT_MAX);
        let top = TopDocs::with_limit(limit + 1)
            .and_offset(req.offset)
            .order_by_score();
        let (hits, total) = if req.count {
            let (hits, total) = searcher.search(&full, &(top, Count)).map_err(tantivy_err)?;
            (hits, Some(total as u64))
        } else {
            (searcher.search(&full, &top).map_err(tantivy_err)?, None)
        };
        let has_more = hits.len() > limit;
        let mut generators = Vec::new();
        if req.highlight && parsed.is_some() {
            for (name, field) in [
                ("title", self.schema.title),
                ("text", self.schema.text),
                ("steps", self.schema.steps),
                ("refs", self.schema.refs),
            ] {
                if let Ok(mut g) = SnippetGenerator::create(&searcher, &*text, field) {
                    g.set_max_num_chars(160);
                    generators.push((name, g));
                }
            }
        }
        let mut out = Vec::with_capacity(limit);
        // Opening a column reads its block table: once per segment, not once per hit (that was
        // a fifth of a rare-word search).
        let mut id_columns: HashMap<u32, tantivy::columnar::Column<u64>> = HashMap::new();
        let mut ranked = Vec::with_capacity(limit);
        for (score, addr) in hits.into_iter().take(limit) {
            let ids = match id_columns.entry(addr.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    searcher
                        .segment_reader(addr.segment_ord)
                        .fast_fields()
                        .u64("id")
                        .map_err(tantivy_err)?,
                ),
            };
            if let Some(id) = ids.first(addr.doc_id) {
                ranked.push((score, id));
            }
        }
        let ids: Vec<u64> = ranked.iter().map(|(_, id)| *id).collect();
        let records = tx.get_many::<Case>(&ids)?;
        for ((score, _), case) in ranked.into_iter().zip(records) {
            // The snapshot may be older or newer than the index by a moment: trust the data.
            let Some(case) = case else {
                continue;
            };
            let mut highlights = BTreeMap::new();
            for (name, g) in &generators {
                let source = match *name {
                    "title" => case.title.clone(),
                    "refs" => case.refs.clone().unwrap_or_default(),
                    "text" => text_values(&case, fields).join("\n"),
                    _ => step_texts(&case, fields).join("\n"),
                };
                let snippet = g.snippet(&source);
                if !snippet.highlighted().is_empty() {
                    highlights.insert((*name).to_string(), snippet.to_html());
                }
            }
            out.push(SearchHit {
                case,
                score,
                highlights,
            });
        }
        Ok(SearchResults {
            hits: out,
            total,
            has_more,
            offset: req.offset,
            limit,
        })
    }

    fn filters(&self, req: &SearchRequest, fields: &[CaseField]) -> Result<Vec<Box<dyn Query>>> {
        let s = &self.schema;
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        // One id is a plain term query: a term set builds an automaton on every search.
        let set = |field: Field, ids: &[u64]| -> Box<dyn Query> {
            match ids {
                [one] => Box::new(TermQuery::new(
                    Term::from_field_u64(field, *one),
                    IndexRecordOption::Basic,
                )),
                _ => Box::new(TermSetQuery::new(
                    ids.iter().map(|id| Term::from_field_u64(field, *id)),
                )),
            }
        };
        out.push(set(s.project_id, &[req.project_id]));
        if let Some(v) = req.suite_id {
            out.push(set(s.suite_id, &[v]));
        }
        if let Some(v) = req.section_id {
            out.push(set(s.sections, &[v]));
        }
        for (field, ids) in [
            (s.priority_id, &req.priority_id),
            (s.type_id, &req.type_id),
            (s.template_id, &req.template_id),
            (s.milestone_id, &req.milestone_id),
            (s.created_by, &req.created_by),
            (s.updated_by, &req.updated_by),
        ] {
            if let Some(ids) = ids {
                out.push(set(field, ids));
            }
        }
        for (field, after, before) in [
            (s.created_on, req.created_after, req.created_before),
            (s.updated_on, req.updated_after, req.updated_before),
        ] {
            if after.is_some() || before.is_some() {
                use std::ops::Bound;
                let lo = after.map_or(Bound::Unbounded, |t| {
                    Bound::Excluded(Term::from_field_i64(field, t))
                });
                let hi = before.map_or(Bound::Unbounded, |t| {
                    Bound::Excluded(Term::from_field_i64(field, t))
                });
                out.push(Box::new(RangeQuery::new(lo, hi)));
            }
        }
        for (system_name, items) in &req.choices {
            let field = fields
                .iter()
                .find(|f| &f.system_name == system_name)
                .ok_or_else(|| {
                    Error::validation(
                        system_name.clone(),
                        format!("Field :{system_name} is not a valid case field."),
                    )
                })?;
            let terms: Vec<u64> = items.iter().map(|i| choice_key(field.id, *i)).collect();
            out.push(set(s.choices, &terms));
        }
        Ok(out)
    }
}

/// The `choices` term of a Dropdown, Multi-select or Checkbox value.
fn choice_key(field_id: u64, item: i64) -> u64 {
    (field_id << 32) | (item as u64 & 0xffff_ffff)
}

/// The String, Text and URL custom values of a case.
fn text_values(case: &Case, fields: &[CaseField]) -> Vec<String> {
    fields
        .iter()
        .filter(|f| {
            matches!(
                f.field_type(),
                FieldType::String | FieldType::Text | FieldType::Url
            )
        })
        .filter_map(|f| case.custom(&f.system_name).and_then(Json::as_str))
        .map(str::to_string)
        .collect()
}

/// The texts of every step of every Steps field.
fn step_texts(case: &Case, fields: &[CaseField]) -> Vec<String> {
    let mut out = Vec::new();
    for f in fields.iter().filter(|f| f.field_type() == FieldType::Steps) {
        for step in case.steps(&f.system_name) {
            for t in [step.content, step.expected, step.additional_info] {
                if !t.is_empty() {
                    out.push(t);
                }
            }
        }
    }
    out
}

/// Builds index documents, caching section ancestry.
struct DocBuilder<'a> {
    schema: &'a CaseSchema,
    fields: &'a [CaseField],
    parents: HashMap<u64, Option<u64>>,
}

impl<'a> DocBuilder<'a> {
    fn new(schema: &'a CaseSchema, fields: &'a [CaseField]) -> DocBuilder<'a> {
        DocBuilder {
            schema,
            fields,
            parents: HashMap::new(),
        }
    }

    fn preload_sections(&mut self, tx: &Tx<'_>) -> Result<()> {
        for s in tx.all::<Section>()? {
            self.parents.insert(s.id, s.parent_id);
        }
        Ok(())
    }

    fn parent(&mut self, tx: &Tx<'_>, id: u64) -> Result<Option<u64>> {
        if let Some(p) = self.parents.get(&id) {
            return Ok(*p);
        }
        let p = tx.get::<Section>(id)?.and_then(|s| s.parent_id);
        self.parents.insert(id, p);
        Ok(p)
    }

    fn build(&mut self, tx: &Tx<'_>, case: &Case) -> Result<TantivyDocument> {
        let s = self.schema;
        let mut d = doc!(
            s.id => case.id,
            s.project_id => case.project_id,
            s.suite_id => case.suite_id,
            s.section_id => case.section_id,
            s.priority_id => case.priority_id,
            s.type_id => case.type_id,
            s.template_id => case.template_id,
            s.milestone_id => case.milestone_id.unwrap_or(0),
            s.created_by => case.created_by,
            s.updated_by => case.updated_by,
            s.created_on => case.created_on,
            s.updated_on => case.updated_on,
            s.title => case.title.as_str(),
        );
        // The section and its ancestors (bounded, in case of a cycle in damaged data).
        let mut section = Some(case.section_id);
        let mut hops = 0;
        while let Some(id) = section {
            d.add_u64(s.sections, id);
            hops += 1;
            if hops > 256 {
                break;
            }
            section = self.parent(tx, id)?;
        }
        if let Some(r) = &case.refs {
            d.add_text(s.refs, r);
        }
        for t in text_values(case, self.fields) {
            d.add_text(s.text, &t);
        }
        for t in step_texts(case, self.fields) {
            d.add_text(s.steps, &t);
        }
        for f in self.fields {
            let Some(v) = case.custom(&f.system_name) else {
                continue;
            };
            let items: Vec<i64> = match (f.field_type(), v) {
                (FieldType::Dropdown, Json::Int(i)) => vec![*i],
                (FieldType::MultiSelect, Json::List(l)) => {
                    l.iter().filter_map(Json::as_i64).collect()
                }
                (FieldType::Checkbox, Json::Bool(b)) => vec![i64::from(*b)],
                _ => continue,
            };
            let config = f.config_for(case.project_id).flatten();
            let labels = config.map(|c| c.items()).unwrap_or_default();
            for item in items {
                d.add_u64(s.choices, choice_key(f.id, item));
                if let Some((_, label)) = labels.iter().find(|(i, _)| *i == item) {
                    d.add_text(s.options, label);
                }
            }
        }
        Ok(d)
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
    /// segment at the next commit: a tenth of a fresh import's indexing time).
    pub fn add(&mut self, tx: &Tx<'_>, case: &Case, fresh: bool) -> Result<()> {
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

/// A search: a query string plus filters, all applied inside the index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchRequest {
    pub project_id: u64,
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
    pub case: Case,
    pub score: f32,
    /// Field name → HTML fragment with the matches in `<b>`.
    pub highlights: BTreeMap<String, String>,
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

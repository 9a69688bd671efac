//! The store: a folder holding the redb file and the search index derived from it.
//!
//! One [`Store`] handle is `Send + Sync` and is meant to be shared between threads. Reads run in
//! their own redb read transaction and never wait for the writer. Writes run in a redb write
//! transaction that also appends to the journal, so a change and its journal entry commit
//! together or not at all.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTableMetadata, WriteTransaction};
use serde_json::{Map, Value};

use crate::api::{self, Answer, Request, Response};
use crate::defaults::LocalUser;
use crate::error::{Error, Result};
use crate::model::{CaseField, CaseType, Kind, Priority, Status, Template, User, LOCAL_ID_MIN};
use crate::search::{ApplyGuard, IndexAction, SearchIndex, SearchRequest, SearchResults};
use crate::tables::{self, meta};
use crate::tx::{Tx, Writer};

/// The store file format written by this build. A store with a higher number is refused.
///
/// 1: records plain. 2: records may be packed (zstd, with the store's dictionary: see
/// [`crate::codec`]). A format-1 store is read as it is and marked 2 when first opened, so that
/// an older build refuses it instead of meeting a packed record it cannot read. 3: tests'
/// statuses and assignees are kept in blocks apart from their records (`test_statuses`); an
/// older store's blocks are built from its test records when it is first opened.
pub const FORMAT_VERSION: u32 = 3;

/// File name of the redb database inside a store folder.
pub const DATA_FILE: &str = "store.redb";

/// Folder of the search index inside a store folder.
pub const INDEX_DIR: &str = "index";

/// Options for [`Store::open_with`].
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Verify every page checksum while opening (reads the whole file). Off by default: redb
    /// already checks and repairs a file that was not closed cleanly.
    pub verify: bool,
}

pub(crate) struct Inner {
    /// Dropped by hand (see `Drop for Inner`): never in a forked child.
    pub(crate) db: std::mem::ManuallyDrop<Database>,
    path: PathBuf,
    pid: u32,
    /// Case fields by id, read once and replaced whenever a write changes them; output of cases
    /// needs them on every read.
    pub(crate) fields: RwLock<Arc<Vec<CaseField>>>,
    /// Set when a commit changed the fields but reading them back failed: the next use reads
    /// them again instead of serving the old list.
    fields_stale: std::sync::atomic::AtomicBool,
    /// The thread holding the open batch, if any: a second write from that same thread would
    /// wait for itself forever, so it is refused instead.
    batch_thread: std::sync::Mutex<Option<std::thread::ThreadId>>,
    /// The full-text index, derived from the data (see [`crate::search`]).
    pub(crate) search: std::mem::ManuallyDrop<SearchIndex>,
    /// What opening the store did to the search index.
    index_report: IndexAction,
    /// The attachment bytes (see [`crate::blobs`]).
    pub(crate) blobs: crate::blobs::Blobs,
}

impl Drop for Inner {
    /// Closing writes to the files (redb's clean shutdown, the index's last commit). A handle
    /// inherited across `fork()` shares them with the parent, so in a child nothing is closed:
    /// the memory is simply left to the child's exit.
    fn drop(&mut self) {
        if std::process::id() == self.pid {
            // SAFETY: each field is dropped exactly once, here, and never used after.
            unsafe {
                std::mem::ManuallyDrop::drop(&mut self.search);
                std::mem::ManuallyDrop::drop(&mut self.db);
            }
        }
    }
}

/// An open store. Cheap to clone; clones share one handle.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

fn map_open_error(e: redb::DatabaseError, path: &Path) -> Error {
    match e {
        redb::DatabaseError::DatabaseAlreadyOpen | redb::DatabaseError::LockProtocolMismatch => {
            Error::InUse {
                path: path.display().to_string(),
            }
        }
        redb::DatabaseError::UpgradeRequired(v) => Error::damaged(format!(
            "the data file uses redb file format {v}, which this build of redb cannot read"
        )),
        redb::DatabaseError::RepairAborted => Error::damaged("the repair of the file was aborted"),
        redb::DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == std::io::ErrorKind::InvalidData =>
        {
            Error::damaged(format!("not a trailstore data file: {io}"))
        }
        redb::DatabaseError::Storage(s) => s.into(),
        other => Error::damaged(other.to_string()),
    }
}

fn init_or_check_format(db: &Database) -> Result<()> {
    // A write transaction, so that a brand-new file (with no tables yet) can be read too.
    let wtx = db.begin_write()?;
    let found = Tx::Write(&wtx).meta_u64(meta::FORMAT_VERSION)?;
    match found {
        Some(v) if v > u64::from(FORMAT_VERSION) => Err(Error::Unsupported {
            found: u32::try_from(v).unwrap_or(u32::MAX),
            supported: FORMAT_VERSION,
        }),
        Some(v) => {
            // Tables added by later builds (additive migrations): create what is missing.
            let existing: std::collections::HashSet<String> = wtx
                .list_tables()?
                .map(|t| redb::TableHandle::name(&t).to_string())
                .collect();
            let tables_there = Writer::table_names().iter().all(|n| existing.contains(n));
            if tables_there && v == u64::from(FORMAT_VERSION) {
                wtx.abort()?;
            } else {
                let mut w = Writer::new(&wtx);
                w.create_all_tables()?;
                if v < 3 {
                    // Format 3 keeps tests' statuses apart from their records: build them, in
                    // the transaction that marks the file format 3.
                    w.rebuild_test_states()?;
                }
                w.set_meta_u64(meta::FORMAT_VERSION, u64::from(FORMAT_VERSION))?;
                wtx.commit()?;
            }
            Ok(())
        }
        None => {
            {
                let mut w = Writer::new(&wtx);
                w.create_all_tables()?;
                w.set_meta_u64(meta::FORMAT_VERSION, u64::from(FORMAT_VERSION))?;
                w.set_meta_u64(meta::CREATED_ON, crate::clock::now() as u64)?;
                w.set_meta_u64(meta::USER_ID, 1)?;
                w.set_meta_u64(meta::DATA_VERSION, 0)?;
                w.set_meta_u64(meta::JOURNAL_SEQ, 0)?;
                for kind in Kind::ALL {
                    w.set_meta_u64(&Writer::local_id_key(kind), LOCAL_ID_MIN)?;
                }
            }
            wtx.commit()?;
            Ok(())
        }
    }
}

impl Store {
    /// Opens the store in folder `path`, creating the folder and an empty store if needed.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(path, &OpenOptions::default())
    }

    /// Opens the store with options.
    pub fn open_with(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Store> {
        let dir = path.as_ref().to_path_buf();
        if dir.exists() && !dir.is_dir() {
            return Err(Error::bad_request(format!(
                "{} is a file; a store is a folder.",
                dir.display()
            )));
        }
        std::fs::create_dir_all(&dir)?;
        let file = dir.join(DATA_FILE);
        let verify = options.verify;
        // redb documents that a plain open of an altered file may panic; never let that escape.
        let opened = std::panic::catch_unwind(|| {
            redb::Builder::new()
                .set_cache_size(256 * 1024 * 1024)
                .set_check_integrity_on_open(verify)
                .create(&file)
        });
        let db = match opened {
            Ok(Ok(db)) => db,
            Ok(Err(e)) => return Err(map_open_error(e, &dir)),
            Err(_) => {
                return Err(Error::damaged(
                    "the data file could not be read; its pages are inconsistent",
                ))
            }
        };
        init_or_check_format(&db)?;
        {
            // Packed records name the store's dictionaries: load them before any read.
            let rtx = db.begin_read()?;
            for bytes in Tx::Read(&rtx).record_dictionaries()? {
                crate::codec::register(&bytes)?;
            }
        }
        // The store's files are only touched once redb's lock shows this process owns it.
        let blobs = crate::blobs::Blobs::new(&dir);
        {
            let rtx = db.begin_read()?;
            blobs.collect_garbage(&Tx::Read(&rtx).blob_hashes()?)?;
        }
        let (search, rebuild) = SearchIndex::open(&dir.join(INDEX_DIR))?;
        let mut store = Store {
            inner: Arc::new(Inner {
                db: std::mem::ManuallyDrop::new(db),
                path: dir,
                pid: std::process::id(),
                fields: RwLock::new(Arc::new(Vec::new())),
                fields_stale: std::sync::atomic::AtomicBool::new(false),
                batch_thread: std::sync::Mutex::new(None),
                search: std::mem::ManuallyDrop::new(search),
                index_report: IndexAction::UpToDate,
                blobs,
            }),
        };
        store.reload_fields()?;
        let action = store.catch_up_index(rebuild)?;
        if let Some(inner) = Arc::get_mut(&mut store.inner) {
            inner.index_report = action;
        }
        Ok(store)
    }

    /// Brings the search index up to the data after an open (see [`crate::search`]).
    fn catch_up_index(&self, rebuild: Option<String>) -> Result<IndexAction> {
        let search = &self.inner.search;
        let action = {
            let rtx = self.begin_read()?;
            let tx = Tx::Read(&rtx);
            let version = tx.meta_u64(meta::DATA_VERSION)?.unwrap_or(0);
            let pruned = tx.meta_u64(meta::CHANGES_PRUNED_TO)?.unwrap_or(0);
            let committed = search.committed_version();
            let rebuild = rebuild
                .or_else(|| (committed > version).then(|| "the index is ahead of the data".into()))
                .or_else(|| {
                    (committed < pruned).then(|| "the index is older than the change log".into())
                });
            let changed = match (&rebuild, committed < version) {
                (None, true) => Some(tx.case_changes_since(committed)?),
                _ => None,
            };
            let action = match search.catch_up(&tx, &self.fields(), version, changed, rebuild) {
                Ok(a) => a,
                // An index that cannot be brought up to date is rebuilt from the data.
                Err(e) => search.catch_up(
                    &tx,
                    &self.fields(),
                    version,
                    None,
                    Some(format!("catching up failed: {e}")),
                )?,
            };
            match action {
                // A new store, or writes that touched no case: nothing worth reporting.
                IndexAction::Rebuilt { cases: 0, .. } if version == 0 => IndexAction::UpToDate,
                IndexAction::CaughtUp { cases: 0 } => IndexAction::UpToDate,
                a => a,
            }
        };
        // The change log is only needed above what the index has committed.
        let committed = search.committed_version();
        let oldest = {
            let rtx = self.begin_read()?;
            Tx::Read(&rtx).oldest_case_change()?
        };
        if oldest.is_some_and(|v| v <= committed) {
            let wtx = self.begin_write()?;
            Writer::new(&wtx).prune_case_changes(committed)?;
            wtx.commit()?;
        }
        Ok(action)
    }

    /// What opening the store did to the search index: up to date, caught up after a crash, or
    /// rebuilt (with the reason).
    pub fn index_report(&self) -> &IndexAction {
        &self.inner.index_report
    }

    /// Rebuilds the search index from the data.
    pub fn reindex(&self) -> Result<IndexAction> {
        let rtx = self.begin_read()?;
        let tx = Tx::Read(&rtx);
        let version = tx.meta_u64(meta::DATA_VERSION)?.unwrap_or(0);
        let cases = self.inner.search.rebuild(&tx, &self.fields(), version)?;
        Ok(IndexAction::Rebuilt {
            reason: "asked for".into(),
            cases,
        })
    }

    /// Full-text search over the cases of a project, ranked by BM25. Sees every write that
    /// committed before it was called.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        let rtx = self.begin_read()?;
        let tx = Tx::Read(&rtx);
        let version = tx.meta_u64(meta::DATA_VERSION)?.unwrap_or(0);
        self.inner
            .search
            .search(&tx, &self.fields(), version, request)
    }

    /// Number of segments in the search index (merging keeps it low).
    pub fn index_segments(&self) -> usize {
        self.inner.search.segment_count()
    }

    /// The folder of this store.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Refuses use of a handle in a process forked after it was opened.
    pub(crate) fn check_pid(&self) -> Result<()> {
        if std::process::id() != self.inner.pid {
            return Err(Error::Forked);
        }
        Ok(())
    }

    pub(crate) fn begin_read(&self) -> Result<ReadTransaction> {
        self.check_pid()?;
        Ok(self.inner.db.begin_read()?)
    }

    pub(crate) fn begin_write(&self) -> Result<WriteTransaction> {
        self.check_pid()?;
        Ok(self.inner.db.begin_write()?)
    }

    /// The case fields as last committed.
    pub(crate) fn fields(&self) -> Arc<Vec<CaseField>> {
        if self
            .inner
            .fields_stale
            .load(std::sync::atomic::Ordering::Acquire)
        {
            // Still failing: the old list is all there is, and the next call tries again.
            let _ = self.reload_fields();
        }
        match self.inner.fields.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub(crate) fn reload_fields(&self) -> Result<()> {
        let rtx = self.begin_read()?;
        let fields = Tx::Read(&rtx).all::<CaseField>()?;
        let fields = Arc::new(fields);
        match self.inner.fields.write() {
            Ok(mut g) => *g = fields,
            Err(p) => *p.into_inner() = fields,
        }
        self.inner
            .fields_stale
            .store(false, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// Calls a TestRail API route, exactly as TestRail's HTTP API takes it:
    /// `get_cases/1&suite_id=2&priority_id=3,4`, `add_case/7` with a JSON body. Reads run on a
    /// snapshot; writes commit (with their journal entry) before this returns.
    pub fn call(&self, route: &str, body: Option<&Value>) -> Result<Response> {
        self.answer(route, body).map(Answer::into_response)
    }

    /// Like [`Store::call`], with the answer in typed form: serialize it straight into the form
    /// you need (`serde_json::to_writer` for JSON text) without building a `serde_json::Value`.
    /// This is how the HTTP, C and Python fronts call the dispatcher.
    pub fn answer(&self, route: &str, body: Option<&Value>) -> Result<Answer> {
        self.guarded(route, || self.run(&api::Request::parse(route, body)?))
    }

    /// Runs a request built with [`Request::parse`] or [`Request::with_params`] (the structured
    /// call: endpoint and typed query parameters, encoded once by the core).
    pub fn answer_request(&self, request: &Request) -> Result<Answer> {
        self.guarded(&request.route, || self.run(request))
    }

    /// Like [`Store::call`], with the query parameters as typed values (see
    /// [`Request::with_params`]): `call_with("get_cases/1", &{"priority_id": [3, 4]}, None)`.
    pub fn call_with(
        &self,
        endpoint: &str,
        params: &Map<String, Value>,
        body: Option<&Value>,
    ) -> Result<Response> {
        let request = Request::with_params(endpoint, params, body)?;
        self.answer_request(&request).map(Answer::into_response)
    }

    /// Every item of a list route (`get_cases/1&suite_id=2`, `x_get_journal`, `get_priorities`),
    /// all pages of it read on one snapshot, so a write between two pages cannot skip or repeat
    /// an item. A bare-array route answers its array.
    pub fn list_all(&self, request: &Request) -> Result<Vec<Value>> {
        self.guarded(&request.route, || {
            let rtx = self.begin_read()?;
            self.with_ctx(|cx| api::list_all(cx, &Tx::Read(&rtx), request))
        })
    }

    /// The cases of one section (not its subsections), every page, on one snapshot: the
    /// section's suite and project are looked up in the same read as its cases.
    pub fn section_cases(&self, section_id: u64) -> Result<Vec<Value>> {
        self.guarded("get_section", || {
            let rtx = self.begin_read()?;
            let tx = Tx::Read(&rtx);
            let request = api::section_cases_request(&tx, section_id)?;
            self.with_ctx(|cx| api::list_all(cx, &tx, &request))
        })
    }

    /// Records the bytes of an attachment the store had only the metadata of (a pull brought
    /// them): they are put in place before the commit that names them.
    pub(crate) fn record_attachment_bytes(
        &self,
        id: u64,
        staged: &crate::blobs::Staged,
    ) -> Result<()> {
        let mut batch = self.batch()?;
        batch.with_writer(|w| {
            let Some(old) = w.tx().get::<crate::model::Attachment>(id)? else {
                return Ok(());
            };
            self.inner.blobs.place(staged)?;
            let mut new = old.clone();
            new.sha256 = staged.sha256.clone();
            new.size = staged.size;
            w.update_attachment(&old, &new)
        })?;
        batch.commit()
    }

    /// Checks the owner of an upload route before its bytes are read.
    pub(crate) fn check_attachment_owner(&self, request: &Request) -> Result<()> {
        let rtx = self.begin_read()?;
        api::check_attachment_owner(&Tx::Read(&rtx), request)
    }

    /// The case fields, typed (see [`CaseField::config_for`] for where each applies).
    pub fn case_fields(&self) -> Vec<CaseField> {
        self.fields().as_ref().clone()
    }

    /// Runs `f` with the context the dispatcher's handlers take: the committed case fields and
    /// the search index, not the store itself.
    fn with_ctx<T>(&self, f: impl FnOnce(&api::Ctx<'_>) -> T) -> T {
        let search = |r: &SearchRequest| self.search(r);
        f(&api::Ctx {
            fields: self.fields(),
            search: &search,
            blobs: &self.inner.blobs,
        })
    }

    /// Runs `f` with a panic turned into [`Error::Internal`]: a damaged file can make the
    /// storage engine panic while reading a page, and that must reach the caller as an error.
    fn guarded<T>(&self, route: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(r) => r,
            Err(payload) => Err(Error::internal(format!(
                "a panic was caught while serving {route}: {} (the store may be damaged; check its integrity)",
                panic_text(payload.as_ref())
            ))),
        }
    }

    fn run(&self, request: &api::Request) -> Result<Answer> {
        if request.method.is_write() {
            let mut batch = self.batch()?;
            let out = batch.run(request)?;
            batch.commit()?;
            Ok(out)
        } else {
            let rtx = self.begin_read()?;
            self.with_ctx(|cx| api::read(cx, &Tx::Read(&rtx), request))
        }
    }

    /// Like [`Store::call`], with the body as JSON text (the form the C and HTTP fronts have).
    pub fn call_text(&self, route: &str, body: &str) -> Result<Response> {
        self.answer_text(route, body).map(Answer::into_response)
    }

    /// Like [`Store::answer`], with the body as JSON text.
    pub fn answer_text(&self, route: &str, body: &str) -> Result<Answer> {
        let body = api::parse_body(body)?;
        self.guarded(route, || self.run(&api::Request::parse_owned(route, body)?))
    }

    /// Starts a batch: several calls in one transaction that commits once. Dropping a batch
    /// without [`Batch::commit`] rolls every call in it back.
    ///
    /// One thread holds at most one batch: while it is open, a write from the same thread that
    /// does not go through the batch is refused with [`Error::Busy`] (it would wait for itself).
    /// Other threads' writes wait until the batch commits or rolls back.
    pub fn batch(&self) -> Result<Batch> {
        self.check_pid()?;
        let me = std::thread::current().id();
        if *self.batch_owner() == Some(me) {
            return Err(Error::Busy {
                message: "A batch is open on this thread; make the call through the batch, or commit it first.".into(),
            });
        }
        let wtx = self.begin_write()?;
        *self.batch_owner() = Some(me);
        Ok(Batch {
            store: self.clone(),
            wtx: Some(wtx),
            fields_changed: false,
            released: false,
            changed: Vec::new(),
            version: 0,
            staged: false,
            unlinks: Vec::new(),
        })
    }

    /// Refuses work that writes at its end (pull, push) while this thread holds a batch: that
    /// write would wait for the batch forever, so the refusal comes before anything is done.
    pub(crate) fn refuse_in_batch(&self, what: &str) -> Result<()> {
        if *self.batch_owner() == Some(std::thread::current().id()) {
            return Err(Error::Busy {
                message: format!(
                    "A batch is open on this thread; commit or roll it back before {what}."
                ),
            });
        }
        Ok(())
    }

    fn batch_owner(&self) -> std::sync::MutexGuard<'_, Option<std::thread::ThreadId>> {
        match self.inner.batch_thread.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The user local changes are recorded as (`created_by`, `updated_by`).
    pub fn user_id(&self) -> Result<u64> {
        let rtx = self.begin_read()?;
        Ok(Tx::Read(&rtx).meta_u64(meta::USER_ID)?.unwrap_or(1))
    }

    /// Sets the user local changes are recorded as.
    pub fn set_user_id(&self, user_id: u64) -> Result<()> {
        if user_id == 0 || user_id > crate::model::ID_MAX {
            return Err(Error::validation(
                "user_id",
                "Field :user_id is not a valid ID.",
            ));
        }
        let wtx = self.begin_write()?;
        Writer::new(&wtx).set_meta_u64(meta::USER_ID, user_id)?;
        wtx.commit()?;
        Ok(())
    }

    /// Makes this store hand out ids as a TestRail server does (the next after the highest)
    /// instead of local ids: for a store that stands in for a TestRail server (tests of pull and
    /// push, demos). Refused once the store has local changes.
    pub fn set_server_ids(&self) -> Result<()> {
        let wtx = self.begin_write()?;
        {
            let mut w = Writer::new(&wtx);
            if w.tx().meta_u64(meta::JOURNAL_SEQ)?.unwrap_or(0) > 0 {
                return Err(Error::Forbidden {
                    message: "This store has local changes; server ids can only be chosen for a store without any.".into(),
                });
            }
            w.set_meta_str(meta::ID_MODE, meta::ID_MODE_SERVER)?;
        }
        wtx.commit()?;
        Ok(())
    }

    /// The data version: it grows with every change (a batch may advance it once per call).
    pub fn data_version(&self) -> Result<u64> {
        let rtx = self.begin_read()?;
        Ok(Tx::Read(&rtx).meta_u64(meta::DATA_VERSION)?.unwrap_or(0))
    }

    /// Counts of what the store holds, for `trailstore status`.
    pub fn stats(&self) -> Result<Value> {
        let rtx = self.begin_read()?;
        let count =
            |t: redb::TableDefinition<u64, &[u8]>| -> Result<u64> { Ok(rtx.open_table(t)?.len()?) };
        let tx = Tx::Read(&rtx);
        Ok(serde_json::json!({
            "path": self.inner.path.display().to_string(),
            "format_version": tx.meta_u64(meta::FORMAT_VERSION)?,
            "data_version": tx.meta_u64(meta::DATA_VERSION)?,
            "journal_seq": tx.meta_u64(meta::JOURNAL_SEQ)?,
            "user_id": tx.meta_u64(meta::USER_ID)?,
            "projects": count(tables::PROJECTS)?,
            "suites": count(tables::SUITES)?,
            "sections": count(tables::SECTIONS)?,
            "cases": count(tables::CASES)?,
            "case_fields": count(tables::CASE_FIELDS)?,
            "users": count(tables::USERS)?,
            "milestones": count(tables::MILESTONES)?,
            "runs": count(tables::RUNS)?,
            "tests": rtx.open_table(tables::TEST_RUNS)?.len()?,
            "results": count(tables::RESULTS)?,
            "plans": count(tables::PLANS)?,
            "journal_entries": count(tables::JOURNAL)?,
            "reference_data": self.reference_data()?.name(),
        }))
    }

    /// Writes what a freshly installed TestRail has — priorities, case types, the three
    /// templates, the system case fields each template uses, the five system statuses, the
    /// step-results field and `user` as the store's own user — into a store that has no
    /// reference data yet, as server base state (nothing is journaled). Answers `false`, and
    /// writes nothing, when the store has reference data already: a store is never rewritten.
    pub fn install_defaults(&self, user: &LocalUser) -> Result<bool> {
        if self.reference_data()? != ReferenceData::None {
            return Ok(false);
        }
        let mut batch = self.batch()?;
        batch.import_snapshot(&crate::defaults::fresh_install(user))?;
        batch.with_writer(|w| {
            w.set_meta_u64(meta::REFERENCE_DEFAULTS, 1)?;
            w.set_meta_u64(meta::USER_ID, user.id)
        })?;
        batch.commit()?;
        Ok(true)
    }

    /// Where the store's reference data (priorities, case types, templates, case fields, users,
    /// statuses) come from.
    pub fn reference_data(&self) -> Result<ReferenceData> {
        let rtx = self.begin_read()?;
        let tx = Tx::Read(&rtx);
        if tx.meta_u64(meta::REFERENCE_DEFAULTS)? == Some(1) {
            return Ok(ReferenceData::Defaults);
        }
        let none = tx.is_empty::<Priority>()?
            && tx.is_empty::<CaseType>()?
            && tx.is_empty::<Template>()?
            && tx.is_empty::<CaseField>()?
            && tx.is_empty::<User>()?
            && tx.is_empty::<Status>()?;
        Ok(if none {
            ReferenceData::None
        } else {
            ReferenceData::Server
        })
    }

    /// Verifies every page checksum of the data file. Needs the only handle to the store.
    pub fn check_integrity(self) -> Result<bool> {
        let mut inner = Arc::try_unwrap(self.inner).map_err(|_| Error::Busy {
            message: "Close every other handle to the store before checking it.".into(),
        })?;
        let path = inner.path.clone();
        inner
            .db
            .check_integrity()
            .map_err(|e| map_open_error(e, &path))
    }
}

/// What one call inside a batch changed, taken out of its writer.
struct Delta {
    fields_changed: bool,
    changed: Vec<u64>,
    version: u64,
    unlinks: Vec<String>,
}

impl Delta {
    fn of(mut w: Writer<'_>) -> Delta {
        let fields_changed = w.touched_fields();
        let unlinks = w.take_unlinks();
        let (changed, version) = w.into_changes();
        Delta {
            fields_changed,
            changed,
            version,
            unlinks,
        }
    }
}

/// Where a store's reference data come from (see [`Store::reference_data`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceData {
    /// None at all: a store made with `init --empty`, or before `init` wrote defaults. Cases
    /// get no template, type or priority, and a push of them is refused by a server.
    None,
    /// A fresh TestRail's defaults, until a pull or snapshot brings the server's lists.
    Defaults,
    /// A server's (or a snapshot's) lists.
    Server,
}

impl ReferenceData {
    pub fn name(self) -> &'static str {
        match self {
            ReferenceData::None => "none",
            ReferenceData::Defaults => "defaults",
            ReferenceData::Server => "server",
        }
    }
}

/// The text of a caught panic's payload.
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".into())
}

/// Several calls in one write transaction. Each call is validated before it writes, so a rejected
/// call leaves the batch as it was; [`Batch::commit`] makes them all durable at once.
pub struct Batch {
    store: Store,
    wtx: Option<WriteTransaction>,
    fields_changed: bool,
    released: bool,
    /// Cases changed by the batch, and the newest data version it stamped.
    changed: Vec<u64>,
    version: u64,
    /// Whether a bulk import of the batch staged search documents (see [`crate::search`]).
    staged: bool,
    /// Attachment bytes its calls left unnamed, unlinked once it commits.
    unlinks: Vec<String>,
}

impl Batch {
    /// Runs one route inside the batch; reads see the batch's earlier writes.
    pub fn call(&mut self, route: &str, body: Option<&Value>) -> Result<Response> {
        self.answer(route, body).map(Answer::into_response)
    }

    /// Like [`Batch::call`], with the answer in typed form (see [`Store::answer`]).
    pub fn answer(&mut self, route: &str, body: Option<&Value>) -> Result<Answer> {
        let request = api::Request::parse(route, body)?;
        self.run(&request)
    }

    /// Runs a built request inside the batch (see [`Store::answer_request`]).
    pub fn answer_request(&mut self, request: &Request) -> Result<Answer> {
        self.run(request)
    }

    /// Every item of a list route as the batch sees it (see [`Store::list_all`]).
    pub fn list_all(&mut self, request: &Request) -> Result<Vec<Value>> {
        self.store.check_pid()?;
        let wtx = self.wtx.as_ref().ok_or(Error::Closed)?;
        self.store
            .with_ctx(|cx| api::list_all(cx, &Tx::Write(wtx), request))
    }

    pub(crate) fn run(&mut self, request: &api::Request) -> Result<Answer> {
        self.store.check_pid()?;
        let wtx = self.wtx.as_ref().ok_or(Error::Closed)?;
        if request.method.is_write() {
            let mut w = Writer::new(wtx);
            let out = self.store.with_ctx(|cx| api::write(cx, &mut w, request));
            if out.is_err() && w.failed_midway() {
                // A storage error after writing began: the transaction is no longer trustworthy.
                self.wtx = None;
                return out;
            }
            let delta = Delta::of(w);
            self.absorb(delta);
            out
        } else {
            self.store
                .with_ctx(|cx| api::read(cx, &Tx::Write(wtx), request))
        }
    }

    /// Imports a snapshot inside this batch (server base state; nothing is journaled).
    pub fn import_snapshot(&mut self, snapshot: &Value) -> Result<crate::snapshot::ImportReport> {
        self.store.check_pid()?;
        let wtx = self.wtx.as_ref().ok_or(Error::Closed)?;
        let mut w = Writer::new(wtx);
        let index = &*self.store.inner.search;
        let mut staged = false;
        // Set before the import, so that a batch dropped while unwinding from a panic in it
        // still unstages (unstaging what was not staged does nothing).
        self.staged = true;
        let out = crate::snapshot::import(&mut w, snapshot, Some(index), &mut staged);
        if out.is_err() {
            self.wtx = None;
            self.unstage();
            return out;
        }
        let mut delta = Delta::of(w);
        if staged {
            // Their documents are in the writer already; later calls of the batch that change
            // them again add their ids back, and the commit re-applies those.
            delta.changed.clear();
        }
        self.fields_changed = true;
        self.absorb(delta);
        out
    }

    /// Runs `f` with a writer on the batch's transaction, with the same bookkeeping as a call.
    pub(crate) fn with_writer<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        self.store.check_pid()?;
        let wtx = self.wtx.as_ref().ok_or(Error::Closed)?;
        let mut w = Writer::new(wtx);
        let out = f(&mut w);
        if out.is_err() && w.failed_midway() {
            self.wtx = None;
            return out;
        }
        let delta = Delta::of(w);
        self.absorb(delta);
        out
    }

    fn absorb(&mut self, d: Delta) {
        self.fields_changed |= d.fields_changed;
        self.changed.extend(d.changed);
        self.version = self.version.max(d.version);
        self.unlinks.extend(d.unlinks);
    }

    /// The store the batch writes to.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Checks an upload route's owner as the batch sees it (it may have added it).
    pub(crate) fn check_attachment_owner(&mut self, request: &Request) -> Result<()> {
        self.store.check_pid()?;
        let wtx = self.wtx.as_ref().ok_or(Error::Closed)?;
        api::check_attachment_owner(&Tx::Write(wtx), request)
    }

    /// Records an uploaded file for an `add_attachment_to_*` request (see [`crate::Upload`]).
    pub(crate) fn attach(
        &mut self,
        request: &Request,
        name: &str,
        staged: &crate::blobs::Staged,
    ) -> Result<Value> {
        self.store.check_pid()?;
        let wtx = self.wtx.as_ref().ok_or(Error::Closed)?;
        let mut w = Writer::new(wtx);
        let out = self
            .store
            .with_ctx(|cx| api::attach(cx, &mut w, request, name, staged));
        if out.is_err() && w.failed_midway() {
            self.wtx = None;
            return out.map(|a| a.into_response().into_value());
        }
        let delta = Delta::of(w);
        self.absorb(delta);
        out.map(|a| a.into_response().into_value())
    }

    /// Commits every call of the batch durably.
    pub fn commit(mut self) -> Result<()> {
        self.store.check_pid()?;
        let wtx = self.wtx.take().ok_or(Error::Closed)?;
        self.release();
        let store = self.store.clone();
        // Taken before the data commits, so that concurrent writers reach the index in order.
        let mut guard = store.inner.search.begin_apply();
        // Bytes this commit leaves unnamed go after it, with no upload placing them meanwhile;
        // a later call of the batch may have named them again.
        let mut unlinks = std::mem::take(&mut self.unlinks);
        if !unlinks.is_empty() {
            let named = Tx::Write(&wtx).blob_hashes()?;
            unlinks.retain(|h| !named.contains(h));
        }
        let gate = (!unlinks.is_empty()).then(|| store.inner.blobs.gate());
        let staged_only = self.staged && self.changed.is_empty();
        let commit_data = || -> Result<()> {
            if staged_only {
                crate::failpoint::fail("staged-import-data-commit")?;
            }
            wtx.commit()?;
            store.inner.blobs.unlink(&unlinks);
            drop(gate);
            crate::failpoint::hit("after-data-commit");
            Ok(())
        };
        let committed = if staged_only {
            // Every document of the batch is staged: the index writes them while the data
            // commits, instead of after it.
            store
                .inner
                .search
                .commit_staged(&mut guard, self.version, commit_data)
        } else {
            commit_data()
        };
        if let Err(e) = committed {
            drop(guard);
            self.unstage();
            return Err(e);
        }
        // The staged documents are this commit's now, whatever happens below.
        self.staged = false;
        // The data is durable from here on, so the commit succeeded: a failure below is the
        // index's to repair (it is rebuilt before the next search), not the caller's error.
        if let Err(e) = self.after_commit(&store, &mut guard) {
            guard.mark_broken(format!("bringing the index up to a commit failed: {e}"));
        }
        Ok(())
    }

    /// Reads back what the commit changed: the case fields, and the documents of its cases.
    fn after_commit(&mut self, store: &Store, guard: &mut ApplyGuard<'_>) -> Result<()> {
        if self.fields_changed {
            // Stale until read back: after a failure from here on, the next use reads them.
            store
                .inner
                .fields_stale
                .store(true, std::sync::atomic::Ordering::Release);
        }
        crate::failpoint::fail("after-data-commit-read")?;
        if self.fields_changed {
            store.reload_fields()?;
        }
        if self.version > 0 {
            let rtx = store.begin_read()?;
            self.changed.sort_unstable();
            self.changed.dedup();
            store.inner.search.apply(
                guard,
                &Tx::Read(&rtx),
                &store.fields(),
                &self.changed,
                self.version,
            );
        }
        Ok(())
    }

    /// Drops the search documents a bulk import of the batch staged, if any.
    fn unstage(&mut self) {
        if std::mem::take(&mut self.staged) {
            self.store.inner.search.unstage();
        }
    }

    /// Discards every call of the batch.
    pub fn rollback(mut self) -> Result<()> {
        self.release();
        self.unstage();
        if let Some(wtx) = self.wtx.take() {
            wtx.abort()?;
        }
        Ok(())
    }

    /// Whether the batch can still take calls (a storage failure inside it closes it).
    pub fn is_open(&self) -> bool {
        self.wtx.is_some()
    }

    /// Marks the store as having no open batch, once. Only one batch exists at a time (it holds
    /// the write transaction), so the first release of this batch is the one that counts.
    fn release(&mut self) {
        if !self.released {
            *self.store.batch_owner() = None;
            self.released = true;
        }
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        if let Some(wtx) = self.wtx.take() {
            if self.store.check_pid().is_err() {
                // Inherited across fork(): aborting would undo the parent's transaction.
                std::mem::forget(wtx);
                return;
            }
            self.release();
            let _ = wtx.abort();
        } else {
            self.release();
        }
        self.unstage();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_store_is_refused_naming_both_versions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        {
            let store = Store::open(&path).unwrap();
            let wtx = store.begin_write().unwrap();
            Writer::new(&wtx)
                .set_meta_u64(meta::FORMAT_VERSION, 99)
                .unwrap();
            wtx.commit().unwrap();
        }
        let e = Store::open(&path).unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::Unsupported);
        let msg = e.to_string();
        assert!(
            msg.contains("format version 99")
                && msg.contains(&format!("format version {FORMAT_VERSION} and older")),
            "{msg}"
        );
    }
}

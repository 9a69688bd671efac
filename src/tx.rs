//! Typed access to the tables inside a transaction.
//!
//! [`Tx`] reads from either a read snapshot or the current write transaction, so the same
//! handler code serves plain reads and reads inside a batch. [`Writer`] is the only code that
//! writes tables: it keeps the index tables, the data version and the case change log in step
//! with the records.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{de::DeserializeOwned, Serialize};

use crate::codec::{self, CaseSummary, TestState, TestStates};
use crate::error::{Error, Result};
use crate::journal::{Effect, JournalEntry, NewEntry};
use crate::model::Conflict;
use crate::model::{
    AttachedTo, Attachment, Case, CaseField, CaseOf, CaseType, CaseView, Config, ConfigGroup, Kind,
    Milestone, Plan, Priority, Project, ResultField, Run, Section, Status, Suite, Template, Test,
    TestResult, User, ID_MAX,
};
use crate::tables::{self, meta};

/// An entity stored in its own table, keyed by id.
pub(crate) trait Record: Serialize + DeserializeOwned {
    const KIND: Kind;
    const TABLE: TableDefinition<'static, u64, &'static [u8]>;
    fn id(&self) -> u64;
}

macro_rules! record {
    ($ty:ty, $kind:expr, $table:expr) => {
        impl Record for $ty {
            const KIND: Kind = $kind;
            const TABLE: TableDefinition<'static, u64, &'static [u8]> = $table;
            fn id(&self) -> u64 {
                self.id
            }
        }
    };
}

record!(Project, Kind::Project, tables::PROJECTS);
record!(Suite, Kind::Suite, tables::SUITES);
record!(Section, Kind::Section, tables::SECTIONS);
record!(Case, Kind::Case, tables::CASES);
record!(CaseField, Kind::CaseField, tables::CASE_FIELDS);
record!(CaseType, Kind::CaseType, tables::CASE_TYPES);
record!(Priority, Kind::Priority, tables::PRIORITIES);
record!(Template, Kind::Template, tables::TEMPLATES);
record!(User, Kind::User, tables::USERS);
record!(Milestone, Kind::Milestone, tables::MILESTONES);
record!(Status, Kind::Status, tables::STATUSES);
record!(Run, Kind::Run, tables::RUNS);
record!(TestResult, Kind::Result, tables::RESULTS);
record!(Plan, Kind::Plan, tables::PLANS);
record!(ConfigGroup, Kind::ConfigGroup, tables::CONFIG_GROUPS);
record!(Config, Kind::Config, tables::CONFIGS);
record!(Attachment, Kind::Attachment, tables::ATTACHMENTS);
impl Record for ResultField {
    const KIND: Kind = Kind::ResultField;
    const TABLE: TableDefinition<'static, u64, &'static [u8]> = tables::RESULT_FIELDS;
    fn id(&self) -> u64 {
        self.0.id
    }
}

/// The record table of an entity kind; `None` for tests, which live inside their run's range of
/// [`tables::RUN_TESTS`].
pub(crate) fn table_of(kind: Kind) -> Option<TableDefinition<'static, u64, &'static [u8]>> {
    Some(match kind {
        Kind::Project => tables::PROJECTS,
        Kind::Suite => tables::SUITES,
        Kind::Section => tables::SECTIONS,
        Kind::Case => tables::CASES,
        Kind::CaseField => tables::CASE_FIELDS,
        Kind::CaseType => tables::CASE_TYPES,
        Kind::Priority => tables::PRIORITIES,
        Kind::Template => tables::TEMPLATES,
        Kind::User => tables::USERS,
        Kind::Milestone => tables::MILESTONES,
        Kind::Status => tables::STATUSES,
        Kind::ResultField => tables::RESULT_FIELDS,
        Kind::Run => tables::RUNS,
        Kind::Result => tables::RESULTS,
        Kind::Plan => tables::PLANS,
        Kind::ConfigGroup => tables::CONFIG_GROUPS,
        Kind::Config => tables::CONFIGS,
        Kind::Attachment => tables::ATTACHMENTS,
        Kind::Test => return None,
    })
}

/// A transaction to read from.
#[derive(Clone, Copy)]
pub(crate) enum Tx<'a> {
    Read(&'a ReadTransaction),
    Write(&'a WriteTransaction),
}

/// Opens `$def` in whichever transaction `$tx` holds and evaluates `$body` with it as `$t`.
macro_rules! with_table {
    ($tx:expr, $def:expr, |$t:ident| $body:expr) => {
        match $tx {
            Tx::Read(r) => {
                let $t = r.open_table($def)?;
                #[allow(clippy::let_and_return)]
                let out = $body;
                out
            }
            Tx::Write(w) => {
                let $t = w.open_table($def)?;
                #[allow(clippy::let_and_return)]
                let out = $body;
                out
            }
        }
    };
}

/// Opens a run's test records as `$t` and their states as `$s` (a [`States`]) in whichever
/// transaction `$tx` holds, and evaluates `$body`.
macro_rules! with_tests {
    ($tx:expr, |$t:ident, $s:ident| $body:expr) => {
        match $tx {
            Tx::Read(r) => {
                let $t = r.open_table(tables::RUN_TESTS)?;
                #[allow(unused_mut)]
                let mut $s = States::new(r.open_table(tables::TEST_STATUSES)?);
                #[allow(clippy::let_and_return)]
                let out = $body;
                out
            }
            Tx::Write(w) => {
                let $t = w.open_table(tables::RUN_TESTS)?;
                #[allow(unused_mut)]
                let mut $s = States::new(w.open_table(tables::TEST_STATUSES)?);
                #[allow(clippy::let_and_return)]
                let out = $body;
                out
            }
        }
    };
}

/// Reads tests' states from [`tables::TEST_STATUSES`], decoding each block once for a run of
/// reads in id order.
struct States<T> {
    table: T,
    block: Option<((u64, u64), TestStates)>,
}

impl<T: ReadableTable<(u64, u64), &'static [u8]>> States<T> {
    fn new(table: T) -> States<T> {
        States { table, block: None }
    }

    /// The state of a test, if its block holds one.
    fn get(&mut self, run_id: u64, test_id: u64) -> Result<Option<TestState>> {
        let (block, slot) = TestStates::place(test_id);
        let key = (run_id, block);
        let cached = matches!(&self.block, Some((k, _)) if *k == key);
        if !cached {
            let states = match self.table.get(key)? {
                Some(v) => TestStates::decode(v.value())?,
                None => TestStates::default(),
            };
            self.block = Some((key, states));
        }
        Ok(self.block.as_ref().and_then(|(_, s)| s.get(slot)))
    }

    /// Decodes a test record and gives it the status and assignee kept apart from it.
    fn test(&mut self, bytes: &[u8]) -> Result<Test> {
        let mut t: Test = codec::decode(bytes, "test")?;
        if let Some(s) = self.get(t.run_id, t.id)? {
            t.status_id = s.status_id;
            t.assignedto_id = s.assignedto_id;
        }
        Ok(t)
    }
}

/// Some state blocks of one run, decoded (see [`Tx::state_blocks`]); the ones changed are
/// written back by [`Writer::put_state_blocks`].
pub struct StateBlocks {
    run_id: u64,
    /// Block number → (its states, whether they changed).
    blocks: std::collections::BTreeMap<u64, (TestStates, bool)>,
}

impl StateBlocks {
    /// A test's state, if the run has the test.
    pub fn get(&self, test_id: u64) -> Option<TestState> {
        let (block, slot) = TestStates::place(test_id);
        self.blocks.get(&block).and_then(|(s, _)| s.get(slot))
    }

    /// Changes a test's state; the test's block must have been read.
    pub fn set(&mut self, test_id: u64, state: TestState) {
        let (block, slot) = TestStates::place(test_id);
        if let Some((s, changed)) = self.blocks.get_mut(&block) {
            s.set(slot, Some(state));
            *changed = true;
        }
    }
}

fn decode<R: Record>(bytes: &[u8]) -> Result<R> {
    codec::decode(bytes, R::KIND.name())
}

self_cell::self_cell!(
    /// A case read for an answer that is only serialized: its record's payload, and a
    /// [`CaseView`] that borrows every text from it, decoded once when the case is read (so a
    /// damaged record is an error of the read, not of the serializing) and without a `String`
    /// a field.
    pub struct CaseRecord {
        owner: Box<[u8]>,
        #[covariant]
        dependent: CaseView,
    }

    impl {Debug}
);

impl CaseRecord {
    fn read(bytes: &[u8]) -> Result<CaseRecord> {
        CaseRecord::of_payload(codec::owned_payload(bytes, Case::KIND.name())?)
    }

    fn of_payload(payload: Box<[u8]>) -> Result<CaseRecord> {
        CaseRecord::try_new(payload, |p| codec::decode_borrowed(p, Case::KIND.name()))
    }

    pub fn view(&self) -> &CaseView<'_> {
        self.borrow_dependent()
    }
}

impl Clone for CaseRecord {
    fn clone(&self) -> CaseRecord {
        // The payload was read once already, so reading it again cannot fail.
        CaseRecord::of_payload(self.borrow_owner().clone())
            .unwrap_or_else(|e| unreachable!("a case payload read twice: {e}"))
    }
}

impl Tx<'_> {
    pub fn get<R: Record>(&self, id: u64) -> Result<Option<R>> {
        with_table!(self, R::TABLE, |t| match t.get(id)? {
            Some(v) => Ok(Some(decode::<R>(v.value())?)),
            None => Ok(None),
        })
    }

    /// The records of several ids, in the order given (`None` where there is none), reading
    /// the table once.
    pub fn get_many<R: Record>(&self, ids: &[u64]) -> Result<Vec<Option<R>>> {
        with_table!(self, R::TABLE, |t| {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.push(match t.get(*id)? {
                    Some(v) => Some(decode::<R>(v.value())?),
                    None => None,
                });
            }
            Ok(out)
        })
    }

    /// A case read as a [`CaseRecord`], for an answer.
    pub fn case_record(&self, id: u64) -> Result<Option<CaseRecord>> {
        with_table!(self, Case::TABLE, |t| match t.get(id)? {
            Some(v) => Ok(Some(CaseRecord::read(v.value())?)),
            None => Ok(None),
        })
    }

    /// Cases read as [`CaseRecord`]s, in the order given, reading the table once.
    pub fn case_records(&self, ids: &[u64]) -> Result<Vec<Option<CaseRecord>>> {
        with_table!(self, Case::TABLE, |t| {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.push(match t.get(*id)? {
                    Some(v) => Some(CaseRecord::read(v.value())?),
                    None => None,
                });
            }
            Ok(out)
        })
    }

    /// Whether a kind has no records at all.
    pub fn is_empty<R: Record>(&self) -> Result<bool> {
        with_table!(self, R::TABLE, |t| Ok(t.first()?.is_none()))
    }

    /// The highest id of a kind's records, if it has any.
    pub fn last_id<R: Record>(&self) -> Result<Option<u64>> {
        with_table!(self, R::TABLE, |t| Ok(t.last()?.map(|(k, _)| k.value())))
    }

    pub fn exists<R: Record>(&self, id: u64) -> Result<bool> {
        with_table!(self, R::TABLE, |t| Ok(t.get(id)?.is_some()))
    }

    /// Every record of a kind, in id order.
    pub fn all<R: Record>(&self) -> Result<Vec<R>> {
        with_table!(self, R::TABLE, |t| {
            let mut out = Vec::new();
            for item in t.iter()? {
                let (_, v) = item?;
                out.push(decode::<R>(v.value())?);
            }
            Ok(out)
        })
    }

    pub fn meta_u64(&self, key: &str) -> Result<Option<u64>> {
        with_table!(self, tables::META, |t| match t.get(key)? {
            Some(v) => {
                let b = v.value();
                let arr: [u8; 8] = b.try_into().map_err(|_| {
                    Error::damaged(format!("meta value {key} has {} bytes", b.len()))
                })?;
                Ok(Some(u64::from_le_bytes(arr)))
            }
            None => Ok(None),
        })
    }

    /// Every record dictionary the store keeps (see [`crate::codec`]), as stored.
    pub fn record_dictionaries(&self) -> Result<Vec<Vec<u8>>> {
        with_table!(self, tables::META, |t| {
            let mut out = Vec::new();
            for item in t.range(meta::RECORD_DICTIONARY_PREFIX..)? {
                let (k, v) = item?;
                if !k.value().starts_with(meta::RECORD_DICTIONARY_PREFIX) {
                    break;
                }
                out.push(v.value().to_vec());
            }
            Ok(out)
        })
    }

    /// A text value of the meta table.
    pub fn meta_str(&self, key: &str) -> Result<Option<String>> {
        with_table!(self, tables::META, |t| match t.get(key)? {
            Some(v) => String::from_utf8(v.value().to_vec())
                .map(Some)
                .map_err(|_| Error::damaged(format!("meta value {key} is not text"))),
            None => Ok(None),
        })
    }

    /// The server id a local id was pushed as.
    pub fn server_id(&self, kind: Kind, local: u64) -> Result<Option<u64>> {
        with_table!(self, tables::ID_MAP, |t| Ok(t
            .get((kind.code(), local))?
            .map(|v| v.value())))
    }

    /// The server's GUID of a plan entry made here, once pushed.
    pub fn server_guid(&self, local: &str) -> Result<Option<String>> {
        with_table!(self, tables::GUID_MAP, |t| Ok(t
            .get(local)?
            .map(|v| v.value().to_string())))
    }

    /// The local id a server id replaced, if it was created here.
    pub fn local_alias(&self, kind: Kind, server: u64) -> Result<Option<u64>> {
        with_table!(self, tables::LOCAL_ALIASES, |t| Ok(t
            .get((kind.code(), server))?
            .map(|v| v.value())))
    }

    /// One open conflict by key (`case/12/title`).
    pub fn conflict(&self, key: &str) -> Result<Option<Conflict>> {
        with_table!(self, tables::CONFLICTS, |t| match t.get(key)? {
            Some(v) => Ok(Some(codec::decode(v.value(), "conflict")?)),
            None => Ok(None),
        })
    }

    /// Every open conflict, in key order.
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        with_table!(self, tables::CONFLICTS, |t| {
            let mut out = Vec::new();
            for item in t.iter()? {
                let (_, v) = item?;
                out.push(codec::decode(v.value(), "conflict")?);
            }
            Ok(out)
        })
    }

    /// The second halves of the keys `(parent, _)` of an index table, in order.
    pub fn children(&self, def: TableDefinition<(u64, u64), ()>, parent: u64) -> Result<Vec<u64>> {
        with_table!(self, def, |t| {
            let mut out = Vec::new();
            for item in t.range((parent, 0)..=(parent, u64::MAX))? {
                let (k, _) = item?;
                out.push(k.value().1);
            }
            Ok(out)
        })
    }

    /// Walks the summaries of a suite's cases in id order from `from_id`, until `f` returns false.
    pub fn for_each_suite_case(
        &self,
        suite_id: u64,
        from_id: u64,
        mut f: impl FnMut(u64, CaseSummary) -> Result<bool>,
    ) -> Result<()> {
        with_table!(self, tables::SUITE_CASES, |t| {
            for item in t.range((suite_id, from_id)..=(suite_id, u64::MAX))? {
                let (k, v) = item?;
                if !f(k.value().1, CaseSummary::decode(v.value())?)? {
                    break;
                }
            }
            Ok(())
        })
    }

    /// Case ids written or deleted at data versions above `after`.
    pub fn case_changes_since(&self, after: u64) -> Result<Vec<u64>> {
        with_table!(self, tables::CASE_CHANGES, |t| {
            let mut ids = Vec::new();
            for item in t.range((after.saturating_add(1), 0)..)? {
                let (k, _) = item?;
                ids.push(k.value().1);
            }
            ids.sort_unstable();
            ids.dedup();
            Ok(ids)
        })
    }

    /// The data version of the oldest change-log entry, if any.
    pub fn oldest_case_change(&self) -> Result<Option<u64>> {
        with_table!(self, tables::CASE_CHANGES, |t| {
            match t.first()? {
                Some((k, _)) => Ok(Some(k.value().0)),
                None => Ok(None),
            }
        })
    }

    /// The summaries of some cases of a suite, looked up with the table opened once.
    pub fn suite_case_summaries(
        &self,
        suite_id: u64,
        ids: &[u64],
    ) -> Result<Vec<(u64, CaseSummary)>> {
        with_table!(self, tables::SUITE_CASES, |t| {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(v) = t.get((suite_id, *id))? {
                    out.push((*id, CaseSummary::decode(v.value())?));
                }
            }
            Ok(out)
        })
    }

    /// A test by id, wherever its run is.
    pub fn test(&self, test_id: u64) -> Result<Option<Test>> {
        let run = with_table!(self, tables::TEST_RUNS, |t| Ok::<_, Error>(
            t.get(test_id)?.map(|v| v.value())
        ))?;
        match run {
            Some(run_id) => self.run_test(run_id, test_id),
            None => Ok(None),
        }
    }

    /// A test of a known run.
    pub fn run_test(&self, run_id: u64, test_id: u64) -> Result<Option<Test>> {
        with_tests!(self, |t, states| match t.get((run_id, test_id))? {
            Some(v) => Ok(Some(states.test(v.value())?)),
            None => Ok(None),
        })
    }

    /// Several tests of one run, in the order given, reading the table once.
    pub fn run_tests_many(&self, run_id: u64, test_ids: &[u64]) -> Result<Vec<Option<Test>>> {
        with_tests!(self, |t, states| {
            let mut out = Vec::with_capacity(test_ids.len());
            for id in test_ids {
                out.push(match t.get((run_id, *id))? {
                    Some(v) => Some(states.test(v.value())?),
                    None => None,
                });
            }
            Ok(out)
        })
    }

    /// The state blocks that hold some tests of one run, each read and decoded once, to be
    /// changed and written back with [`Writer::put_state_blocks`]. A test its block does not
    /// hold (a damaged store) is read from its record; a test the run does not have is absent.
    pub fn state_blocks(&self, run_id: u64, test_ids: &[u64]) -> Result<StateBlocks> {
        with_tests!(self, |t, states| {
            let mut out = StateBlocks {
                run_id,
                blocks: std::collections::BTreeMap::new(),
            };
            for id in test_ids {
                let (block, slot) = TestStates::place(*id);
                let (held, _) = match out.blocks.entry(block) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        let decoded = match states.table.get((run_id, block))? {
                            Some(v) => TestStates::decode(v.value())?,
                            None => TestStates::default(),
                        };
                        e.insert((decoded, false))
                    }
                };
                if held.get(slot).is_none() {
                    if let Some(v) = t.get((run_id, *id))? {
                        let test: Test = codec::decode(v.value(), "test")?;
                        held.set(
                            slot,
                            Some(TestState {
                                status_id: test.status_id,
                                assignedto_id: test.assignedto_id,
                            }),
                        );
                    }
                }
            }
            Ok(out)
        })
    }

    /// Walks the tests of a run in id order from `from_id`, until `f` returns false.
    pub fn for_each_run_test(
        &self,
        run_id: u64,
        from_id: u64,
        mut f: impl FnMut(Test) -> Result<bool>,
    ) -> Result<()> {
        with_tests!(self, |t, states| {
            for item in t.range((run_id, from_id)..=(run_id, u64::MAX))? {
                let (_, v) = item?;
                if !f(states.test(v.value())?)? {
                    break;
                }
            }
            Ok(())
        })
    }

    /// The test of each case in a run (`None` where the run has none), reading the table once.
    pub fn run_case_tests(&self, run_id: u64, case_ids: &[u64]) -> Result<Vec<Option<u64>>> {
        with_table!(self, tables::RUN_CASES, |t| {
            let mut out = Vec::with_capacity(case_ids.len());
            for c in case_ids {
                out.push(t.get((run_id, *c))?.map(|v| v.value()));
            }
            Ok(out)
        })
    }

    /// One page of a run's test ids, in order: `limit` ids after skipping `offset`. The state
    /// blocks say how many of the run's tests each holds (their bitmaps, kept in the same
    /// transactions as the tests), so whole blocks of 64 ids are passed over without visiting
    /// their tests: skipping key by key made paging a whole run quadratic.
    pub fn run_test_ids_page(&self, run_id: u64, offset: u64, limit: u64) -> Result<Vec<u64>> {
        let Some((from_id, skip)) = self.run_test_position(run_id, offset)? else {
            return Ok(Vec::new());
        };
        with_table!(self, tables::RUN_TESTS, |t| {
            let mut out = Vec::new();
            for item in t
                .range((run_id, from_id)..=(run_id, u64::MAX))?
                .skip(skip)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
            {
                let (k, _) = item?;
                out.push(k.value().1);
            }
            Ok(out)
        })
    }

    /// Where the `offset`-th test of a run (from 0, in id order) is: the first id of its block
    /// and how many of the run's tests to skip from there; `None` past the last test.
    fn run_test_position(&self, run_id: u64, offset: u64) -> Result<Option<(u64, usize)>> {
        if offset == 0 {
            return Ok(Some((0, 0)));
        }
        with_table!(self, tables::TEST_STATUSES, |t| {
            let mut before = 0u64;
            for item in t.range((run_id, 0)..=(run_id, u64::MAX))? {
                let (k, v) = item?;
                let held = TestStates::held(v.value())?;
                if before + held > offset {
                    let skip = usize::try_from(offset - before).unwrap_or(usize::MAX);
                    return Ok(Some((k.value().1 * codec::TEST_BLOCK, skip)));
                }
                before += held;
            }
            Ok(None)
        })
    }

    /// Every (case_id, test_id) of a run, in case order.
    pub fn run_cases(&self, run_id: u64) -> Result<Vec<(u64, u64)>> {
        with_table!(self, tables::RUN_CASES, |t| {
            let mut out = Vec::new();
            for item in t.range((run_id, 0)..=(run_id, u64::MAX))? {
                let (k, v) = item?;
                out.push((k.value().1, v.value()));
            }
            Ok(out)
        })
    }

    /// The second halves of the keys `(parent, _)` of an index table, newest (highest) first,
    /// skipping `skip` and taking at most `take` after walking `f`'s filter: used for lists that
    /// TestRail gives newest first.
    pub fn children_rev(
        &self,
        def: TableDefinition<(u64, u64), ()>,
        parent: u64,
        mut f: impl FnMut(u64) -> Result<bool>,
    ) -> Result<()> {
        with_table!(self, def, |t| {
            for item in t.range((parent, 0)..=(parent, u64::MAX))?.rev() {
                let (k, _) = item?;
                if !f(k.value().1)? {
                    break;
                }
            }
            Ok(())
        })
    }

    /// Walks a run's results newest first, as (result id, test id), until `f` returns false.
    pub fn for_each_run_result_rev(
        &self,
        run_id: u64,
        mut f: impl FnMut(u64, u64) -> Result<bool>,
    ) -> Result<()> {
        with_table!(self, tables::RUN_RESULTS, |t| {
            for item in t.range((run_id, 0)..=(run_id, u64::MAX))?.rev() {
                let (k, v) = item?;
                if !f(k.value().1, v.value())? {
                    break;
                }
            }
            Ok(())
        })
    }

    /// The ids of a test's results, newest first.
    pub fn test_result_ids(&self, run_id: u64, test_id: u64) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        self.for_each_run_result_rev(run_id, |r, t| {
            if t == test_id {
                out.push(r);
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// How many results a run has.
    pub fn run_result_count(&self, run_id: u64) -> Result<u64> {
        let mut n = 0;
        self.for_each_run_result_rev(run_id, |_, _| {
            n += 1;
            Ok(true)
        })?;
        Ok(n)
    }

    /// The attachments of an entity, in id order.
    pub fn attachments_of(&self, entity: AttachedTo, id: u64) -> Result<Vec<Attachment>> {
        let ids = with_table!(self, tables::ENTITY_ATTACHMENTS, |t| {
            let mut out = Vec::new();
            let e = entity.code();
            for item in t.range((e, id, 0)..=(e, id, u64::MAX))? {
                out.push(item?.0.value().2);
            }
            Ok::<_, Error>(out)
        })?;
        Ok(self
            .get_many::<Attachment>(&ids)?
            .into_iter()
            .flatten()
            .collect())
    }

    /// The attachment a 7.1+ server's UUID names.
    pub fn attachment_by_uuid(&self, uuid: &str) -> Result<Option<u64>> {
        with_table!(self, tables::ATTACHMENT_UUIDS, |t| Ok(t
            .get(uuid)?
            .map(|v| v.value())))
    }

    /// Every hash whose bytes the store keeps (for the garbage collection at open).
    pub fn blob_hashes(&self) -> Result<std::collections::HashSet<String>> {
        with_table!(self, tables::BLOBS, |t| {
            let mut out = std::collections::HashSet::new();
            for item in t.iter()? {
                out.insert(item?.0.value().to_string());
            }
            Ok(out)
        })
    }

    pub fn journal_entry(&self, seq: u64) -> Result<Option<JournalEntry>> {
        with_table!(self, tables::JOURNAL, |t| match t.get(seq)? {
            Some(v) => Ok(Some(codec::decode(v.value(), "journal")?)),
            None => Ok(None),
        })
    }

    /// Walks journal entries with `seq > after`, oldest first, until `f` returns false.
    pub fn for_each_journal_entry(
        &self,
        after: u64,
        mut f: impl FnMut(JournalEntry) -> Result<bool>,
    ) -> Result<()> {
        with_table!(self, tables::JOURNAL, |t| {
            for item in t.range(after.saturating_add(1)..)? {
                let (_, v) = item?;
                if !f(codec::decode(v.value(), "journal")?)? {
                    break;
                }
            }
            Ok(())
        })
    }
}

/// The slots of one block of test states to set (`None`: to clear), in the order given.
type Slots = Vec<(usize, Option<TestState>)>;

/// Writes to the tables of one write transaction, keeping indexes in step.
pub(crate) struct Writer<'a> {
    wtx: &'a WriteTransaction,
    wrote: bool,
    touched_fields: bool,
    version: Option<u64>,
    /// Cases written or deleted through this writer, for the search index.
    changed: Vec<u64>,
    /// Hashes of attachment bytes no record names any more: unlinked after the commit.
    unlinks: Vec<String>,
    /// How records are packed, read from the meta table on first use.
    packer: Option<codec::Packer>,
}

fn storage_key(kind: Kind) -> String {
    format!("{}.{}", meta::NEXT_LOCAL_ID, kind.name())
}

impl<'a> Writer<'a> {
    pub fn new(wtx: &'a WriteTransaction) -> Writer<'a> {
        Writer {
            wtx,
            wrote: false,
            touched_fields: false,
            version: None,
            changed: Vec::new(),
            unlinks: Vec::new(),
            packer: None,
        }
    }

    /// How this store's records are packed: with its current dictionary, if it has one.
    fn packer(&mut self) -> Result<codec::Packer> {
        if let Some(p) = self.packer {
            return Ok(p);
        }
        let id = self.tx().meta_u64(meta::RECORD_DICTIONARY)?.unwrap_or(0);
        let p = codec::Packer::with(u32::try_from(id).unwrap_or(0))?;
        self.packer = Some(p);
        Ok(p)
    }

    /// Keeps a dictionary trained by [`codec::train`] and packs the records written from now on
    /// with it. Records packed with an earlier one keep naming it, so it stays too.
    pub fn set_record_dictionary(&mut self, bytes: &[u8]) -> Result<()> {
        let id = codec::register(bytes)?;
        self.wrote = true;
        {
            let mut t = self.wtx.open_table(tables::META)?;
            let key = format!("{}{id}", meta::RECORD_DICTIONARY_PREFIX);
            t.insert(key.as_str(), bytes)?;
        }
        self.set_meta_u64(meta::RECORD_DICTIONARY, u64::from(id))?;
        self.packer = Some(codec::Packer::with(id)?);
        Ok(())
    }

    /// The attachment bytes to unlink once this writer's transaction commits.
    pub fn take_unlinks(&mut self) -> Vec<String> {
        std::mem::take(&mut self.unlinks)
    }

    pub fn tx(&self) -> Tx<'a> {
        Tx::Write(self.wtx)
    }

    pub fn local_id_key(kind: Kind) -> String {
        storage_key(kind)
    }

    /// Whether a write to a table happened; an error after this must abort the transaction.
    pub fn failed_midway(&self) -> bool {
        self.wrote
    }

    pub fn touched_fields(&self) -> bool {
        self.touched_fields
    }

    /// The cases this writer changed and the data version it stamped (0 if it wrote nothing).
    pub fn into_changes(self) -> (Vec<u64>, u64) {
        (self.changed, self.version.unwrap_or(0))
    }

    /// Marks a case as changed for derived indexes without rewriting it (its section moved).
    pub fn touch_case(&mut self, case_id: u64) -> Result<()> {
        self.case_changed(case_id)
    }

    /// Forgets change-log entries up to `version` (the search index reflects them) and records
    /// how far the log was pruned.
    pub fn prune_case_changes(&mut self, version: u64) -> Result<()> {
        self.wrote = true;
        {
            let mut t = self.wtx.open_table(tables::CASE_CHANGES)?;
            t.retain_in((0, 0)..=(version, u64::MAX), |_, _| false)?;
        }
        let before = self.tx().meta_u64(meta::CHANGES_PRUNED_TO)?.unwrap_or(0);
        self.set_meta_u64(meta::CHANGES_PRUNED_TO, before.max(version))
    }

    /// The names of every table a current store has.
    pub fn table_names() -> Vec<String> {
        use redb::TableHandle;
        let mut out: Vec<String> = [
            tables::META.name(),
            tables::CONFLICTS.name(),
            tables::ID_MAP.name(),
            tables::LOCAL_ALIASES.name(),
            tables::SUITE_CASES.name(),
            tables::RUN_TESTS.name(),
            tables::TEST_STATUSES.name(),
            tables::TEST_RUNS.name(),
            tables::RUN_CASES.name(),
            tables::RUN_RESULTS.name(),
            tables::ENTITY_ATTACHMENTS.name(),
            tables::BLOBS.name(),
            tables::ATTACHMENT_UUIDS.name(),
            tables::GUID_MAP.name(),
        ]
        .iter()
        .map(|n| n.to_string())
        .collect();
        for def in tables::RECORD_TABLES {
            out.push(def.name().to_string());
        }
        for def in tables::LINK_TABLES {
            out.push(def.name().to_string());
        }
        out
    }

    pub fn create_all_tables(&mut self) -> Result<()> {
        self.wrote = true;
        self.wtx.open_table(tables::META)?;
        for def in tables::RECORD_TABLES {
            self.wtx.open_table(*def)?;
        }
        self.wtx.open_table(tables::CONFLICTS)?;
        self.wtx.open_table(tables::ID_MAP)?;
        self.wtx.open_table(tables::LOCAL_ALIASES)?;
        for def in tables::LINK_TABLES {
            self.wtx.open_table(*def)?;
        }
        self.wtx.open_table(tables::SUITE_CASES)?;
        self.wtx.open_table(tables::RUN_TESTS)?;
        self.wtx.open_table(tables::TEST_STATUSES)?;
        self.wtx.open_table(tables::TEST_RUNS)?;
        self.wtx.open_table(tables::RUN_CASES)?;
        self.wtx.open_table(tables::RUN_RESULTS)?;
        self.wtx.open_table(tables::ENTITY_ATTACHMENTS)?;
        self.wtx.open_table(tables::BLOBS)?;
        self.wtx.open_table(tables::ATTACHMENT_UUIDS)?;
        self.wtx.open_table(tables::GUID_MAP)?;
        Ok(())
    }

    /// Records that a plan entry's local GUID became the server's.
    pub fn map_guid(&mut self, local: &str, server: &str) -> Result<()> {
        self.wrote = true;
        let mut t = self.wtx.open_table(tables::GUID_MAP)?;
        t.insert(local, server)?;
        Ok(())
    }

    pub fn set_meta_u64(&mut self, key: &str, value: u64) -> Result<()> {
        self.wrote = true;
        let mut t = self.wtx.open_table(tables::META)?;
        t.insert(key, value.to_le_bytes().as_slice())?;
        Ok(())
    }

    pub fn set_meta_str(&mut self, key: &str, value: &str) -> Result<()> {
        self.wrote = true;
        let mut t = self.wtx.open_table(tables::META)?;
        t.insert(key, value.as_bytes())?;
        Ok(())
    }

    /// Records that a local id became a server id (both stay valid).
    pub fn map_id(&mut self, kind: Kind, local: u64, server: u64) -> Result<()> {
        self.wrote = true;
        {
            let mut t = self.wtx.open_table(tables::ID_MAP)?;
            t.insert((kind.code(), local), server)?;
        }
        let mut t = self.wtx.open_table(tables::LOCAL_ALIASES)?;
        t.insert((kind.code(), server), local)?;
        Ok(())
    }

    pub fn remove_conflict(&mut self, key: &str) -> Result<bool> {
        self.wrote = true;
        let mut t = self.wtx.open_table(tables::CONFLICTS)?;
        let removed = t.remove(key)?.is_some();
        Ok(removed)
    }

    /// Rewrites a stored journal entry (its push state, or its base values).
    pub fn update_journal(&mut self, entry: &JournalEntry) -> Result<()> {
        self.wrote = true;
        let bytes = self.packer()?.encode(entry)?;
        let mut t = self.wtx.open_table(tables::JOURNAL)?;
        t.insert(entry.seq, bytes.as_slice())?;
        Ok(())
    }

    /// Records (or replaces) a conflict.
    pub fn put_conflict(&mut self, c: &Conflict) -> Result<()> {
        self.wrote = true;
        let bytes = codec::encode(c)?;
        let mut t = self.wtx.open_table(tables::CONFLICTS)?;
        t.insert(c.key().as_str(), bytes.as_slice())?;
        Ok(())
    }

    /// The data version this writer's changes are stamped with; bumped once per writer.
    pub fn data_version(&mut self) -> Result<u64> {
        if let Some(v) = self.version {
            return Ok(v);
        }
        let v = self.tx().meta_u64(meta::DATA_VERSION)?.unwrap_or(0) + 1;
        self.set_meta_u64(meta::DATA_VERSION, v)?;
        self.version = Some(v);
        Ok(v)
    }

    /// The id for a new entity of a kind: the next local id (see
    /// [`crate::model::LOCAL_ID_MIN`]), or, in a store that plays a TestRail server
    /// ([`meta::ID_MODE`] = `server`), the next id after the highest one, as TestRail gives them.
    pub fn new_id(&mut self, kind: Kind) -> Result<u64> {
        self.new_ids(kind, 1).map(|r| r.start)
    }

    /// `n` consecutive ids for new entities of a kind (see [`Writer::new_id`]), taken at once:
    /// a run of 100,000 tests takes one meta write, not 100,000.
    pub fn new_ids(&mut self, kind: Kind, n: u64) -> Result<std::ops::Range<u64>> {
        if self.tx().meta_str(meta::ID_MODE)?.as_deref() == Some(meta::ID_MODE_SERVER) {
            let below = ..crate::model::LOCAL_ID_MIN;
            let last = match table_of(kind) {
                Some(def) => with_table!(self.tx(), def, |t| match t.range(below)?.next_back() {
                    Some(item) => Ok::<u64, Error>(item?.0.value()),
                    None => Ok(0),
                })?,
                None => with_table!(self.tx(), tables::TEST_RUNS, |t| match t
                    .range(below)?
                    .next_back()
                {
                    Some(item) => Ok::<u64, Error>(item?.0.value()),
                    None => Ok(0),
                })?,
            };
            if last + n >= crate::model::LOCAL_ID_MIN {
                return Err(Error::Forbidden {
                    message: format!("This server store has used every {} id.", kind.noun()),
                });
            }
            return Ok(last + 1..last + 1 + n);
        }
        let key = storage_key(kind);
        let next = self
            .tx()
            .meta_u64(&key)?
            .unwrap_or(crate::model::LOCAL_ID_MIN);
        if next + n > ID_MAX + 1 {
            return Err(Error::Forbidden {
                message: format!(
                    "This store has used every local {} id; push its changes to a server first.",
                    kind.noun()
                ),
            });
        }
        self.set_meta_u64(&key, next + n)?;
        Ok(next..next + n)
    }

    pub fn put<R: Record>(&mut self, record: &R) -> Result<()> {
        self.wrote = true;
        self.data_version()?;
        if R::KIND == Kind::CaseField {
            self.touched_fields = true;
        }
        let bytes = self.packer()?.encode(record)?;
        let mut t = self.wtx.open_table(R::TABLE)?;
        t.insert(record.id(), bytes.as_slice())?;
        Ok(())
    }

    /// Removes every record of a kind (reference data replaced as a whole).
    pub fn clear<R: Record>(&mut self) -> Result<()> {
        self.wrote = true;
        self.data_version()?;
        if R::KIND == Kind::CaseField {
            self.touched_fields = true;
        }
        let mut t = self.wtx.open_table(R::TABLE)?;
        t.retain(|_, _| false)?;
        Ok(())
    }

    pub fn remove<R: Record>(&mut self, id: u64) -> Result<()> {
        self.wrote = true;
        self.data_version()?;
        let mut t = self.wtx.open_table(R::TABLE)?;
        t.remove(id)?;
        Ok(())
    }

    pub fn link(&mut self, def: TableDefinition<(u64, u64), ()>, a: u64, b: u64) -> Result<()> {
        self.wrote = true;
        let mut t = self.wtx.open_table(def)?;
        t.insert((a, b), ())?;
        Ok(())
    }

    pub fn unlink(&mut self, def: TableDefinition<(u64, u64), ()>, a: u64, b: u64) -> Result<()> {
        self.wrote = true;
        let mut t = self.wtx.open_table(def)?;
        t.remove((a, b))?;
        Ok(())
    }

    /// Writes a suite and its project link.
    pub fn put_suite(&mut self, suite: &Suite) -> Result<()> {
        self.put(suite)?;
        self.link(tables::PROJECT_SUITES, suite.project_id, suite.id)
    }

    /// Writes a section and its suite link.
    pub fn put_section(&mut self, section: &Section) -> Result<()> {
        self.put(section)?;
        self.link(tables::SUITE_SECTIONS, section.suite_id, section.id)
    }

    pub fn put_milestone(&mut self, m: &Milestone) -> Result<()> {
        self.put(m)?;
        self.link(tables::PROJECT_MILESTONES, m.project_id, m.id)
    }

    /// Writes a new attachment: its record, its owner's link, its UUID and one more reference
    /// to its bytes (when the store has them).
    pub fn put_new_attachment(&mut self, a: &Attachment) -> Result<()> {
        self.put(a)?;
        {
            let mut t = self.wtx.open_table(tables::ENTITY_ATTACHMENTS)?;
            t.insert((a.entity.code(), a.entity_id, a.id), ())?;
        }
        if let Some(u) = &a.uuid {
            let mut t = self.wtx.open_table(tables::ATTACHMENT_UUIDS)?;
            t.insert(u.as_str(), a.id)?;
        }
        self.add_blob_reference(&a.sha256, 1)
    }

    /// Removes an attachment; bytes no other attachment names are unlinked after the commit.
    pub fn delete_attachment(&mut self, a: &Attachment) -> Result<()> {
        self.remove::<Attachment>(a.id)?;
        {
            let mut t = self.wtx.open_table(tables::ENTITY_ATTACHMENTS)?;
            t.remove((a.entity.code(), a.entity_id, a.id))?;
        }
        if let Some(u) = &a.uuid {
            let mut t = self.wtx.open_table(tables::ATTACHMENT_UUIDS)?;
            t.remove(u.as_str())?;
        }
        self.add_blob_reference(&a.sha256, -1)
    }

    /// Rewrites an attachment the store has (new metadata, or its bytes arrived): its owner's
    /// link, its UUID and its reference to bytes move only where they changed, the new
    /// reference taken before the old one is let go.
    pub fn update_attachment(&mut self, old: &Attachment, new: &Attachment) -> Result<()> {
        self.put(new)?;
        if (old.entity, old.entity_id) != (new.entity, new.entity_id) {
            let mut t = self.wtx.open_table(tables::ENTITY_ATTACHMENTS)?;
            t.remove((old.entity.code(), old.entity_id, old.id))?;
            t.insert((new.entity.code(), new.entity_id, new.id), ())?;
        }
        if old.uuid != new.uuid {
            let mut t = self.wtx.open_table(tables::ATTACHMENT_UUIDS)?;
            if let Some(u) = &old.uuid {
                t.remove(u.as_str())?;
            }
            if let Some(u) = &new.uuid {
                t.insert(u.as_str(), new.id)?;
            }
        }
        if old.sha256 != new.sha256 {
            self.add_blob_reference(&new.sha256, 1)?;
            self.add_blob_reference(&old.sha256, -1)?;
        }
        Ok(())
    }

    /// Moves the reference count of some bytes; bytes nothing names any more are unlinked after
    /// the commit. An empty hash (metadata without bytes) counts nothing.
    fn add_blob_reference(&mut self, sha256: &str, by: i64) -> Result<()> {
        if sha256.is_empty() {
            return Ok(());
        }
        let mut t = self.wtx.open_table(tables::BLOBS)?;
        let n = t.get(sha256)?.map_or(0, |v| v.value()) as i64 + by;
        if n <= 0 {
            t.remove(sha256)?;
            self.unlinks.push(sha256.to_string());
        } else {
            t.insert(sha256, n as u64)?;
        }
        Ok(())
    }

    /// Removes every attachment of an entity (the entity is going).
    pub fn delete_attachments_of(&mut self, entity: AttachedTo, id: u64) -> Result<()> {
        for a in self.tx().attachments_of(entity, id)? {
            self.delete_attachment(&a)?;
        }
        Ok(())
    }

    /// Writes a run and its project and suite links.
    pub fn put_run(&mut self, run: &Run) -> Result<()> {
        self.put(run)?;
        self.link(tables::PROJECT_RUNS, run.project_id, run.id)?;
        self.link(tables::SUITE_RUNS, run.suite_id, run.id)
    }

    /// Removes a run record and its links (its tests and results go with
    /// [`Writer::delete_run_tests`]).
    pub fn delete_run(&mut self, run: &Run) -> Result<()> {
        self.delete_attachments_of(AttachedTo::Run, run.id)?;
        self.remove::<Run>(run.id)?;
        self.unlink(tables::PROJECT_RUNS, run.project_id, run.id)?;
        self.unlink(tables::SUITE_RUNS, run.suite_id, run.id)
    }

    pub fn put_plan(&mut self, plan: &Plan) -> Result<()> {
        self.put(plan)?;
        self.link(tables::PROJECT_PLANS, plan.project_id, plan.id)
    }

    pub fn delete_plan(&mut self, plan: &Plan) -> Result<()> {
        self.delete_attachments_of(AttachedTo::Plan, plan.id)?;
        self.delete_attachments_of(AttachedTo::PlanEntry, plan.id)?;
        self.delete_plan_record(plan)
    }

    /// Removes a plan's record and project link only (a plan renamed to its server id).
    pub fn delete_plan_record(&mut self, plan: &Plan) -> Result<()> {
        self.remove::<Plan>(plan.id)?;
        self.unlink(tables::PROJECT_PLANS, plan.project_id, plan.id)
    }

    pub fn put_config_group(&mut self, g: &ConfigGroup) -> Result<()> {
        self.put(g)?;
        self.link(tables::PROJECT_CONFIG_GROUPS, g.project_id, g.id)
    }

    pub fn put_config(&mut self, c: &Config) -> Result<()> {
        self.put(c)?;
        self.link(tables::GROUP_CONFIGS, c.group_id, c.id)
    }

    /// Writes tests: new ones with their id and case links, known ones over their old record,
    /// their statuses and assignees into their blocks. Each table is opened once for all of them.
    pub fn put_tests(&mut self, tests: &[Test]) -> Result<()> {
        if tests.is_empty() {
            return Ok(());
        }
        self.wrote = true;
        self.data_version()?;
        self.put_test_states(tests)?;
        let mut records = self.wtx.open_table(tables::RUN_TESTS)?;
        let mut runs = self.wtx.open_table(tables::TEST_RUNS)?;
        for t in tests {
            records.insert((t.run_id, t.id), codec::encode(t)?.as_slice())?;
            runs.insert(t.id, t.run_id)?;
        }
        // In key order: a big run's tests go in suite order, not case order.
        let mut by_case: Vec<(u64, u64, u64)> =
            tests.iter().map(|t| (t.run_id, t.case_id, t.id)).collect();
        by_case.sort_unstable();
        let mut cases = self.wtx.open_table(tables::RUN_CASES)?;
        for (run, case, test) in by_case {
            cases.insert((run, case), test)?;
        }
        Ok(())
    }

    /// Rewrites tests the store has (their snapshot changed): their records and states, whose
    /// keys and links stay as they are.
    pub fn update_tests(&mut self, tests: &[Test]) -> Result<()> {
        if tests.is_empty() {
            return Ok(());
        }
        self.wrote = true;
        self.data_version()?;
        self.put_test_states(tests)?;
        let mut records = self.wtx.open_table(tables::RUN_TESTS)?;
        for t in tests {
            records.insert((t.run_id, t.id), codec::encode(t)?.as_slice())?;
        }
        Ok(())
    }

    /// Changes the status and assignee of tests the store has: only their blocks in
    /// [`tables::TEST_STATUSES`], not their records (a bulk add of results touches a few
    /// blocks instead of a page per test).
    pub fn set_test_states(&mut self, run_id: u64, tests: &[(u64, TestState)]) -> Result<()> {
        if tests.is_empty() {
            return Ok(());
        }
        self.wrote = true;
        self.data_version()?;
        self.write_states(tests.iter().map(|(id, s)| (run_id, *id, Some(*s))))
    }

    /// Writes back the blocks of [`Tx::state_blocks`] that changed.
    pub fn put_state_blocks(&mut self, states: &StateBlocks) -> Result<()> {
        if !states.blocks.values().any(|(_, changed)| *changed) {
            return Ok(());
        }
        self.wrote = true;
        self.data_version()?;
        let mut t = self.wtx.open_table(tables::TEST_STATUSES)?;
        for (block, (s, changed)) in &states.blocks {
            if *changed {
                t.insert((states.run_id, *block), s.encode().as_slice())?;
            }
        }
        Ok(())
    }

    fn put_test_states(&mut self, tests: &[Test]) -> Result<()> {
        self.write_states(tests.iter().map(|t| {
            (
                t.run_id,
                t.id,
                Some(TestState {
                    status_id: t.status_id,
                    assignedto_id: t.assignedto_id,
                }),
            )
        }))
    }

    /// Sets (or, with `None`, removes) tests' states, reading and writing each block once.
    fn write_states(
        &mut self,
        items: impl Iterator<Item = (u64, u64, Option<TestState>)>,
    ) -> Result<()> {
        let mut blocks: std::collections::BTreeMap<(u64, u64), Slots> =
            std::collections::BTreeMap::new();
        for (run_id, test_id, state) in items {
            let (block, slot) = TestStates::place(test_id);
            blocks
                .entry((run_id, block))
                .or_default()
                .push((slot, state));
        }
        let mut t = self.wtx.open_table(tables::TEST_STATUSES)?;
        for (key, slots) in blocks {
            let mut states = match t.get(key)? {
                Some(v) => TestStates::decode(v.value())?,
                None => TestStates::default(),
            };
            for (slot, state) in slots {
                states.set(slot, state);
            }
            if states.is_empty() {
                t.remove(key)?;
            } else {
                t.insert(key, states.encode().as_slice())?;
            }
        }
        Ok(())
    }

    /// Builds every test's block from its record (a store from before the states were kept
    /// apart, opened for the first time).
    pub fn rebuild_test_states(&mut self) -> Result<()> {
        self.wrote = true;
        let mut items = Vec::new();
        {
            let records = self.wtx.open_table(tables::RUN_TESTS)?;
            for item in records.iter()? {
                let (_, v) = item?;
                let t: Test = codec::decode(v.value(), "test")?;
                items.push((
                    t.run_id,
                    t.id,
                    Some(TestState {
                        status_id: t.status_id,
                        assignedto_id: t.assignedto_id,
                    }),
                ));
            }
        }
        {
            let mut t = self.wtx.open_table(tables::TEST_STATUSES)?;
            t.retain(|_, _| false)?;
        }
        self.write_states(items.into_iter())
    }

    /// Removes a test's record and links only (its results stay): for a test that is rewritten
    /// under another key.
    pub fn delete_test_links(&mut self, t: &Test) -> Result<()> {
        self.wrote = true;
        self.write_states(std::iter::once((t.run_id, t.id, None)))?;
        let mut records = self.wtx.open_table(tables::RUN_TESTS)?;
        records.remove((t.run_id, t.id))?;
        let mut runs = self.wtx.open_table(tables::TEST_RUNS)?;
        runs.remove(t.id)?;
        let mut cases = self.wtx.open_table(tables::RUN_CASES)?;
        if cases.get((t.run_id, t.case_id))?.map(|v| v.value()) == Some(t.id) {
            cases.remove((t.run_id, t.case_id))?;
        }
        Ok(())
    }

    /// Removes tests and every result of each.
    pub fn delete_tests(&mut self, tests: &[Test]) -> Result<()> {
        for t in tests {
            self.data_version()?;
            self.delete_test_links(t)?;
            for rid in self.tx().test_result_ids(t.run_id, t.id)? {
                if let Some(r) = self.tx().get::<TestResult>(rid)? {
                    self.delete_result(&r)?;
                }
            }
        }
        Ok(())
    }

    /// Writes results that are new, with their test and run links, opening each table once.
    pub fn put_new_results(&mut self, results: &[TestResult]) -> Result<()> {
        if results.is_empty() {
            return Ok(());
        }
        self.wrote = true;
        self.data_version()?;
        let mut records = self.wtx.open_table(tables::RESULTS)?;
        let mut by_run = self.wtx.open_table(tables::RUN_RESULTS)?;
        for r in results {
            records.insert(r.id, codec::encode(r)?.as_slice())?;
            by_run.insert((r.run_id, r.id), r.test_id)?;
        }
        Ok(())
    }

    pub fn delete_result(&mut self, r: &TestResult) -> Result<()> {
        self.delete_attachments_of(AttachedTo::Result, r.id)?;
        self.remove::<TestResult>(r.id)?;
        self.unlink_result(r.run_id, r.id)
    }

    /// Removes a result's entry in its run's list (its record stays).
    pub fn unlink_result(&mut self, run_id: u64, result_id: u64) -> Result<()> {
        self.wrote = true;
        let mut t = self.wtx.open_table(tables::RUN_RESULTS)?;
        t.remove((run_id, result_id))?;
        Ok(())
    }

    /// Writes a case; `old` is the stored version it replaces, whose index entries are moved.
    pub fn put_case(&mut self, case: &Case, old: Option<&Case>) -> Result<()> {
        if let Some(old) = old {
            if old.section_id != case.section_id {
                self.unlink(tables::SECTION_CASES, old.section_id, old.id)?;
            }
            if old.suite_id != case.suite_id {
                let mut t = self.wtx.open_table(tables::SUITE_CASES)?;
                t.remove((old.suite_id, old.id))?;
            }
        }
        let mut case = Some(case);
        self.put_new_cases::<String, _>(1, |_, _| Ok(case.take()), |_, _| Ok(()))
            .map(drop)
    }

    /// Writes cases none of whose ids the store holds (or whose old links the caller removed,
    /// as [`Writer::put_case`] does): the record, its section link, its summary in the suite,
    /// and its entry in the change log. Each table is opened once for all of them (a fresh
    /// import's path: per case, opening and closing four tables cost as much as writing it).
    /// `make` gives the `i`-th of `count` cases (`None` skips it), so that a caller can build
    /// each case as it is written instead of holding them all; `each` runs after each case is
    /// written, with the transaction to read from. Answers how many were written.
    /// The cases may borrow their text ([`CaseView`]): their records are the same bytes.
    pub fn put_new_cases<S, C>(
        &mut self,
        count: usize,
        mut make: impl FnMut(&Tx<'_>, usize) -> Result<Option<C>>,
        mut each: impl FnMut(&Tx<'_>, &CaseOf<S>) -> Result<()>,
    ) -> Result<usize>
    where
        S: AsRef<str> + Serialize,
        C: std::borrow::Borrow<CaseOf<S>>,
    {
        if count == 0 {
            return Ok(0);
        }
        self.wrote = true;
        let version = self.data_version()?;
        let packer = self.packer()?;
        let wtx = self.wtx;
        let tx = Tx::Write(wtx);
        let mut records = wtx.open_table(tables::CASES)?;
        let mut in_section = wtx.open_table(tables::SECTION_CASES)?;
        let mut in_suite = wtx.open_table(tables::SUITE_CASES)?;
        let mut changes = wtx.open_table(tables::CASE_CHANGES)?;
        let mut written = 0;
        for i in 0..count {
            let Some(case) = make(&tx, i)? else { continue };
            let case = case.borrow();
            records.insert(case.id, packer.encode(case)?.as_slice())?;
            in_section.insert((case.section_id, case.id), ())?;
            in_suite.insert(
                (case.suite_id, case.id),
                summary_of(case).encode().as_slice(),
            )?;
            changes.insert((version, case.id), ())?;
            self.changed.push(case.id);
            written += 1;
            each(&tx, case)?;
        }
        Ok(written)
    }

    pub fn delete_case(&mut self, case: &Case) -> Result<()> {
        self.remove::<Case>(case.id)?;
        self.unlink(tables::SECTION_CASES, case.section_id, case.id)?;
        {
            let mut t = self.wtx.open_table(tables::SUITE_CASES)?;
            t.remove((case.suite_id, case.id))?;
        }
        self.case_changed(case.id)
    }

    pub fn delete_section(&mut self, section: &Section) -> Result<()> {
        self.remove::<Section>(section.id)?;
        self.unlink(tables::SUITE_SECTIONS, section.suite_id, section.id)
    }

    pub fn delete_suite(&mut self, suite: &Suite) -> Result<()> {
        self.remove::<Suite>(suite.id)?;
        self.unlink(tables::PROJECT_SUITES, suite.project_id, suite.id)
    }

    pub fn delete_milestone(&mut self, m: &Milestone) -> Result<()> {
        self.remove::<Milestone>(m.id)?;
        self.unlink(tables::PROJECT_MILESTONES, m.project_id, m.id)
    }

    fn case_changed(&mut self, case_id: u64) -> Result<()> {
        let v = self.data_version()?;
        self.changed.push(case_id);
        self.link(tables::CASE_CHANGES, v, case_id)
    }

    /// Appends a journal entry, giving it the next sequence number, and indexes the cases it
    /// touches for `get_history_for_case`.
    pub fn append_journal(&mut self, entry: &mut JournalEntry) -> Result<u64> {
        let seq = self.tx().meta_u64(meta::JOURNAL_SEQ)?.unwrap_or(0) + 1;
        entry.seq = seq;
        let bytes = self.packer()?.encode(entry)?;
        self.put_journal(seq, &bytes, &entry.effects)
    }

    /// Appends a new entry given in its borrowed form (see [`NewEntry`]); its `seq` is set here.
    pub(crate) fn append_new_entry(&mut self, mut entry: NewEntry<'_>) -> Result<u64> {
        let seq = self.tx().meta_u64(meta::JOURNAL_SEQ)?.unwrap_or(0) + 1;
        entry.seq = seq;
        let bytes = self.packer()?.encode(&entry)?;
        self.put_journal(seq, &bytes, entry.effects)
    }

    /// Stores an encoded entry as number `seq`, and links it to the history of the cases it
    /// touched.
    fn put_journal(&mut self, seq: u64, bytes: &[u8], effects: &[Effect]) -> Result<u64> {
        self.set_meta_u64(meta::JOURNAL_SEQ, seq)?;
        {
            let mut t = self.wtx.open_table(tables::JOURNAL)?;
            t.insert(seq, bytes)?;
        }
        let mut cases: Vec<u64> = effects
            .iter()
            .filter(|e| e.kind == Kind::Case)
            .map(|e| e.id)
            .collect();
        cases.sort_unstable();
        cases.dedup();
        for id in cases {
            self.link(tables::CASE_HISTORY, id, seq)?;
        }
        Ok(seq)
    }
}

/// The summary of a case kept in `suite_cases`.
fn summary_of<S>(case: &CaseOf<S>) -> CaseSummary {
    CaseSummary {
        section_id: case.section_id,
        template_id: case.template_id,
        type_id: case.type_id,
        priority_id: case.priority_id,
        milestone_id: case.milestone_id.unwrap_or(0),
        created_by: case.created_by,
        updated_by: case.updated_by,
        created_on: case.created_on,
        updated_on: case.updated_on,
    }
}

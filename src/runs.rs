//! Runs, tests and results: the rules that keep them in step, in one place.
//!
//! - A run has one test per selected case: every case of its suite (`include_all`), or a list.
//!   A run that includes all cases also takes the cases added to its suite while it is open.
//! - While a run is open its tests show their cases as the cases are now; closing the run
//!   freezes each test's copy of its case (TestRail "archives" the tests).
//! - A test's status is the status of its latest result that carried one: untested (3) before
//!   any. Results that only comment or assign do not change it.
//! - A run's counts (`passed_count` …) are kept with the run and changed by every write that
//!   changes a status or the tests, never recounted on a read; a plan's counts are the sum of its
//!   runs', kept the same way.
//!
//! Deleting cases, as TestRail documents it: deleting a case (or its section or suite) "also
//! permanently deletes all test results in active test runs (i.e. test runs that haven't been
//! closed (archived) yet)". So the case's tests leave its open runs with their results, and
//! closed runs keep theirs, frozen.

use std::collections::{BTreeMap, HashMap};

use crate::codec::TestState;
use crate::error::Result;
use crate::model::{
    Case, CaseField, Plan, Run, Section, StatusCounts, Test, TestCase, TestResult, UNTESTED,
};
use crate::tables;
use crate::tx::{Tx, Writer};
use crate::validate::{self, ResultBody};

/// A run being changed: saving it also moves its plan's counts by what its own counts moved.
pub(crate) struct RunEdit {
    pub run: Run,
    before: StatusCounts,
}

impl RunEdit {
    pub fn new(run: Run) -> RunEdit {
        let before = run.counts.clone();
        RunEdit { run, before }
    }

    /// Writes the run, and its plan's counts if they moved.
    pub fn save(self, w: &mut Writer<'_>) -> Result<Run> {
        w.put_run(&self.run)?;
        if self.run.counts != self.before {
            if let Some(plan_id) = self.run.plan_id {
                if let Some(mut plan) = w.tx().get::<Plan>(plan_id)? {
                    plan.counts.merge(&self.before, -1);
                    plan.counts.merge(&self.run.counts, 1);
                    w.put_plan(&plan)?;
                }
            }
        }
        Ok(self.run)
    }
}

/// Every case of a suite, in id order.
pub(crate) fn suite_case_ids(tx: &Tx<'_>, suite_id: u64) -> Result<Vec<u64>> {
    let mut ids = Vec::new();
    tx.for_each_suite_case(suite_id, 0, |id, _| {
        ids.push(id);
        Ok(true)
    })?;
    Ok(ids)
}

/// Cases in the order their suite shows them: by section (in the tree's display order), then by
/// id. Tests are numbered in this order, so that a run lists them as the suite does.
fn suite_order(tx: &Tx<'_>, suite_id: u64, ids: Vec<u64>) -> Result<Vec<u64>> {
    // The summaries come in the order asked, skipping ids the suite does not hold.
    let summaries = tx.suite_case_summaries(suite_id, &ids)?;
    let mut found = summaries.iter().peekable();
    let cases = ids
        .into_iter()
        .map(|id| match found.peek() {
            Some((sid, s)) if *sid == id => {
                found.next();
                (id, s.section_id)
            }
            _ => (id, 0),
        })
        .collect();
    by_section(tx, cases)
}

/// Every case of a suite in the order the suite shows them (see [`suite_order`]), from one pass
/// over the suite's case index.
pub(crate) fn suite_cases_in_order(tx: &Tx<'_>, suite_id: u64) -> Result<Vec<u64>> {
    let mut cases = Vec::new();
    tx.for_each_suite_case(suite_id, 0, |id, s| {
        cases.push((id, s.section_id));
        Ok(true)
    })?;
    by_section(tx, cases)
}

/// Orders (case, section) pairs by their section's display order, then section, then case.
fn by_section(tx: &Tx<'_>, cases: Vec<(u64, u64)>) -> Result<Vec<u64>> {
    let mut sections: Vec<u64> = cases.iter().map(|(_, s)| *s).collect();
    sections.sort_unstable();
    sections.dedup();
    let order: HashMap<u64, i64> = sections
        .iter()
        .zip(tx.get_many::<Section>(&sections)?)
        .map(|(id, s)| (*id, s.map_or(i64::MAX, |s| s.display_order)))
        .collect();
    // Each key is built once (a sort that looked them up per comparison was a third of an
    // `include_all` run on 100k cases); ids are distinct, so the unstable sort is exact.
    let mut keyed: Vec<(i64, u64, u64)> = cases
        .into_iter()
        .map(|(id, section)| {
            let display = order.get(&section).copied().unwrap_or(i64::MAX);
            (display, section, id)
        })
        .collect();
    keyed.sort_unstable();
    Ok(keyed.into_iter().map(|(_, _, id)| id).collect())
}

/// Gives the run a test of each case that has none in it yet, untested. A run that has no test
/// yet (`fresh`) is not asked which it has.
pub(crate) fn add_tests(
    w: &mut Writer<'_>,
    edit: &mut RunEdit,
    case_ids: &[u64],
    fresh: bool,
) -> Result<()> {
    let run_id = edit.run.id;
    let have = if fresh {
        vec![None; case_ids.len()]
    } else {
        w.tx().run_case_tests(run_id, case_ids)?
    };
    let mut seen = std::collections::HashSet::new();
    let wanted: Vec<u64> = case_ids
        .iter()
        .zip(have)
        .filter(|(c, t)| t.is_none() && seen.insert(**c))
        .map(|(c, _)| *c)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let wanted = suite_order(&w.tx(), edit.run.suite_id, wanted)?;
    add_ordered_tests(w, edit, &wanted)
}

/// Gives the run an untested test of each case, numbered in the order given (the suite's, from
/// [`suite_order`] or [`suite_cases_in_order`]); none of the cases has a test in it yet.
pub(crate) fn add_ordered_tests(
    w: &mut Writer<'_>,
    edit: &mut RunEdit,
    wanted: &[u64],
) -> Result<()> {
    if wanted.is_empty() {
        return Ok(());
    }
    let run_id = edit.run.id;
    let ids = w.new_ids(crate::model::Kind::Test, wanted.len() as u64)?;
    let tests: Vec<Test> = ids
        .zip(wanted)
        .map(|(id, case_id)| Test {
            id,
            run_id,
            case_id: *case_id,
            status_id: UNTESTED,
            assignedto_id: edit.run.assignedto_id,
            snapshot: None,
            extra: Vec::new(),
        })
        .collect();
    w.put_tests(&tests)?;
    edit.run.counts.add(UNTESTED, tests.len() as i64);
    Ok(())
}

/// Removes tests from the run, with their results.
pub(crate) fn remove_tests(w: &mut Writer<'_>, edit: &mut RunEdit, tests: &[Test]) -> Result<()> {
    for t in tests {
        edit.run.counts.add(t.status_id, -1);
    }
    w.delete_tests(tests)
}

/// Makes the run's tests those of `case_ids` (every case of the suite when `None`): tests of
/// cases no longer selected go with their results, new cases get untested tests, and the tests
/// that stay keep their results.
pub(crate) fn set_selection(
    w: &mut Writer<'_>,
    edit: &mut RunEdit,
    case_ids: Option<&[u64]>,
) -> Result<()> {
    let all;
    let wanted: &[u64] = match case_ids {
        Some(ids) => ids,
        None => {
            all = suite_case_ids(&w.tx(), edit.run.suite_id)?;
            &all
        }
    };
    let keep: std::collections::HashSet<u64> = wanted.iter().copied().collect();
    let mut gone = Vec::new();
    let run_id = edit.run.id;
    w.tx().for_each_run_test(run_id, 0, |t| {
        if !keep.contains(&t.case_id) {
            gone.push(t);
        }
        Ok(true)
    })?;
    remove_tests(w, edit, &gone)?;
    add_tests(w, edit, wanted, false)
}

/// Freezes the tests of a run that is closing: each keeps the case as it is now.
pub(crate) fn freeze_tests(w: &mut Writer<'_>, run: &Run) -> Result<()> {
    let fields = w.tx().all::<CaseField>()?;
    let shown = validate::project_fields(&fields, run.project_id);
    let mut tests = Vec::new();
    w.tx().for_each_run_test(run.id, 0, |t| {
        tests.push(t);
        Ok(true)
    })?;
    let ids: Vec<u64> = tests.iter().map(|t| t.case_id).collect();
    let cases = w.tx().get_many::<Case>(&ids)?;
    for (t, case) in tests.iter_mut().zip(cases) {
        if let Some(case) = case {
            t.snapshot = Some(Box::new(TestCase::of(&case, &shown)));
        }
    }
    w.update_tests(&tests)
}

/// The open runs of a suite.
fn open_runs(tx: &Tx<'_>, suite_id: u64) -> Result<Vec<Run>> {
    let ids = tx.children(tables::SUITE_RUNS, suite_id)?;
    Ok(tx
        .get_many::<Run>(&ids)?
        .into_iter()
        .flatten()
        .filter(|r| !r.is_completed)
        .collect())
}

/// A case joined a suite (created, copied, or moved in): every open run of the suite that
/// includes all its cases gets a test of it.
pub(crate) fn case_added(w: &mut Writer<'_>, case: &Case) -> Result<()> {
    add_to_runs(w, case.suite_id, &[case.id], |_| true)
}

/// Cases of a suite came from the server (a pull or snapshot): only the runs made here take them
/// now; the server's own runs list their tests as the server sends them.
pub(crate) fn cases_pulled(w: &mut Writer<'_>, suite_id: u64, case_ids: &[u64]) -> Result<()> {
    add_to_runs(w, suite_id, case_ids, |run| {
        crate::model::is_local_id(run.id)
    })
}

fn add_to_runs(
    w: &mut Writer<'_>,
    suite_id: u64,
    case_ids: &[u64],
    which: impl Fn(&Run) -> bool,
) -> Result<()> {
    for run in open_runs(&w.tx(), suite_id)? {
        if run.include_all && which(&run) {
            let mut edit = RunEdit::new(run);
            add_tests(w, &mut edit, case_ids, false)?;
            edit.save(w)?;
        }
    }
    Ok(())
}

/// A case left its suite `suite_id` (deleted, or moved out): its tests leave the suite's open
/// runs with their results (see the module docs).
pub(crate) fn case_removed(w: &mut Writer<'_>, case_id: u64, suite_id: u64) -> Result<()> {
    for run in open_runs(&w.tx(), suite_id)? {
        let Some(test_id) = w.tx().run_case_tests(run.id, &[case_id])?[0] else {
            continue;
        };
        let Some(test) = w.tx().run_test(run.id, test_id)? else {
            continue;
        };
        let mut edit = RunEdit::new(run);
        remove_tests(w, &mut edit, &[test])?;
        edit.save(w)?;
    }
    Ok(())
}

/// A case changed: if it moved to another suite, it leaves the old suite's open runs and joins
/// the new one's.
pub(crate) fn case_changed(w: &mut Writer<'_>, old: &Case, new: &Case) -> Result<()> {
    if old.suite_id != new.suite_id {
        case_removed(w, old.id, old.suite_id)?;
        case_added(w, new)?;
    }
    Ok(())
}

/// Deletes a run with its tests and results; a run of a plan leaves its entry (and the plan's
/// counts), and an entry left without runs goes.
pub(crate) fn delete_run(w: &mut Writer<'_>, run: &Run) -> Result<()> {
    let mut tests = Vec::new();
    w.tx().for_each_run_test(run.id, 0, |t| {
        tests.push(t);
        Ok(true)
    })?;
    w.delete_tests(&tests)?;
    if let Some(plan_id) = run.plan_id {
        if let Some(mut plan) = w.tx().get::<Plan>(plan_id)? {
            plan.counts.merge(&run.counts, -1);
            for e in &mut plan.entries {
                e.runs.retain(|r| *r != run.id);
            }
            for e in plan.entries.iter().filter(|e| e.runs.is_empty()) {
                crate::cascade::entry_deleted(w, plan.id, &e.id)?;
            }
            plan.entries.retain(|e| !e.runs.is_empty());
            w.put_plan(&plan)?;
        }
    }
    w.delete_run(run)
}

/// What one result does to its test.
pub(crate) struct NewResult {
    pub test_id: u64,
    pub case_id: u64,
    pub body: ResultBody,
}

/// Adds results to tests of one run, in order: each result is stored, the test takes the status
/// and assignee its results set (the last one wins), and the run's (and plan's) counts follow.
/// Everything was validated by the caller; this writes.
pub(crate) fn add_results(
    w: &mut Writer<'_>,
    edit: &mut RunEdit,
    items: Vec<NewResult>,
    now: i64,
    user_id: u64,
) -> Result<Vec<TestResult>> {
    let run_id = edit.run.id;
    let mut ids: Vec<u64> = items.iter().map(|i| i.test_id).collect();
    ids.sort_unstable();
    ids.dedup();
    // Only the states: the records (with their case snapshots) are neither read nor written.
    let mut states = w.tx().state_blocks(run_id, &ids)?;
    let before: BTreeMap<u64, TestState> = ids
        .iter()
        .filter_map(|id| states.get(*id).map(|s| (*id, s)))
        .collect();
    let new_ids = w.new_ids(crate::model::Kind::Result, items.len() as u64)?;
    let mut out = Vec::with_capacity(items.len());
    for (id, item) in new_ids.zip(items) {
        let Some(mut test) = states.get(item.test_id) else {
            return Err(crate::messages::unknown(
                "test_id",
                crate::model::Kind::Test,
            ));
        };
        let b = item.body;
        let mut r = TestResult {
            id,
            test_id: item.test_id,
            run_id,
            case_id: item.case_id,
            status_id: b.status_id.flatten(),
            created_on: now,
            created_by: user_id,
            assignedto_id: b.assignedto_id.flatten(),
            comment: b.comment.flatten(),
            version: b.version.flatten(),
            elapsed: b.elapsed.flatten(),
            defects: b.defects.flatten(),
            custom: Vec::new(),
            attachment_ids: Vec::new(),
            extra: Vec::new(),
        };
        for (k, v) in b.custom {
            r.set_custom(&k, v);
        }
        if let Some(s) = r.status_id {
            test.status_id = s;
        }
        if let Some(a) = b.assignedto_id {
            test.assignedto_id = a;
        }
        if r.status_id.is_some() || b.assignedto_id.is_some() {
            states.set(item.test_id, test);
        }
        out.push(r);
    }
    for (id, was) in before {
        if let Some(now) = states.get(id) {
            edit.run.counts.add(was.status_id, -1);
            edit.run.counts.add(now.status_id, 1);
        }
    }
    w.put_state_blocks(&states)?;
    w.put_new_results(&out)?;
    Ok(out)
}

/// The status a test has from its results: that of the newest result carrying one, untested
/// when none does (after `edit_result` changed a status).
pub(crate) fn status_from_results(tx: &Tx<'_>, run_id: u64, test_id: u64) -> Result<u64> {
    for rid in tx.test_result_ids(run_id, test_id)? {
        if let Some(s) = tx.get::<TestResult>(rid)?.and_then(|r| r.status_id) {
            return Ok(s);
        }
    }
    Ok(UNTESTED)
}

/// A case pushed to a server took the server's id: its tests (in every run, open or closed) and
/// their results name the new id.
pub(crate) fn case_renamed(
    w: &mut Writer<'_>,
    suite_id: u64,
    local: u64,
    server: u64,
) -> Result<()> {
    let runs = w.tx().children(tables::SUITE_RUNS, suite_id)?;
    for run_id in runs {
        let Some(test_id) = w.tx().run_case_tests(run_id, &[local])?[0] else {
            continue;
        };
        let Some(old) = w.tx().run_test(run_id, test_id)? else {
            continue;
        };
        let mut test = old.clone();
        test.case_id = server;
        w.delete_test_links(&old)?;
        w.put_tests(&[test])?;
        for rid in w.tx().test_result_ids(run_id, test_id)? {
            if let Some(mut r) = w.tx().get::<TestResult>(rid)? {
                r.case_id = server;
                w.put(&r)?;
            }
        }
    }
    Ok(())
}

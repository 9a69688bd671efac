//! Tests of runs: get_test, get_tests.
//!
//! A test of an open run shows its case as it is now; once the run is closed, the case as it was
//! then (see [`crate::runs`]). `get_tests` lists a run's tests in the order they were made: the
//! suite's order (section by section) for the cases the run started with, then later additions.
//! `get_test&with_data=1` answers `{"test", "results", "attachments"}` as trcli reads it.

use serde_json::{json, Value};

use super::paging::Page;
use super::{csv_ids, Ctx, Request};
use crate::error::Result;
use crate::messages as msg;
use crate::model::{Case, CaseField, Json, Kind, Run, Test, TestCase};
use crate::tx::Tx;
use crate::validate;

pub(crate) fn load(tx: &Tx<'_>, id: u64) -> Result<Test> {
    tx.test(id)?
        .ok_or_else(|| msg::unknown("test_id", Kind::Test))
}

/// The case each test shows: the case as it is now while the run is open, else `None` (the
/// test's own snapshot).
pub(crate) fn cases_shown(
    tx: &Tx<'_>,
    fields: &[CaseField],
    run: &Run,
    tests: &[Test],
) -> Result<Vec<Option<TestCase>>> {
    if run.is_completed {
        return Ok(vec![None; tests.len()]);
    }
    let shown = validate::project_fields(fields, run.project_id);
    let ids: Vec<u64> = tests.iter().map(|t| t.case_id).collect();
    Ok(tx
        .get_many::<Case>(&ids)?
        .into_iter()
        .map(|c| c.map(|c| TestCase::of(&c, &shown)))
        .collect())
}

/// Tests rendered as TestRail shows them.
pub(crate) fn render(
    tx: &Tx<'_>,
    fields: &[CaseField],
    run: &Run,
    tests: &[Test],
) -> Result<Vec<Value>> {
    let cases = cases_shown(tx, fields, run, tests)?;
    Ok(tests
        .iter()
        .zip(&cases)
        .map(|(t, c)| t.to_json(c.as_ref()))
        .collect())
}

pub(super) fn get_test(cx: &Ctx<'_>, tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let test = load(tx, req.ids[0])?;
    let run = super::runs::load(tx, test.run_id)?;
    let fields = super::fields_of(cx, tx)?;
    let one = render(tx, &fields, &run, std::slice::from_ref(&test))?
        .pop()
        .unwrap_or(Value::Null);
    let with_data = req
        .param("with_data")
        .is_some_and(|v| !v.trim().is_empty() && v.trim() != "0");
    if !with_data {
        return Ok(one);
    }
    let results = super::results::of_test(tx, &test, &run)?;
    Ok(json!({"test": one, "results": results, "attachments": []}))
}

/// The labels of a test's case (`[{"id", "title"}]`), for the `label_id` filter.
fn label_ids(c: Option<&TestCase>) -> Vec<u64> {
    match c.map(|c| &c.labels) {
        Some(Json::List(labels)) => labels
            .iter()
            .filter_map(|l| l.get("id").and_then(Json::as_i64))
            .map(|i| i as u64)
            .collect(),
        _ => Vec::new(),
    }
}

pub(super) fn get_tests(cx: &Ctx<'_>, tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let run = super::runs::load(tx, req.ids[0])?;
    let status = csv_ids(req, "status_id")?;
    let labels = csv_ids(req, "label_id")?;
    let page = Page::from_request(req)?;
    let fields = super::fields_of(cx, tx)?;
    let mut matched = Vec::new();
    let mut index = 0u64;
    let mut has_more = false;
    if status.is_none() && labels.is_none() {
        // Unfiltered: the page is found by its keys, and only its tests are read.
        let mut ids = tx.run_test_ids_page(run.id, page.offset, page.limit + 1)?;
        has_more = ids.len() as u64 > page.limit;
        ids.truncate(page.limit as usize);
        let tests: Vec<Test> = tx
            .run_tests_many(run.id, &ids)?
            .into_iter()
            .flatten()
            .collect();
        let items = render(tx, &fields, &run, &tests)?;
        return Ok(super::paging::wrap(req, page, "tests", items, has_more));
    }
    // Labels are the case's: those filters need the case each test shows.
    let mut pending: Vec<Test> = Vec::new();
    tx.for_each_run_test(run.id, 0, |t| {
        if status.as_ref().is_some_and(|s| !s.contains(&t.status_id)) {
            return Ok(true);
        }
        if labels.is_some() {
            pending.push(t);
            return Ok(true);
        }
        if page.past(index) {
            has_more = true;
            return Ok(false);
        }
        if page.wants(index) {
            matched.push(t);
        }
        index += 1;
        Ok(true)
    })?;
    if let Some(want) = &labels {
        let shown = cases_shown(tx, &fields, &run, &pending)?;
        for (t, c) in pending.into_iter().zip(&shown) {
            let ids = label_ids(c.as_ref().or(t.snapshot.as_deref()));
            if !ids.iter().any(|i| want.contains(i)) {
                continue;
            }
            if page.past(index) {
                has_more = true;
                break;
            }
            if page.wants(index) {
                matched.push(t);
            }
            index += 1;
        }
    }
    let items = render(tx, &fields, &run, &matched)?;
    Ok(super::paging::wrap(req, page, "tests", items, has_more))
}

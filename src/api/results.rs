//! Results: add_result, add_result_for_case, add_results, add_results_for_cases, edit_result,
//! get_results, get_results_for_case, get_results_for_run.
//!
//! - A bulk add validates every entry before it writes anything, and writes all of them or none
//!   (TestRail: "won't add any results if the validation fails for at least one"); its answer is
//!   a bare array of the new results in request order, which trcli zips with its request.
//! - Ids may come as numbers or numeric strings; keys TestRail ignores (`attachments`,
//!   `custom_testrail_bdd_scenario_results` where no such field exists) are ignored.
//! - Lists are newest first (the highest id first).
//! - `defects_filter` matches one whole defect of a result's comma-separated `defects`,
//!   case-insensitively.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::paging::Page;
use super::runs::{check_open, resolve_case};
use super::{csv_ids, timestamp, Answer, Outcome, Request, Response, WriteCtx};
use crate::error::Result;
use crate::journal::{diff, Action, Change, Effect};
use crate::messages as msg;
use crate::model::{AttachedTo, Case, Json, Kind, ResultField, Run, Test, TestResult};
use crate::runs::{self, NewResult, RunEdit};
use crate::tx::{Tx, Writer};
use crate::validate::{self, ResultBody, ResultRules};

/// Keys of a result's JSON the journal does not record as changes.
const UNJOURNALED: &[&str] = &["id", "created_on", "created_by", "attachment_ids"];

pub(crate) fn load(tx: &Tx<'_>, id: u64) -> Result<TestResult> {
    tx.get::<TestResult>(id)?
        .ok_or_else(|| msg::unknown("result_id", Kind::Result))
}

/// The custom result fields a result of `project_id` shows (`null` when unset).
fn shown_fields(fields: &[ResultField], project_id: u64) -> Vec<&str> {
    validate::applicable_result_fields(fields, project_id, 0)
        .into_iter()
        .map(|(f, _)| f.system_name.as_str())
        .collect()
}

/// Results as TestRail shows them; `attachment_ids` lists the files attached here too.
pub(crate) fn render(tx: &Tx<'_>, results: &[TestResult], project_id: u64) -> Result<Vec<Value>> {
    let fields = tx.all::<ResultField>()?;
    let shown = shown_fields(&fields, project_id);
    results
        .iter()
        .map(|r| {
            let attached = tx.attachments_of(AttachedTo::Result, r.id)?;
            if attached.is_empty() {
                return Ok(r.to_json(&shown));
            }
            let mut r = r.clone();
            for a in attached {
                if !r.attachment_ids.contains(&a.id) {
                    r.attachment_ids.push(a.id);
                }
            }
            Ok(r.to_json(&shown))
        })
        .collect()
}

/// Every result of a test, newest first (`get_test&with_data=1`).
pub(crate) fn of_test(tx: &Tx<'_>, test: &Test, run: &Run) -> Result<Vec<Value>> {
    let ids = tx.test_result_ids(test.run_id, test.id)?;
    let results: Vec<TestResult> = tx.get_many(&ids)?.into_iter().flatten().collect();
    render(tx, &results, run.project_id)
}

/// The template of a test's case, which decides the result fields that apply (0, all of them,
/// when neither the case nor a snapshot says). Read from the suite's case summaries, so that a
/// bulk add decodes no case record.
fn template_of(tx: &Tx<'_>, run: &Run, test: &Test) -> Result<u64> {
    Ok(
        match tx
            .suite_case_summaries(run.suite_id, &[test.case_id])?
            .first()
        {
            Some((_, summary)) => summary.template_id,
            None => test.snapshot.as_ref().map_or(0, |s| s.template_id),
        },
    )
}

/// An open run to add results to.
fn open_run(tx: &Tx<'_>, id: u64) -> Result<Run> {
    let run = super::runs::load(tx, id)?;
    check_open(&run)?;
    Ok(run)
}

/// The templates of the cases of some tests (see [`template_of`]), read in one pass; empty when
/// no result field of the project depends on the template, since nothing would read them.
fn templates_of(
    tx: &Tx<'_>,
    run: &Run,
    fields: &[ResultField],
    tests: &[(u64, u64)],
) -> Result<HashMap<u64, u64>> {
    if !validate::result_fields_vary_by_template(fields, run.project_id) {
        return Ok(HashMap::new());
    }
    let cases: Vec<u64> = tests.iter().map(|(_, case)| *case).collect();
    let mut out: HashMap<u64, u64> = tx
        .suite_case_summaries(run.suite_id, &cases)?
        .into_iter()
        .map(|(case, s)| (case, s.template_id))
        .collect();
    for (test, case) in tests {
        if !out.contains_key(case) {
            let snapshot = tx.run_test(run.id, *test)?.and_then(|t| t.snapshot);
            out.insert(*case, snapshot.map_or(0, |s| s.template_id));
        }
    }
    Ok(out)
}

/// Validates one result for a test whose case has `template`.
fn body_for(
    tx: &Tx<'_>,
    rules: &mut ResultRules<'_>,
    template: u64,
    body: &Map<String, Value>,
    bulk: bool,
) -> Result<ResultBody> {
    let prefix = if bulk { "results." } else { "" };
    let b = validate::result_body(tx, rules, template, body, prefix, true)?;
    if !b.says_something() {
        return Err(if bulk {
            msg::result_says_nothing_bulk()
        } else {
            msg::result_says_nothing()
        });
    }
    Ok(b)
}

/// The journal's changes of a new result: each value it shows that is not null, in its shape's
/// order, then its case and run (push sends it as `add_results_for_cases` of that run).
fn created_changes(r: &TestResult, shown: &[&str]) -> Vec<Change> {
    let mut changes: Vec<Change> = r
        .entries(shown)
        .filter(|(k, _)| !UNJOURNALED.contains(k))
        .filter_map(|(k, v)| {
            v.to_stored().map(|new| Change {
                field: k.to_string(),
                old: None,
                new: Some(new),
            })
        })
        .collect();
    for (field, id) in [("case_id", r.case_id), ("run_id", r.run_id)] {
        changes.push(Change {
            field: field.into(),
            old: None,
            new: Some(Json::Int(id as i64)),
        });
    }
    changes
}

/// Writes validated results and builds the journal effects; the answer is the new results, in
/// TestRail's shape with the result fields of the run's project (new results have no
/// attachments yet: nothing to look up).
fn record(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    fields: &[ResultField],
    run: Run,
    items: Vec<NewResult>,
) -> Result<(Vec<TestResult>, Vec<String>, Vec<Effect>)> {
    let shown = shown_fields(fields, run.project_id);
    let mut edit = RunEdit::new(run);
    let results = runs::add_results(w, &mut edit, items, ctx.now, ctx.user_id)?;
    edit.save(w)?;
    let effects = results
        .iter()
        .map(|r| Effect {
            kind: Kind::Result,
            id: r.id,
            action: Action::Create,
            changes: created_changes(r, &shown),
        })
        .collect();
    let shown = shown.into_iter().map(str::to_string).collect();
    Ok((results, shown, effects))
}

fn one(w: &mut Writer<'_>, ctx: &WriteCtx, run: Run, test: Test, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let fields = tx.all::<ResultField>()?;
    let body = body_for(
        &tx,
        &mut ResultRules::new(&fields, run.project_id),
        template_of(&tx, &run, &test)?,
        &req.body,
        false,
    )?;
    let (results, shown, effects) = record(
        w,
        ctx,
        &fields,
        run,
        vec![NewResult {
            test_id: test.id,
            case_id: test.case_id,
            body,
        }],
    )?;
    Ok(Outcome {
        response: Answer::result(results, shown),
        effects,
    })
}

pub(super) fn add_result(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let test = super::run_tests::load(&tx, req.ids[0])?;
    let run = open_run(&tx, test.run_id)?;
    one(w, ctx, run, test, req)
}

/// The test of a case in a run, for the `_for_case` routes.
fn test_of_case(tx: &Tx<'_>, run: &Run, case_id: u64) -> Result<Test> {
    let case_id = resolve_case(tx, case_id)?;
    let test = match tx.run_case_tests(run.id, &[case_id])?[0] {
        Some(t) => tx.run_test(run.id, t)?,
        None => None,
    };
    match test {
        Some(t) => Ok(t),
        None if tx.exists::<Case>(case_id)? => Err(msg::no_test_for_case()),
        // A case a closed run still shows, deleted since: its test is found by the run alone.
        None => Err(msg::unknown("case_id", Kind::Case)),
    }
}

pub(super) fn add_result_for_case(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    req: &Request,
) -> Result<Outcome> {
    let tx = w.tx();
    let run = open_run(&tx, req.ids[0])?;
    let test = test_of_case(&tx, &run, req.ids[1])?;
    one(w, ctx, run, test, req)
}

/// The entries of a bulk add: the `results` list, each entry an object.
fn entries(req: &Request) -> Result<&Vec<Value>> {
    match req.body.get("results") {
        None | Some(Value::Null) => Err(msg::required("results")),
        Some(Value::Array(list)) if list.is_empty() => Err(msg::results_empty()),
        Some(Value::Array(list)) => Ok(list),
        Some(_) => Err(msg::not_valid("results", "array")),
    }
}

/// `add_results` (entries name `test_id`) and `add_results_for_cases` (entries name `case_id`).
pub(super) fn add_results(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    req: &Request,
    by_case: bool,
) -> Result<Outcome> {
    let tx = w.tx();
    let run = open_run(&tx, req.ids[0])?;
    let list = entries(req)?;
    let key = if by_case { "case_id" } else { "test_id" };
    let field = format!("results.{key}");
    let empty = Map::new();
    // The ids first, for every entry: a bad id refuses the whole request.
    let mut ids = Vec::with_capacity(list.len());
    for entry in list {
        let obj = entry.as_object().unwrap_or(&empty);
        let id = match obj.get(key) {
            None | Some(Value::Null) => return Err(msg::required(&field)),
            Some(v) => validate::id_value(&field, v)?,
        };
        ids.push(if by_case { resolve_case(&tx, id)? } else { id });
    }
    // Each entry's (test, case). By case, the run's case list names the test and no test record
    // is read; by test, the records name the cases.
    let mut tests = Vec::with_capacity(list.len());
    if by_case {
        for (case, test) in ids.iter().zip(tx.run_case_tests(run.id, &ids)?) {
            match test {
                Some(t) => tests.push((t, *case)),
                None => return Err(msg::invalid_results(&format!("case C{case}"))),
            }
        }
    } else {
        let mut wanted = ids.clone();
        wanted.sort_unstable();
        wanted.dedup();
        let found: HashMap<u64, u64> = tx
            .run_tests_many(run.id, &wanted)?
            .into_iter()
            .flatten()
            .map(|t| (t.id, t.case_id))
            .collect();
        for id in &ids {
            match found.get(id) {
                Some(case) => tests.push((*id, *case)),
                None => return Err(msg::invalid_results(&format!("test T{id}"))),
            }
        }
    }
    let fields = tx.all::<ResultField>()?;
    let templates = templates_of(&tx, &run, &fields, &tests)?;
    let mut rules = ResultRules::new(&fields, run.project_id);
    let mut items = Vec::with_capacity(list.len());
    for (entry, (test_id, case_id)) in list.iter().zip(tests) {
        let obj = entry.as_object().unwrap_or(&empty);
        let template = templates.get(&case_id).copied().unwrap_or(0);
        items.push(NewResult {
            test_id,
            case_id,
            body: body_for(&tx, &mut rules, template, obj, true)?,
        });
    }
    let (results, shown, effects) = record(w, ctx, &fields, run, items)?;
    Ok(Outcome {
        response: Answer::results(results, shown),
        effects,
    })
}

pub(super) fn edit_result(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let old = load(&tx, req.ids[0])?;
    let run = open_run(&tx, old.run_id)?;
    let test = tx
        .run_test(run.id, old.test_id)?
        .ok_or_else(|| msg::unknown("test_id", Kind::Test))?;
    let fields = tx.all::<ResultField>()?;
    let b = validate::result_body(
        &tx,
        &mut ResultRules::new(&fields, run.project_id),
        template_of(&tx, &run, &test)?,
        &req.body,
        "",
        false,
    )?;
    let mut r = old.clone();
    if let Some(v) = b.status_id {
        r.status_id = v;
    }
    if let Some(v) = b.comment {
        r.comment = v;
    }
    if let Some(v) = b.version {
        r.version = v;
    }
    if let Some(v) = b.elapsed {
        r.elapsed = v;
    }
    if let Some(v) = b.defects {
        r.defects = v;
    }
    if let Some(v) = b.assignedto_id {
        r.assignedto_id = v;
    }
    // A Step Results value replaces the whole list, as every custom value does.
    for (k, v) in b.custom {
        r.set_custom(&k, v);
    }
    let shown = shown_fields(&fields, run.project_id);
    let (before, after) = (old.to_json(&shown), r.to_json(&shown));
    let changes = diff(Some(&before), Some(&after), UNJOURNALED);
    if changes.is_empty() {
        return Ok(Outcome {
            response: Response::Json(after).into(),
            effects: Vec::new(),
        });
    }
    w.put(&r)?;
    if r.status_id != old.status_id {
        let status = runs::status_from_results(&w.tx(), run.id, test.id)?;
        if status != test.status_id {
            let mut edit = RunEdit::new(run);
            edit.run.counts.add(test.status_id, -1);
            edit.run.counts.add(status, 1);
            let state = crate::codec::TestState {
                status_id: status,
                assignedto_id: test.assignedto_id,
            };
            w.set_test_states(edit.run.id, &[(test.id, state)])?;
            edit.save(w)?;
        }
    }
    Ok(Outcome {
        response: Response::Json(after).into(),
        effects: vec![Effect {
            kind: Kind::Result,
            id: r.id,
            action: Action::Update,
            changes,
        }],
    })
}

/// The filters of the `get_results*` routes.
struct Filters {
    status_id: Option<Vec<u64>>,
    defect: Option<String>,
    created_after: Option<i64>,
    created_before: Option<i64>,
    created_by: Option<Vec<u64>>,
}

impl Filters {
    fn parse(req: &Request) -> Result<Filters> {
        Ok(Filters {
            status_id: csv_ids(req, "status_id")?,
            defect: req
                .param("defects_filter")
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty()),
            created_after: timestamp(req, "created_after")?,
            created_before: timestamp(req, "created_before")?,
            created_by: csv_ids(req, "created_by")?,
        })
    }

    fn matches(&self, r: &TestResult) -> bool {
        self.status_id
            .as_ref()
            .is_none_or(|l| r.status_id.is_some_and(|s| l.contains(&s)))
            && self.defect.as_ref().is_none_or(|d| {
                r.defects
                    .as_ref()
                    .is_some_and(|all| all.split(',').any(|one| one.trim().to_lowercase() == *d))
            })
            && self.created_after.is_none_or(|t| r.created_on > t)
            && self.created_before.is_none_or(|t| r.created_on < t)
            && self
                .created_by
                .as_ref()
                .is_none_or(|l| l.contains(&r.created_by))
    }
}

/// One page of a run's results (or of one test's in it), newest first.
fn page(tx: &Tx<'_>, req: &Request, run: &Run, test: Option<u64>) -> Result<Value> {
    let filters = Filters::parse(req)?;
    let page = Page::from_request(req)?;
    let mut results = Vec::new();
    let mut index = 0u64;
    let mut has_more = false;
    tx.for_each_run_result_rev(run.id, |rid, tid| {
        if test.is_some_and(|t| t != tid) {
            return Ok(true);
        }
        let Some(r) = tx.get::<TestResult>(rid)? else {
            return Ok(true);
        };
        if !filters.matches(&r) {
            return Ok(true);
        }
        if page.past(index) {
            has_more = true;
            return Ok(false);
        }
        if page.wants(index) {
            results.push(r);
        }
        index += 1;
        Ok(true)
    })?;
    let items = render(tx, &results, run.project_id)?;
    Ok(super::paging::wrap(req, page, "results", items, has_more))
}

pub(super) fn get_results(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let test = super::run_tests::load(tx, req.ids[0])?;
    let run = super::runs::load(tx, test.run_id)?;
    page(tx, req, &run, Some(test.id))
}

pub(super) fn get_results_for_case(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let run = super::runs::load(tx, req.ids[0])?;
    let test = test_of_case(tx, &run, req.ids[1])?;
    page(tx, req, &run, Some(test.id))
}

pub(super) fn get_results_for_run(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let run = super::runs::load(tx, req.ids[0])?;
    page(tx, req, &run, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TestResult {
        let mut r = TestResult {
            id: 7,
            test_id: 3,
            run_id: 2,
            case_id: 9,
            status_id: Some(5),
            created_on: 100,
            created_by: 1,
            assignedto_id: None,
            comment: Some("broke".into()),
            version: None,
            elapsed: Some("1m 5s".into()),
            defects: None,
            custom: Vec::new(),
            attachment_ids: vec![4],
            extra: vec![("zz_unknown".into(), Json::Str("kept".into()))],
        };
        r.set_custom("custom_a", Json::Int(1));
        r.set_custom("custom_hidden", Json::List(vec![Json::Str("h".into())]));
        r
    }

    #[test]
    fn a_result_shows_testrails_keys_in_order() {
        let keys: Vec<String> = sample()
            .to_json(&["custom_a", "custom_b", "custom_a"])
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "test_id",
                "status_id",
                "created_on",
                "created_by",
                "assignedto_id",
                "comment",
                "version",
                "elapsed",
                "defects",
                "custom_a",
                "custom_b",
                "custom_hidden",
                "attachment_ids",
                "zz_unknown"
            ]
        );
    }

    #[test]
    fn a_new_results_changes_are_its_shown_values_then_case_and_run() {
        let r = sample();
        let shown = ["custom_a", "custom_b"];
        let mut want = diff(None, Some(&r.to_json(&shown)), UNJOURNALED);
        for (field, id) in [("case_id", 9), ("run_id", 2)] {
            want.push(Change {
                field: field.into(),
                old: None,
                new: Some(Json::Int(id)),
            });
        }
        assert_eq!(created_changes(&r, &shown), want);
    }
}

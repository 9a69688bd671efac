//! Runs: get_run, get_runs, add_run, update_run, close_run, delete_run.
//!
//! Choices where TestRail is not confirmed (testrail-results.md §4.1):
//! - `get_runs` lists newest first (by id), as TestRail's run list shows them.
//! - A run's tests are in case-id order; `case_ids` may repeat a case (pytest-testrail sends
//!   repeats) and names each case once.
//! - `include_all: false` without `case_ids` on `update_run` keeps the tests the run has, now
//!   as a custom selection.
//! - `delete_run&soft=1` answers `{"runs": 1, "tests": n, "results": m}`, what would be deleted.

use serde_json::{json, Map, Value};

use super::paging::Page;
use super::projects::effect_if;
use super::{csv_ids, id_list, timestamp, Outcome, Request, Response, WriteCtx};
use crate::error::Result;
use crate::journal::{diff, Action, Change, Effect};
use crate::messages as msg;
use crate::model::{Config, CountKeys, Json, Kind, Project, Run, Status, StatusCounts};
use crate::runs::{self, RunEdit};
use crate::tables;
use crate::tx::{Tx, Writer};
use crate::validate;

/// Keys of a run's JSON the journal does not record as changes: ids, stamps and counts the store
/// keeps itself.
pub(super) const UNJOURNALED: &[&str] = &[
    "id",
    "created_on",
    "created_by",
    "updated_on",
    "url",
    "passed_count",
    "blocked_count",
    "untested_count",
    "retest_count",
    "failed_count",
    "custom_status1_count",
    "custom_status2_count",
    "custom_status3_count",
    "custom_status4_count",
    "custom_status5_count",
    "custom_status6_count",
    "custom_status7_count",
];

pub(crate) fn load(tx: &Tx<'_>, id: u64) -> Result<Run> {
    tx.get::<Run>(id)?
        .ok_or_else(|| msg::unknown("run_id", Kind::Run))
}

/// Renders runs: the count keys and configuration names are looked up once.
pub(crate) struct RunShape {
    keys: CountKeys,
}

impl RunShape {
    pub fn new(tx: &Tx<'_>) -> Result<RunShape> {
        Ok(RunShape {
            keys: CountKeys::new(&tx.all::<Status>()?),
        })
    }

    pub fn keys(&self) -> &CountKeys {
        &self.keys
    }

    pub fn render(&self, tx: &Tx<'_>, run: &Run) -> Result<Value> {
        Ok(run.to_json(&self.keys, config_names(tx, &run.config_ids)?))
    }
}

/// A run's configuration names joined by ", " (TestRail's `config`), when the store knows every
/// configuration; `None` for a run without configurations.
pub(crate) fn config_names(tx: &Tx<'_>, ids: &[u64]) -> Result<Option<String>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let configs = tx.get_many::<Config>(ids)?;
    if configs.iter().any(Option::is_none) {
        return Ok(None);
    }
    Ok(Some(
        configs
            .into_iter()
            .flatten()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", "),
    ))
}

pub(crate) fn render(tx: &Tx<'_>, run: &Run) -> Result<Value> {
    RunShape::new(tx)?.render(tx, run)
}

pub(super) fn get_run(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    render(tx, &load(tx, req.ids[0])?)
}

/// The filters of `get_runs` (and of `get_plans`, which shares the common ones).
pub(super) struct RunFilters {
    created_after: Option<i64>,
    created_before: Option<i64>,
    created_by: Option<Vec<u64>>,
    is_completed: Option<bool>,
    milestone_id: Option<Vec<u64>>,
    refs: Option<String>,
    suite_id: Option<Vec<u64>>,
    include_plan_runs: bool,
}

pub(super) fn opt_flag(req: &Request, key: &str) -> Result<Option<bool>> {
    match req.param(key).map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => validate::flag(key, &Value::String(v.into())).map(Some),
    }
}

impl RunFilters {
    pub(super) fn parse(req: &Request) -> Result<RunFilters> {
        Ok(RunFilters {
            created_after: timestamp(req, "created_after")?,
            created_before: timestamp(req, "created_before")?,
            created_by: csv_ids(req, "created_by")?,
            is_completed: opt_flag(req, "is_completed")?,
            milestone_id: csv_ids(req, "milestone_id")?,
            refs: req
                .param("refs")
                .or_else(|| req.param("refs_filter"))
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty()),
            suite_id: csv_ids(req, "suite_id")?,
            include_plan_runs: opt_flag(req, "include_plan_runs")?.unwrap_or(false),
        })
    }

    /// The filters every list of runs and plans has.
    pub(super) fn common(
        &self,
        created_on: i64,
        created_by: u64,
        completed: bool,
        milestone: Option<u64>,
    ) -> bool {
        self.created_after.is_none_or(|t| created_on > t)
            && self.created_before.is_none_or(|t| created_on < t)
            && self
                .created_by
                .as_ref()
                .is_none_or(|l| l.contains(&created_by))
            && self.is_completed.is_none_or(|c| completed == c)
            && self
                .milestone_id
                .as_ref()
                .is_none_or(|l| milestone.is_some_and(|m| l.contains(&m)))
    }

    fn matches(&self, r: &Run) -> bool {
        (self.include_plan_runs || r.plan_id.is_none())
            && self.common(r.created_on, r.created_by, r.is_completed, r.milestone_id)
            && self
                .suite_id
                .as_ref()
                .is_none_or(|l| l.contains(&r.suite_id))
            && self.refs.as_ref().is_none_or(|want| {
                r.refs.as_ref().is_some_and(|refs| {
                    refs.split(',')
                        .any(|one| one.trim().to_lowercase() == *want)
                })
            })
    }
}

/// Walks an index of a project's runs or plans newest first, keeping one page of the matches.
pub(super) fn page_newest_first<T>(
    tx: &Tx<'_>,
    table: redb::TableDefinition<(u64, u64), ()>,
    project_id: u64,
    page: Page,
    load: impl Fn(u64) -> Result<Option<T>>,
    keep: impl Fn(&T) -> bool,
) -> Result<(Vec<T>, bool)> {
    let mut items = Vec::new();
    let mut index = 0u64;
    let mut has_more = false;
    tx.children_rev(table, project_id, |id| {
        let Some(item) = load(id)? else {
            return Ok(true);
        };
        if !keep(&item) {
            return Ok(true);
        }
        if page.past(index) {
            has_more = true;
            return Ok(false);
        }
        if page.wants(index) {
            items.push(item);
        }
        index += 1;
        Ok(true)
    })?;
    Ok((items, has_more))
}

pub(super) fn get_runs(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let project = super::projects::load(tx, req.ids[0])?;
    let filters = RunFilters::parse(req)?;
    let page = Page::from_request(req)?;
    let (runs, has_more) = page_newest_first(
        tx,
        tables::PROJECT_RUNS,
        project.id,
        page,
        |id| tx.get::<Run>(id),
        |r| filters.matches(r),
    )?;
    let shape = RunShape::new(tx)?;
    let items = runs
        .iter()
        .map(|r| shape.render(tx, r))
        .collect::<Result<Vec<_>>>()?;
    Ok(super::paging::wrap(req, page, "runs", items, has_more))
}

/// The case ids a run body selects with `include_all: false`: every id must be a case of the
/// suite (`Field :case_ids is not a valid ID.` otherwise, as TestRail answers); repeats are
/// dropped, and the ids are kept in case order. An absent list selects nothing.
pub(super) fn selected_cases(tx: &Tx<'_>, v: Option<&Value>, suite_id: u64) -> Result<Vec<u64>> {
    let ids = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) if a.is_empty() => return Ok(Vec::new()),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(Vec::new()),
        v => id_list("case_ids", v).map_err(|_| msg::invalid_id("case_ids"))?,
    };
    let mut ids = ids
        .into_iter()
        .map(|id| resolve_case(tx, id))
        .collect::<Result<Vec<_>>>()?;
    ids.sort_unstable();
    ids.dedup();
    // The suite's case index answers without decoding a case record.
    if tx.suite_case_summaries(suite_id, &ids)?.len() != ids.len() {
        return Err(msg::invalid_id("case_ids"));
    }
    Ok(ids)
}

/// A case id as the store keeps it: a local id that push replaced is read as its server id.
pub(super) fn resolve_case(tx: &Tx<'_>, id: u64) -> Result<u64> {
    if crate::model::is_local_id(id) {
        return Ok(tx.server_id(Kind::Case, id)?.unwrap_or(id));
    }
    Ok(id)
}

/// The fields a run body may set, validated (each `None` when not sent). Shared by runs, plan
/// entries and plan runs.
#[derive(Default)]
pub(super) struct RunFields {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub milestone_id: Option<Option<u64>>,
    pub assignedto_id: Option<Option<u64>>,
    pub refs: Option<Option<String>>,
    pub start_on: Option<Option<i64>>,
    pub due_on: Option<Option<i64>>,
    pub include_all: Option<bool>,
}

impl RunFields {
    pub(super) fn parse(tx: &Tx<'_>, body: &Map<String, Value>, project_id: u64) -> Result<Self> {
        let given = |k: &str| body.get(k);
        Ok(RunFields {
            name: match given("name") {
                None => None,
                v => Some(validate::name("name", v)?),
            },
            description: given("description")
                .map(|v| validate::opt_text("description", Some(v)))
                .transpose()?,
            milestone_id: given("milestone_id")
                .map(|v| validate::opt_milestone(tx, "milestone_id", Some(v), project_id))
                .transpose()?,
            assignedto_id: given("assignedto_id")
                .map(|v| validate::opt_user(tx, "assignedto_id", Some(v)))
                .transpose()?,
            refs: given("refs")
                .map(|v| validate::opt_text_max("refs", Some(v), validate::RUN_REFS_MAX))
                .transpose()?,
            start_on: given("start_on")
                .map(|v| validate::opt_timestamp("start_on", Some(v)))
                .transpose()?,
            due_on: given("due_on")
                .map(|v| validate::opt_timestamp("due_on", Some(v)))
                .transpose()?,
            include_all: match given("include_all") {
                None | Some(Value::Null) => None,
                Some(v) => Some(validate::flag("include_all", v)?),
            },
        })
    }

    /// Applies the sent fields to a run.
    pub(super) fn apply(&self, run: &mut Run) {
        if let Some(n) = &self.name {
            run.name = n.clone();
        }
        if let Some(v) = &self.description {
            run.description = v.clone();
        }
        if let Some(v) = self.milestone_id {
            run.milestone_id = v;
        }
        if let Some(v) = self.assignedto_id {
            run.assignedto_id = v;
        }
        if let Some(v) = &self.refs {
            run.refs = v.clone();
        }
        if let Some(v) = self.start_on {
            run.start_on = v;
        }
        if let Some(v) = self.due_on {
            run.due_on = v;
        }
        if let Some(v) = self.include_all {
            run.include_all = v;
        }
    }
}

/// A new run of `suite_id` in `project`, not yet stored, with the sent fields applied
/// (`include_all` true unless sent false, as TestRail defaults it).
pub(super) fn new_run(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    project: &Project,
    suite_id: u64,
    fields: &RunFields,
    default_name: &str,
) -> Result<Run> {
    let id = w.new_id(Kind::Run)?;
    let mut run = Run {
        id,
        suite_id,
        project_id: project.id,
        name: default_name.to_string(),
        description: None,
        milestone_id: None,
        assignedto_id: None,
        include_all: true,
        is_completed: false,
        completed_on: None,
        created_on: ctx.now,
        created_by: ctx.user_id,
        updated_on: None,
        refs: None,
        start_on: None,
        due_on: None,
        plan_id: None,
        entry_id: None,
        entry_index: None,
        config_ids: Vec::new(),
        config: None,
        counts: StatusCounts::default(),
        url: super::projects::local_url(&format!("runs/view/{id}")),
        extra: Vec::new(),
    };
    fields.apply(&mut run);
    Ok(run)
}

/// Gives a new run its tests and stores it; the journal effect of its creation.
pub(super) fn create_run(
    w: &mut Writer<'_>,
    run: Run,
    case_ids: &[u64],
    shape: &RunShape,
) -> Result<(Run, Effect)> {
    let mut edit = RunEdit::new(run);
    if edit.run.include_all {
        let all = runs::suite_cases_in_order(&w.tx(), edit.run.suite_id)?;
        runs::add_ordered_tests(w, &mut edit, &all)?;
    } else {
        runs::add_tests(w, &mut edit, case_ids, true)?;
    }
    let run = edit.save(w)?;
    let json = shape.render(&w.tx(), &run)?;
    let mut changes = diff(None, Some(&json), UNJOURNALED);
    if !run.include_all {
        changes.push(Change {
            field: "case_ids".into(),
            old: None,
            new: Some(Json::List(
                case_ids.iter().map(|c| Json::Int(*c as i64)).collect(),
            )),
        });
    }
    Ok((
        run.clone(),
        Effect {
            kind: Kind::Run,
            id: run.id,
            action: Action::Create,
            changes,
        },
    ))
}

pub(super) fn add_run(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let project = super::projects::load(&tx, req.ids[0])?;
    let suite = super::suites::resolve(&tx, project.id, req.body.get("suite_id"))?;
    let fields = RunFields::parse(&tx, &req.body, project.id)?;
    if fields.name.is_none() {
        return Err(msg::required("name"));
    }
    let include_all = fields.include_all.unwrap_or(true);
    let case_ids = if include_all {
        Vec::new()
    } else {
        selected_cases(&tx, req.body.get("case_ids"), suite.id)?
    };
    let run = new_run(w, ctx, &project, suite.id, &fields, "")?;
    let shape = RunShape::new(&tx)?;
    let (run, effect) = create_run(w, run, &case_ids, &shape)?;
    Ok(Outcome {
        response: Response::Json(shape.render(&w.tx(), &run)?).into(),
        effects: vec![effect],
    })
}

/// Refuses a change to a closed run.
pub(super) fn check_open(run: &Run) -> Result<()> {
    if run.is_completed {
        return Err(msg::run_completed());
    }
    Ok(())
}

/// Applies an update body to an open run (of a plan or not): its fields, and its selection of
/// cases when `include_all` or `case_ids` say so. Returns the journal changes.
pub(super) fn update_run_fields(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    run: Run,
    body: &Map<String, Value>,
    shape: &RunShape,
) -> Result<(Run, Vec<Change>)> {
    let tx = w.tx();
    check_open(&run)?;
    let fields = RunFields::parse(&tx, body, run.project_id)?;
    let case_ids = match body.get("case_ids") {
        Some(v) if !v.is_null() => Some(selected_cases(&tx, Some(v), run.suite_id)?),
        _ => None,
    };
    let before = shape.render(&tx, &run)?;
    let old_cases: Vec<u64> = tx.run_cases(run.id)?.into_iter().map(|(c, _)| c).collect();
    let mut edit = RunEdit::new(run);
    fields.apply(&mut edit.run);
    if edit.run.include_all {
        if fields.include_all == Some(true) {
            runs::set_selection(w, &mut edit, None)?;
        }
    } else if let Some(ids) = &case_ids {
        runs::set_selection(w, &mut edit, Some(ids))?;
    }
    let new_cases: Vec<u64> = w
        .tx()
        .run_cases(edit.run.id)?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let after = shape.render(&w.tx(), &edit.run)?;
    let mut changes = diff(Some(&before), Some(&after), UNJOURNALED);
    if old_cases != new_cases {
        let list = |ids: &[u64]| Json::List(ids.iter().map(|c| Json::Int(*c as i64)).collect());
        changes.push(Change {
            field: "case_ids".into(),
            old: Some(list(&old_cases)),
            new: Some(list(&new_cases)),
        });
    }
    if !changes.is_empty() {
        edit.run.updated_on = Some(ctx.now);
    }
    let run = edit.save(w)?;
    Ok((run, changes))
}

pub(super) fn update_run(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let run = load(&tx, req.ids[0])?;
    check_open(&run)?;
    if run.plan_id.is_some() {
        return Err(msg::run_in_plan());
    }
    let shape = RunShape::new(&tx)?;
    let (run, changes) = update_run_fields(w, ctx, run, &req.body, &shape)?;
    Ok(Outcome {
        response: Response::Json(shape.render(&w.tx(), &run)?).into(),
        effects: effect_if(Kind::Run, run.id, Action::Update, changes),
    })
}

/// Closes an open run: it is completed now, and its tests keep their cases as they are.
pub(super) fn close(w: &mut Writer<'_>, ctx: &WriteCtx, run: Run) -> Result<(Run, Effect)> {
    runs::freeze_tests(w, &run)?;
    let mut run = run;
    run.is_completed = true;
    run.completed_on = Some(ctx.now);
    run.updated_on = Some(ctx.now);
    w.put_run(&run)?;
    let effect = Effect {
        kind: Kind::Run,
        id: run.id,
        action: Action::Update,
        changes: vec![
            Change {
                field: "is_completed".into(),
                old: Some(Json::Bool(false)),
                new: Some(Json::Bool(true)),
            },
            Change {
                field: "completed_on".into(),
                old: None,
                new: Some(Json::Int(ctx.now)),
            },
        ],
    };
    Ok((run, effect))
}

pub(super) fn close_run(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let run = load(&tx, req.ids[0])?;
    check_open(&run)?;
    if run.plan_id.is_some() {
        return Err(msg::close_plan_run());
    }
    let (run, effect) = close(w, ctx, run)?;
    Ok(Outcome {
        response: Response::Json(render(&w.tx(), &run)?).into(),
        effects: vec![effect],
    })
}

/// What deleting runs would remove, for `soft=1`.
pub(super) fn soft_counts(tx: &Tx<'_>, runs: &[&Run]) -> Result<Value> {
    let (mut tests, mut results) = (0u64, 0u64);
    for run in runs {
        tests += tx.run_cases(run.id)?.len() as u64;
        results += tx.run_result_count(run.id)?;
    }
    Ok(json!({"runs": runs.len(), "tests": tests, "results": results}))
}

/// The journal effect of deleting a run.
pub(super) fn delete_effect(tx: &Tx<'_>, run: &Run, shape: &RunShape) -> Result<Effect> {
    Ok(Effect {
        kind: Kind::Run,
        id: run.id,
        action: Action::Delete,
        changes: diff(Some(&shape.render(tx, run)?), None, UNJOURNALED),
    })
}

pub(super) fn delete_run(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let run = load(&tx, req.ids[0])?;
    if run.plan_id.is_some() {
        return Err(msg::run_in_plan());
    }
    if req.soft() {
        return Ok(Outcome {
            response: Response::Json(soft_counts(&tx, &[&run])?).into(),
            effects: Vec::new(),
        });
    }
    let effect = delete_effect(&tx, &run, &RunShape::new(&tx)?)?;
    runs::delete_run(w, &run)?;
    Ok(Outcome {
        response: Response::Empty.into(),
        effects: vec![effect],
    })
}

/// Every run of a project (standalone and of plans), for a project or suite delete.
pub(super) fn runs_of(
    tx: &Tx<'_>,
    table: redb::TableDefinition<(u64, u64), ()>,
    parent: u64,
) -> Result<Vec<Run>> {
    let ids = tx.children(table, parent)?;
    Ok(tx.get_many::<Run>(&ids)?.into_iter().flatten().collect())
}

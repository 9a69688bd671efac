//! Plans: get_plan, get_plans, add_plan, add_plan_entry, add_run_to_plan_entry, update_plan,
//! update_plan_entry, update_run_in_plan_entry, close_plan, delete_plan, delete_plan_entry,
//! delete_run_from_plan_entry.
//!
//! A plan holds entries; an entry is one suite run once per configuration (or once, without
//! configurations). Entry ids are GUID strings, as TestRail gives them. Choices where TestRail is
//! not confirmed (testrail-results.md §4.6, and captured replies):
//! - `add_run_to_plan_entry` and `update_run_in_plan_entry` answer the whole plan (what real
//!   servers were seen to answer); `add_plan_entry` and `update_plan_entry` answer the entry.
//! - Adding a run with configurations to an entry whose runs have none replaces those runs (a
//!   server was seen doing so).
//! - `update_plan_entry` applies its fields to every run of the entry and ignores `config_ids`
//!   and `runs` (older servers grew the entry; current documentation says they are not taken).
//! - An entry's name defaults to its suite's name; its runs take the entry's name, and the
//!   plan's milestone.
//! - `get_plans` lists newest first, like `get_runs`; `delete_plan&soft=1` answers the counts of
//!   what would go, as `delete_run&soft=1` does.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::paging::Page;
use super::projects::effect_if;
use super::runs::{
    check_open, create_run, delete_effect, new_run, selected_cases, soft_counts, update_run_fields,
    RunFields, RunFilters, RunShape,
};
use super::{id_list, Outcome, Request, Response, WriteCtx};
use crate::error::{Error, Result};
use crate::journal::{diff, Action, Change, Effect};
use crate::messages as msg;
use crate::model::{Config, Json, Kind, Plan, PlanEntry, Project, Run, StatusCounts, Suite};
use crate::runs;
use crate::tables;
use crate::tx::{Tx, Writer};
use crate::validate;

/// Keys of a plan's JSON the journal does not record as changes.
const UNJOURNALED: &[&str] = super::runs::UNJOURNALED;

pub(crate) fn load(tx: &Tx<'_>, id: u64) -> Result<Plan> {
    tx.get::<Plan>(id)?
        .ok_or_else(|| msg::unknown("plan_id", Kind::Plan))
}

fn check_plan_open(plan: &Plan) -> Result<()> {
    if plan.is_completed {
        return Err(msg::plan_completed());
    }
    Ok(())
}

/// The entry id of a route (`update_plan_entry/{plan_id}/{entry_id}`), as an entry of `plan`.
fn entry_of<'p>(plan: &'p Plan, req: &Request) -> Result<&'p PlanEntry> {
    req.guid
        .as_deref()
        .and_then(|e| plan.entry(e))
        .ok_or_else(msg::unknown_entry)
}

fn render_entry(tx: &Tx<'_>, shape: &RunShape, e: &PlanEntry) -> Result<Value> {
    let runs = tx.get_many::<Run>(&e.runs)?;
    let runs = runs
        .iter()
        .flatten()
        .map(|r| shape.render(tx, r))
        .collect::<Result<Vec<_>>>()?;
    Ok(e.to_json(runs))
}

fn render_plan(tx: &Tx<'_>, shape: &RunShape, plan: &Plan) -> Result<Value> {
    let entries = plan
        .entries
        .iter()
        .map(|e| render_entry(tx, shape, e))
        .collect::<Result<Vec<_>>>()?;
    Ok(plan.to_json(shape.keys(), Some(entries)))
}

pub(super) fn get_plan(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let plan = load(tx, req.ids[0])?;
    render_plan(tx, &RunShape::new(tx)?, &plan)
}

pub(super) fn get_plans(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let project = super::projects::load(tx, req.ids[0])?;
    let filters = RunFilters::parse(req)?;
    let page = Page::from_request(req)?;
    let (plans, has_more) = super::runs::page_newest_first(
        tx,
        tables::PROJECT_PLANS,
        project.id,
        page,
        |id| tx.get::<Plan>(id),
        |p| filters.common(p.created_on, p.created_by, p.is_completed, p.milestone_id),
    )?;
    let shape = RunShape::new(tx)?;
    let items = plans
        .iter()
        .map(|p| p.to_json(shape.keys(), None))
        .collect();
    Ok(super::paging::wrap(req, page, "plans", items, has_more))
}

/// A new entry id: a random GUID in TestRail's form.
fn new_guid() -> String {
    let hex = crate::journal::new_op_id();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// Configurations for one run: ids of configurations of the project, at most one per group
/// (TestRail: "use one from each group").
fn run_configs(tx: &Tx<'_>, v: Option<&Value>, project_id: u64) -> Result<Vec<u64>> {
    configs(tx, v, project_id, true)
}

/// Configurations of the project without repeats; with `one_per_group`, at most one of each
/// group (a run's). An entry's `config_ids` is the union of its runs', so it may name several
/// configurations of one group (TestRail's own example sends `[1, 2, 4, 5, 6]` for runs
/// `[2, 5]` and `[2, 6]`).
fn configs(
    tx: &Tx<'_>,
    v: Option<&Value>,
    project_id: u64,
    one_per_group: bool,
) -> Result<Vec<u64>> {
    let ids = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) if a.is_empty() => return Ok(Vec::new()),
        v => id_list("config_ids", v)?,
    };
    let invalid = || {
        Error::validation(
            "config_ids",
            "Field :config_ids contains one or more invalid or duplicate configurations.",
        )
    };
    let mut groups = BTreeSet::new();
    let mut out = Vec::with_capacity(ids.len());
    for c in tx.get_many::<Config>(&ids)? {
        let c = c.ok_or_else(invalid)?;
        let g = super::configs::load_group(tx, c.group_id).map_err(|_| invalid())?;
        if g.project_id != project_id || out.contains(&c.id) {
            return Err(invalid());
        }
        if !groups.insert(g.id) && one_per_group {
            return Err(Error::validation(
                "config_ids",
                "Field :config_ids uses an invalid combination of configurations (use one from each group).",
            ));
        }
        out.push(c.id);
    }
    Ok(out)
}

/// One run an entry body asks for: its own fields over the entry's.
struct RunSpec {
    fields: RunFields,
    case_ids: Vec<u64>,
    config_ids: Vec<u64>,
}

/// Reads a run of an entry (`runs[i]`, or the entry itself when it lists no runs), its fields
/// falling back to the entry's.
fn run_spec(
    tx: &Tx<'_>,
    project_id: u64,
    suite_id: u64,
    entry: &Map<String, Value>,
    run: Option<&Map<String, Value>>,
) -> Result<RunSpec> {
    let pick = |k: &str| {
        run.and_then(|r| r.get(k))
            .filter(|v| !v.is_null())
            .or_else(|| entry.get(k))
    };
    let mut body = Map::new();
    for k in [
        "description",
        "assignedto_id",
        "include_all",
        "refs",
        "start_on",
        "due_on",
    ] {
        if let Some(v) = pick(k) {
            body.insert(k.into(), v.clone());
        }
    }
    let fields = RunFields::parse(tx, &body, project_id)?;
    let include_all = fields.include_all.unwrap_or(true);
    let case_ids = if include_all {
        Vec::new()
    } else {
        selected_cases(tx, pick("case_ids"), suite_id)?
    };
    let config_ids = match run {
        Some(r) => run_configs(tx, r.get("config_ids"), project_id)?,
        None => Vec::new(),
    };
    Ok(RunSpec {
        fields,
        case_ids,
        config_ids,
    })
}

/// An entry as a body asks for it, validated: the suite, the name and the runs.
struct EntrySpec {
    suite: Suite,
    name: String,
    description: Option<String>,
    refs: Option<String>,
    include_all: bool,
    runs: Vec<RunSpec>,
}

fn entry_spec(tx: &Tx<'_>, project: &Project, body: &Map<String, Value>) -> Result<EntrySpec> {
    let suite = super::suites::resolve(tx, project.id, body.get("suite_id"))?;
    let name = match body.get("name") {
        None | Some(Value::Null) => suite.name.clone(),
        v => validate::name("name", v)?,
    };
    let description = validate::opt_text("description", body.get("description"))?;
    let refs = validate::opt_text_max("refs", body.get("refs"), validate::RUN_REFS_MAX)?;
    let include_all = match body.get("include_all") {
        None | Some(Value::Null) => true,
        Some(v) => validate::flag("include_all", v)?,
    };
    let entry_configs = configs(tx, body.get("config_ids"), project.id, false)?;
    let mut runs = Vec::new();
    match body.get("runs") {
        Some(Value::Array(list)) if !list.is_empty() => {
            let empty = Map::new();
            for r in list {
                let r = r.as_object().unwrap_or(&empty);
                let spec = run_spec(tx, project.id, suite.id, body, Some(r))?;
                if !entry_configs.is_empty()
                    && spec.config_ids.iter().any(|c| !entry_configs.contains(c))
                {
                    return Err(Error::validation(
                        "config_ids",
                        "Field :config_ids contains one or more invalid or duplicate configurations.",
                    ));
                }
                let mut combo = spec.config_ids.clone();
                combo.sort_unstable();
                if runs.iter().any(|s: &RunSpec| {
                    let mut other = s.config_ids.clone();
                    other.sort_unstable();
                    other == combo
                }) {
                    return Err(Error::validation(
                        "runs",
                        "Field :runs specifies the same configuration combination more than once.",
                    ));
                }
                runs.push(spec);
            }
        }
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            if !entry_configs.is_empty() {
                return Err(Error::validation(
                    "config_ids",
                    "Field :config_ids has configurations but no test runs.",
                ));
            }
            runs.push(run_spec(tx, project.id, suite.id, body, None)?);
        }
        Some(_) => return Err(msg::not_valid("runs", "array")),
    }
    Ok(EntrySpec {
        suite,
        name,
        description,
        refs,
        include_all,
        runs,
    })
}

/// Creates the runs of one entry of `plan` and returns the entry (not yet in the plan) and the
/// journal effects of its runs. The plan's counts take the new runs'.
fn create_entry(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    project: &Project,
    plan: &mut Plan,
    spec: EntrySpec,
    shape: &RunShape,
) -> Result<(PlanEntry, Vec<Effect>)> {
    let entry_index = plan.entries.len().max(
        entry_indexes(&w.tx(), plan)?
            .iter()
            .copied()
            .max()
            .unwrap_or(0) as usize,
    ) as i64
        + 1;
    let mut entry = PlanEntry {
        id: new_guid(),
        suite_id: spec.suite.id,
        name: spec.name,
        description: spec.description,
        refs: spec.refs,
        include_all: spec.include_all,
        runs: Vec::new(),
        extra: Vec::new(),
    };
    let mut effects = Vec::new();
    for r in spec.runs {
        let (run, effect) = plan_run(w, ctx, project, plan, &entry, entry_index, r, shape)?;
        entry.runs.push(run.id);
        plan.counts.merge(&run.counts, 1);
        effects.push(effect);
    }
    Ok((entry, effects))
}

/// The `entry_index` of each entry of a plan (from its first run).
fn entry_indexes(tx: &Tx<'_>, plan: &Plan) -> Result<Vec<i64>> {
    let firsts: Vec<u64> = plan
        .entries
        .iter()
        .filter_map(|e| e.runs.first().copied())
        .collect();
    Ok(tx
        .get_many::<Run>(&firsts)?
        .into_iter()
        .flatten()
        .filter_map(|r| r.entry_index)
        .collect())
}

/// Creates one run of an entry.
#[allow(clippy::too_many_arguments)]
fn plan_run(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    project: &Project,
    plan: &Plan,
    entry: &PlanEntry,
    entry_index: i64,
    spec: RunSpec,
    shape: &RunShape,
) -> Result<(Run, Effect)> {
    let mut run = new_run(w, ctx, project, entry.suite_id, &spec.fields, &entry.name)?;
    run.milestone_id = plan.milestone_id;
    run.plan_id = Some(plan.id);
    run.entry_id = Some(entry.id.clone());
    run.entry_index = Some(entry_index);
    run.config = super::runs::config_names(&w.tx(), &spec.config_ids)?;
    run.config_ids = spec.config_ids;
    // The caller adds the run's counts to the plan it writes last.
    create_run(w, run, &spec.case_ids, shape)
}

fn plan_effect(kind_action: Action, plan: &Plan, shape: &RunShape, old: Option<&Value>) -> Effect {
    let json = plan.to_json(shape.keys(), None);
    Effect {
        kind: Kind::Plan,
        id: plan.id,
        action: kind_action,
        changes: diff(old, Some(&json), UNJOURNALED),
    }
}

/// The fields `add_plan` and `update_plan` take.
fn apply_plan_fields(tx: &Tx<'_>, plan: &mut Plan, body: &Map<String, Value>) -> Result<()> {
    let f = RunFields::parse(tx, body, plan.project_id)?;
    if let Some(n) = f.name {
        plan.name = n;
    }
    if let Some(v) = f.description {
        plan.description = v;
    }
    if let Some(v) = f.milestone_id {
        plan.milestone_id = v;
    }
    if let Some(v) = f.assignedto_id {
        plan.assignedto_id = v;
    }
    if let Some(v) = f.refs {
        plan.refs = v;
    }
    if let Some(v) = f.start_on {
        plan.start_on = v;
    }
    if let Some(v) = f.due_on {
        plan.due_on = v;
    }
    Ok(())
}

pub(super) fn add_plan(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let project = super::projects::load(&tx, req.ids[0])?;
    if validate::name("name", req.body.get("name")).is_err() {
        return Err(match req.body.get("name") {
            None | Some(Value::Null) => msg::required("name"),
            v => validate::name("name", v)
                .err()
                .unwrap_or_else(|| msg::required("name")),
        });
    }
    let mut specs = Vec::new();
    match req.body.get("entries") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            let empty = Map::new();
            for e in list {
                specs.push(entry_spec(&tx, &project, e.as_object().unwrap_or(&empty))?);
            }
        }
        Some(_) => return Err(msg::not_valid("entries", "array")),
    }
    let id = w.new_id(Kind::Plan)?;
    let mut plan = Plan {
        id,
        project_id: project.id,
        name: String::new(),
        description: None,
        milestone_id: None,
        assignedto_id: None,
        is_completed: false,
        completed_on: None,
        created_on: ctx.now,
        created_by: ctx.user_id,
        updated_on: None,
        refs: None,
        start_on: None,
        due_on: None,
        entries: Vec::new(),
        counts: StatusCounts::default(),
        url: super::projects::local_url(&format!("plans/view/{id}")),
        extra: Vec::new(),
    };
    apply_plan_fields(&tx, &mut plan, &req.body)?;
    let shape = RunShape::new(&tx)?;
    let mut effects = vec![plan_effect(Action::Create, &plan, &shape, None)];
    for spec in specs {
        let (entry, run_effects) = create_entry(w, ctx, &project, &mut plan, spec, &shape)?;
        plan.entries.push(entry);
        effects.extend(run_effects);
    }
    w.put_plan(&plan)?;
    Ok(Outcome {
        response: Response::Json(render_plan(&w.tx(), &shape, &plan)?).into(),
        effects,
    })
}

pub(super) fn add_plan_entry(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let mut plan = load(&tx, req.ids[0])?;
    check_plan_open(&plan)?;
    let project = super::projects::load(&tx, plan.project_id)?;
    let spec = entry_spec(&tx, &project, &req.body)?;
    let shape = RunShape::new(&tx)?;
    let (entry, effects) = create_entry(w, ctx, &project, &mut plan, spec, &shape)?;
    plan.entries.push(entry.clone());
    plan.updated_on = Some(ctx.now);
    w.put_plan(&plan)?;
    Ok(Outcome {
        response: Response::Json(render_entry(&w.tx(), &shape, &entry)?).into(),
        effects,
    })
}

pub(super) fn add_run_to_plan_entry(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    req: &Request,
) -> Result<Outcome> {
    let tx = w.tx();
    let mut plan = load(&tx, req.ids[0])?;
    check_plan_open(&plan)?;
    let entry = entry_of(&plan, req)?.clone();
    let project = super::projects::load(&tx, plan.project_id)?;
    if req.body.get("config_ids").is_none_or(Value::is_null) {
        return Err(msg::required("config_ids"));
    }
    let mut entry_body = Map::new();
    entry_body.insert("include_all".into(), entry.include_all.into());
    let spec = run_spec(
        &tx,
        project.id,
        entry.suite_id,
        &entry_body,
        Some(&req.body),
    )?;
    let existing = tx.get_many::<Run>(&entry.runs)?;
    let mut combo = spec.config_ids.clone();
    combo.sort_unstable();
    if existing.iter().flatten().any(|r| {
        let mut c = r.config_ids.clone();
        c.sort_unstable();
        c == combo
    }) {
        return Err(Error::validation(
            "config_ids",
            "Field :config_ids specifies the same configuration combination more than once.",
        ));
    }
    let shape = RunShape::new(&tx)?;
    let mut effects = Vec::new();
    // Runs without configurations give way to the first run with some.
    for old in existing
        .iter()
        .flatten()
        .filter(|r| r.config_ids.is_empty())
    {
        effects.push(delete_effect(&tx, old, &shape)?);
        runs::delete_run(w, old)?;
    }
    let mut plan_now = load(&w.tx(), plan.id)?;
    let index = existing
        .iter()
        .flatten()
        .find_map(|r| r.entry_index)
        .unwrap_or(plan.entries.len() as i64);
    let entry_now = plan_now
        .entry(&entry.id)
        .cloned()
        .unwrap_or_else(|| PlanEntry {
            runs: Vec::new(),
            ..entry.clone()
        });
    let (run, effect) = plan_run(w, ctx, &project, &plan_now, &entry_now, index, spec, &shape)?;
    effects.push(effect);
    plan_now.counts.merge(&run.counts, 1);
    match plan_now.entry_mut(&entry.id) {
        Some(e) => e.runs.push(run.id),
        None => {
            let mut e = entry_now;
            e.runs.push(run.id);
            plan_now.entries.push(e);
        }
    }
    plan_now.updated_on = Some(ctx.now);
    w.put_plan(&plan_now)?;
    plan = plan_now;
    Ok(Outcome {
        response: Response::Json(render_plan(&w.tx(), &shape, &plan)?).into(),
        effects,
    })
}

pub(super) fn update_plan(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let old = load(&tx, req.ids[0])?;
    check_plan_open(&old)?;
    let shape = RunShape::new(&tx)?;
    let mut plan = old.clone();
    apply_plan_fields(&tx, &mut plan, &req.body)?;
    let before = old.to_json(shape.keys(), None);
    let changes = diff(
        Some(&before),
        Some(&plan.to_json(shape.keys(), None)),
        UNJOURNALED,
    );
    if !changes.is_empty() {
        plan.updated_on = Some(ctx.now);
        if plan.milestone_id != old.milestone_id {
            // A plan's runs are in its milestone.
            for e in &plan.entries {
                for run in w.tx().get_many::<Run>(&e.runs)?.into_iter().flatten() {
                    w.put_run(&Run {
                        milestone_id: plan.milestone_id,
                        ..run
                    })?;
                }
            }
        }
        w.put_plan(&plan)?;
    }
    Ok(Outcome {
        response: Response::Json(render_plan(&w.tx(), &shape, &plan)?).into(),
        effects: effect_if(Kind::Plan, plan.id, Action::Update, changes),
    })
}

/// Applies a body to runs of a plan (each through the rules of `update_run`), keeping the plan's
/// counts in step.
fn update_plan_runs(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    run_ids: &[u64],
    body: &Map<String, Value>,
    shape: &RunShape,
) -> Result<Vec<Effect>> {
    let mut effects = Vec::new();
    for run in w.tx().get_many::<Run>(run_ids)?.into_iter().flatten() {
        let (run, changes) = update_run_fields(w, ctx, run, body, shape)?;
        effects.extend(effect_if(Kind::Run, run.id, Action::Update, changes));
    }
    Ok(effects)
}

/// The run fields an update of an entry or plan run takes (name only for the entry).
fn run_update_body(req: &Request, with_name: bool) -> Map<String, Value> {
    let mut body = Map::new();
    for k in [
        "name",
        "description",
        "assignedto_id",
        "include_all",
        "case_ids",
        "refs",
        "start_on",
        "due_on",
    ] {
        if k == "name" && !with_name {
            continue;
        }
        if let Some(v) = req.body.get(k) {
            body.insert(k.into(), v.clone());
        }
    }
    body
}

pub(super) fn update_plan_entry(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    req: &Request,
) -> Result<Outcome> {
    let tx = w.tx();
    let plan = load(&tx, req.ids[0])?;
    check_plan_open(&plan)?;
    let old = entry_of(&plan, req)?.clone();
    let mut entry = old.clone();
    if req.body.contains_key("name") {
        entry.name = validate::name("name", req.body.get("name"))?;
    }
    if let Some(v) = req.body.get("description") {
        entry.description = validate::opt_text("description", Some(v))?;
    }
    if let Some(v) = req.body.get("refs") {
        entry.refs = validate::opt_text_max("refs", Some(v), validate::RUN_REFS_MAX)?;
    }
    if let Some(v) = req.body.get("include_all").filter(|v| !v.is_null()) {
        entry.include_all = validate::flag("include_all", v)?;
    }
    let shape = RunShape::new(&tx)?;
    let body = run_update_body(req, true);
    let mut effects = update_plan_runs(w, ctx, &entry.runs, &body, &shape)?;
    let mut plan = load(&w.tx(), plan.id)?;
    let entry_changes = diff(
        Some(&old.to_json(Vec::new())),
        Some(&entry.to_json(Vec::new())),
        &["runs"],
    );
    if !entry_changes.is_empty() {
        effects.push(Effect {
            kind: Kind::Plan,
            id: plan.id,
            action: Action::Update,
            changes: entry_changes
                .into_iter()
                .map(|c| Change {
                    field: format!("entries/{}/{}", entry.id, c.field),
                    ..c
                })
                .collect(),
        });
    }
    if let Some(e) = plan.entry_mut(&entry.id) {
        *e = PlanEntry {
            runs: e.runs.clone(),
            ..entry
        };
    }
    if !effects.is_empty() {
        plan.updated_on = Some(ctx.now);
    }
    w.put_plan(&plan)?;
    let e = entry_of(&plan, req)?;
    Ok(Outcome {
        response: Response::Json(render_entry(&w.tx(), &shape, e)?).into(),
        effects,
    })
}

/// The plan and entry of a run that must be in an entry with configurations.
fn configured_run(tx: &Tx<'_>, run_id: u64, update: bool) -> Result<(Run, Plan)> {
    let run = super::runs::load(tx, run_id)?;
    let Some(plan_id) = run.plan_id else {
        return Err(if update {
            msg::run_not_in_plan_entry()
        } else {
            msg::use_delete_run()
        });
    };
    if run.config_ids.is_empty() {
        return Err(if update {
            msg::use_update_plan_entry()
        } else {
            msg::use_delete_plan_entry()
        });
    }
    Ok((run, load(tx, plan_id)?))
}

pub(super) fn update_run_in_plan_entry(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    req: &Request,
) -> Result<Outcome> {
    let tx = w.tx();
    let (run, plan) = configured_run(&tx, req.ids[0], true)?;
    check_plan_open(&plan)?;
    check_open(&run)?;
    let shape = RunShape::new(&tx)?;
    let body = run_update_body(req, false);
    let effects = update_plan_runs(w, ctx, &[run.id], &body, &shape)?;
    let plan = load(&w.tx(), plan.id)?;
    Ok(Outcome {
        response: Response::Json(render_plan(&w.tx(), &shape, &plan)?).into(),
        effects,
    })
}

pub(super) fn close_plan(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let plan = load(&tx, req.ids[0])?;
    check_plan_open(&plan)?;
    let mut effects = Vec::new();
    for e in &plan.entries {
        for run in tx.get_many::<Run>(&e.runs)?.into_iter().flatten() {
            if !run.is_completed {
                let (_, effect) = super::runs::close(w, ctx, run)?;
                effects.push(effect);
            }
        }
    }
    let mut plan = load(&w.tx(), plan.id)?;
    plan.is_completed = true;
    plan.completed_on = Some(ctx.now);
    plan.updated_on = Some(ctx.now);
    w.put_plan(&plan)?;
    effects.insert(
        0,
        Effect {
            kind: Kind::Plan,
            id: plan.id,
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
        },
    );
    Ok(Outcome {
        response: Response::Json(render_plan(&w.tx(), &RunShape::new(&w.tx())?, &plan)?).into(),
        effects,
    })
}

/// Deletes runs of a plan, with their journal effects.
fn delete_runs(w: &mut Writer<'_>, ids: &[u64], effects: &mut Vec<Effect>) -> Result<()> {
    let tx = w.tx();
    let shape = RunShape::new(&tx)?;
    for run in tx.get_many::<Run>(ids)?.into_iter().flatten() {
        effects.push(delete_effect(&tx, &run, &shape)?);
        runs::delete_run(w, &run)?;
    }
    Ok(())
}

/// Every run id of a plan.
fn run_ids(plan: &Plan) -> Vec<u64> {
    plan.entries
        .iter()
        .flat_map(|e| e.runs.iter().copied())
        .collect()
}

/// Deletes a plan with its runs (for a project delete too).
pub(super) fn delete_cascade(
    w: &mut Writer<'_>,
    plan: &Plan,
    effects: &mut Vec<Effect>,
) -> Result<()> {
    effects.push(Effect {
        kind: Kind::Plan,
        id: plan.id,
        action: Action::Delete,
        changes: diff(
            Some(&plan.to_json(RunShape::new(&w.tx())?.keys(), None)),
            None,
            UNJOURNALED,
        ),
    });
    delete_runs(w, &run_ids(plan), effects)?;
    let plan = load(&w.tx(), plan.id)?;
    w.delete_plan(&plan)
}

pub(super) fn delete_plan(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let plan = load(&tx, req.ids[0])?;
    if req.soft() {
        let ids = run_ids(&plan);
        let runs: Vec<Run> = tx.get_many::<Run>(&ids)?.into_iter().flatten().collect();
        let refs: Vec<&Run> = runs.iter().collect();
        return Ok(Outcome {
            response: Response::Json(soft_counts(&tx, &refs)?).into(),
            effects: Vec::new(),
        });
    }
    let mut effects = Vec::new();
    delete_cascade(w, &plan, &mut effects)?;
    Ok(Outcome {
        response: Response::Empty.into(),
        effects,
    })
}

pub(super) fn delete_plan_entry(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let plan = load(&tx, req.ids[0])?;
    check_plan_open(&plan)?;
    let entry = entry_of(&plan, req)?.clone();
    let mut effects = Vec::new();
    delete_runs(w, &entry.runs, &mut effects)?;
    // The entry goes with its last run (see `runs::delete_run`); an entry without runs goes too.
    let mut plan = load(&w.tx(), plan.id)?;
    plan.entries.retain(|e| e.id != entry.id);
    crate::cascade::entry_deleted(w, plan.id, &entry.id)?;
    w.put_plan(&plan)?;
    Ok(Outcome {
        response: Response::Empty.into(),
        effects,
    })
}

pub(super) fn delete_run_from_plan_entry(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let (run, plan) = configured_run(&tx, req.ids[0], false)?;
    check_plan_open(&plan)?;
    let mut effects = Vec::new();
    delete_runs(w, &[run.id], &mut effects)?;
    Ok(Outcome {
        response: Response::Empty.into(),
        effects,
    })
}

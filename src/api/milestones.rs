//! Milestones: get_milestone, get_milestones, add_milestone, update_milestone,
//! delete_milestone.
//!
//! - One level of sub-milestones, as TestRail has: a sub-milestone's parent is a top-level
//!   milestone of the same project.
//! - `is_started: true` sets `started_on`, `is_completed: true` sets `completed_on` (both now);
//!   setting them false clears the time.
//! - Deleting a milestone "unlinks this milestone from all test runs & plans (no test runs &
//!   plans are deleted)" (TestRail's confirmation text); cases are unlinked the same way. What
//!   TestRail does with sub-milestones is not documented: here they are deleted with their parent
//!   (and unlinked the same way), so that no milestone is left pointing at a parent that is gone.

use serde_json::{Map, Value};

use super::paging::wrap_all;
use super::projects::effect_if;
use super::{Outcome, Request, Response, WriteCtx};
use crate::error::{Error, Result};
use crate::journal::{diff, Action, Effect};
use crate::messages as msg;
use crate::model::{Case, Kind, Milestone, Plan, Run};
use crate::tables;
use crate::tx::{Tx, Writer};
use crate::validate;

pub(crate) fn load(tx: &Tx<'_>, id: u64) -> Result<Milestone> {
    tx.get::<Milestone>(id)?
        .ok_or_else(|| msg::unknown("milestone_id", Kind::Milestone))
}

/// A milestone as `get_milestone` and the writes answer: with its sub-milestones.
fn render(tx: &Tx<'_>, m: &Milestone) -> Result<Value> {
    let mut out = m.to_json();
    let children: Vec<Value> = children_of(tx, m)?.iter().map(Milestone::to_json).collect();
    out["milestones"] = Value::Array(children);
    Ok(out)
}

fn children_of(tx: &Tx<'_>, m: &Milestone) -> Result<Vec<Milestone>> {
    let ids = tx.children(tables::PROJECT_MILESTONES, m.project_id)?;
    Ok(tx
        .get_many::<Milestone>(&ids)?
        .into_iter()
        .flatten()
        .filter(|c| c.parent_id == Some(m.id))
        .collect())
}

pub(super) fn get_milestones(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let project = super::projects::load(tx, req.ids[0])?;
    let flag = |k: &str| -> Result<Option<bool>> {
        match req.param(k) {
            None | Some("") => Ok(None),
            Some(v) => validate::flag(k, &Value::String(v.into())).map(Some),
        }
    };
    let completed = flag("is_completed")?;
    let started = flag("is_started")?;
    let mut items = Vec::new();
    for id in tx.children(tables::PROJECT_MILESTONES, project.id)? {
        if let Some(m) = tx.get::<Milestone>(id)? {
            if completed.is_none_or(|c| m.is_completed == c)
                && started.is_none_or(|s| m.is_started == s)
            {
                items.push(m.to_json());
            }
        }
    }
    wrap_all(req, "milestones", items)
}

pub(super) fn get_milestone(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    render(tx, &load(tx, req.ids[0])?)
}

/// A valid parent for a sub-milestone of `project_id`: a top-level milestone of the project.
fn parent(tx: &Tx<'_>, v: Option<&Value>, project_id: u64) -> Result<Option<u64>> {
    let Some(id) = validate::opt_milestone(tx, "parent_id", v, project_id)? else {
        return Ok(None);
    };
    if load(tx, id)?.parent_id.is_some() {
        return Err(Error::validation(
            "parent_id",
            "You cannot add a sub-milestone to a sub-milestone (only one sub-milestone level is supported).",
        ));
    }
    Ok(Some(id))
}

/// Applies the fields of an add or update body (all optional here; `name` is checked by add).
fn apply(tx: &Tx<'_>, ctx: &WriteCtx, m: &mut Milestone, b: &Map<String, Value>) -> Result<()> {
    if b.contains_key("name") {
        m.name = validate::name("name", b.get("name"))?;
    }
    if let Some(v) = b.get("description") {
        m.description = validate::opt_text("description", Some(v))?;
    }
    if let Some(v) = b.get("refs") {
        m.refs = validate::opt_text_max("refs", Some(v), validate::RUN_REFS_MAX)?;
    }
    if let Some(v) = b.get("start_on") {
        m.start_on = validate::opt_timestamp("start_on", Some(v))?;
    }
    if let Some(v) = b.get("due_on") {
        m.due_on = validate::opt_timestamp("due_on", Some(v))?;
    }
    if let Some(v) = b.get("parent_id") {
        let p = parent(tx, Some(v), m.project_id)?;
        if p == Some(m.id) {
            return Err(Error::validation(
                "parent_id",
                "Milestone and milestone parent must be two different milestones.",
            ));
        }
        if p.is_some() && m.id != 0 && !children_of(tx, m)?.is_empty() {
            return Err(Error::validation(
                "parent_id",
                "You cannot change a milestone with sub-milestones into a sub-milestone (only one sub-milestone level is supported).",
            ));
        }
        m.parent_id = p;
    }
    if let Some(v) = b.get("is_started").filter(|v| !v.is_null()) {
        let started = validate::flag("is_started", v)?;
        if started != m.is_started {
            m.is_started = started;
            m.started_on = started.then_some(ctx.now);
        }
    }
    if let Some(v) = b.get("is_completed").filter(|v| !v.is_null()) {
        let completed = validate::flag("is_completed", v)?;
        if completed != m.is_completed {
            m.is_completed = completed;
            m.completed_on = completed.then_some(ctx.now);
        }
    }
    Ok(())
}

/// Keys of a milestone's JSON the journal does not record.
const UNJOURNALED: &[&str] = &["id", "url", "milestones"];

pub(super) fn add_milestone(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let project = super::projects::load(&tx, req.ids[0])?;
    let name = validate::name("name", req.body.get("name"))?;
    let mut m = Milestone {
        id: 0,
        name,
        description: None,
        project_id: project.id,
        start_on: None,
        started_on: None,
        is_started: false,
        due_on: None,
        is_completed: false,
        completed_on: None,
        parent_id: None,
        refs: None,
        url: String::new(),
        extra: Vec::new(),
    };
    apply(&tx, ctx, &mut m, &req.body)?;
    m.id = w.new_id(Kind::Milestone)?;
    m.url = super::projects::local_url(&format!("milestones/view/{}", m.id));
    w.put_milestone(&m)?;
    let json = render(&w.tx(), &m)?;
    Ok(Outcome {
        effects: vec![Effect {
            kind: Kind::Milestone,
            id: m.id,
            action: Action::Create,
            changes: diff(None, Some(&json), UNJOURNALED),
        }],
        response: Response::Json(json).into(),
    })
}

pub(super) fn update_milestone(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    req: &Request,
) -> Result<Outcome> {
    let tx = w.tx();
    let old = load(&tx, req.ids[0])?;
    let mut m = old.clone();
    apply(&tx, ctx, &mut m, &req.body)?;
    let changes = diff(Some(&old.to_json()), Some(&m.to_json()), UNJOURNALED);
    if !changes.is_empty() {
        w.put_milestone(&m)?;
    }
    Ok(Outcome {
        response: Response::Json(render(&w.tx(), &m)?).into(),
        effects: effect_if(Kind::Milestone, m.id, Action::Update, changes),
    })
}

/// Unlinks a milestone from the runs, plans and cases of its project.
fn unlink(w: &mut Writer<'_>, m: &Milestone) -> Result<()> {
    let tx = w.tx();
    for run in super::runs::runs_of(&tx, tables::PROJECT_RUNS, m.project_id)? {
        if run.milestone_id == Some(m.id) {
            w.put_run(&Run {
                milestone_id: None,
                ..run
            })?;
        }
    }
    let plans = tx.children(tables::PROJECT_PLANS, m.project_id)?;
    for plan in tx.get_many::<Plan>(&plans)?.into_iter().flatten() {
        if plan.milestone_id == Some(m.id) {
            w.put_plan(&Plan {
                milestone_id: None,
                ..plan
            })?;
        }
    }
    for suite in tx.children(tables::PROJECT_SUITES, m.project_id)? {
        let mut ids = Vec::new();
        tx.for_each_suite_case(suite, 0, |id, s| {
            if s.milestone_id == m.id {
                ids.push(id);
            }
            Ok(true)
        })?;
        for old in tx.get_many::<Case>(&ids)?.into_iter().flatten() {
            let case = Case {
                milestone_id: None,
                ..old.clone()
            };
            w.put_case(&case, Some(&old))?;
        }
    }
    Ok(())
}

pub(super) fn delete_milestone(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let m = load(&tx, req.ids[0])?;
    let mut gone = children_of(&tx, &m)?;
    gone.push(m);
    let mut effects = Vec::new();
    for m in &gone {
        effects.push(Effect {
            kind: Kind::Milestone,
            id: m.id,
            action: Action::Delete,
            changes: diff(Some(&m.to_json()), None, UNJOURNALED),
        });
        unlink(w, m)?;
        w.delete_milestone(m)?;
    }
    // The milestone named in the route first, as the journal reads it.
    effects.reverse();
    Ok(Outcome {
        response: Response::Empty.into(),
        effects,
    })
}

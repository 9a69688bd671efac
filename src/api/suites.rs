//! Suites: get_suite, get_suites, add_suite, update_suite, delete_suite.

use serde_json::Value;

use super::paging::wrap_all;
use super::projects::{effect_if, load as load_project, local_url};
use super::{Outcome, Request, Response, WriteCtx};
use crate::error::{Error, Result};
use crate::journal::{diff, Action, Effect};
use crate::messages as msg;
use crate::model::{Kind, Suite, SuiteMode};
use crate::tables;
use crate::tx::{Tx, Writer};
use crate::validate;

pub(crate) fn load(tx: &Tx<'_>, field: &str, id: u64) -> Result<Suite> {
    tx.get::<Suite>(id)?
        .ok_or_else(|| msg::unknown(field, Kind::Suite))
}

pub(super) fn get_suite(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    Ok(load(tx, "suite_id", req.ids[0])?.to_json())
}

pub(super) fn get_suites(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let project = load_project(tx, req.ids[0])?;
    let mut items = Vec::new();
    for id in tx.children(tables::PROJECT_SUITES, project.id)? {
        items.push(load(tx, "suite_id", id)?.to_json());
    }
    wrap_all(req, "suites", items)
}

/// The suite a project-level request works on: `suite_id` when given (required unless the
/// project is single-suite), else the project's only suite.
pub(crate) fn resolve(tx: &Tx<'_>, project_id: u64, suite_id: Option<&Value>) -> Result<Suite> {
    let project = load_project(tx, project_id)?;
    let given = match suite_id {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(v) => Some(validate::id_value("suite_id", v)?),
    };
    let suites = tx.children(tables::PROJECT_SUITES, project.id)?;
    if project.suite_mode.suite_id_optional() {
        // TestRail ignores suite_id in single-suite mode (an unrelated id still answers 200).
        let only = suites
            .first()
            .copied()
            .ok_or_else(|| msg::unknown("suite_id", Kind::Suite))?;
        return load(tx, "suite_id", only);
    }
    let id = given.ok_or_else(|| msg::required("suite_id"))?;
    if !suites.contains(&id) {
        return Err(msg::unknown("suite_id", Kind::Suite));
    }
    load(tx, "suite_id", id)
}

pub(super) fn add_suite(w: &mut Writer<'_>, _ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let project = load_project(&tx, req.ids[0])?;
    let name = validate::name("name", req.body.get("name"))?;
    let description = validate::opt_text("description", req.body.get("description"))?;
    let existing = tx.children(tables::PROJECT_SUITES, project.id)?;
    if project.suite_mode == SuiteMode::Single && !existing.is_empty() {
        return Err(Error::validation(
            "project_id",
            "Field :project_id is a project in single suite mode, which has exactly one test suite.",
        ));
    }
    let id = w.new_id(Kind::Suite)?;
    let suite = Suite {
        id,
        name,
        description,
        project_id: project.id,
        is_master: existing.is_empty(),
        is_baseline: project.suite_mode == SuiteMode::SingleWithBaselines && !existing.is_empty(),
        is_completed: false,
        completed_on: None,
        url: local_url(&format!("suites/view/{id}")),
        extra: Vec::new(),
    };
    w.put_suite(&suite)?;
    let json = suite.to_json();
    Ok(Outcome {
        effects: vec![Effect {
            kind: Kind::Suite,
            id,
            action: Action::Create,
            changes: diff(None, Some(&json), &["id", "url"]),
        }],
        response: Response::Json(json).into(),
    })
}

pub(super) fn update_suite(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let old = load(&w.tx(), "suite_id", req.ids[0])?;
    let mut s = old.clone();
    if req.body.contains_key("name") {
        s.name = validate::name("name", req.body.get("name"))?;
    }
    if req.body.contains_key("description") {
        s.description = validate::opt_text("description", req.body.get("description"))?;
    }
    let changes = diff(Some(&old.to_json()), Some(&s.to_json()), &[]);
    if !changes.is_empty() {
        w.put(&s)?;
    }
    Ok(Outcome {
        response: Response::Json(s.to_json()).into(),
        effects: effect_if(Kind::Suite, s.id, Action::Update, changes),
    })
}

pub(super) fn delete_suite(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let suite = load(&tx, "suite_id", req.ids[0])?;
    if req.soft() {
        let mut counts = super::sections::Counts::default();
        super::sections::count_suite(&tx, suite.id, &mut counts)?;
        return Ok(Outcome {
            response: Response::Json(counts.to_json()).into(),
            effects: Vec::new(),
        });
    }
    let mut effects = Vec::new();
    delete_suite_cascade(w, &suite, &mut effects, true)?;
    Ok(Outcome {
        response: Response::Empty.into(),
        effects,
    })
}

/// Deletes a suite with its sections and cases. The suite's own effect carries its values when
/// `top` (it was the target); cascaded entities are recorded by id.
pub(super) fn delete_suite_cascade(
    w: &mut Writer<'_>,
    suite: &Suite,
    effects: &mut Vec<Effect>,
    top: bool,
) -> Result<()> {
    let tx = w.tx();
    effects.push(Effect {
        kind: Kind::Suite,
        id: suite.id,
        action: Action::Delete,
        changes: if top {
            diff(Some(&suite.to_json()), None, &["id"])
        } else {
            Vec::new()
        },
    });
    // TestRail: deleting a suite "also deletes all active test runs & results"; closed runs
    // stay, archived.
    for run in super::runs::runs_of(&tx, tables::SUITE_RUNS, suite.id)? {
        if !run.is_completed {
            effects.push(super::runs::delete_effect(
                &tx,
                &run,
                &super::runs::RunShape::new(&tx)?,
            )?);
            crate::runs::delete_run(w, &run)?;
        }
    }
    let roots: Vec<u64> = crate::tree::suite_sections(&tx, suite.id)?
        .into_iter()
        .filter(|s| s.parent_id.is_none())
        .map(|s| s.id)
        .collect();
    for root in roots {
        super::sections::delete_subtree(w, root, effects, false)?;
    }
    w.delete_suite(suite)
}

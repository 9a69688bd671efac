//! Projects: get_project, get_projects, add_project, update_project, delete_project.

use serde_json::Value;

use super::paging::wrap_all;
use super::{Outcome, Request, Response, WriteCtx};
use crate::error::{Error, Result};
use crate::journal::{diff, Action, Effect};
use crate::messages as msg;
use crate::model::{Kind, Milestone, Project, Suite, SuiteMode, Template};
use crate::tables;
use crate::tx::{Tx, Writer};
use crate::validate;

pub(crate) fn load(tx: &Tx<'_>, id: u64) -> Result<Project> {
    tx.get::<Project>(id)?
        .ok_or_else(|| msg::unknown("project_id", Kind::Project))
}

pub(super) fn get_project(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    Ok(load(tx, req.ids[0])?.to_json())
}

pub(super) fn get_projects(tx: &Tx<'_>, req: &Request) -> Result<Value> {
    let completed = match req.param("is_completed") {
        None | Some("") => None,
        Some(v) => Some(validate::flag("is_completed", &Value::String(v.into()))?),
    };
    let items = tx
        .all::<Project>()?
        .into_iter()
        .filter(|p| completed.is_none_or(|c| p.is_completed == c))
        .map(|p| p.to_json())
        .collect();
    wrap_all(req, "projects", items)
}

/// A link in the form TestRail gives, for entities created offline.
pub(super) fn local_url(path: &str) -> String {
    format!("trailstore://local/index.php?/{path}")
}

fn suite_mode(v: &Value) -> Result<SuiteMode> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .and_then(SuiteMode::from_i64)
        .ok_or_else(|| msg::not_valid("suite_mode", "suite mode (1, 2 or 3)"))
}

pub(super) fn add_project(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let b = &req.body;
    let name = validate::name("name", b.get("name"))?;
    let announcement = validate::opt_text("announcement", b.get("announcement"))?;
    let show_announcement = match b.get("show_announcement") {
        Some(v) if !v.is_null() => validate::flag("show_announcement", v)?,
        _ => false,
    };
    let mode = match b.get("suite_mode") {
        Some(v) if !v.is_null() => suite_mode(v)?,
        _ => SuiteMode::Single,
    };
    let id = w.new_id(Kind::Project)?;
    let project = Project {
        id,
        name,
        announcement,
        show_announcement,
        is_completed: false,
        completed_on: None,
        suite_mode: mode,
        url: local_url(&format!("projects/overview/{id}")),
        extra: Vec::new(),
    };
    w.put(&project)?;
    // Templates are enabled for a new project, as TestRail does; without one its cases would
    // have no template.
    for mut t in w.tx().all::<Template>()? {
        t.project_ids.push(id);
        w.put(&t)?;
    }
    let json = project.to_json();
    let mut effects = vec![Effect {
        kind: Kind::Project,
        id,
        action: Action::Create,
        changes: diff(None, Some(&json), &["id", "url"]),
    }];
    if mode != SuiteMode::Multiple {
        // A single-suite project has its master suite from the start, as in TestRail.
        let suite_id = w.new_id(Kind::Suite)?;
        let suite = Suite {
            id: suite_id,
            name: "Master".into(),
            description: None,
            project_id: id,
            is_master: true,
            is_baseline: false,
            is_completed: false,
            completed_on: None,
            url: local_url(&format!("suites/view/{suite_id}")),
            extra: Vec::new(),
        };
        w.put_suite(&suite)?;
        effects.push(Effect {
            kind: Kind::Suite,
            id: suite_id,
            action: Action::Create,
            changes: diff(None, Some(&suite.to_json()), &["id", "url"]),
        });
    }
    let _ = ctx;
    Ok(Outcome {
        response: Response::Json(json).into(),
        effects,
    })
}

pub(super) fn update_project(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let old = load(&tx, req.ids[0])?;
    let mut p = old.clone();
    let b = &req.body;
    if b.contains_key("name") {
        p.name = validate::name("name", b.get("name"))?;
    }
    if b.contains_key("announcement") {
        p.announcement = validate::opt_text("announcement", b.get("announcement"))?;
    }
    if let Some(v) = b.get("show_announcement").filter(|v| !v.is_null()) {
        p.show_announcement = validate::flag("show_announcement", v)?;
    }
    if let Some(v) = b.get("is_completed").filter(|v| !v.is_null()) {
        let done = validate::flag("is_completed", v)?;
        if done != p.is_completed {
            p.is_completed = done;
            p.completed_on = done.then(crate::clock::now);
        }
    }
    if let Some(v) = b.get("suite_mode").filter(|v| !v.is_null()) {
        let mode = suite_mode(v)?;
        if mode != SuiteMode::Multiple && tx.children(tables::PROJECT_SUITES, p.id)?.len() > 1 {
            return Err(Error::validation(
                "suite_mode",
                "Field :suite_mode cannot be single-suite: the project has more than one test suite.",
            ));
        }
        p.suite_mode = mode;
    }
    let changes = diff(Some(&old.to_json()), Some(&p.to_json()), &[]);
    if !changes.is_empty() {
        w.put(&p)?;
    }
    Ok(Outcome {
        response: Response::Json(p.to_json()).into(),
        effects: effect_if(Kind::Project, p.id, Action::Update, changes),
    })
}

/// One effect, or none when nothing changed (an update that changes nothing is not journaled).
pub(super) fn effect_if(
    kind: Kind,
    id: u64,
    action: Action,
    changes: Vec<crate::journal::Change>,
) -> Vec<Effect> {
    if changes.is_empty() {
        Vec::new()
    } else {
        vec![Effect {
            kind,
            id,
            action,
            changes,
        }]
    }
}

pub(super) fn delete_project(w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let project = load(&tx, req.ids[0])?;
    let suites = tx.children(tables::PROJECT_SUITES, project.id)?;
    if req.soft() {
        let mut counts = super::sections::Counts::default();
        for s in &suites {
            super::sections::count_suite(&tx, *s, &mut counts)?;
        }
        return Ok(Outcome {
            response: Response::Json(counts.to_json()).into(),
            effects: Vec::new(),
        });
    }
    let mut effects = vec![Effect {
        kind: Kind::Project,
        id: project.id,
        action: Action::Delete,
        changes: diff(Some(&project.to_json()), None, &["id"]),
    }];
    for suite_id in suites {
        if let Some(suite) = tx.get::<Suite>(suite_id)? {
            super::suites::delete_suite_cascade(w, &suite, &mut effects, false)?;
        }
    }
    // Runs, plans and configurations go with their project, open or closed.
    for plan in tx.children(tables::PROJECT_PLANS, project.id)? {
        if let Some(plan) = tx.get::<crate::model::Plan>(plan)? {
            super::plans::delete_cascade(w, &plan, &mut effects)?;
        }
    }
    for run in super::runs::runs_of(&tx, tables::PROJECT_RUNS, project.id)? {
        crate::runs::delete_run(w, &run)?;
    }
    for gid in tx.children(tables::PROJECT_CONFIG_GROUPS, project.id)? {
        for cid in tx.children(tables::GROUP_CONFIGS, gid)? {
            w.remove::<crate::model::Config>(cid)?;
            w.unlink(tables::GROUP_CONFIGS, gid, cid)?;
        }
        w.remove::<crate::model::ConfigGroup>(gid)?;
        w.unlink(tables::PROJECT_CONFIG_GROUPS, project.id, gid)?;
    }
    for mid in tx.children(tables::PROJECT_MILESTONES, project.id)? {
        if let Some(m) = tx.get::<Milestone>(mid)? {
            w.delete_milestone(&m)?;
        }
    }
    w.remove::<Project>(project.id)?;
    Ok(Outcome {
        response: Response::Empty.into(),
        effects,
    })
}

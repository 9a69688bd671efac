//! Cases: get_case, get_cases, add_case, update_case, update_cases, delete_case, delete_cases,
//! copy_cases_to_section, move_cases_to_section.
//!
//! Choices where TestRail is [UNCONFIRMED] (testrail-api.md §3.4, §11):
//! - `get_cases` without `section_id` lists in id order (stable under paging); with `section_id`
//!   it lists that section only (not its subsections), in display order.
//! - `created_after`/`updated_after` are strict (`>`), `..._before` strict (`<`).
//! - `refs` matches one whole reference of the comma-separated list, case-insensitively;
//!   `filter` is a case-insensitive substring of the title.
//! - `update_cases` answers `{"updated": [case, ...]}` (the shape testrail-api expects);
//!   `copy_cases_to_section` answers the list of new cases; `move_cases_to_section` an empty body.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::paging::Page;
use super::projects::effect_if;
use super::Ctx;
use super::{csv_ids, id_list, timestamp, Answer, Outcome, Request, Response, WriteCtx};
use crate::codec::CaseSummary;
use crate::error::{Error, Result};
use crate::journal::{diff, Action, Effect};
use crate::messages as msg;
use crate::model::{Case, CaseField, CaseOf, Json, JsonOf, Kind, Project, Section};
use crate::tables;
use crate::tx::{Tx, Writer};
use crate::validate;

/// Keys of a case's JSON that the journal does not record as changes: ids and stamps the store
/// sets itself.
const UNJOURNALED: &[&str] = &[
    "id",
    "created_by",
    "created_on",
    "updated_by",
    "updated_on",
    "display_order",
    "estimate_forecast",
    "is_deleted",
    "labels",
];

pub(crate) fn load(tx: &Tx<'_>, id: u64) -> Result<Case> {
    tx.get::<Case>(id)?
        .ok_or_else(|| msg::unknown("case_id", Kind::Case))
}

/// Renders a case with the custom fields of its project.
pub(crate) fn render(fields: &[CaseField], case: &Case) -> Value {
    let shown = validate::project_fields(fields, case.project_id);
    case.to_json(&shown)
}

pub(super) fn get_case(cx: &Ctx<'_>, tx: &Tx<'_>, req: &Request) -> Result<Answer> {
    let case = tx
        .case_record(req.ids[0])?
        .ok_or_else(|| msg::unknown("case_id", Kind::Case))?;
    Ok(Answer::case(case, super::fields_of(cx, tx)?))
}

/// The filters of `get_cases`.
struct Filters {
    created_after: Option<i64>,
    created_before: Option<i64>,
    updated_after: Option<i64>,
    updated_before: Option<i64>,
    created_by: Option<Vec<u64>>,
    updated_by: Option<Vec<u64>>,
    milestone_id: Option<Vec<u64>>,
    priority_id: Option<Vec<u64>>,
    template_id: Option<Vec<u64>>,
    type_id: Option<Vec<u64>>,
    label_id: Option<Vec<u64>>,
    refs: Option<String>,
    title: Option<String>,
}

fn within(list: &Option<Vec<u64>>, v: u64) -> bool {
    list.as_ref().is_none_or(|l| l.contains(&v))
}

impl Filters {
    fn parse(req: &Request) -> Result<Filters> {
        let text = |k: &str| {
            req.param(k)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_lowercase)
        };
        Ok(Filters {
            created_after: timestamp(req, "created_after")?,
            created_before: timestamp(req, "created_before")?,
            updated_after: timestamp(req, "updated_after")?,
            updated_before: timestamp(req, "updated_before")?,
            created_by: csv_ids(req, "created_by")?,
            updated_by: csv_ids(req, "updated_by")?,
            milestone_id: csv_ids(req, "milestone_id")?,
            priority_id: csv_ids(req, "priority_id")?,
            template_id: csv_ids(req, "template_id")?,
            type_id: csv_ids(req, "type_id")?,
            label_id: csv_ids(req, "label_id")?,
            refs: text("refs"),
            title: text("filter"),
        })
    }

    fn matches_summary(&self, s: &CaseSummary) -> bool {
        self.created_after.is_none_or(|t| s.created_on > t)
            && self.created_before.is_none_or(|t| s.created_on < t)
            && self.updated_after.is_none_or(|t| s.updated_on > t)
            && self.updated_before.is_none_or(|t| s.updated_on < t)
            && within(&self.created_by, s.created_by)
            && within(&self.updated_by, s.updated_by)
            && within(&self.milestone_id, s.milestone_id)
            && within(&self.priority_id, s.priority_id)
            && within(&self.template_id, s.template_id)
            && within(&self.type_id, s.type_id)
    }

    /// Whether the filters need more than the summary.
    fn needs_record(&self) -> bool {
        self.refs.is_some() || self.title.is_some() || self.label_id.is_some()
    }

    fn matches_record<S: AsRef<str>>(&self, c: &CaseOf<S>) -> bool {
        let refs_ok = self.refs.as_ref().is_none_or(|r| {
            c.refs.as_ref().is_some_and(|refs| {
                refs.as_ref()
                    .split(',')
                    .any(|one| one.trim().to_lowercase() == *r)
            })
        });
        let title_ok = self
            .title
            .as_ref()
            .is_none_or(|t| c.title.as_ref().to_lowercase().contains(t.as_str()));
        let label_ok = self.label_id.as_ref().is_none_or(|ids| match &c.labels {
            JsonOf::List(labels) => labels.iter().any(|l| {
                l.get("id")
                    .and_then(JsonOf::as_i64)
                    .is_some_and(|id| ids.contains(&(id as u64)))
            }),
            _ => false,
        });
        refs_ok && title_ok && label_ok
    }
}

pub(super) fn get_cases(cx: &Ctx<'_>, tx: &Tx<'_>, req: &Request) -> Result<Answer> {
    let suite = super::suites::resolve(tx, req.ids[0], req.param_or_body("suite_id").as_ref())?;
    let section = match req.param("section_id").filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) => {
            let id = validate::id_text("section_id", s.trim())?;
            match tx.get::<Section>(id)? {
                Some(sec) if sec.suite_id == suite.id => Some(sec),
                _ => return Err(msg::unknown("section_id", Kind::Section)),
            }
        }
    };
    let filters = Filters::parse(req)?;
    let page = Page::from_request(req)?;
    let fields = super::fields_of(cx, tx)?;
    let mut items = Vec::new();
    let mut has_more = false;
    if let Some(section) = section {
        // The summaries answer the cheap filters before any record is decoded.
        let ids = tx.children(tables::SECTION_CASES, section.id)?;
        let wanted: Vec<u64> = tx
            .suite_case_summaries(suite.id, &ids)?
            .into_iter()
            .filter(|(_, summary)| filters.matches_summary(summary))
            .map(|(id, _)| id)
            .collect();
        let mut cases = Vec::with_capacity(wanted.len());
        for c in tx.case_records(&wanted)? {
            let c = c.ok_or_else(|| msg::unknown("case_id", Kind::Case))?;
            if filters.matches_record(c.view()) {
                cases.push(c);
            }
        }
        cases.sort_by_key(|c| (c.view().display_order, c.view().id));
        for (i, c) in cases.into_iter().enumerate() {
            if page.wants(i as u64) {
                items.push(c);
            } else if page.past(i as u64) {
                has_more = true;
                break;
            }
        }
    } else {
        let mut index = 0u64;
        tx.for_each_suite_case(suite.id, 0, |id, summary| {
            if !filters.matches_summary(&summary) {
                return Ok(true);
            }
            let want = page.wants(index);
            if page.past(index) && !filters.needs_record() {
                has_more = true;
                return Ok(false);
            }
            if filters.needs_record() || want {
                let c = tx
                    .case_record(id)?
                    .ok_or_else(|| msg::unknown("case_id", Kind::Case))?;
                if !filters.matches_record(c.view()) {
                    return Ok(true);
                }
                if page.past(index) {
                    has_more = true;
                    return Ok(false);
                }
                if want {
                    items.push(c);
                }
            }
            index += 1;
            Ok(true)
        })?;
    }
    let head = super::paging::head(req, page, items.len(), has_more);
    Ok(Answer::cases(head, "cases", items, fields))
}

/// The next display_order at the end of a section.
fn next_display_order(tx: &Tx<'_>, section_id: u64) -> Result<i64> {
    let mut max = 0;
    for id in tx.children(tables::SECTION_CASES, section_id)? {
        max = max.max(load(tx, id)?.display_order);
    }
    Ok(max + 1)
}

fn project_of(tx: &Tx<'_>, project_id: u64) -> Result<Project> {
    super::projects::load(tx, project_id)
}

fn fields_in_write(w: &Writer<'_>) -> Result<Arc<Vec<CaseField>>> {
    Ok(Arc::new(w.tx().all::<CaseField>()?))
}

pub(super) fn add_case(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let section = super::sections::load(&tx, "section_id", req.ids[0])?;
    let project = project_of(&tx, section.project_id)?;
    let fields = fields_in_write(w)?;
    let fresh = Case {
        id: 0,
        title: String::new(),
        section_id: section.id,
        suite_id: section.suite_id,
        project_id: section.project_id,
        template_id: 0,
        type_id: 0,
        priority_id: 0,
        milestone_id: None,
        refs: None,
        created_by: ctx.user_id,
        created_on: ctx.now,
        updated_by: ctx.user_id,
        updated_on: ctx.now,
        estimate: None,
        estimate_forecast: None,
        display_order: next_display_order(&tx, section.id)?,
        is_deleted: 0,
        labels: Json::List(Vec::new()),
        custom: Vec::new(),
        extra: Vec::new(),
    };
    let mut case = validate::apply_case_body(&tx, &fields, &project, fresh, &req.body, true)?;
    case.id = w.new_id(Kind::Case)?;
    w.put_case(&case, None)?;
    crate::runs::case_added(w, &case)?;
    let json = render(&fields, &case);
    Ok(Outcome {
        effects: vec![Effect {
            kind: Kind::Case,
            id: case.id,
            action: Action::Create,
            changes: diff(None, Some(&json), UNJOURNALED),
        }],
        response: Response::Json(json).into(),
    })
}

/// Validates an update of one case: the new case, or the old one when nothing changed.
fn updated(
    tx: &Tx<'_>,
    fields: &[CaseField],
    ctx: &WriteCtx,
    old: &Case,
    body: &Map<String, Value>,
) -> Result<Case> {
    let project = project_of(tx, old.project_id)?;
    let mut case = validate::apply_case_body(tx, fields, &project, old.clone(), body, false)?;
    match body.get("section_id") {
        None | Some(Value::Null) => {}
        Some(v) => {
            let sid = validate::id_value("section_id", v)?;
            if sid != old.section_id {
                let target = super::sections::load(tx, "section_id", sid)?;
                if target.project_id != old.project_id {
                    return Err(msg::unknown("section_id", Kind::Section));
                }
                case.section_id = target.id;
                case.suite_id = target.suite_id;
                case.display_order = next_display_order(tx, target.id)?;
            }
        }
    }
    if case != *old {
        case.updated_by = ctx.user_id;
        case.updated_on = ctx.now;
    }
    Ok(case)
}

pub(super) fn update_case(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let old = load(&tx, req.ids[0])?;
    let fields = fields_in_write(w)?;
    let case = updated(&tx, &fields, ctx, &old, &req.body)?;
    let changes = diff(
        Some(&render(&fields, &old)),
        Some(&render(&fields, &case)),
        UNJOURNALED,
    );
    if !changes.is_empty() {
        w.put_case(&case, Some(&old))?;
        crate::runs::case_changed(w, &old, &case)?;
    }
    Ok(Outcome {
        response: Response::Json(render(&fields, &case)).into(),
        effects: effect_if(Kind::Case, case.id, Action::Update, changes),
    })
}

/// Loads the cases a bulk call names, refusing the whole call if one is missing or outside the
/// suite.
fn load_listed(tx: &Tx<'_>, ids: &[u64], suite_id: Option<u64>) -> Result<Vec<Case>> {
    tx.get_many::<Case>(ids)?
        .into_iter()
        .map(|c| match c {
            Some(c) if suite_id.is_none_or(|s| s == c.suite_id) => Ok(c),
            _ => Err(msg::invalid_in_list("case_ids", "case")),
        })
        .collect()
}

pub(super) fn update_cases(w: &mut Writer<'_>, ctx: &WriteCtx, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let suite_id = match req.id(0) {
        Some(id) => Some(super::suites::load(&tx, "suite_id", id)?.id),
        None => None,
    };
    let ids = id_list("case_ids", req.body.get("case_ids"))?;
    let cases = load_listed(&tx, &ids, suite_id)?;
    let mut body = req.body.clone();
    body.remove("case_ids");
    // A bulk update sets values; it does not move cases.
    body.remove("section_id");
    let fields = fields_in_write(w)?;
    let mut planned = Vec::with_capacity(cases.len());
    for old in &cases {
        planned.push(updated(&tx, &fields, ctx, old, &body)?);
    }
    let mut effects = Vec::new();
    let mut out = Vec::with_capacity(planned.len());
    for (old, case) in cases.iter().zip(&planned) {
        let changes = diff(
            Some(&render(&fields, old)),
            Some(&render(&fields, case)),
            UNJOURNALED,
        );
        if !changes.is_empty() {
            w.put_case(case, Some(old))?;
            effects.push(Effect {
                kind: Kind::Case,
                id: case.id,
                action: Action::Update,
                changes,
            });
        }
        out.push(render(&fields, case));
    }
    Ok(Outcome {
        response: Response::Json(json!({ "updated": out })).into(),
        effects,
    })
}

fn soft_counts(cases: usize) -> Value {
    json!({"cases": cases, "tests": 0, "results": 0})
}

pub(super) fn delete_case(cx: &Ctx<'_>, w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let case = load(&tx, req.ids[0])?;
    if req.soft() {
        return Ok(Outcome {
            response: Response::Json(soft_counts(1)).into(),
            effects: Vec::new(),
        });
    }
    let fields = super::fields_of(cx, &tx)?;
    let effect = Effect {
        kind: Kind::Case,
        id: case.id,
        action: Action::Delete,
        changes: diff(Some(&render(&fields, &case)), None, &["id"]),
    };
    w.delete_case(&case)?;
    crate::cascade::case_deleted(w, &case)?;
    Ok(Outcome {
        response: Response::Empty.into(),
        effects: vec![effect],
    })
}

pub(super) fn delete_cases(cx: &Ctx<'_>, w: &mut Writer<'_>, req: &Request) -> Result<Outcome> {
    let tx = w.tx();
    let suite_id = match req.id(0) {
        Some(id) => Some(super::suites::load(&tx, "suite_id", id)?.id),
        None => None,
    };
    let project_id = match req.param_or_body("project_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(super::projects::load(&tx, validate::id_value("project_id", &v)?)?.id),
    };
    let ids = id_list("case_ids", req.body.get("case_ids"))?;
    let cases = load_listed(&tx, &ids, suite_id)?;
    if project_id.is_some_and(|p| cases.iter().any(|c| c.project_id != p)) {
        return Err(msg::invalid_in_list("case_ids", "case"));
    }
    if req.soft() {
        return Ok(Outcome {
            response: Response::Json(soft_counts(cases.len())).into(),
            effects: Vec::new(),
        });
    }
    let fields = super::fields_of(cx, &tx)?;
    let mut effects = Vec::with_capacity(cases.len());
    let mut seen = std::collections::HashSet::new();
    for case in &cases {
        if !seen.insert(case.id) {
            continue;
        }
        effects.push(Effect {
            kind: Kind::Case,
            id: case.id,
            action: Action::Delete,
            changes: diff(Some(&render(&fields, case)), None, &["id"]),
        });
        w.delete_case(case)?;
        crate::cascade::case_deleted(w, case)?;
    }
    Ok(Outcome {
        response: Response::Empty.into(),
        effects,
    })
}

pub(super) fn copy_cases_to_section(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    req: &Request,
) -> Result<Outcome> {
    let tx = w.tx();
    let section = super::sections::load(&tx, "section_id", req.ids[0])?;
    let ids = id_list("case_ids", req.body.get("case_ids"))?;
    let sources = load_listed(&tx, &ids, None)?;
    let fields = fields_in_write(w)?;
    let first = next_display_order(&tx, section.id)?;
    let mut effects = Vec::new();
    let mut out = Vec::new();
    for (order, src) in (first..).zip(sources) {
        let mut case = src.clone();
        case.id = w.new_id(Kind::Case)?;
        case.section_id = section.id;
        case.suite_id = section.suite_id;
        if case.project_id != section.project_id {
            // Custom values travel only where their field also applies in the target project.
            let keep: Vec<String> =
                validate::applicable_fields(&fields, section.project_id, case.template_id)
                    .iter()
                    .map(|(f, _)| f.system_name.clone())
                    .collect();
            case.custom.retain(|(k, _)| keep.contains(k));
            case.milestone_id = None;
            case.project_id = section.project_id;
        }
        case.created_by = ctx.user_id;
        case.created_on = ctx.now;
        case.updated_by = ctx.user_id;
        case.updated_on = ctx.now;
        case.display_order = order;
        w.put_case(&case, None)?;
        crate::runs::case_added(w, &case)?;
        let json = render(&fields, &case);
        effects.push(Effect {
            kind: Kind::Case,
            id: case.id,
            action: Action::Create,
            changes: diff(None, Some(&json), UNJOURNALED),
        });
        out.push(json);
    }
    Ok(Outcome {
        response: Response::Json(Value::Array(out)).into(),
        effects,
    })
}

pub(super) fn move_cases_to_section(
    w: &mut Writer<'_>,
    ctx: &WriteCtx,
    req: &Request,
) -> Result<Outcome> {
    let tx = w.tx();
    let section = super::sections::load(&tx, "section_id", req.ids[0])?;
    let suite_id = match req.param_or_body("suite_id") {
        None | Some(Value::Null) => return Err(msg::required("suite_id")),
        Some(v) => validate::id_value("suite_id", &v)?,
    };
    if section.suite_id != suite_id {
        return Err(msg::unknown("suite_id", Kind::Suite));
    }
    let ids = id_list("case_ids", req.body.get("case_ids"))?;
    let cases = load_listed(&tx, &ids, None)?;
    if cases.iter().any(|c| c.project_id != section.project_id) {
        return Err(Error::validation(
            "case_ids",
            "Field :case_ids contains cases of another project.",
        ));
    }
    let fields = fields_in_write(w)?;
    let mut order = next_display_order(&tx, section.id)?;
    let mut effects = Vec::new();
    for old in cases {
        if old.section_id == section.id {
            continue;
        }
        let mut case = old.clone();
        case.section_id = section.id;
        case.suite_id = section.suite_id;
        case.display_order = order;
        order += 1;
        case.updated_by = ctx.user_id;
        case.updated_on = ctx.now;
        w.put_case(&case, Some(&old))?;
        crate::runs::case_changed(w, &old, &case)?;
        effects.push(Effect {
            kind: Kind::Case,
            id: case.id,
            action: Action::Move,
            changes: diff(
                Some(&render(&fields, &old)),
                Some(&render(&fields, &case)),
                UNJOURNALED,
            ),
        });
    }
    Ok(Outcome {
        response: Response::Empty.into(),
        effects,
    })
}

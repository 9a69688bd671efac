//! `x_search_cases/{project_id}`: full-text search through the dispatcher. Not a TestRail
//! method (hence the `x_` prefix); its parameters follow get_cases. Without a project id
//! (`x_search_cases&q=…`) it searches every project; each result names its `project_id`.
//!
//! `q` is the query; `suite_id`, `section_id` (with its subsections), `priority_id`, `type_id`,
//! `template_id`, `milestone_id`, `created_by`, `updated_by` (comma-separated lists),
//! `created_after`/`created_before`/`updated_after`/`updated_before` and any
//! `custom_<dropdown, multi-select or checkbox field>=ids` filter inside the index; `limit`
//! (default 50, at most 250), `offset`; `count=1` adds `total`; `highlight=0` leaves out snippets.
//! The answer pages like TestRail: `{offset, limit, size, total?, _links, results: [{score,
//! highlights, case}]}`, each case in get_case's shape.

use serde_json::Value;

use super::paging::Page;
use super::Ctx;
use super::{csv_ids, timestamp, Answer, Request};
use crate::error::Result;
use crate::messages as msg;
use crate::model::{Kind, Section};
use crate::search::{SearchRequest, SEARCH_LIMIT_MAX};
use crate::tx::Tx;
use crate::validate;

/// How many hits a search answers when no `limit` is given.
const DEFAULT_LIMIT: u64 = 50;

/// Reads a search request from a route's parameters.
pub(crate) fn request(tx: &Tx<'_>, req: &Request) -> Result<SearchRequest> {
    let project = req
        .id(0)
        .map(|id| super::projects::load(tx, id))
        .transpose()?
        .map(|p| p.id);
    let suite_id = match req.param("suite_id").filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) => {
            let id = validate::id_text("suite_id", s.trim())?;
            let suite = super::suites::load(tx, "suite_id", id)?;
            if project.is_some_and(|p| p != suite.project_id) {
                return Err(msg::unknown("suite_id", Kind::Suite));
            }
            Some(id)
        }
    };
    let section_id = match req.param("section_id").filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) => {
            let id = validate::id_text("section_id", s.trim())?;
            match tx.get::<Section>(id)? {
                Some(sec) if project.is_none_or(|p| p == sec.project_id) => Some(id),
                _ => return Err(msg::unknown("section_id", Kind::Section)),
            }
        }
    };
    let page = Page::with_default(req, DEFAULT_LIMIT.min(SEARCH_LIMIT_MAX as u64))?;
    let mut choices = Vec::new();
    for (k, v) in &req.params {
        if k.starts_with("custom_") && !v.trim().is_empty() {
            let items = v
                .split(',')
                .map(|p| p.trim().parse::<i64>().map_err(|_| msg::invalid_id(k)))
                .collect::<Result<Vec<_>>>()?;
            choices.push((k.clone(), items));
        }
    }
    let flag = |k: &str, default: bool| match req.param(k) {
        None | Some("") => Ok(default),
        Some(v) => validate::flag(k, &Value::String(v.into())),
    };
    Ok(SearchRequest {
        project_id: project,
        query: req.param("q").unwrap_or("").to_string(),
        suite_id,
        section_id,
        priority_id: csv_ids(req, "priority_id")?,
        type_id: csv_ids(req, "type_id")?,
        template_id: csv_ids(req, "template_id")?,
        milestone_id: csv_ids(req, "milestone_id")?,
        created_by: csv_ids(req, "created_by")?,
        updated_by: csv_ids(req, "updated_by")?,
        created_after: timestamp(req, "created_after")?,
        created_before: timestamp(req, "created_before")?,
        updated_after: timestamp(req, "updated_after")?,
        updated_before: timestamp(req, "updated_before")?,
        choices,
        offset: usize::try_from(page.offset).unwrap_or(usize::MAX),
        limit: usize::try_from(page.limit).unwrap_or(SEARCH_LIMIT_MAX),
        count: flag("count", false)?,
        highlight: flag("highlight", true)?,
    })
}

pub(super) fn search_cases(cx: &Ctx<'_>, tx: &Tx<'_>, req: &Request) -> Result<Answer> {
    let request = request(tx, req)?;
    let results = (cx.search)(&request)?;
    let fields = super::fields_of(cx, tx)?;
    let page = super::paging::Page {
        limit: results.limit as u64,
        offset: results.offset as u64,
    };
    let head = super::paging::head(req, page, results.hits.len(), results.has_more);
    Ok(Answer::hits(head, results.hits, results.total, fields))
}

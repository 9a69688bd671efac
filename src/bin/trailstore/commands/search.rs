//! `trailstore search`: full-text search over a project's cases, or every project's.

use serde_json::json;
use trailstore::{Error, Request, Store};

use super::query;
use crate::args::SearchArgs;
use crate::render;

/// `trailstore search [--project P] [QUERY]`: one page of hits, best first, with the total;
/// without a project, over every project.
pub fn search(store: &Store, a: SearchArgs, human: bool) -> Result<(), Error> {
    let params = query(json!({
        "q": a.query,
        "limit": a.limit,
        "offset": a.offset,
        "count": 1,
        "suite_id": a.suite,
        "section_id": a.section,
        "priority_id": a.priority,
        "type_id": a.type_id,
    }));
    let endpoint = match a.project {
        Some(p) => format!("x_search_cases/{p}"),
        None => "x_search_cases".to_string(),
    };
    let mut request = Request::with_params(&endpoint, &params, None)?;
    // Each --choice is a filter of its own, even when two name the same field, so each is added
    // to the route in turn rather than put in one map.
    for c in &a.choice {
        let (k, v) = c.split_once('=').ok_or_else(|| Error::BadRequest {
            message: format!("--choice takes FIELD=IDS, got \"{c}\"."),
        })?;
        let choice = query(json!({ k.trim(): v.trim() }));
        request = Request::with_params(&request.route, &choice, None)?;
    }
    let page = store.answer_request(&request)?.into_response().into_value();
    if human {
        render::search_results(&page, a.project.is_none());
    } else {
        render::json(&page);
    }
    Ok(())
}

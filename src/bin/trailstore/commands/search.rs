//! `trailstore search`: full-text search over a project's cases.

use trailstore::{Error, Store};

use crate::args::SearchArgs;
use crate::render;

/// `trailstore search --project P [QUERY]`: one page of hits, best first, with the total.
pub fn search(store: &Store, a: SearchArgs, human: bool) -> Result<(), Error> {
    let enc = |v: &str| {
        percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let mut route = format!(
        "x_search_cases/{}&q={}&limit={}&offset={}&count=1",
        a.project,
        enc(&a.query),
        a.limit,
        a.offset
    );
    for (k, v) in [
        ("suite_id", a.suite.map(|s| s.to_string())),
        ("section_id", a.section.map(|s| s.to_string())),
        ("priority_id", a.priority),
        ("type_id", a.type_id),
    ] {
        if let Some(v) = v {
            route.push_str(&format!("&{k}={}", enc(&v)));
        }
    }
    for c in &a.choice {
        let (k, v) = c.split_once('=').ok_or_else(|| Error::BadRequest {
            message: format!("--choice takes FIELD=IDS, got \"{c}\"."),
        })?;
        route.push_str(&format!("&{}={}", enc(k.trim()), enc(v.trim())));
    }
    let page = store.call(&route, None)?.into_value();
    if human {
        render::search_results(&page);
    } else {
        render::json(&page);
    }
    Ok(())
}

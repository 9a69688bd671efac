//! `trailstore sections`: the section tree.

use serde_json::Value;
use trailstore::{Error, Store};

use super::all_pages;
use crate::render;

/// `trailstore sections tree`: a suite's sections in tree order, each with its case count.
pub fn tree(store: &Store, project: u64, suite: Option<u64>, human: bool) -> Result<(), Error> {
    let mut route = format!("get_sections/{project}");
    if let Some(s) = suite {
        route.push_str(&format!("&suite_id={s}"));
    }
    let sections = all_pages(store, &route, "sections")?;
    if !human {
        render::json(&Value::Array(sections));
        return Ok(());
    }
    let mut case_route = format!("get_cases/{project}");
    if let Some(s) = suite {
        case_route.push_str(&format!("&suite_id={s}"));
    }
    let cases = all_pages(store, &case_route, "cases")?;
    render::section_tree(&sections, &cases);
    Ok(())
}

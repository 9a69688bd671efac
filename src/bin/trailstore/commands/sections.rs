//! `trailstore sections`: the section tree.

use serde_json::{json, Value};
use trailstore::{Error, Store};

use super::list_all;
use crate::render;

/// `trailstore sections tree`: a suite's sections in tree order, each with its case count.
pub fn tree(store: &Store, project: u64, suite: Option<u64>, human: bool) -> Result<(), Error> {
    let in_suite = || json!({ "suite_id": suite });
    let sections = list_all(store, &format!("get_sections/{project}"), in_suite())?;
    if !human {
        render::json(&Value::Array(sections));
        return Ok(());
    }
    let cases = list_all(store, &format!("get_cases/{project}"), in_suite())?;
    render::section_tree(&sections, &cases);
    Ok(())
}

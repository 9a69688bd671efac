//! `trailstore journal` and `trailstore history`: what changed, locally and per case.

use serde_json::{json, Value};
use trailstore::{Error, Store};

use super::list_all;
use crate::args::{HistoryArgs, JournalArgs};
use crate::render;

/// `trailstore journal`: every local change in order, with its push state.
pub fn journal(store: &Store, a: JournalArgs, human: bool) -> Result<(), Error> {
    let entries = list_all(
        store,
        "x_get_journal",
        json!({ "since": a.since, "state": a.state }),
    )?;
    if human {
        render::journal(&entries, a.since);
    } else {
        render::json(&Value::Array(entries));
    }
    Ok(())
}

/// `trailstore history CASE_ID`: TestRail's get_history_for_case, every page.
pub fn history(store: &Store, a: HistoryArgs, human: bool) -> Result<(), Error> {
    let history = list_all(
        store,
        &format!("get_history_for_case/{}", a.case_id),
        json!({}),
    )?;
    if human {
        render::history(&history);
    } else {
        render::json(&Value::Array(history));
    }
    Ok(())
}

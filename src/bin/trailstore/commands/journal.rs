//! `trailstore journal` and `trailstore history`: what changed, locally and per case.

use serde_json::Value;
use trailstore::{Error, Store};

use super::all_pages;
use crate::args::{HistoryArgs, JournalArgs};
use crate::render;

/// `trailstore journal`: every local change in order, with its push state.
pub fn journal(store: &Store, a: JournalArgs, human: bool) -> Result<(), Error> {
    let mut route = format!("x_get_journal&since={}", a.since);
    if let Some(s) = a.state {
        route.push_str(&format!("&state={s}"));
    }
    let entries = all_pages(store, &route, "journal")?;
    if human {
        render::journal(&entries, a.since);
    } else {
        render::json(&Value::Array(entries));
    }
    Ok(())
}

/// `trailstore history CASE_ID`: TestRail's get_history_for_case, every page.
pub fn history(store: &Store, a: HistoryArgs, human: bool) -> Result<(), Error> {
    let history = all_pages(
        store,
        &format!("get_history_for_case/{}", a.case_id),
        "history",
    )?;
    if human {
        render::history(&history);
    } else {
        render::json(&Value::Array(history));
    }
    Ok(())
}
